"""Two at once, fifty at once (rule 12): threads that move the same application, answer the
same interview and save the same scorecard at the same moment, each through its own test
client and app context (so its own database session), as browsers would. Nobody gets a
500 (nor the 409 that is the net under the services), and the rows stay consistent.

Row locks are PostgreSQL's; SQLite runs one writer at a time and is skipped here."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from portal.feedback import services as fb
from portal.feedback.models import Scorecard, ScorecardRating
from portal.hiring.models import Application, Interview, Stage
from portal.links.services import issue_link
from portal.process.models import StageChange
from portal.timeutil import utcnow
from tests.conftest import csrf_from
from tests.factories import CandidateFactory, UserFactory, make_application, make_interview
from tests.feedback.test_views import client_for

THREADS = 50
ROUND = 5
COOKIE = "portal_session"


@pytest.fixture()
def pg(app, ctx):
    if ctx.get_bind().dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite runs one writer at a time")
    return app


def at_once(count: int, act: Callable[[int], int]) -> list[int]:
    """Run ``act(i)`` in ``count`` threads released together; their status codes, in
    thread order. An exception in a thread fails the test."""
    start = threading.Barrier(count)
    codes: list[Any] = [None] * count

    def run(i: int) -> None:
        start.wait()
        try:
            codes[i] = act(i)
        except BaseException as exc:  # noqa: BLE001 - reported below, in the test's thread
            codes[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for code in codes:
        if isinstance(code, BaseException):
            raise code
    return codes


def clones(app, signed_in, count: int) -> list[Any]:
    """``count`` clients carrying the same signed-in session (tabs of one browser), so
    fifty threads need not each sign in."""
    value = signed_in.get_cookie(COOKIE).value
    result = []
    for _ in range(count):
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        client.set_cookie(COOKIE, value)
        result.append(client)
    return result


def test_fifty_moves_at_once_keep_the_stage_its_history_and_closed_at_in_step(pg, ctx):
    recruiter = UserFactory(email="rec@example.com", role="recruiter")
    application = make_application(recruiter, CandidateFactory(name="Kim Kandidat"))
    ctx.commit()
    app_id = application.id
    stages = [s.id for s in application.opening.stages]  # open ones and every end stage
    staff = client_for(pg, "rec@example.com")
    token = csrf_from(staff.get(f"/staff/openings/{application.opening_id}").text)
    clients = clones(pg, staff, THREADS)

    codes = at_once(THREADS, lambda i: clients[i].post(
        f"/staff/applications/{app_id}/move",
        data={"stage_id": str(stages[i % len(stages)]), "csrf_token": token}).status_code)

    assert set(codes) == {303}, codes
    ctx.expire_all()
    application = ctx.get(Application, app_id)
    stage = ctx.get(Stage, application.stage_id)
    assert (application.closed_at is not None) == stage.is_end
    if not stage.is_end:
        assert application.outcome_published_at is None
    # The history is one chain: each move starts where the one before it ended, and the
    # last ends where the application is. A lost update breaks the chain.
    changes = ctx.scalars(select(StageChange).where(StageChange.application_id == app_id)
                          .order_by(StageChange.id)).all()
    assert len(changes) > 1
    for before, after in zip(changes, changes[1:], strict=False):
        assert after.from_stage_id == before.to_stage_id, [
            (c.transition, c.from_stage_id, c.to_stage_id) for c in changes]
    assert changes[-1].to_stage_id == application.stage_id


def test_fifty_answers_at_once_never_confirm_with_a_reschedule_message(pg, ctx, settings):
    recruiter = UserFactory(role="recruiter")
    interview = make_interview(recruiter, make_application(
        recruiter, CandidateFactory(name="Anna Andersson")))
    interview.invited_at = utcnow()
    _link, sign_in = issue_link(ctx, settings, interview.application.candidate)
    ctx.commit()
    interview_id = interview.id
    url = f"/portal/interviews/{interview.id}"
    candidate = pg.test_client()
    candidate.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert candidate.get(f"/c/{sign_in}").status_code == 303
    token = csrf_from(candidate.get(url).text)
    clients = clones(pg, candidate, THREADS)

    def answer(i: int) -> int:
        data = ({"answer": "confirmed"} if i % 2 else
                {"answer": "reschedule", "message": f"Thread {i}: any morning next week"})
        return clients[i].post(f"{url}/response", data={**data, "csrf_token": token}).status_code

    # Fifty answers in rounds of five at once, each round from an unanswered invitation:
    # the round's last word must be one whole answer, never half of two.
    for first in range(0, THREADS, ROUND):
        ctx.execute(update(Interview).where(Interview.id == interview_id).values(
            response="none", response_message="", responded_at=None))
        ctx.commit()
        codes = at_once(ROUND, lambda i, first=first: answer(first + i))
        assert set(codes) == {303}, codes
        ctx.expire_all()
        item = ctx.get(Interview, interview_id)
        assert item.responded_at is not None
        if item.response == "confirmed":
            assert item.response_message == "", (first, item.response_message)
        else:
            assert item.response == "reschedule"
            assert item.response_message.endswith("any morning next week"), first


def test_fifty_saves_of_one_scorecard_at_once_make_one_card_and_respect_the_submit(pg, ctx):
    recruiter = UserFactory(email="rec@example.com", role="recruiter")
    anna = UserFactory(email="anna@example.com", role="interviewer", name="Anna")
    application = make_application(recruiter, CandidateFactory(name="Kim Kandidat"))
    kit = fb.create_starter_kit(ctx, recruiter, application.opening)
    interview = make_interview(recruiter, application, interviewers=[anna])
    interview.kit_id = kit.id
    interview.starts_at = utcnow() - timedelta(hours=2)  # over: it can be submitted
    ctx.commit()
    competencies = [c.id for c in kit.competencies]
    url = f"/staff/interviews/{interview.id}/scorecard"
    staff = client_for(pg, "anna@example.com")
    token = csrf_from(staff.get("/staff/").text)  # not the card: no draft yet
    clients = clones(pg, staff, THREADS)
    submitters = {i for i in range(THREADS) if i % 10 == 7}

    def save(i: int) -> int:
        rating = 4 if i in submitters else 1 + i % 3
        data = {f"rating-{c}": str(rating) for c in competencies}
        data.update({f"notes-{c}": f"typed by {i}" for c in competencies})
        data.update({"recommendation": "yes", "overall": f"overall {i}", "csrf_token": token,
                     "action": "submit" if i in submitters else "draft"})
        return clients[i].post(url, data=data).status_code

    codes = at_once(THREADS, save)

    drafts = {codes[i] for i in range(THREADS) if i not in submitters}
    submits = [codes[i] for i in sorted(submitters)]
    assert drafts <= {200, 422} and set(submits) <= {303, 422}, codes
    assert submits.count(303) == 1, submits  # the first submit locks the card for the rest
    ctx.expire_all()
    assert ctx.scalar(select(func.count(Scorecard.id))) == 1
    card = ctx.scalar(select(Scorecard))
    assert card.interviewer_id == anna.id and card.submitted_at is not None
    ratings = ctx.scalars(select(ScorecardRating).where(ScorecardRating.scorecard_id == card.id)
                          ).all()
    assert sorted(r.competency_id for r in ratings) == sorted(competencies)
    # What was submitted stands: no draft racing the submit wrote over it.
    winner = sorted(submitters)[submits.index(303)]
    assert card.notes == f"overall {winner}"
    assert {(r.rating, r.notes) for r in ratings} == {(4, f"typed by {winner}")}


def test_a_double_click_on_submit_is_one_submit_and_a_different_one_is_refused(app, ctx):
    """The second of two identical submits (a double click, or the autosave crossing the
    click) finds its work done and answers as the first; a submit that would change the
    card is refused, since the card is locked."""
    recruiter = UserFactory(email="rec@example.com", role="recruiter")
    anna = UserFactory(email="anna@example.com", role="interviewer", name="Anna")
    application = make_application(recruiter, CandidateFactory(name="Kim Kandidat"))
    kit = fb.create_starter_kit(ctx, recruiter, application.opening)
    interview = make_interview(recruiter, application, interviewers=[anna])
    interview.kit_id = kit.id
    interview.starts_at = utcnow() - timedelta(hours=2)
    ctx.commit()
    url = f"/staff/interviews/{interview.id}/scorecard"
    staff = client_for(app, "anna@example.com")
    token = csrf_from(staff.get(url).text)
    data = {f"rating-{c.id}": "3" for c in kit.competencies}
    data.update({"recommendation": "yes", "overall": "Solid", "action": "submit",
                 "csrf_token": token})
    assert staff.post(url, data=data).status_code == 303
    assert staff.post(url, data=data).status_code == 303
    changed = staff.post(url, data={**data, "overall": "Changed my mind"})
    assert changed.status_code == 422 and "submitted and locked" in changed.text
    ctx.expire_all()
    assert ctx.scalar(select(Scorecard.notes)) == "Solid"
