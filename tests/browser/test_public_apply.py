"""A person applies on an opening's public page from a phone-size screen, in Swedish, in a
real Chromium; the page has no serious axe violation and nothing sticks out sideways."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from portal.hiring.models import Candidate
from portal.messaging.models import OutboxMessage
from tests.browser.pages import PublicApplyPage
from tests.factories import UserFactory, make_opening
from tests.pool.helpers import pdf_with

pytestmark = pytest.mark.browser

SWEDISH = {"name": "Ditt namn", "email": "Din e-postadress", "cv": "Ditt cv (pdf, högst 10 MB)",
           "consent": "Jag har läst integritetsmeddelandet", "send": "Skicka min ansökan"}


def _serious(page) -> list[str]:
    results = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_person_applies_from_a_phone(browser: Browser, live_server, ctx, tmp_path):
    recruiter = UserFactory(role="recruiter")
    opening = make_opening(recruiter, "Kundtjänstmedarbetare")
    opening.description = "Du hjälper våra kunder på telefon och i chatt."
    opening.published = True
    ctx.commit()
    cv = tmp_path / "mitt-cv.pdf"
    cv.write_bytes(pdf_with("Sara Lund kundtjänst"))
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="sv",
                                  has_touch=True, is_mobile=True,
                                  extra_http_headers={"Accept-Language": "sv"})
    page = context.new_page()
    applicant = PublicApplyPage(page, live_server.url)
    applicant.open(opening.id)
    expect(page.get_by_role("heading", name="Kundtjänstmedarbetare")).to_be_visible()
    assert _fits(page)
    assert _serious(page) == []
    # The honeypot is neither seen nor reachable by tabbing.
    assert not page.locator("#website").is_visible() or page.locator(".hp").bounding_box()[
        "x"] < 0
    # Sending without the details shows the problems by the fields, and axe is still happy.
    page.wait_for_timeout(3200)
    page.get_by_role("button", name=SWEDISH["send"]).click()
    expect(page.locator("#name-error")).to_be_visible()
    expect(page.get_by_label(SWEDISH["name"])).to_have_attribute("aria-invalid", "true")
    assert _serious(page) == []
    applicant.apply(name="Sara Lund", email="sara@example.com", cv_path=str(cv), labels=SWEDISH)
    expect(page.get_by_role("heading", name="Tack för din ansökan")).to_be_visible()
    expect(page.get_by_text("Vad händer nu")).to_be_visible()
    assert _fits(page)
    assert _serious(page) == []
    context.close()
    ctx.expire_all()
    person = ctx.scalar(select(Candidate).where(Candidate.email == "sara@example.com"))
    assert person is not None and person.language == "sv"
    assert person.applications[0].source == "public_page"
    mail = ctx.scalar(select(OutboxMessage).where(OutboxMessage.to_email == "sara@example.com"))
    assert mail is not None and "/c/" in mail.text_body and "Tack" in mail.text_body


@pytest.mark.parametrize("lang", ["en", "sv"])
def test_the_public_pages_have_no_serious_axe_violations_on_a_desktop(browser: Browser,
                                                                      live_server, ctx, lang):
    recruiter = UserFactory(role="recruiter")
    opening = make_opening(recruiter, "Data engineer")
    opening.published = True
    ctx.commit()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=lang,
                                  extra_http_headers={"Accept-Language": lang})
    page = context.new_page()
    problems = {}
    for path in (f"/jobs/{opening.id}", "/jobs/privacy", f"/jobs/{opening.id}/thanks"):
        page.goto(live_server.url + path)
        assert page.locator("html").get_attribute("lang") == lang
        if found := _serious(page):
            problems[path] = found
    page.goto(f"{live_server.url}/jobs/{opening.id}")
    page.wait_for_timeout(3200)
    page.locator("button.primary").click()  # nothing filled in: errors by the fields
    if found := _serious(page):
        problems["errors"] = found
    context.close()
    assert problems == {}
