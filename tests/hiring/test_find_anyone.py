"""Find anyone: the candidates page searches names, emails, openings, stages, staff notes
and CV text through a full-text index kept in step with every write (SQLite and
PostgreSQL), with filters, sorts, pages, htmx results and need-to-know."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest

from portal.extensions import db
from portal.hiring import services
from portal.hiring.models import Response
from portal.pool import services as pool
from portal.timeutil import utcnow
from tests.factories import (
    PASSWORD,
    CandidateFactory,
    UserFactory,
    make_application,
    make_interview,
    make_opening,
    move_to,
)
from tests.pool.helpers import pdf_with


def _names(html: str) -> set[str]:
    return set(re.findall(r'href="/staff/candidates/\d+">([^<]+)</a>', html))


def _staff(ctx: Any, login: Any, role: str = "recruiter") -> Any:
    user = UserFactory(role=role)
    ctx.commit()
    login(user.email, PASSWORD)
    return user


def test_finds_by_cv_note_opening_and_stage(client: Any, ctx: Any, login: Any,
                                             settings: Any) -> None:
    boss = _staff(ctx, login)
    ada, bo, cy = (CandidateFactory(name="Ada Berg"), CandidateFactory(name="Bo Ek"),
                   CandidateFactory(name="Cy Lind", language="sv"))
    frontend = make_opening(boss, "Frontend developer")
    make_application(boss, ada, frontend)
    screened = make_application(boss, bo, make_opening(boss, "Data analyst"))
    move_to(boss, screened, next(s for s in screened.opening.stages if s.name == "Screening"))
    profile = pool.ensure_profile(ctx, ada)
    pool.store_cv(ctx, settings, profile, "cv.pdf",
                  io.BytesIO(pdf_with("Years of React and TypeScript in Malmö")))
    pool.update_staff_part(ctx, boss, pool.ensure_profile(ctx, cy), "",
                           "Mycket erfaren av utvecklingsarbete, fantastiska referenser")
    ctx.commit()

    def found(q: str) -> set[str]:
        return _names(client.get("/staff/candidates", query_string={"q": q}).text)

    assert found("React") == {"Ada Berg"}          # a word in the CV
    assert found("malmo") == {"Ada Berg"}          # diacritics folded
    assert found("Frontend") == {"Ada Berg"}       # an opening's title
    assert found("screen") == {"Bo Ek"}            # a stage's name, as a prefix
    assert found("referens") == {"Cy Lind"}        # a note word by its Swedish stem
    assert found("Ada fantastiska") == set()       # every word must match
    assert found('((React "*:^') == {"Ada Berg"}  # only letters reach the engine


def test_index_follows_changes(client: Any, ctx: Any, login: Any, settings: Any) -> None:
    boss = _staff(ctx, login)
    application = make_application(boss, CandidateFactory(name="Dana Holm"),
                                   make_opening(boss, "Platform engineer"))
    ctx.commit()
    assert _names(client.get("/staff/candidates?q=platform").text) == {"Dana Holm"}
    opening = application.opening
    opening.title = "Kubernetes specialist"
    application.candidate.name = "Dana Strand"
    ctx.commit()
    assert _names(client.get("/staff/candidates?q=kubernetes").text) == {"Dana Strand"}
    assert _names(client.get("/staff/candidates?q=platform").text) == set()
    move_to(boss, application, next(s for s in opening.stages if s.name == "Offer"))
    ctx.commit()
    assert _names(client.get("/staff/candidates?q=offer").text) == {"Dana Strand"}


def test_filters_combine_sort_and_pages(client: Any, ctx: Any, login: Any) -> None:
    boss = _staff(ctx, login)
    one, two = make_opening(boss, "Backend one"), make_opening(boss, "Backend two")
    late = make_application(boss, CandidateFactory(name="Late Answer"), one)
    late.next_step_by = (utcnow() - timedelta(days=3)).date()
    asked = make_application(boss, CandidateFactory(name="Asked Again"), one)
    make_interview(boss, asked).response = Response.RESCHEDULE.value
    make_application(boss, CandidateFactory(name="Other Opening"), two)
    ctx.commit()
    base = {"q": "backend"}
    page = client.get("/staff/candidates", query_string={**base, "opening": one.id})
    assert _names(page.text) == {"Late Answer", "Asked Again"}
    assert _names(client.get("/staff/candidates", query_string={
        **base, "opening": one.id, "overdue": "1"}).text) == {"Late Answer"}
    assert _names(client.get("/staff/candidates", query_string={
        **base, "reschedule": "1"}).text) == {"Asked Again"}
    assert _names(client.get("/staff/candidates", query_string={
        **base, "opening": two.id, "reschedule": "1"}).text) == set()
    assert _names(client.get("/staff/candidates", query_string={
        "status": "hired"}).text) == set()
    by_name = client.get("/staff/candidates", query_string={"sort": "name"}).text
    assert by_name.index("Asked Again") < by_name.index("Late Answer") < by_name.index(
        "Other Opening")

    for n in range(52):
        CandidateFactory(name=f"Many Person{n:02d}")
    ctx.commit()
    first = client.get("/staff/candidates", query_string={"q": "many", "sort": "name"})
    second = client.get("/staff/candidates",
                        query_string={"q": "many", "sort": "name", "page": "2"})
    assert len(_names(first.text)) == 50 and len(_names(second.text)) == 2
    assert not _names(first.text) & _names(second.text)
    assert 'rel="next"' in first.text and 'rel="prev"' in second.text
    far = client.get("/staff/candidates", query_string={"q": "many", "sort": "name",
                                                          "page": "9999"})
    assert far.status_code == 200 and _names(far.text) == _names(second.text)


def test_htmx_partial_and_full_page(client: Any, ctx: Any, login: Any) -> None:
    _staff(ctx, login)
    CandidateFactory(name="Eva Sund")
    ctx.commit()
    full = client.get("/staff/candidates?q=eva")
    assert "<html" in full.text and 'id="candidate-results"' in full.text
    assert 'hx-push-url="true"' in full.text and "<script>" not in full.text
    part = client.get("/staff/candidates?q=eva", headers={
        "HX-Request": "true", "HX-Target": "candidate-results"})
    assert "<html" not in part.text and _names(part.text) == {"Eva Sund"}
    assert "HX-Request" in part.headers["Vary"]


def test_interviewer_sees_only_their_panel(client: Any, ctx: Any, login: Any) -> None:
    boss = UserFactory()
    me = UserFactory(role="interviewer")
    opening = make_opening(boss, "Frontend developer")
    mine = make_application(boss, CandidateFactory(name="Mine Panel"), opening)
    make_application(boss, CandidateFactory(name="Not Mine"), opening)
    make_interview(boss, mine, interviewers=[me])
    profile = pool.ensure_profile(ctx, mine.candidate)
    pool.update_staff_part(ctx, boss, profile, "", "secretword")
    ctx.commit()
    login(me.email, PASSWORD)
    assert _names(client.get("/staff/candidates?q=frontend").text) == {"Mine Panel"}
    assert _names(client.get("/staff/candidates").text) == {"Mine Panel"}
    assert _names(client.get("/staff/candidates?q=secretword").text) == set()
    assert services.can_see_candidate(db.session, me, mine.candidate)


def test_odd_input(client: Any, ctx: Any, login: Any) -> None:
    _staff(ctx, login)
    CandidateFactory(name="Odd Case")
    ctx.commit()
    for args in ({"q": "x" * 5000}, {"q": "⑴ ( ) \" * : ^ NEAR"}, {"q": "Odd" * 300},
                 {"page": "-3"}, {"page": "1e9"}, {"opening": "abc"}, {"opening": "99999999"},
                 {"stage": "é" * 200}, {"status": "nope"}, {"verdict": "<b>"},
                 {"sort": "drop table"}):
        assert client.get("/staff/candidates", query_string=args).status_code == 200, args
    # NUL is refused before any view, as everywhere in the portal.
    assert client.get("/staff/candidates", query_string={"q": "a\x00"}).status_code == 400


def test_searches_are_planned_for_their_own_words(ctx):
    """psycopg prepares a statement run five times on one connection; PostgreSQL then may
    reuse one plan for every value, which for a search made a broad word 3x slower (the
    plan of a rare one). The portal's connections ask for a plan per execution."""
    from sqlalchemy import text

    if ctx.get_bind().dialect.name != "postgresql":
        pytest.skip("a PostgreSQL setting")
    assert ctx.execute(text("SHOW plan_cache_mode")).scalar() == "force_custom_plan"
