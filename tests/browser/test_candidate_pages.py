"""Every candidate, referee and talent-pool page of demo-like data, crawled in Chromium the
way a person on a small phone meets them: nothing is wider than a 320 px screen (WCAG
1.4.10), every touch target is 24 x 24 px at least at 390 px (2.5.8; links inside running
text are exempt), each page has a title of its own, no empty landmark and a footer, and a
first load stays under 35 KB compressed. Staff pages have titles of their own too, named
after the back office as their header is."""

from __future__ import annotations

import gzip
import hashlib
import re
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Response

from tests.browser.demo_pages import DemoLinks, follow, make_demo

pytestmark = pytest.mark.browser

BUDGET = 35 * 1024

SMALL_TARGETS = """() => {
  const small = [];
  const blockOf = (el) => {
    let node = el.parentElement;
    while (node && getComputedStyle(node).display.startsWith('inline')) node = node.parentElement;
    return node;
  };
  for (const el of document.querySelectorAll(
      'a[href], button, input:not([type=hidden]), select, textarea, summary')) {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (box.width === 0 || box.height === 0 || style.visibility === 'hidden') continue;
    if (el.closest('.visually-hidden, .skip')) continue;
    if (box.width >= 24 && box.height >= 24) continue;
    // WCAG 2.5.8: a link in a sentence is exempt (its size is set by the line of text).
    if (el.tagName === 'A' && style.display.startsWith('inline')) {
      const block = blockOf(el);
      const own = (el.textContent || '').trim().length;
      const all = block ? (block.textContent || '').trim().length : own;
      if (all > own + 1) continue;
    }
    small.push(`${el.tagName.toLowerCase()}${el.type ? '[' + el.type + ']' : ''} ` +
               `"${(el.textContent || el.name || '').trim().slice(0, 30)}" ` +
               `${Math.round(box.width)}x${Math.round(box.height)}`);
  }
  return small;
}"""

LANDMARKS = """() => {
  const empty = [...document.querySelectorAll(
      'nav, aside, header, footer, main, [role=navigation], [role=complementary]')]
    .filter(el => !(el.innerText || '').trim() && !el.querySelector('img, svg, input, button'))
    .map(el => el.tagName.toLowerCase());
  return {empty, footer: !!document.querySelector('body > footer, [role=contentinfo]')};
}"""


@pytest.fixture()
def demo(app, live_server, ctx, settings) -> DemoLinks:
    with app.test_request_context("/"):  # the invitation email builds its link with url_for
        return make_demo(ctx, settings)


def _crawl(browser: Browser, base: str, start: str, problems: dict[str, list[str]],
           titles: dict[str, set[str]], who: str) -> int:
    """Open ``start`` and every candidate-side page reachable from it; return how many."""
    context = browser.new_context(viewport={"width": 320, "height": 700}, locale="sv-SE",
                                  timezone_id="Europe/Stockholm",
                                  extra_http_headers={"Accept-Language": "sv"})
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})  # every load a first load
    received: list[Response] = []
    page.on("response", lambda r: received.append(r))
    page.goto(base + start)
    todo = [urlsplit(page.url).path + (f"?{urlsplit(page.url).query}"
                                       if urlsplit(page.url).query else "")]
    seen: set[str] = set()
    sizes: dict[str, int] = {}  # a static file's compressed size, by its fingerprinted URL
    while todo:
        path = todo.pop(0)
        if path in seen:
            continue
        seen.add(path)
        page.set_viewport_size({"width": 320, "height": 700})
        received.clear()
        response = page.goto(base + path)  # "load": the page's own files are in
        where = f"{who} {path}"
        if response is None or response.status >= 500:
            problems[where] = [f"status {response.status if response else '?'}"]
            continue
        # The page and what it loads from us, each as gzip would send it.
        subresources = {r.url for r in received if r.url.startswith(base + "/static/")}
        for url in subresources - set(sizes):
            sizes[url] = len(gzip.compress(context.request.get(url).body(), 6))
        weight = len(gzip.compress(response.body(), 6)) + sum(sizes[u] for u in subresources)
        found: list[str] = []
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 320:
            found.append(f"{width} px wide at 320 px")
        if weight >= BUDGET:
            found.append(f"first load {weight} bytes")
        marks = page.evaluate(LANDMARKS)
        if marks["empty"]:
            found.append(f"empty landmarks {marks['empty']}")
        if not marks["footer"]:
            found.append("no footer")
        page.set_viewport_size({"width": 390, "height": 844})
        if small := page.evaluate(SMALL_TARGETS):
            found.append(f"small targets {small}")
        if found:
            problems[where] = found
        titles[page.title()].add(urlsplit(path).path)
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        todo.extend(h for h in follow(hrefs) if h not in seen)
    context.close()
    return len(seen)


def test_candidate_referee_and_pool_pages_fit_small_screens(browser: Browser, live_server,
                                                            demo: DemoLinks):
    problems: dict[str, list[str]] = {}
    duplicates: dict[str, dict[str, set[str]]] = {}
    visited = 0
    starts = [*demo.candidates, ("referee", demo.referee), ("pool", demo.pool_extend),
              ("unsubscribe", demo.pool_unsubscribe)]
    for who, start in starts:
        titles: dict[str, set[str]] = defaultdict(set)
        visited += _crawl(browser, live_server.url, start, problems, titles, who)
        if twice := {t: p for t, p in titles.items() if len(p) > 1}:
            duplicates[who] = twice
    assert visited > 40  # the crawl reached the pages, not only the sign-in links
    assert problems == {}
    assert duplicates == {}


def _title(html: str) -> str:
    match = re.search(r"<title>(.*?)</title>", html, re.S)
    return match.group(1).strip() if match else ""


def test_staff_pages_have_titles_of_their_own(app, live_server, demo: DemoLinks, login,
                                              client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "sv"
    assert login(demo.staff_email, demo.staff_password).status_code in (302, 303)
    titles: dict[str, set[str]] = defaultdict(set)
    todo, seen = ["/staff/"], set()
    while todo and len(seen) < 400:
        path = todo.pop(0)
        if path in seen:
            continue
        seen.add(path)
        page = client.get(path)
        if page.status_code != 200 or page.mimetype != "text/html" or path.endswith("/html"):
            continue  # a file, or an email as sent (the outbox's preview), not a page
        html = page.get_data(as_text=True)
        title = _title(html)
        assert title.endswith(" · Rekrytering"), (path, title)
        titles[title].add(urlsplit(path).path)
        for href in re.findall(r'href="([^"]+)"', html):
            href = href.replace("&amp;", "&")
            if "?" in href:  # filters and sorting show the same page
                continue
            todo.extend(follow([href], areas=("/staff/",)))
    # The same words for one page at two addresses would not tell a tab from another.
    assert len(seen) > 20
    assert {t: p for t, p in titles.items() if len(p) > 1} == {}


def test_static_files_are_fingerprinted_cached_and_loaded_where_used(browser: Browser,
                                                                     live_server, app,
                                                                     demo: DemoLinks):
    context = browser.new_context(locale="sv-SE", timezone_id="Europe/Stockholm")
    page = context.new_page()
    loaded: list[Response] = []
    page.on("response", lambda r: loaded.append(r))
    with_htmx, without = [], []
    for _name, start in demo.candidates[:3]:
        page.goto(live_server.url + start)  # lands on the overview
        for path in ("/portal/", page.locator("a[href^='/portal/interviews/']").first
                     .get_attribute("href")):
            page.goto(live_server.url + path)
            scripts = page.eval_on_selector_all("script[src]", "ss => ss.map(s => s.src)")
            uses = page.locator("[hx-get], [hx-post]").count() > 0
            loads = any("htmx" in src for src in scripts)
            assert uses == loads, (path, scripts)
            (with_htmx if loads else without).append(path)
    page.goto(live_server.url + "/portal/tech-check/")
    techcheck = next(s for s in page.eval_on_selector_all("script[src]",
                                                          "ss => ss.map(s => s.src)")
                     if "techcheck" in s)
    page.wait_for_load_state("networkidle")
    statics = {r.url: r for r in loaded if "/static/" in r.url and r.status == 200}
    context.close()
    # htmx only where the page uses it (the answer buttons), not on every page.
    assert with_htmx and "/portal/" in without
    assert statics
    for url, response in statics.items():
        digest = re.search(r"\?v=([0-9a-f]{12})$", url)
        assert digest, url
        body = context_free_get(app, url)
        assert hashlib.sha256(body).hexdigest()[:12] == digest.group(1), url
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    # Without the fingerprint (or with an old one) a file is cached for an hour only.
    plain = app.test_client().get("/static/css/portal.css")
    assert "immutable" not in plain.headers["Cache-Control"]
    # Our JavaScript is minified when served; the wheel carries the readable file.
    source = (Path(app.static_folder) / "js" / "techcheck.js").read_bytes()
    served = context_free_get(app, techcheck)
    assert len(served) < 0.8 * len(source) and b"/*" not in served


def context_free_get(app, url: str) -> bytes:
    """A static file as the app serves it, uncompressed."""
    parts = urlsplit(url)
    return app.test_client().get(f"{parts.path}?{parts.query}").get_data()
