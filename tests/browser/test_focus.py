"""Keyboard and screen-reader users on the candidate pages: the focus ring stands out (3:1
against whatever it is drawn on, WCAG 1.4.11, light and dark), focus lands on the new message
after an htmx answer and during the tech check instead of falling to the page, and the
interview countdown speaks only at moments that matter."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Browser, expect

from portal.links.services import issue_link
from portal.timeutil import utcnow
from tests.factories import CandidateFactory, UserFactory, make_application, make_interview

pytestmark = pytest.mark.browser

# The focused element's ring colour and the colour it is drawn on: the first opaque
# background behind the element (the outline sits outside it, on its parent).
RING = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  let node = el.parentElement, behind = 'rgb(255, 255, 255)';
  while (node) {
    const bg = getComputedStyle(node).backgroundColor;
    if (bg && bg !== 'transparent' && !bg.endsWith(', 0)')) { behind = bg; break; }
    node = node.parentElement;
  }
  return {tag: el.tagName, text: (el.textContent || el.name || '').trim().slice(0, 40),
          style: style.outlineStyle, width: parseFloat(style.outlineWidth),
          ring: style.outlineColor, behind};
}"""


def _rgb(css: str) -> tuple[float, float, float]:
    parts = css[css.index("(") + 1:css.index(")")].split(",")
    return tuple(float(p) for p in parts[:3])  # type: ignore[return-value]


def _luminance(rgb: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(_rgb(a)), _luminance(_rgb(b))), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_contrast_formula():
    assert round(contrast("rgb(245, 166, 35)", "rgb(255, 255, 255)"), 2) == 2.03
    assert round(contrast("rgb(0, 0, 0)", "rgb(255, 255, 255)"), 0) == 21


@pytest.fixture()
def interview_link(ctx, settings):
    recruiter = UserFactory(role="recruiter")
    application = make_application(recruiter, CandidateFactory(
        name="Anna Andersson", language="sv", timezone="Europe/Stockholm"))
    interview = make_interview(recruiter, application, starts_at=utcnow() + timedelta(
        minutes=20), platform="jitsi", url="https://meet.jit.si/InterviewRoom12345678")
    _l, token = issue_link(ctx, settings, application.candidate)
    ctx.commit()
    return interview, token


def test_focus_ring_has_3_to_1_everywhere_it_is_drawn(browser: Browser, live_server,
                                                      interview_link):
    interview, token = interview_link
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="sv-SE",
                                  timezone_id="Europe/Stockholm")
    page = context.new_page()
    page.goto(f"{live_server.url}/c/{token}")
    weak: list[str] = []
    tabbed = 0
    backgrounds = set()
    for scheme in ("light", "dark"):  # the ring is drawn on the dark theme's colours too
        page.emulate_media(color_scheme=scheme)
        for path in ("/portal/", f"/portal/interviews/{interview.id}", "/portal/privacy",
                     "/portal/timezone"):
            page.goto(live_server.url + path)
            backgrounds.add(page.evaluate("getComputedStyle(document.body).backgroundColor"))
            for _step in range(40):
                page.keyboard.press("Tab")
                ring = page.evaluate(RING)
                if ring["tag"] == "BODY":
                    break
                tabbed += 1
                ratio = contrast(ring["ring"], ring["behind"])
                if ring["style"] == "none" or ring["width"] < 2 or ratio < 3:
                    weak.append(f"{scheme} {path} {ring['tag']} {ring['text']!r}: "
                                f"{ring['ring']} on {ring['behind']} = {ratio:.2f}:1")
    context.close()
    assert len(backgrounds) >= 2  # the dark scheme took effect
    assert tabbed > 40
    assert weak == []


def test_focus_moves_to_the_answer_after_confirming(browser: Browser, live_server,
                                                    interview_link):
    interview, token = interview_link
    context = browser.new_context(locale="sv-SE", timezone_id="Europe/Stockholm")
    page = context.new_page()
    page.goto(f"{live_server.url}/c/{token}?next=/portal/interviews/{interview.id}")
    page.get_by_role("button", name="Ja, jag kommer").focus()
    page.keyboard.press("Enter")
    message = page.get_by_text("Tack! Vi har noterat att du kommer.")
    expect(message).to_be_focused()
    context.close()


def test_focus_follows_the_tech_check(browser: Browser, live_server, interview_link):
    interview, token = interview_link
    context = browser.new_context(locale="sv-SE", timezone_id="Europe/Stockholm")
    context.grant_permissions(["camera", "microphone"], origin=live_server.url)
    page = context.new_page()
    page.goto(f"{live_server.url}/c/{token}?next=/portal/tech-check/?interview={interview.id}")
    page.get_by_role("button", name="Starta kontrollen").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Kamera och mikrofon")).to_be_focused()
    page.get_by_role("button", name="Jag kan inte spela upp ljud just nu").click()
    verdict = page.locator("#tc-verdict")
    expect(verdict).to_be_visible(timeout=45_000)
    expect(verdict).to_be_focused()
    context.close()


def test_countdown_speaks_at_15_minutes_and_at_the_start(browser: Browser, live_server,
                                                         interview_link):
    interview, token = interview_link
    context = browser.new_context(locale="sv-SE", timezone_id="Europe/Stockholm")
    page = context.new_page()
    page.clock.install()
    page.goto(f"{live_server.url}/c/{token}?next=/portal/interviews/{interview.id}")
    countdown = page.locator("[data-countdown]")
    said = page.locator("[data-countdown-announce]")
    expect(countdown).to_contain_text("Börjar om 20 minuter")
    # The visible line changes every minute; it is not read aloud each time.
    assert countdown.get_attribute("aria-live") is None
    assert page.locator(".when [aria-live], .when [role=status]").count() == 1
    expect(said).to_have_attribute("aria-live", "polite")
    page.clock.run_for(60_000)
    expect(countdown).to_contain_text("Börjar om 19 minuter")
    expect(said).to_have_text("")
    page.clock.run_for(5 * 60_000)
    expect(said).to_have_text("Intervjun börjar om 15 minuter.")
    page.clock.run_for(5 * 60_000)
    expect(said).to_have_text("Intervjun börjar om 15 minuter.")  # not every minute
    page.clock.run_for(10 * 60_000)
    expect(said).to_have_text("Intervjun börjar nu.")
    expect(countdown).to_have_text("Pågår nu")
    context.close()
