"""The private calendar address: made on the availability page and shown once (only its
hash is kept), read by any calendar app without a session as iCalendar (parsed here with
icalendar) with the invitations' UIDs and no contact details, private to caches, rate
limited, and 404 once revoked or replaced."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from portal.extensions import db
from portal.hiring.models import Interview
from portal.process import lifecycle
from portal.scheduling import feed
from portal.scheduling.models import CalendarFeed
from portal.timeutil import utcnow
from tests.conftest import csrf_from
from tests.factories import CandidateFactory, UserFactory, make_application, make_interview
from tests.feedback.test_views import client_for

FEED = re.compile(r'value="(http://[^"]+/calendar/([A-Za-z0-9_-]+)\.ics)"')


@pytest.fixture()
def world(ctx, settings):
    """Maria sits on three interviews: one ahead, one ten days ago, one a month ago; one
    more of hers was cancelled, and Johan has one she is not on."""
    recruiter = UserFactory(email="rec@example.com", role="recruiter")
    maria = UserFactory(email="maria@example.com", role="interviewer", name="Maria M",
                        language="sv")
    johan = UserFactory(email="johan@example.com", role="interviewer")
    anna = make_application(recruiter, CandidateFactory(
        name="Anna Andersson", email="anna.private@example.com", phone="070-111 22 33"))
    now = utcnow().replace(microsecond=0)
    ahead = make_interview(recruiter, anna, starts_at=now + timedelta(days=3),
                           interviewers=[maria], round_name="Panel round")
    recent = make_interview(recruiter, make_application(recruiter), interviewers=[maria],
                            starts_at=now + timedelta(days=4), round_name="Recent round")
    old = make_interview(recruiter, make_application(recruiter), interviewers=[maria],
                         starts_at=now + timedelta(days=5), round_name="Old round")
    # Held in the past: moved back in time as the demo does (no lifecycle for the past).
    recent.starts_at = now - timedelta(days=10)
    old.starts_at = now - timedelta(days=30)
    gone = make_interview(recruiter, make_application(recruiter), interviewers=[maria],
                          starts_at=now + timedelta(days=6), round_name="Cancelled round")
    lifecycle.cancel_interview(ctx, settings, recruiter, gone)
    make_interview(recruiter, make_application(recruiter), interviewers=[johan],
                   starts_at=now + timedelta(days=3), round_name="Johan's round")
    ctx.commit()
    return {"maria": maria, "ahead": ahead, "recent": recent, "old": old, "gone": gone}


def _make(client) -> tuple[str, str, str]:
    """Press "Make my calendar address"; returns the page, the address and its token."""
    page = client.get("/staff/availability")
    answer = client.post("/staff/availability/feed", data={"csrf_token": csrf_from(page.text)})
    assert answer.status_code == 200
    url, token = FEED.search(answer.text).groups()
    return answer.text, url, token


def _fetch(app, token: str):
    """A calendar app: no cookies, no session."""
    return app.test_client().get(f"/calendar/{token}.ics")


def test_the_address_is_shown_once_and_only_its_hash_is_kept(app, ctx, world):
    client = client_for(app, "maria@example.com")
    page, url, token = _make(client)
    assert "shown only this once" in page
    assert url.endswith(f"/calendar/{token}.ics") and len(token) >= 40
    row = ctx.scalar(select(CalendarFeed))
    assert row.user_id == world["maria"].id
    assert row.token_hash == feed.token_hash(token) and token not in row.token_hash
    again = client.get("/staff/availability")
    assert token not in again.text
    assert "You have a calendar address" in again.text
    assert "No calendar app has fetched it yet." in again.text


def test_a_calendar_app_reads_the_interviews_without_a_session(app, ctx, world):
    _page, _url, token = _make(client_for(app, "maria@example.com"))
    answer = _fetch(app, token)
    assert answer.status_code == 200
    assert answer.mimetype == "text/calendar"
    assert "private" in answer.headers["Cache-Control"]
    assert "no-store" not in answer.headers["Cache-Control"]
    assert "Set-Cookie" not in answer.headers
    calendar = Calendar.from_ical(answer.data)
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    ahead, recent = ctx.merge(world["ahead"]), ctx.merge(world["recent"])
    # Upcoming and the last two weeks; not older, not cancelled, not someone else's.
    assert set(events) == {ahead.uid, recent.uid}
    event = events[ahead.uid]
    assert int(event["SEQUENCE"]) == ahead.sequence
    assert event.decoded("DTSTART") == ahead.starts_at
    assert event.decoded("DTEND") == ahead.ends_at
    # In Maria's language, with the candidate's name and round; no contact details.
    assert str(event["SUMMARY"]) == "Intervju: Anna Andersson, Panel round"
    assert "Panel round" in str(event["DESCRIPTION"])
    assert str(event["LOCATION"]) == ahead.meeting_url
    body = answer.data.decode()
    assert "anna.private@example.com" not in body and "070-111" not in body
    assert "MAILTO" not in body.upper() and "ATTENDEE" not in body
    assert str(calendar["X-WR-CALNAME"]) == "Intervjuer: Maria M"


def test_a_fetch_is_noted_for_the_member(app, ctx, world):
    client = client_for(app, "maria@example.com")
    _page, _url, token = _make(client)
    assert _fetch(app, token).status_code == 200
    ctx.expire_all()
    assert ctx.scalar(select(CalendarFeed.last_used_at)) is not None
    assert "A calendar app last fetched it" in client.get("/staff/availability").text


def test_revoked_replaced_and_unknown_addresses_answer_404(app, ctx, world):
    client = client_for(app, "maria@example.com")
    _page, _url, first = _make(client)
    _page, _url, second = _make(client)  # a new address replaces the first
    assert first != second
    assert _fetch(app, first).status_code == 404
    assert _fetch(app, second).status_code == 200
    page = client.get("/staff/availability")
    revoked = client.post("/staff/availability/feed/revoke",
                          data={"csrf_token": csrf_from(page.text)})
    assert revoked.status_code == 303
    assert _fetch(app, second).status_code == 404
    assert ctx.scalar(select(CalendarFeed)) is None
    for token in ("x" * 43, "", "a" * 5000, "..", "%00"):
        assert app.test_client().get(f"/calendar/{token}.ics").status_code in (404, 400)


def test_a_deactivated_member_feed_answers_404(app, ctx, world):
    _page, _url, token = _make(client_for(app, "maria@example.com"))
    ctx.merge(world["maria"]).active = False
    ctx.commit()
    assert _fetch(app, token).status_code == 404


def test_htmx_swaps_just_the_feed_part(app, world):
    client = client_for(app, "maria@example.com")
    page = client.get("/staff/availability")
    assert 'id="calendar-feed"' in page.text and "Make my calendar address" in page.text
    answer = client.post("/staff/availability/feed", data={"csrf_token": csrf_from(page.text)},
                         headers={"HX-Request": "true", "HX-Target": "calendar-feed"})
    assert answer.text.startswith('<section class="card" id="calendar-feed"')
    assert "<html" not in answer.text and FEED.search(answer.text)
    gone = client.post("/staff/availability/feed/revoke",
                       data={"csrf_token": csrf_from(page.text)},
                       headers={"HX-Request": "true", "HX-Target": "calendar-feed"})
    assert gone.status_code == 200 and "You have no calendar address." in gone.text


def test_the_feed_is_rate_limited_per_address(app, world):
    _page, _url, token = _make(client_for(app, "maria@example.com"))
    answers = [_fetch(app, token).status_code for _ in range(31)]
    assert answers[:30] == [200] * 30 and answers[30] == 429
    # Another address is not slowed by the first one's budget.
    UserFactory(email="other@example.com", role="interviewer")
    db.session.commit()
    _page, _url, second = _make(client_for(app, "other@example.com"))
    assert _fetch(app, second).status_code == 200


def test_the_feed_lists_only_scheduled_interviews(ctx, world):
    """The service behind it, for the interview that was cancelled."""
    maria = ctx.merge(world["maria"])
    uids = {i.uid for i in feed.feed_interviews(ctx, maria)}
    gone = ctx.get(Interview, world["gone"].id)
    assert gone.is_cancelled and gone.uid not in uids
