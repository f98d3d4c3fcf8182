"""One process, told the same everywhere: a recruiter rejects a candidate who has an
interview booked; the candidate's phone shows the outcome and nothing to join, and the
panel's mailbox gets a cancellation that cancels the calendar event."""

from __future__ import annotations

from datetime import timedelta

import pytest
from icalendar import Calendar
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from portal.hiring import notify
from portal.hiring.models import Interview
from portal.links.services import issue_link
from portal.messaging.worker import run_once
from portal.timeutil import utcnow
from tests.factories import (
    PASSWORD,
    CandidateFactory,
    UserFactory,
    make_application,
    make_interview,
)

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}


def _calendar(message):  # noqa: ANN001, ANN202
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    return Calendar.from_ical(part.get_payload(decode=True))


def test_reject_with_a_booked_interview(app, ctx, browser: Browser, live_server, smtp_server,
                                        settings):
    recruiter = UserFactory(email="rec@example.com", role="recruiter", name="Rebecka R")
    maria = UserFactory(email="maria@example.com", role="interviewer", name="Maria Manager")
    application = make_application(recruiter, CandidateFactory(
        name="Anna Andersson", email="anna@example.com", language="sv"))
    interview = make_interview(recruiter, application, interviewers=[maria],
                               starts_at=(utcnow() + timedelta(days=2)).replace(microsecond=0))
    notify.send_invitation(ctx, app.config["PORTAL"], interview)
    _link, token = issue_link(ctx, app.config["PORTAL"], application.candidate)
    ctx.commit()
    run_once(app)
    invitation = next(m for m in smtp_server.messages if "maria@example.com" in m["To"])
    invited = _calendar(invitation).walk("VEVENT")[0]

    staff_context = browser.new_context(locale="en-GB")
    page = staff_context.new_page()
    page.goto(f"{live_server.url}/staff/login")
    page.get_by_label("Email").fill("rec@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/staff/applications/{application.id}/decide?decision=reject")
    # The page says what else a rejection does before it is done.
    expect(page.get_by_role("note")).to_contain_text("cancels these interviews")
    page.get_by_label("Reason (internal, never shown to the candidate)").select_option(index=1)
    page.get_by_role("button", name="Record decision and send").click()
    expect(page.get_by_text("Decision recorded.")).to_be_visible()
    staff_context.close()

    run_once(app)
    to_maria = [m for m in smtp_server.messages if "maria@example.com" in m["To"]]
    assert len(to_maria) == 2
    cal = _calendar(to_maria[-1])
    event = cal.walk("VEVENT")[0]
    assert str(cal["METHOD"]) == "CANCEL"
    assert str(event["UID"]) == str(invited["UID"]) == interview.uid
    assert int(event["SEQUENCE"]) > int(invited["SEQUENCE"])
    assert str(event["STATUS"]) == "CANCELLED"

    phone = browser.new_context(timezone_id="Europe/Stockholm", locale="sv-SE", **PHONE)
    mobile = phone.new_page()
    mobile.goto(f"{live_server.url}/c/{token}")
    expect(mobile.locator(".application")).to_contain_text("Inte gått vidare")
    expect(mobile.get_by_role("heading", name="Ditt nästa steg")).to_be_visible()
    expect(mobile.locator(".next-step")).not_to_contain_text("intervju")
    mobile.goto(f"{live_server.url}/portal/interviews/{interview.id}")
    expect(mobile.get_by_role("heading", name="Intervjun blir inte av")).to_be_visible()
    expect(mobile.locator(".join-button")).to_have_count(0)
    expect(mobile.get_by_role("button", name="Ja, jag kommer")).to_have_count(0)
    phone.close()
    ctx.expire_all()
    assert ctx.scalar(select(Interview)).is_cancelled
