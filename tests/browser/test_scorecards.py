"""Two interviewers score a candidate in Chromium; the second cannot see the first's
scorecard until submitting; the recruiter sees the disagreement in the comparison."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, expect

from portal.feedback import services as fb
from portal.timeutil import utcnow
from tests.browser.pages import StaffPages
from tests.factories import (
    PASSWORD,
    CandidateFactory,
    UserFactory,
    make_application,
    make_interview,
    move_to,
)

pytestmark = pytest.mark.browser


def _serious(page) -> list[str]:
    return [v["id"] for v in Axe().run(page).response["violations"]
            if v["impact"] in ("serious", "critical")]


def _score(browser: Browser, base: str, email: str, interview_id: int, level: int,
           recommendation: str) -> StaffPages:
    context = browser.new_context(locale="en-GB")
    staff = StaffPages(context.new_page(), base)
    staff.login(email, PASSWORD)
    page = staff.page
    page.goto(f"{base}/staff/interviews/{interview_id}/scorecard")
    for radio in page.locator(f"input[type=radio][value='{level}']").all():
        radio.check()
    page.get_by_label("Notes on Problem solving").fill(f"Level {level} thinking")
    expect(page.locator("#save-status")).to_contain_text("Draft saved")  # htmx autosave
    page.get_by_label("Overall recommendation").select_option(recommendation)
    return staff


def test_two_interviewers_score_independently_and_the_recruiter_compares(
        ctx, browser: Browser, live_server):
    recruiter = UserFactory(email="rec@example.com", role="recruiter")
    anna = UserFactory(email="anna@example.com", role="interviewer", name="Anna")
    bo = UserFactory(email="bo@example.com", role="interviewer", name="Bo")
    application = make_application(recruiter, CandidateFactory(name="Kim Kandidat"))
    kit = fb.create_starter_kit(ctx, recruiter, application.opening)
    interview = make_interview(recruiter, application, interviewers=[anna, bo])
    interview.kit_id = kit.id
    interview.starts_at = utcnow() - timedelta(hours=2)  # held: scorecards can be submitted
    ctx.commit()
    base = live_server.url

    first = _score(browser, base, "anna@example.com", interview.id, 4, "strong_yes")
    first.page.get_by_role("button", name="Submit scorecard").click()
    expect(first.page.get_by_text("Scorecard submitted.")).to_be_visible()
    assert _serious(first.page) == []

    second = _score(browser, base, "bo@example.com", interview.id, 2, "no")
    expect(second.page.get_by_text("once you have submitted yours")).to_be_visible()
    expect(second.page.get_by_text("Level 4 thinking")).to_have_count(0)
    second.page.get_by_role("button", name="Submit scorecard").click()
    expect(second.page.get_by_text("Level 4 thinking")).to_be_visible()

    context = browser.new_context(locale="en-GB")
    boss = StaffPages(context.new_page(), base)
    boss.login("rec@example.com", PASSWORD)
    boss.page.goto(f"{base}/staff/openings/{application.opening_id}")
    boss.page.get_by_role("link", name="Compare candidates").click()
    row = boss.page.get_by_role("row").filter(has_text="Kim Kandidat")
    expect(row).to_contain_text("Raters disagree")
    expect(row).to_contain_text("3.0")
    assert _serious(boss.page) == []
    boss.page.goto(f"{base}/staff/kits/{kit.id}")
    assert _serious(boss.page) == []
    for staff in (first, second, boss):
        staff.page.context.close()


def test_reject_in_swedish_advance_another_and_a_referee_answers(ctx, browser: Browser,
                                                                 live_server, settings):
    import re

    from sqlalchemy import select

    from portal.links.services import issue_link
    from portal.messaging.models import OutboxMessage

    recruiter = UserFactory(email="rec@example.com", role="recruiter")
    kim = make_application(recruiter, CandidateFactory(name="Kim Kandidat", language="sv"))
    lo = make_application(recruiter, CandidateFactory(name="Lo Lindqvist", language="sv"),
                          kim.opening)
    make_interview(recruiter, kim)
    final = next(s for s in lo.opening.stages if s.name == "Final interview")
    move_to(recruiter, lo, final)
    _l, kim_token = issue_link(ctx, settings, kim.candidate)
    _l, lo_token = issue_link(ctx, settings, lo.candidate)
    ctx.commit()
    base = live_server.url

    staff_context = browser.new_context(locale="en-GB")
    staff = StaffPages(staff_context.new_page(), base)
    staff.login("rec@example.com", PASSWORD)
    page = staff.page
    page.goto(f"{base}/staff/applications/{kim.id}/decide?decision=reject")
    expect(page.get_by_label("Text")).to_have_value(re.compile("^Hej Kim,"))
    page.get_by_label("Reason (internal, never shown to the candidate)").select_option(
        index=2)
    page.get_by_label("A personal line (optional)").fill("Det var ett nöje att träffa dig.")
    expect(page.locator("#preview")).to_contain_text("Det var ett nöje att träffa dig.")
    assert _serious(page) == []
    page.get_by_role("button", name="Record decision and send").click()
    expect(page.get_by_text("Decision recorded.")).to_be_visible()

    page.goto(f"{base}/staff/applications/{lo.id}/decide?decision=advance")
    page.get_by_role("button", name="Record decision and send").click()
    expect(page.get_by_text("Decision recorded.")).to_be_visible()

    kim_page = browser.new_context(locale="sv-SE", timezone_id="Europe/Stockholm").new_page()
    kim_page.goto(f"{base}/c/{kim_token}")
    kim_page.goto(f"{base}/portal/applications/{kim.id}")
    expect(kim_page.locator(".step-outcome")).to_contain_text("Inte gått vidare")
    expect(kim_page.get_by_text("Det var ett nöje att träffa dig.")).to_be_visible()

    lo_page = browser.new_context(locale="sv-SE", timezone_id="Europe/Stockholm").new_page()
    lo_page.goto(f"{base}/c/{lo_token}")
    lo_page.goto(f"{base}/portal/applications/{lo.id}")
    expect(lo_page.locator(".step-current")).to_contain_text("Referenstagning")
    lo_page.get_by_label("Namn").fill("Maja Manager")
    lo_page.get_by_label("Hur ni känner varandra (t.ex. min chef på Acme)").fill("Min chef")
    lo_page.get_by_label("E-post").fill("maja@example.com")
    lo_page.get_by_label("Jag godkänner att ni kontaktar den här personen om mig.").check()
    assert _serious(lo_page) == []
    lo_page.get_by_role("button", name="Lägg till referens").click()
    expect(lo_page.get_by_text("Inte kontaktad än")).to_be_visible()

    page.goto(f"{base}/staff/candidates/{lo.candidate_id}")
    page.get_by_role("button", name="Send the reference request").click()
    ctx.expire_all()
    email = ctx.scalar(select(OutboxMessage).where(OutboxMessage.kind == "referee_request"))
    link = re.search(r"http://127\.0\.0\.1:\d+/r/\S+", email.text_body).group(0)

    referee = browser.new_context(locale="sv-SE").new_page()
    referee.goto(link)
    assert "/r/" not in referee.url
    for index, box in enumerate(referee.locator("textarea").all()):
        box.fill(f"Mycket bra, svar {index}")
    assert _serious(referee) == []
    referee.get_by_role("button", name="Skicka mina svar").click()
    expect(referee.get_by_role("heading", name="Tack för din referens")).to_be_visible()

    page.reload()
    expect(page.get_by_text("Mycket bra, svar 4")).to_be_visible()
    for context in (staff_context, kim_page.context, lo_page.context, referee.context):
        context.close()


def test_kit_list_and_templates_pages_have_no_serious_axe_violations(ctx, browser: Browser,
                                                                      live_server):
    recruiter = UserFactory(email="rec@example.com", role="recruiter")
    application = make_application(recruiter)
    fb.create_starter_kit(ctx, recruiter, application.opening)
    ctx.commit()
    context = browser.new_context(locale="sv-SE", viewport={"width": 390, "height": 844})
    staff = StaffPages(context.new_page(), live_server.url)
    page = staff.page
    page.goto(f"{live_server.url}/staff/login")
    page.get_by_label("E-post").fill("rec@example.com")
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    for path in (f"/staff/openings/{application.opening_id}/kits", "/staff/templates",
                 f"/staff/applications/{application.id}/decide?decision=advance", "/staff/"):
        page.goto(live_server.url + path)
        assert _serious(page) == [], path
    context.close()
