"""The staff week views and the calendar address in a real Chromium: axe finds no serious
or critical violation at phone and desktop widths in both languages, nothing runs off the
side of a phone, the arrows swap just the week and keep the address in step (Back works),
and the copy button copies the address. Screenshots are kept for a person to look at: set
WEEK_SHOTS to a folder."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, expect

from tests.booking.test_week import world  # noqa: F401  (the fixture)
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}


def _serious(page) -> list[str]:
    results = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def _signed_in(browser: Browser, base: str, email: str, width: str, lang: str):
    context = browser.new_context(viewport=WIDTHS[width], locale=lang,
                                  timezone_id="Europe/Stockholm",
                                  extra_http_headers={"Accept-Language": lang})
    page = context.new_page()
    page.goto(f"{base}/staff/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("main button[type=submit]").click()
    expect(page.locator("h1")).not_to_have_text("Sign in")
    return context, page


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["en", "sv"])
def test_week_pages_pass_axe_and_fit_the_screen(browser: Browser, live_server, world,  # noqa: F811
                                                tmp_path, width, lang):
    shots = Path(os.environ.get("WEEK_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    monday = world["monday"].isoformat()
    problems: dict[str, list[str]] = {}
    visits = {
        "maria@example.com": {
            "own-week": f"/staff/week?week={monday}",
            "availability": "/staff/availability"},
        "rec@example.com": {
            "person-week": f"/staff/week?person={world['maria'].id}&week={monday}",
            "opening-week": f"/staff/openings/{world['anna'].opening_id}/week?week={monday}"},
    }
    for email, paths in visits.items():
        context, page = _signed_in(browser, live_server.url, email, width, lang)
        for name, path in paths.items():
            page.goto(live_server.url + path)
            if name == "availability":  # the address, as shown the one time
                page.locator("#calendar-feed button[type=submit]").first.click()
                expect(page.locator("#feed-url")).to_be_visible()
            assert page.locator("html").get_attribute("lang") == lang
            page.screenshot(path=str(shots / f"{name}-{width}-{lang}.png"), full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth") <= \
                WIDTHS[width]["width"], name
            if found := _serious(page):
                problems[name] = found
        context.close()
    assert problems == {}


def test_the_arrows_swap_the_week_and_keep_the_address(browser: Browser, live_server,
                                                       world):  # noqa: F811
    context, page = _signed_in(browser, live_server.url, "maria@example.com", "desktop", "en")
    monday = world["monday"]
    page.goto(f"{live_server.url}/staff/week?week={monday.isoformat()}")
    number = monday.isocalendar()[1]
    expect(page.locator("#week-title")).to_contain_text(f"Week {number}")
    page.evaluate("window.stillHere = true")  # gone if the whole page reloads
    page.get_by_role("link", name="Next week").click()
    following = monday + timedelta(days=7)
    expect(page.locator("#week-title")).to_contain_text(f"Week {following.isocalendar()[1]}")
    assert page.url.endswith(f"/staff/week?week={following.isoformat()}")
    assert page.evaluate("window.stillHere") is True
    expect(page.locator("#week-title")).to_be_focused()
    page.go_back()
    expect(page.locator("#week-title")).to_contain_text(f"Week {number}")
    assert page.url.endswith(f"/staff/week?week={monday.isoformat()}")
    context.close()


def test_the_copy_button_copies_the_calendar_address(browser: Browser, live_server,
                                                     world):  # noqa: F811
    context, page = _signed_in(browser, live_server.url, "maria@example.com", "desktop", "en")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto(f"{live_server.url}/staff/availability")
    page.get_by_role("button", name="Make my calendar address").click()
    address = page.locator("#feed-url").input_value()
    assert "/calendar/" in address and address.endswith(".ics")
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == address
    context.close()
