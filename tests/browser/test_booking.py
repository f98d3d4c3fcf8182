"""Self-scheduling in a real Chromium: a candidate on a phone in New York opens the link from
the booking email, books a time in two taps, sees the interview, and moves it; the
interviewer's calendar (a real Radicale) shows the event, then the moved event. The booking
and confirm pages pass axe at phone and desktop widths in both languages, never scroll
sideways, and keep every time a comfortable tap target (screenshots are kept for a person
to look at: set BOOKING_SHOTS to a folder)."""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from portal.booking.models import Adjustment
from portal.extensions import db
from portal.hiring.models import Interview
from portal.links.services import issue_link
from portal.messaging.models import OutboxMessage
from portal.messaging.worker import run_once
from portal.scheduling import services as scheduling
from portal.timeutil import zone
from tests.booking.helpers import offer_round, weekday_ahead
from tests.factories import CandidateFactory, UserFactory, make_application

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}
WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


def _world(ctx, language="en", timezone="America/New_York", radicale=None):
    recruiter = UserFactory(email="rec@example.com", role="recruiter")
    maria = UserFactory(email="maria@example.com", role="interviewer", name="Maria Manager")
    calendar = None
    if radicale is not None:  # Maria's real calendar: read for busy time, written back
        calendar = radicale.new_calendar("maria")
        scheduling.connect_caldav(db.session, _settings(), maria,
                                  radicale.url, "maria", radicale.users["maria"],
                                  calendar=str(calendar.url))
    application = make_application(recruiter, CandidateFactory(
        name="Anna Andersson", email="anna@example.com", language=language,
        timezone=timezone, timezone_source="candidate"))
    day = weekday_ahead(5)
    offer = offer_round(recruiter, [application], [maria], first=day,
                        last=weekday_ahead(7)).offers[0]
    ctx.commit()
    if radicale is not None:
        return application, offer, day, calendar
    return application, offer, day


def _local(day, hour: int, tzname: str) -> str:
    """``hour`` o'clock in Stockholm on ``day``, as a New York reader's clock shows it."""
    moment = datetime(day.year, day.month, day.day, hour, tzinfo=zone("Europe/Stockholm"))
    return moment.astimezone(zone(tzname)).strftime("%H:%M")


def _settings():
    from flask import current_app

    return current_app.config["PORTAL"]


def _event_starts(calendar) -> dict[str, datetime]:
    """The calendar's events, read from the server: UID -> start."""
    return {str(item.icalendar_component["uid"]): item.icalendar_component.decoded("dtstart")
            for item in calendar.search(event=True)}


def test_book_see_and_move_on_a_phone_in_new_york(browser: Browser, live_server, ctx, app,
                                                   radicale):
    application, offer, day, calendar = _world(ctx, radicale=radicale)
    email = ctx.scalar(select(OutboxMessage).where(
        OutboxMessage.kind == "candidate_booking_request"))
    link = re.search(r"http://127\.0\.0\.1:\d+/c/\S+", email.text_body).group(0)

    phone = browser.new_context(timezone_id="America/New_York", locale="en-US", **PHONE)
    page = phone.new_page()
    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a time", exact=False).first).to_be_visible()
    assert page.url.endswith(f"/portal/booking/{offer.id}")
    expect(page.get_by_text("Times are shown in New York time.")).to_be_visible()
    first = _local(day, 9, "America/New_York")  # Maria's 09:00 in Stockholm
    later = _local(day, 11, "America/New_York")
    # A day is a heading and its times a list of buttons.
    heading = page.get_by_role("heading", level=2).filter(has_text=day.strftime("%-d "))
    expect(heading.first).to_be_visible()

    # Tap one: the time is chosen; tap two: booked.
    page.get_by_role("button", name=re.compile(rf", {first}–")).first.click()
    expect(page.get_by_role("heading", name="Confirm your time")).to_be_visible()
    expect(page.locator(".when-line")).to_contain_text(f"{first}–")
    page.get_by_text("Anything we can adjust for you?").click()
    page.get_by_label("Captions (subtitles) during the call").check()
    page.get_by_role("button", name="Book this time").click()

    expect(page.get_by_role("heading", name="First interview")).to_be_visible()
    expect(page.get_by_text("Booked. The invitation")).to_be_visible()
    expect(page.locator(".when-line")).to_contain_text(f"{first}–")
    expect(page.get_by_text("You asked for: Captions (subtitles) during the call.")).to_be_visible()

    # The worker writes the booked interview into Maria's calendar.
    ctx.expire_all()
    booked = ctx.scalar(select(Interview).where(Interview.application_id == application.id))
    run_once(app)
    assert _event_starts(calendar) == {booked.uid: booked.starts_at}

    # Move it, from the same offered times, before the cut-off.
    page.get_by_role("link", name="Pick another time").click()
    expect(page.get_by_role("heading", name="Choose a new time")).to_be_visible()
    page.get_by_role("button", name=re.compile(rf", {later}–")).first.click()
    page.get_by_role("button", name="Move to this time").click()
    expect(page.get_by_text("Your interview has been moved.")).to_be_visible()
    expect(page.locator(".when-line")).to_contain_text(f"{later}–")
    phone.close()

    ctx.expire_all()
    interview = ctx.scalar(select(Interview).where(Interview.application_id == application.id))
    assert interview.starts_at.astimezone(zone("America/New_York")).strftime("%H:%M") == later
    assert ctx.scalar(select(Adjustment)).kind_list == ["captions"]
    # ... and moves it there when the candidate moves it: one event, the same UID.
    run_once(app)
    assert _event_starts(calendar) == {interview.uid: interview.starts_at}


def _serious(page) -> list[str]:
    results = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["en", "sv"])
def test_booking_pages_look_right_at_phone_and_desktop_widths(browser: Browser, live_server,
                                                              ctx, settings, tmp_path, width,
                                                              lang):
    application, offer, _day = _world(ctx, language=lang, timezone="Europe/Stockholm")
    _l, token = issue_link(ctx, settings, application.candidate)
    ctx.commit()
    shots = Path(os.environ.get("BOOKING_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=WIDTHS[width], locale=lang,
                                  timezone_id="Europe/Stockholm",
                                  extra_http_headers={"Accept-Language": lang})
    page = context.new_page()
    page.goto(f"{live_server.url}/c/{token}?next=/portal/booking/{offer.id}")
    assert page.locator("html").get_attribute("lang") == lang
    problems = {}
    for step in ("slots", "confirm"):
        if step == "confirm":
            page.locator("button.slot").nth(2).click()
            page.locator("details.adjust summary").click()
        page.wait_for_load_state()
        page.screenshot(path=str(shots / f"booking-{step}-{width}-{lang}.png"), full_page=True)
        # Nothing runs off the side, and every time is a full-size tap target.
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[width]["width"]
        for box in [b.bounding_box() for b in page.locator("button.slot").all()[:5]]:
            assert box["height"] >= 44 and box["width"] >= 64
        if found := _serious(page):
            problems[step] = found
    context.close()
    assert problems == {}
