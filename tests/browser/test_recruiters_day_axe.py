"""axe finds no serious or critical violation on the back office's newer pages (the
interviewer's day, the account and two-factor pages, the candidate page with its feed,
notes and messages, merge, import, the opening's report, the API and webhook pages) nor on
the candidate's message thread, at phone and desktop widths, in Swedish and English; and
none of them scrolls sideways."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Browser

from portal.hiring import messages as hiring_messages
from portal.hiring import notes
from portal.links.services import issue_link
from portal.timeutil import utcnow
from tests.browser.test_accessibility import WIDTHS, _serious
from tests.factories import (
    PASSWORD,
    CandidateFactory,
    UserFactory,
    make_application,
    make_interview,
)

pytestmark = pytest.mark.browser


@pytest.fixture()
def day(ctx, settings):
    admin = UserFactory(email="admin@example.com", role="admin", name="Alva Admin")
    maria = UserFactory(email="maria@example.com", role="interviewer", name="Maria Lind")
    anna = CandidateFactory(name="Anna Berg", email="anna@example.com", phone="070-123 45 67")
    twin = CandidateFactory(name="Anna Berg", email="anna.berg@example.org",
                            phone="0701234567")
    application = make_application(admin, anna)
    make_interview(admin, application, interviewers=[maria],
                   starts_at=(utcnow() + timedelta(hours=1)).replace(microsecond=0))
    notes.add_note(ctx, settings, admin, anna, "Ring @Maria Lind om tiderna.")
    hiring_messages.send_to_candidate(ctx, settings, admin, anna,
                                      "Hej Anna! Välkommen på intervju.", "Inför intervjun")
    _link, token = issue_link(ctx, settings, anna)
    ctx.commit()
    return {"anna": anna, "twin": twin, "application": application, "token": token}


def _signed_in(browser: Browser, live_server, width: str, lang: str, email: str):
    context = browser.new_context(viewport=WIDTHS[width], locale=lang,
                                  timezone_id="Europe/Stockholm",
                                  extra_http_headers={"Accept-Language": lang})
    page = context.new_page()
    page.goto(f"{live_server.url}/staff/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button.primary[type=submit]").click()
    page.wait_for_url("**/staff/**")
    return context, page


def _check(page, base: str, paths: list[str]) -> dict[str, list[str]]:
    problems = {}
    for path in paths:
        response = page.goto(base + path)
        found = [] if response.ok and "/login" not in page.url else [f"answered {response.status}"]
        found += _serious(page)
        if page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
            found.append("scrolls sideways")
        if found:
            problems[path] = found
    return problems


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["en", "sv"])
def test_new_pages_have_no_serious_axe_violations(browser: Browser, live_server, day, width,
                                                  lang):
    anna, twin, application = day["anna"], day["twin"], day["application"]
    opening = application.opening_id
    context, page = _signed_in(browser, live_server, width, lang, "admin@example.com")
    problems = _check(page, live_server.url, [
        "/staff/", "/staff/account", "/staff/account/two-factor", "/staff/users",
        f"/staff/candidates/{anna.id}", f"/staff/candidates/{anna.id}/merge/{twin.id}",
        f"/staff/openings/{opening}/import", f"/staff/openings/{opening}/report",
        "/staff/api-keys/", "/staff/webhooks/", "/api/v1/docs"])
    context.close()
    context, page = _signed_in(browser, live_server, width, lang, "maria@example.com")
    problems |= _check(page, live_server.url, ["/staff/", "/staff/my-tech-check/"])
    context.close()
    context = browser.new_context(viewport=WIDTHS[width], locale=lang,
                                  extra_http_headers={"Accept-Language": lang})
    page = context.new_page()
    page.goto(f"{live_server.url}/c/{day['token']}")
    problems |= _check(page, live_server.url, ["/portal/messages"])
    context.close()
    assert problems == {}
