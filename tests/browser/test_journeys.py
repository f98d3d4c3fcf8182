"""Journeys in a real Chromium: staff schedules and sends, the worker delivers over SMTP,
the candidate opens the link from that email on a phone in another time zone, switches to
Swedish, downloads the calendar file, reads the guide and confirms; staff sees it."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from icalendar import Calendar
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from portal.hiring.models import Interview
from portal.links.services import issue_link
from portal.messaging.worker import run_once
from portal.timeutil import utcnow, zone
from tests.browser.pages import CandidatePages, StaffPages
from tests.factories import PASSWORD, CandidateFactory, UserFactory, make_application

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}


def test_schedule_invite_deliver_open_confirm(app, ctx, browser: Browser, live_server,
                                              smtp_server, tmp_path: Path):
    recruiter = UserFactory(email="rec@example.com", role="recruiter", name="Rebecka R")
    UserFactory(email="maria@example.com", role="interviewer", name="Maria Manager")
    application = make_application(recruiter, CandidateFactory(
        name="Anna Andersson", email="anna@example.com", language="en",
        timezone="Europe/Stockholm"))
    ctx.commit()
    candidate_id = application.candidate_id

    staff_context = browser.new_context(locale="en-GB")
    staff = StaffPages(staff_context.new_page(), live_server.url)
    staff.login("rec@example.com", PASSWORD)
    day = (utcnow() + timedelta(days=3)).astimezone(zone("Europe/Stockholm")).date()
    staff.schedule_interview(candidate_id, date=day.isoformat(), time="14:00", platform="zoom",
                             url="https://zoom.us/j/98765432101?pwd=abc",
                             interviewer="Maria Manager (maria@example.com)")

    report = run_once(app)
    assert report.sent == 2
    email = next(m for m in smtp_server.messages if "anna@example.com" in m["To"])
    text = email.get_body(("plain",)).get_content()
    link = re.search(r"http://127\.0\.0\.1:\d+/c/\S+", text).group(0)

    phone = browser.new_context(timezone_id="America/New_York", locale="en-US",
                                accept_downloads=True, **PHONE)
    page = phone.new_page()
    page.goto(link)
    expect(page.get_by_role("heading", name="First interview")).to_be_visible()
    assert "/c/" not in page.url
    assert re.search(r"/portal/interviews/\d+$", page.url)
    # Nobody chose a zone, so the device's is taken, said in one line, with no reload under
    # the reader; 14.00 in Stockholm is 08:00 in New York.
    expect(page.locator("#tz-offer")).to_contain_text("New York time")
    expect(page.locator(".when-line")).to_contain_text("14:00–14:45")
    page.get_by_role("link", name="Show this page in it").click()
    expect(page.locator(".when-line")).to_contain_text("08:00–08:45")

    CandidatePages(page).switch_language("Svenska")
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.locator(".when-line")).to_contain_text("kl. 08.00–08.45 (tid i New York)")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Ladda ner kalenderfil (.ics)").click()
    path = tmp_path / "interview.ics"
    download_info.value.save_as(path)
    event = Calendar.from_ical(path.read_bytes()).walk("VEVENT")[0]
    interview = ctx.scalar(select(Interview))
    assert str(event["UID"]) == interview.uid

    page.get_by_role("link", name=re.compile("Zoom")).filter(has_text="steg").click()
    expect(page.get_by_role("heading", name=re.compile("Zoom")).first).to_be_visible()
    expect(page.get_by_role("heading", name="Anslut från mobilen")).to_be_visible()
    page.go_back()

    CandidatePages(page).confirm("Ja, jag kommer")
    expect(page.get_by_role("status")).to_contain_text("Vi har noterat att du kommer")
    assert "/response" not in page.url  # htmx swapped the section in place

    staff.page.goto(f"{live_server.url}/staff/")
    row = staff.page.get_by_role("row").filter(has_text="Anna Andersson")
    expect(row).to_contain_text("Confirmed")
    expect(row).to_contain_text("Opened portal")
    staff_context.close()
    phone.close()


def test_reschedule_request_reaches_staff(app, ctx, browser: Browser, live_server, settings):
    recruiter = UserFactory(email="rec@example.com", role="recruiter")
    from tests.factories import make_interview

    interview = make_interview(recruiter, make_application(recruiter, CandidateFactory(
        name="Ben Carter", language="en")))
    _l, token = issue_link(ctx, settings, interview.application.candidate)
    ctx.commit()
    context = browser.new_context(timezone_id="Europe/Stockholm", **PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/c/{token}?next=/portal/interviews/{interview.id}")
    page.get_by_text("I need another time").click()
    page.get_by_role("button", name="Ask for another time").click()
    expect(page.get_by_role("alert")).to_contain_text("Tell us which times suit you better")
    page.get_by_label("Which days and times suit you better?").fill("Mornings next week")
    page.get_by_role("button", name="Ask for another time").click()
    expect(page.get_by_role("status")).to_contain_text("We have your message")
    context.close()

    staff_context = browser.new_context()
    staff = StaffPages(staff_context.new_page(), live_server.url)
    staff.login("rec@example.com", PASSWORD)
    expect(staff.page.get_by_text("Needs your attention")).to_be_visible()
    expect(staff.page.get_by_text("Mornings next week").first).to_be_visible()
    staff_context.close()


def test_tampered_and_expired_links_offer_a_fresh_one(ctx, browser: Browser, live_server,
                                                      settings):
    recruiter = UserFactory(role="recruiter")
    application = make_application(recruiter, CandidateFactory(email="cara@example.com"))
    _l, token = issue_link(ctx, settings, application.candidate)
    application.closed_at = utcnow() - timedelta(days=45)
    ctx.commit()
    context = browser.new_context(locale="en-GB", timezone_id="Europe/Stockholm")
    page = context.new_page()
    page.goto(f"{live_server.url}/c/{token[:-4]}abcd")
    expect(page.get_by_role("heading", name="The link did not work")).to_be_visible()
    page.goto(f"{live_server.url}/c/{token}")
    expect(page.get_by_role("heading", name="This link has expired")).to_be_visible()
    assert "/c/" not in page.url
    page.get_by_label("Your email address").fill("cara@example.com")
    page.get_by_role("button", name="Send me a new link").click()
    expect(page.get_by_role("status")).to_contain_text("a new link is on its way")
    context.close()


def test_another_candidates_interview_and_a_form_without_csrf(ctx, browser: Browser,
                                                              live_server, settings):
    recruiter = UserFactory(role="recruiter")
    from tests.factories import make_interview

    mine = make_interview(recruiter, make_application(recruiter, CandidateFactory()))
    theirs = make_interview(recruiter, make_application(recruiter, CandidateFactory()))
    _l, token = issue_link(ctx, settings, mine.application.candidate)
    ctx.commit()
    context = browser.new_context(locale="en-GB", timezone_id="Europe/Stockholm")
    page = context.new_page()
    page.goto(f"{live_server.url}/c/{token}")
    response = page.goto(f"{live_server.url}/portal/interviews/{theirs.id}")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()

    page.goto(f"{live_server.url}/portal/interviews/{mine.id}")
    page.get_by_text("I need another time").click()
    page.locator("details.reschedule input[name=csrf_token]").evaluate("e => e.remove()")
    page.get_by_label("Which days and times suit you better?").fill("Fridays")
    page.evaluate("document.querySelector('details.reschedule form')"
                  ".removeAttribute('hx-post'); htmx.process(document.body)")
    page.get_by_role("button", name="Ask for another time").click()
    expect(page.get_by_role("heading", name="The form had expired")).to_be_visible()
    context.close()
    ctx.expire_all()
    assert ctx.get(Interview, mine.id).response == "none"
