"""axe finds no violation of any impact (WCAG 2.2 A and AA, and axe's best practices) on any
page a candidate, a referee or a talent-pool member reaches, at 320, 390 and 1280 px, in
both languages, light and dark; a candidate page's first load stays under 60 KB compressed
and asks nothing of any other origin."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser
from sqlalchemy import select

from portal.hiring.models import Opening
from portal.links.services import issue_link
from tests.browser.demo_pages import DemoLinks, make_demo, one_of_each_kind
from tests.factories import CandidateFactory, UserFactory, make_application, make_interview, move_to

pytestmark = pytest.mark.browser

WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
# Every rule of WCAG 2.2 A and AA that axe checks, and its best practices.
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa",
                                                     "wcag22aa", "best-practice"]},
               "resultTypes": ["violations"]}


def _serious(page) -> list[str]:
    """Serious and critical findings only: the bar for staff pages (board, recruiter's day)."""
    results = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


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


@pytest.fixture()
def demo(app, live_server, ctx, settings) -> DemoLinks:
    with app.test_request_context("/"):  # the invitation email builds its link with url_for
        return make_demo(ctx, settings)


START_AXE = """options => { window.__axe = axe.run(options).then(r => r.violations.map(
  v => `${v.id} (${v.impact}): ${JSON.stringify(v.nodes.slice(0, 3).map(n => n.target))}`)); }"""


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_candidate_page_passes_axe_at_each_width_language_and_scheme(
        browser: Browser, live_server, app, ctx, demo: DemoLinks):
    """One page of each kind a candidate, a referee or a talent-pool member reaches, and
    the public job pages, at 320, 390 and 1280 px, in Swedish and English, light and dark:
    no axe violation of any impact. One database: what is checked is the page, not the
    data. Kept fast: one browser context per language, each page loaded once per language
    and checked at every width and scheme in place (the viewport resized, the colour
    scheme emulated), the two languages' checks running side by side on the two cores."""
    opening = ctx.scalar(select(Opening).where(Opening.published.is_(True)))
    public = [f"/jobs/{opening.id}", f"/jobs/{opening.id}/thanks", "/jobs/privacy"]
    plan = one_of_each_kind(app.test_client(), demo, public)
    assert sum(len(paths) for _start, paths in plan) > 18
    axe_source = Axe().axe_script
    base = live_server.url
    pages = {}
    for lang in ("sv", "en"):
        context = browser.new_context(viewport={"width": 390, "height": 800},
                                      locale="sv-SE" if lang == "sv" else "en-GB",
                                      timezone_id="Europe/Stockholm")
        context.add_cookies([{"name": "portal_lang", "value": lang, "url": base}])
        context.add_init_script(script=axe_source)  # in every page, before its own scripts
        pages[lang] = context.new_page()
    problems: dict[str, list[str]] = {}
    checked = 0
    backgrounds: set[str] = set()
    for start, paths in plan:
        for path in paths:
            for lang, page in pages.items():
                if start and path == paths[0]:
                    page.goto(base + start)
                page.goto(base + path)
                if page.locator("html").get_attribute("lang") != lang:
                    # A referee's language comes with their link: switch as they would.
                    with page.expect_navigation():
                        page.locator(f"form.lang button[value={lang}]").click()
                assert page.locator("html").get_attribute("lang") == lang, path
            for scheme in ("light", "dark"):
                for width in (320, 390, 1280):
                    for page in pages.values():
                        page.emulate_media(color_scheme=scheme)
                        page.set_viewport_size({"width": width, "height": 800})
                        page.evaluate(START_AXE, AXE_OPTIONS)
                    backgrounds.add(pages["sv"].evaluate(
                        "getComputedStyle(document.body).backgroundColor"))
                    for lang, page in pages.items():
                        checked += 1
                        if found := page.evaluate("window.__axe"):
                            problems[f"{path} {width}px {lang} {scheme}"] = found
    for page in pages.values():
        page.context.close()
    assert checked == 12 * sum(len(paths) for _start, paths in plan)
    assert len(backgrounds) >= 2  # the dark scheme took effect
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
