"""Two interviewers score a candidate in Chromium; the second cannot see the first's
scorecard until submitting; the recruiter sees the disagreement in the comparison."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, expect

from portal.feedback import services as fb
from tests.browser.pages import StaffPages
from tests.factories import (
    PASSWORD,
    CandidateFactory,
    UserFactory,
    make_application,
    make_interview,
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
