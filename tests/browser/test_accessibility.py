"""axe finds no serious or critical violation on the candidate pages at phone and desktop
widths, in both languages; a candidate page's first load stays under 60 KB compressed and
asks nothing of any other origin."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser

from portal.links.services import issue_link
from tests.factories import CandidateFactory, UserFactory, make_application, make_interview, move_to

pytestmark = pytest.mark.browser

WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


@pytest.fixture()
def candidate_token(ctx, settings):
    recruiter = UserFactory(role="recruiter")
    panel = [UserFactory(role="interviewer", name="Maria Manager")]
    application = make_application(recruiter, CandidateFactory(name="Anna Andersson"))
    interview = make_interview(recruiter, application, interviewers=panel)
    closed = make_application(recruiter, application.candidate)
    move_to(recruiter, closed,
                              next(s for s in closed.opening.stages if s.name == "Not selected"))
    _l, token = issue_link(ctx, settings, application.candidate)
    ctx.commit()
    return token, interview.id, application.id, application.candidate


def _serious(page) -> list[str]:
    results = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["en", "sv"])
def test_candidate_pages_have_no_serious_axe_violations(browser: Browser, live_server, ctx,
                                                        candidate_token, width, lang):
    token, interview_id, application_id, candidate = candidate_token
    candidate.language = lang
    ctx.commit()
    context = browser.new_context(viewport=WIDTHS[width], locale=lang,
                                  timezone_id="Europe/Stockholm",
                                  extra_http_headers={"Accept-Language": lang})
    page = context.new_page()
    page.goto(f"{live_server.url}/c/{token}")
    problems: dict[str, list[str]] = {}
    for path in ("/portal/", f"/portal/interviews/{interview_id}",
                 f"/portal/tech-check/?interview={interview_id}", "/portal/privacy",
                 "/portal/my-data", "/portal/erase",
                 f"/portal/applications/{application_id}", "/portal/guides/teams",
                 "/portal/guides/whereby"):
        page.goto(live_server.url + path)
        assert page.locator("html").get_attribute("lang") == lang
        if found := _serious(page):
            problems[path] = found
    outsider = context.new_page()
    outsider.context.clear_cookies()
    outsider.goto(f"{live_server.url}/c/broken-token-0123456789abcdef")
    if found := _serious(outsider):
        problems["link problem"] = found
    context.close()
    assert problems == {}


def test_first_load_is_light_and_stays_on_our_origin(browser: Browser, live_server,
                                                     candidate_token):
    token, interview_id, _application_id, _candidate = candidate_token
    # The candidate's stored zone matches the device, so no zone update reloads the page.
    context = browser.new_context(viewport=WIDTHS["phone"], timezone_id="Europe/Stockholm")
    page = context.new_page()
    page.goto(f"{live_server.url}/c/{token}")  # sign in first; then measure a cold page load
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    sizes: dict[str, int] = {}
    urls: dict[str, str] = {}
    cdp.on("Network.requestWillBeSent",
           lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
    cdp.on("Network.loadingFinished",
           lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])))
    page.goto(f"{live_server.url}/portal/interviews/{interview_id}")
    page.wait_for_load_state("networkidle")
    total = sum(sizes.values())
    origins = {urlsplit(u)._replace(path="", query="", fragment="").geturl()
               for u in urls.values() if not u.startswith("data:")}
    context.close()
    assert origins == {live_server.url}
    assert 0 < total < 60 * 1024, f"{total} bytes"
