"""The interview page on a small phone (320 px), with the demo data: the header card says
the day, the time ("kl. 14.00") and how long until it starts, and has the join button;
the panel is listed with names, titles and faces; nothing scrolls sideways."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from portal.accounts import photos
from tests.browser.demo_pages import DemoLinks, make_demo

pytestmark = pytest.mark.browser


@pytest.fixture()
def demo(app, live_server, ctx, settings) -> DemoLinks:
    with app.test_request_context("/"):  # the invitation email builds its link with url_for
        return make_demo(ctx, settings)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_header_card_and_panel_fit_a_320_px_phone(browser: Browser, live_server,
                                                  demo: DemoLinks):
    context = browser.new_context(viewport={"width": 320, "height": 640}, locale="sv-SE",
                                  timezone_id="Europe/Stockholm",
                                  extra_http_headers={"Accept-Language": "sv"})
    page = context.new_page()
    start = dict(demo.candidates)["Anna Andersson"]
    page.goto(live_server.url + start)
    page.locator("a[href^='/portal/interviews/']").first.click()
    head = page.locator(".interview-head")
    expect(head).to_be_visible()
    expect(head.locator(".when-day")).to_contain_text(re.compile(r"\d{4}"))
    expect(head.locator(".when-time")).to_have_text(re.compile(r"^kl\. \d\d\.\d\d–\d\d\.\d\d$"))
    expect(head.locator(".countdown")).to_contain_text(re.compile(r"Börjar om|Pågår nu"))
    join = head.get_by_role("link", name=re.compile("^Anslut via"))
    expect(join).to_be_visible()
    box = join.bounding_box()
    assert box and box["height"] >= 24 and box["x"] >= 0 and box["x"] + box["width"] <= 320

    # The panel, each with a face, a name and a title; a photo has words for its alt.
    expect(page.get_by_role("heading", name="Du träffar", level=2)).to_be_visible()
    people = page.locator(".meet-person")
    expect(people).to_have_count(2)
    for name, title in (("Maria Chef", "Teknisk chef"), ("Johan Utvecklare",
                                                         "Senior utvecklare")):
        person = people.filter(has_text=name)
        expect(person.locator(".meet-title")).to_have_text(title)
        photo = person.get_by_role("img", name=f"Foto på {name}")
        expect(photo).to_be_visible()
        assert photo.evaluate("img => img.complete && img.naturalWidth") == photos.SIZE
        face = photo.bounding_box()
        assert face and face["x"] + face["width"] <= 320

    # The header card comes first, the panel right after it; headings go in order.
    levels = page.eval_on_selector_all(
        "main h1, main h2, main h3", "hs => hs.map(h => Number(h.tagName[1]))")
    assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False))
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    context.close()
