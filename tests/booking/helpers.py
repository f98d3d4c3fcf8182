"""Test data for self-scheduling, through the real services."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from flask import current_app

from portal.accounts.models import User
from portal.booking import services
from portal.booking.models import BookingOffer
from portal.extensions import db
from portal.hiring.models import Application
from portal.links.services import issue_link
from portal.scheduling.engine import Period
from portal.scheduling.services import save_schedule
from portal.timeutil import utcnow, zone

COOKIE = "portal_session"
SLOT_RE = re.compile(r'name="start" value="([0-9T:\-]+Z)"')


def weekday_ahead(days: int = 3) -> date:
    """A Monday-to-Friday date at least ``days`` ahead in Stockholm (the portal's zone)."""
    day = utcnow().astimezone(zone("Europe/Stockholm")).date() + timedelta(days=days)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def working_hours(user: User, day: date, start_hour: int, end_hour: int) -> None:
    """``user`` works only ``day``'s weekday, from ``start_hour`` to ``end_hour`` in
    Stockholm (through the availability side's own service)."""
    save_schedule(db.session, user, user, "Europe/Stockholm",
                  {day.weekday(): Period(start_hour * 60, end_hour * 60)})


def offer_round(recruiter: User, applications: list[Application], interviewers: list[User],
                *, first: date, last: date | None = None, **overrides: Any
                ) -> services.Created:
    data = services.RequestData(
        round_name=overrides.pop("round_name", "First interview"),
        duration_minutes=overrides.pop("duration_minutes", 45),
        interviewer_ids=[u.id for u in interviewers], required=overrides.pop("required", None),
        window_from=first, window_to=last or first,
        notice_hours=overrides.pop("notice_hours", 0),
        buffer_before_minutes=overrides.pop("buffer_before_minutes", 0),
        buffer_after_minutes=overrides.pop("buffer_after_minutes", 0),
        per_day_limit=overrides.pop("per_day_limit", None),
        platform=overrides.pop("platform", "jitsi"),
        meeting_url=overrides.pop("meeting_url", ""),
        cutoff_hours=overrides.pop("cutoff_hours", 24), **overrides)
    return services.create_request(db.session, current_app.config["PORTAL"], recruiter,
                                   applications[0].opening, applications, data)


def candidate_client(app: Any, candidate: Any, next_path: str | None = None) -> Any:
    """A browser-like client signed in as ``candidate`` through a real magic link."""
    _link, token = issue_link(db.session, app.config["PORTAL"], candidate)
    db.session.commit()
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = candidate.language
    url = f"/c/{token}" + (f"?next={next_path}" if next_path else "")
    assert client.get(url).status_code == 303
    return client


def slots_on(html: str) -> list[str]:
    """The start values of the slot buttons on a booking page."""
    return SLOT_RE.findall(html)


def offer_of(application: Application) -> BookingOffer:
    return db.session.query(BookingOffer).filter_by(application_id=application.id).one()
