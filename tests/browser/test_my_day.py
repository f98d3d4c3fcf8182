"""An interviewer in a real Chromium: "My day" leads to the staff's own tech check, which
runs the candidates' check (fake camera and microphone) to a verdict and stores nothing."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import func, select

from portal.techcheck.models import TechCheckResult
from tests.browser.pages import StaffPages
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.browser


def test_interviewer_runs_her_own_tech_check(app, ctx, browser: Browser, live_server):
    UserFactory(email="ivy@example.com", name="Ivy Interviewer", role="interviewer")
    ctx.commit()
    context = browser.new_context(timezone_id="Europe/Stockholm", locale="en-GB")
    context.grant_permissions(["camera", "microphone"], origin=live_server.url)
    page = context.new_page()
    StaffPages(page, live_server.url).login("ivy@example.com", PASSWORD)
    expect(page.get_by_role("heading", name="My day")).to_be_visible()
    page.get_by_role("link", name="Test your own sound and picture").click()
    page.get_by_role("button", name="Start the check").click()
    page.get_by_role("button", name="Play the sound").click()
    beeps = page.evaluate("window.portalTechCheck.beeps")
    page.get_by_label("Number of beeps").fill(str(beeps))
    page.get_by_role("button", name="Check my answer").click()
    expect(page.locator("#tc-verdict")).to_be_visible(timeout=45_000)
    expect(page.get_by_text("Nothing is saved: this check is for you alone.")).to_be_visible()
    assert ctx.scalar(select(func.count(TechCheckResult.id))) == 0
    context.close()
