"""The dashboard (/staff/): today's and upcoming interviews, and what needs attention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import render_template
from flask_login import current_user

from portal.accounts.models import Role
from portal.booking import services as booking
from portal.booking.week import zone_for
from portal.decisions.services import waiting_for_answer
from portal.extensions import db
from portal.feedback import services as fb
from portal.hiring import services
from portal.hiring.messages import unanswered_overview
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
    day = _my_day()
    if not current_user.can_manage_hiring and day is not None:
        # "My day" shows today's, in the viewer's own zone and with more at hand; the rest
        # (whatever day they fall on in the portal's zone) stay under "Upcoming".
        shown = {i.id for i in day.interviews}
        todays, later = [], [i for i in interviews if i.id not in shown]
        missing = []  # "My day" lists the scorecards owed, with their deadline
    return render_template(
        "staff/dashboard.html", todays=todays, later=later, attention=attention, tz=tz,
        unchecked=unchecked, missing=missing, waiting=waiting, day=day,
        failed=failed_count(db.session) if current_user.can_manage_hiring else 0,
        unanswered=unanswered_overview(db.session) if current_user.can_manage_hiring else [],
    )


@dataclass
class MyDay:
    """An interviewer's home: their panels today (in their own zone), the scorecards
    they owe, and the rounds waiting for candidates to book time with them."""

    tz: str
    today: date
    now: datetime
    interviews: list[Any]
    verdicts: dict[int, Any]
    owed: list[fb.Owed]
    requests: list[booking.PanelRequest]


def _my_day() -> MyDay | None:
    """For interviewers always; for anyone else when they sit on a panel today, owe a
    scorecard or are in a round open to book. Only the viewer's own panels: need to know."""
    user = current_user._get_current_object()
    tz = zone_for(db.session, _settings(), user, user)
    now = utcnow()
    today = now.astimezone(zone(tz)).date()
    start = datetime.combine(today, time(0), zone(tz)).astimezone(UTC)
    end = datetime.combine(today + timedelta(days=1), time(0), zone(tz)).astimezone(UTC)
    interviews = services.panel_interviews_between(db.session, user, start, end)
    owed = fb.owed_scorecards(db.session, user, now=now)
    requests = booking.requests_waiting_for(db.session, user, now)
    if user.role != Role.INTERVIEWER and not (interviews or owed or requests):
        return None
    verdicts = techcheck.latest_by_candidate(
        db.session, sorted({i.application.candidate_id for i in interviews}))
    return MyDay(tz, today, now, interviews, verdicts, owed, requests)
