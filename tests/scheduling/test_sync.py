"""Write-back: interviews scheduled, moved, re-staffed and cancelled through the lifecycle
appear, move and disappear in the panel's CalDAV calendars (a real Radicale) once the
worker has run; the copy in the calendar never blocks the interview's own time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app

from portal.extensions import db
from portal.hiring import services as hiring
from portal.messaging.worker import run_once
from portal.process import lifecycle
from portal.scheduling import services, sync
from portal.scheduling.availability import SlotRules, free_slots
from portal.scheduling.engine import Period
from portal.scheduling.models import CalendarEventCopy
from portal.timeutil import utcnow
from tests.factories import UserFactory, make_interview


def _events(calendar: Any) -> dict[str, Any]:
    """The calendar's events by UID (the VEVENT of each), read from the server."""
    found = {}
    for item in calendar.search(event=True):
        component = item.icalendar_component
        found[str(component["uid"])] = component
    return found


def _member(settings: Any, radicale: Any, login: str) -> tuple[Any, Any]:
    user = UserFactory(role="interviewer", language="sv" if login == "olle" else "en")
    services.save_schedule(db.session, user, user, "Europe/Stockholm",
                           {d: Period(0, 1440) for d in range(7)})
    calendar = radicale.new_calendar(login)
    services.connect_caldav(db.session, settings, user, radicale.url, login,
                            radicale.users[login], calendar=str(calendar.url))
    return user, calendar


def _data(interview: Any, starts_at: datetime, panel: list[Any]) -> hiring.InterviewData:
    return hiring.InterviewData(
        round_name=interview.round_name, starts_at=starts_at,
        duration_minutes=interview.duration_minutes, platform=interview.platform,
        meeting_url=interview.meeting_url, what_to_expect=interview.what_to_expect,
        preparation=interview.preparation, interviewer_ids=[u.id for u in panel])


def test_interviews_are_written_moved_and_removed(app, ctx, settings, radicale) -> None:
    recruiter = UserFactory(role="recruiter")
    maria, maria_cal = _member(settings, radicale, "maria")
    olle, olle_cal = _member(settings, radicale, "olle")
    starts = (utcnow() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    interview = make_interview(recruiter, starts_at=starts, interviewers=[maria, olle])
    db.session.commit()
    assert sync.pending(db.session, interview.id) is not None
    uid = interview.uid

    run_once(app)
    for calendar in (maria_cal, olle_cal):
        event = _events(calendar)[uid]
        assert event.decoded("dtstart") == starts and int(event["sequence"]) == 0
    assert "Intervju med" in str(_events(olle_cal)[uid]["summary"])  # in Olle's language
    assert sync.pending(db.session, interview.id) is None

    # Moved, and Olle taken off the panel: Maria's copy moves, Olle's goes.
    later = starts + timedelta(days=1, hours=2)
    lifecycle.reschedule(db.session, settings, recruiter, interview,
                         _data(interview, later, [maria]))
    db.session.commit()
    run_once(app)
    moved = _events(maria_cal)[uid]
    assert moved.decoded("dtstart") == later and int(moved["sequence"]) == 1
    assert uid not in _events(olle_cal)
    assert db.session.query(CalendarEventCopy).count() == 1

    # The copy in Maria's calendar, once read back, does not block the interview itself:
    # moving it by a quarter of an hour finds its own time free.
    connection = services.schedule_of(db.session, settings, maria).connections[0]
    assert services.refresh_now(db.session, settings, maria, connection.id) is None
    db.session.commit()
    assert connection.busy_count == 1
    rules = SlotRules(duration=timedelta(minutes=45), window_start=later - timedelta(hours=1),
                      window_end=later + timedelta(hours=2))
    starts_free = {s.start for s in free_slots(db.session, [maria.id], rules, utcnow(),
                                               ignore_interview_id=interview.id).slots}
    assert later in starts_free
    assert later not in {s.start for s in free_slots(db.session, [maria.id], rules,
                                                     utcnow()).slots}

    # Cancelled: gone from every calendar.
    lifecycle.cancel_interview(db.session, settings, recruiter, interview)
    db.session.commit()
    run_once(app)
    assert uid not in _events(maria_cal)
    assert db.session.query(CalendarEventCopy).count() == 0


def test_a_server_that_fails_is_retried_later(
        app, ctx, settings, radicale, tmp_path) -> None:
    from tests.conftest import RadicaleServer

    server = RadicaleServer(tmp_path / "own").start()
    try:
        recruiter = UserFactory(role="recruiter")
        maria, calendar = _member(settings, server, "maria")
        interview = make_interview(recruiter, interviewers=[maria])
        db.session.commit()
        server.stop()
        assert sync.push_due(db.session, current_app.config["PORTAL"]) == 1
        job = sync.pending(db.session, interview.id)
        assert job is not None and job.attempts == 1 and job.due_at > utcnow()
        connection = services.schedule_of(db.session, settings, maria).connections[0]
        assert connection.last_sync_error.startswith("connect")
        # Not due yet: the next pass leaves it; once due, it goes through.
        assert sync.push_due(db.session, settings) == 0
        server.start()
        assert sync.push_due(db.session, settings, now=job.due_at) == 1
        assert interview.uid in _events(server.client("maria").calendar(url=calendar.url))
        assert sync.pending(db.session, interview.id) is None
        db.session.expire_all()
        assert connection.last_sync_error == ""
    finally:
        server.stop()


def test_nothing_is_queued_for_a_panel_without_caldav(app, ctx, settings) -> None:
    recruiter = UserFactory(role="recruiter")
    interview = make_interview(recruiter, interviewers=[UserFactory(role="interviewer")],
                               starts_at=datetime(2030, 1, 7, 9, tzinfo=UTC))
    db.session.commit()
    assert sync.pending(db.session, interview.id) is None
