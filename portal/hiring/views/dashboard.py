"""The dashboard (/staff/): today's and upcoming interviews, and what needs attention."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_login import current_user

from portal.decisions.services import waiting_for_answer
from portal.extensions import db
from portal.feedback import services as fb
from portal.hiring import services
from portal.hiring.views import _settings, bp
from portal.messaging.services import failed_count
from portal.techcheck import services as techcheck
from portal.timeutil import utcnow, zone


@bp.get("/")
def dashboard() -> Any:
    """Today's and upcoming interviews with each candidate's answer, and what needs
    attention."""
    interviews = services.upcoming_interviews(db.session, current_user)
    tz = _settings().default_timezone
    today = utcnow().astimezone(zone(tz)).date()
    todays = [i for i in interviews if i.starts_at.astimezone(zone(tz)).date() == today]
    later = [i for i in interviews if i not in todays]
    attention = [i for i in interviews if i.response == "reschedule"]
    unchecked_ids = {i.id for i in techcheck.unchecked_soon(db.session)}
    unchecked = [i for i in interviews if i.id in unchecked_ids]

    waiting = waiting_for_answer(db.session) if current_user.can_manage_hiring else []
    missing = fb.missing_scorecards(db.session) if current_user.can_manage_hiring else [
        pair for pair in fb.missing_scorecards(db.session) if pair[1].id == current_user.id]
    return render_template(
        "staff/dashboard.html", todays=todays, later=later, attention=attention, tz=tz,
        unchecked=unchecked, missing=missing, waiting=waiting,
        failed=failed_count(db.session) if current_user.can_manage_hiring else 0,
    )
