"""An opening's report in a real Chromium, in Swedish, at phone and desktop widths: axe finds
no serious or critical violation, the chart is hidden from screen readers (the table says
it all), and nothing on the page breaks the Content-Security-Policy."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, expect

from tests.factories import PASSWORD, CandidateFactory, UserFactory, make_application, move_to

pytestmark = pytest.mark.browser

WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


@pytest.mark.parametrize("width", WIDTHS)
def test_the_report_reads_well_in_swedish(app, ctx, browser: Browser, live_server, width):
    recruiter = UserFactory(email="rec@example.com", role="recruiter", language="sv")
    application = make_application(recruiter, CandidateFactory(name="Anna Andersson"))
    move_to(recruiter, application, application.opening.stages[1])
    ctx.commit()
    opening_id = application.opening_id
    page = browser.new_page(viewport=WIDTHS[width], locale="sv-SE",
                            extra_http_headers={"Accept-Language": "sv"})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/staff/login")
    page.get_by_label("E-post").fill("rec@example.com")
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_label("Lösenord").press("Enter")
    page.goto(f"{live_server.url}/staff/openings/{opening_id}")
    page.get_by_role("link", name="Rapport").click()
    expect(page.get_by_role("heading", name="Tid i varje steg")).to_be_visible()
    expect(page.locator(".report-chart")).to_have_attribute("aria-hidden", "true")
    expect(page.get_by_role("link", name="Ladda ned som CSV")).to_be_visible()
    results = Axe().run(page)
    serious = [f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']}"
               for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == []
    # A date the browser lets through but we refuse: said beside the field.
    page.goto(f"{live_server.url}/staff/openings/{opening_id}/report?from=2026-02-30")
    expect(page.locator("#from-error")).to_contain_text("Skriv datumet som ÅÅÅÅ-MM-DD")
    assert not [e for e in errors if "Content Security Policy" in e], errors
    page.close()
