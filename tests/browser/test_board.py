"""The pipeline board in a real Chromium: it fits the window (the board and each column
scroll inside their own boxes), a card moves by dragging and by keyboard with a spoken
confirmation, and the board and the bulk preview pass axe."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from portal.hiring.models import Application
from tests.browser.test_accessibility import WIDTHS, _serious
from tests.factories import PASSWORD, CandidateFactory, UserFactory, make_application, make_opening

pytestmark = pytest.mark.browser


@pytest.fixture()
def board(ctx):
    recruiter = UserFactory(email="rec@example.com", role="recruiter", name="Rebecka R")
    opening = make_opening(recruiter, title="Backend-utvecklare")
    apps = [make_application(recruiter, CandidateFactory(
        name=f"Kandidat Nummer {n}", language="sv" if n % 2 else "en"), opening)
        for n in range(60)]
    anna = make_application(recruiter, CandidateFactory(name="Anna Andersson", language="sv"),
                            opening)
    ctx.commit()
    return {"opening": opening, "anna": anna, "apps": apps, "recruiter": recruiter}


def _open(browser: Browser, live_server, width: dict, lang: str = "en") -> Page:
    context = browser.new_context(viewport=width, locale=lang,
                                  extra_http_headers={"Accept-Language": lang})
    page = context.new_page()
    page.goto(f"{live_server.url}/staff/login")
    page.fill("input[name=email]", "rec@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button.primary[type=submit]").click()
    page.wait_for_url("**/staff/**")
    return page


def _stage(opening, name):
    return next(s for s in opening.stages if s.name == name)


@pytest.mark.parametrize("width", [{"width": 1366, "height": 768}, WIDTHS["phone"]])
def test_the_board_fits_the_window(browser: Browser, live_server, board, width):
    page = _open(browser, live_server, width)
    page.goto(f"{live_server.url}/staff/openings/{board['opening'].id}")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    box = page.evaluate("(() => { const b = document.getElementById('pipeline');"
                        " return [b.scrollWidth, b.clientWidth]; })()")
    assert box[0] > box[1]  # nine columns: the board scrolls inside itself
    applied = _stage(board["opening"], "Applied")
    column = page.evaluate(f"(() => {{ const c = document.getElementById('cards-{applied.id}');"
                           " return [c.scrollHeight, c.clientHeight,"
                           " c.closest('.column').getBoundingClientRect().height,"
                           " window.innerHeight]; })()")
    # The column scrolls inside its own box, which is never taller than the window.
    assert column[0] > column[1] and column[2] <= column[3]
    assert page.locator(f"#cards-{applied.id} .pcard").count() == 50
    page.get_by_role("link", name="Show all 61").click()
    expect(page.locator(f"#cards-{applied.id} .pcard")).to_have_count(61)


def test_drag_a_card_to_another_stage(browser: Browser, live_server, board, ctx):
    opening, anna = board["opening"], board["anna"]
    applied, interview = _stage(opening, "Applied"), _stage(opening, "Interview")
    page = _open(browser, live_server, {"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/staff/openings/{opening.id}")
    page.locator(f"#app-{anna.id}").drag_to(page.locator(f"#col-{interview.id}"),
                                            source_position={"x": 4, "y": 4})
    expect(page.locator(f"#cards-{interview.id} #app-{anna.id}")).to_be_visible()
    expect(page.locator(f"#cards-{applied.id} #app-{anna.id}")).to_have_count(0)
    expect(page.locator(f"#count-{interview.id}")).to_have_text("1")
    expect(page.locator(f"#count-{applied.id}")).to_have_text("60")
    expect(page.locator("#board-status")).to_have_text("Anna Andersson moved to Interview")
    ctx.expire_all()
    assert ctx.scalar(select(Application.stage_id).where(
        Application.id == anna.id)) == interview.id


def test_move_a_card_by_keyboard(browser: Browser, live_server, board, ctx):
    opening, anna = board["opening"], board["anna"]
    screening = _stage(opening, "Screening")
    page = _open(browser, live_server, {"width": 1366, "height": 768}, "sv")
    page.goto(f"{live_server.url}/staff/openings/{opening.id}")
    lift = page.locator(f"#app-{anna.id} .lift")
    lift.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#board-status")).to_contain_text("Anna Andersson")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#board-status")).to_have_text("Steg: Urval")
    page.keyboard.press("Enter")
    expect(page.locator(f"#cards-{screening.id} #app-{anna.id}")).to_be_visible()
    expect(page.locator("#board-status")).to_have_text("Anna Andersson flyttad till Urval")
    # Focus stays with the card, so the next move is a key press away.
    expect(page.locator(f"#app-{anna.id} .lift")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Escape")
    expect(page.locator("#board-status")).to_contain_text("ligger kvar")
    ctx.expire_all()
    assert ctx.scalar(select(Application.stage_id).where(
        Application.id == anna.id)) == screening.id


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["en", "sv"])
def test_board_and_bulk_preview_pass_axe(browser: Browser, live_server, board, width, lang):
    page = _open(browser, live_server, WIDTHS[width], lang)
    page.goto(f"{live_server.url}/staff/openings/{board['opening'].id}")
    problems = {"board": _serious(page)}
    for app in (board["anna"], *board["apps"][-3:]):
        page.locator(f"#pick-{app.id}").check()
    page.locator("#bulk-action").select_option("reject")
    page.locator("#bulk-form button[type=submit]").click()
    expect(page.locator("#bulk-doing")).to_be_visible()
    problems["preview"] = _serious(page)
    assert problems == {"board": [], "preview": []}
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
