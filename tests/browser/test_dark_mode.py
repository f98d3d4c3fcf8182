"""The portal follows the system's colour scheme: with a dark preference the candidate
pages are dark, every piece of text keeps 4.5:1 against what it is drawn on (3:1 when
large), the focus ring keeps 3:1, and nothing is wider than a 320 px screen. The light
scheme is held to the same rules, so the two cannot drift apart."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from portal.links.services import issue_link
from tests.browser.test_focus import RING, contrast
from tests.factories import CandidateFactory, UserFactory, make_application, make_interview

pytestmark = pytest.mark.browser

# Every visible element that holds text of its own: its colour, its size and weight, and
# the first opaque background behind it (its own or an ancestor's).
TEXTS = """() => {
  const behind = (el) => {
    for (let n = el; n; n = n.parentElement) {
      const bg = getComputedStyle(n).backgroundColor;
      if (bg && bg !== 'transparent' && !bg.endsWith(', 0)')) return bg;
    }
    return getComputedStyle(document.documentElement).backgroundColor;
  };
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (!el.checkVisibility({visibilityProperty: true, opacityProperty: true})) continue;
    if (!Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    const s = getComputedStyle(el);
    if (el.closest('.visually-hidden, .skip, [hidden]')) continue;
    out.push({text: el.textContent.trim().slice(0, 40), color: s.color, behind: behind(el),
              size: parseFloat(s.fontSize), weight: parseInt(s.fontWeight, 10)});
  }
  return out;
}"""


def _luminance_of(css: str) -> float:
    # contrast() against black: (L + 0.05) / 0.05, so L = ratio * 0.05 - 0.05.
    return contrast(css, "rgb(0, 0, 0)") * 0.05 - 0.05


@pytest.fixture()
def pages(ctx, settings):
    recruiter = UserFactory(role="recruiter")
    application = make_application(recruiter, CandidateFactory(
        name="Anna Andersson", language="sv", timezone="Europe/Stockholm"))
    interview = make_interview(recruiter, application, platform="jitsi",
                               url="https://meet.jit.si/InterviewRoom12345678")
    _l, token = issue_link(ctx, settings, application.candidate)
    ctx.commit()
    return token, ["/portal/", f"/portal/interviews/{interview.id}",
                   f"/portal/applications/{application.id}", "/portal/privacy",
                   "/portal/my-data", "/portal/timezone", "/portal/messages",
                   f"/portal/tech-check/?interview={interview.id}"]


@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_candidate_pages_keep_their_contrast_in_both_schemes(browser: Browser, live_server,
                                                             pages, scheme):
    token, paths = pages
    context = browser.new_context(color_scheme=scheme, viewport={"width": 390, "height": 844},
                                  locale="sv-SE", timezone_id="Europe/Stockholm")
    page = context.new_page()
    page.goto(f"{live_server.url}/c/{token}")
    weak: list[str] = []
    checked = rings = 0
    for path in paths:
        page.goto(live_server.url + path)
        body = page.evaluate("getComputedStyle(document.body).backgroundColor")
        if scheme == "dark":
            assert _luminance_of(body) < 0.05, f"{path}: body background {body} is not dark"
        else:
            assert _luminance_of(body) > 0.8, f"{path}: body background {body} is not light"
        text = page.evaluate("getComputedStyle(document.body).color")
        assert contrast(text, body) >= 4.5, f"{path}: body text {text} on {body}"
        for item in page.evaluate(TEXTS):
            checked += 1
            large = item["size"] >= 24 or (item["size"] >= 18.66 and item["weight"] >= 700)
            ratio = contrast(item["color"], item["behind"])
            if ratio < (3 if large else 4.5):
                weak.append(f"{path} text {item['text']!r}: {item['color']} on "
                            f"{item['behind']} = {ratio:.2f}:1")
        for _step in range(25):
            page.keyboard.press("Tab")
            ring = page.evaluate(RING)
            if ring["tag"] == "BODY":
                break
            rings += 1
            ratio = contrast(ring["ring"], ring["behind"])
            if ring["style"] == "none" or ratio < 3:
                weak.append(f"{path} focus {ring['tag']} {ring['text']!r}: {ring['ring']} on "
                            f"{ring['behind']} = {ratio:.2f}:1")
        page.set_viewport_size({"width": 320, "height": 700})
        wide = page.evaluate("document.documentElement.scrollWidth")
        if wide > 320:
            weak.append(f"{path} is {wide} px wide at 320 px")
        page.set_viewport_size({"width": 390, "height": 844})
    context.close()
    assert checked > 100 and rings > 20
    assert weak == []

