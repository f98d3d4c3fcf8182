"""The process under random mixes of what staff and the candidate do, on SQLite and
PostgreSQL. After every step the portal must not contradict the back office.

The default run is short enough for CI; `pytest tests/process --hypothesis-profile=long`
runs many more and longer sequences by hand.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select, text

from portal.decisions import services as ds
from portal.errors import DomainError
from portal.extensions import db, limiter
from portal.hiring import notify
from portal.hiring.models import Application, Interview, InterviewStatus
from portal.hiring.services import InterviewData
from portal.links.services import LinkProblem, issue_link, verify_token
from portal.messaging.models import OutboxMessage
from portal.process import lifecycle, view
from portal.references import services as refs
from portal.references.models import Referee, ReferenceRequest
from portal.timeutil import utcnow, zone
from tests.conftest import csrf_from
from tests.factories import PASSWORD, CandidateFactory, UserFactory, make_opening

HREF = re.compile(r'href="(/[^"#]*)')
# Emails that ask the candidate to do something, and must carry the link to do it.
ASKS_TO_ACT = ("candidate_invitation", "candidate_update", "candidate_reminder",
               "candidate_references")
SKIP = ("/calendar", ".ics", ".json", "/sign-out", "/c/", "/erase", "/logout")


def _clear() -> None:
    db.session.rollback()
    db.session.execute(text("DELETE FROM pool_search"))
    db.session.execute(text("DELETE FROM candidate_search"))
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()
    limiter.reset()


class Process(RuleBasedStateMachine):
    """One application of one candidate, a recruiter and a pool of two interviewers."""

    app: Any = None

    @initialize()
    def start(self) -> None:
        _clear()
        self.settings = self.app.config["PORTAL"]
        self.recruiter = UserFactory(role="recruiter", email="rec@example.com")
        self.panel = [UserFactory(role="interviewer", email=f"iv{i}@example.com")
                      for i in range(2)]
        opening = make_opening(self.recruiter)
        self.candidate = CandidateFactory(name="Anna Andersson", language="sv")
        self.application = lifecycle.apply(db.session, self.recruiter, self.candidate,
                                           opening)
        # Every run starts with an interview booked and sent: the interesting unhappy paths
        # (reject, withdraw, erase with an interview ahead) are then a step away.
        lifecycle.schedule(db.session, self.settings, self.recruiter, self.application,
                           self._data(48, [0]), send=True)
        _link, token = issue_link(db.session, self.settings, self.candidate)
        self.token = token
        db.session.commit()
        self.erased = False
        self.changed = True  # something was committed since the pages were last crawled
        self.portal = self.app.test_client()
        self.portal.environ_base["HTTP_ACCEPT_LANGUAGE"] = "sv"
        assert self.portal.get(f"/c/{token}").status_code == 303
        self.staff = self.app.test_client()
        page = self.staff.get("/staff/login")
        self.staff.post("/staff/login", data={"email": "rec@example.com", "password": PASSWORD,
                                              "csrf_token": csrf_from(page.text)})

    def teardown(self) -> None:
        _clear()

    # ------------------------------------------------------------ helpers

    def _do(self, action: Any, *args: Any) -> Any:
        """Staff or candidate actions through the lifecycle: a refusal is a legal outcome,
        and leaves nothing half done."""
        try:
            result = action(*args)
        except DomainError:
            db.session.rollback()
            return None
        db.session.commit()
        self.changed = True
        return result

    def _interviews(self, live: bool = True) -> list[Interview]:
        items = list(db.session.scalars(select(Interview).where(
            Interview.application_id == self.application.id).order_by(Interview.id)))
        if live:
            items = [i for i in items if not i.is_cancelled]
        return items

    def _data(self, starts_in_hours: int, panel: list[int]) -> InterviewData:
        return InterviewData(
            round_name="Intervju", starts_at=(utcnow() + timedelta(hours=starts_in_hours))
            .replace(second=0, microsecond=0), duration_minutes=45, platform="zoom",
            meeting_url="https://zoom.us/j/12345678901", what_to_expect="", preparation="",
            interviewer_ids=[self.panel[i].id for i in panel])

    def _fresh(self) -> None:
        db.session.expire_all()

    # ------------------------------------------------------------ staff

    @precondition(lambda self: not self.erased)
    @rule(hours=st.integers(2, 24 * 20), panel=st.sampled_from([[0], [1], [0, 1]]),
          send=st.booleans())
    def schedule(self, hours: int, panel: list[int], send: bool) -> None:
        self._do(lifecycle.schedule, db.session, self.settings, self.recruiter,
                 self.application, self._data(hours, panel), send)

    @precondition(lambda self: not self.erased)
    @rule(pick=st.integers(0, 5), hours=st.one_of(st.none(), st.integers(2, 24 * 20)),
          panel=st.sampled_from([[0], [1], [0, 1]]))
    def reschedule(self, pick: int, hours: int | None, panel: list[int]) -> None:
        items = self._interviews()
        if not items:
            return
        item = items[pick % len(items)]
        data = self._data(hours or 1, panel)
        if hours is None:  # the panel only
            data.starts_at = item.starts_at
        self._do(lifecycle.reschedule, db.session, self.settings, self.recruiter, item, data)

    @precondition(lambda self: not self.erased)
    @rule(pick=st.integers(0, 5))
    def send_invitation(self, pick: int) -> None:
        items = self._interviews()
        if items and not self.application.is_closed:
            self._do(notify.send_invitation, db.session, self.settings, items[pick % len(items)])

    @precondition(lambda self: not self.erased)
    @rule(pick=st.integers(0, 5))
    def cancel(self, pick: int) -> None:
        items = self._interviews()
        if items:
            self._do(lifecycle.cancel_interview, db.session, self.settings, self.recruiter,
                     items[pick % len(items)])

    @precondition(lambda self: not self.erased)
    @rule(kind=st.sampled_from(["advance", "reject", "offer"]))
    def decide(self, kind: str) -> None:
        reason = ds.reasons(db.session)[0].label if kind == "reject" else ""
        self._do(lifecycle.decide, db.session, self.settings, self.recruiter, self.application,
                 kind, reason)

    @precondition(lambda self: not self.erased)
    @rule(position=st.integers(0, 8))
    def move(self, position: int) -> None:
        stages = self.application.opening.stages
        self._do(lifecycle.move, db.session, self.settings, self.recruiter, self.application,
                 stages[position % len(stages)], "")

    @precondition(lambda self: not self.erased)
    @rule()
    def withdraw(self) -> None:
        self._do(lifecycle.withdraw, db.session, self.settings, self.recruiter,
                 self.application, "Took another job")

    @precondition(lambda self: not self.erased)
    @rule()
    def reopen(self) -> None:
        self._do(lifecycle.reopen, db.session, self.settings, self.recruiter, self.application)

    @precondition(lambda self: not self.erased)
    @rule(pick=st.integers(0, 5))
    def send_reference_request(self, pick: int) -> None:
        people = list(db.session.scalars(select(Referee).where(
            Referee.application_id == self.application.id)))
        if people:
            self._do(refs.send_request, db.session, self.settings, self.recruiter,
                     people[pick % len(people)])

    # ------------------------------------------------------------ candidate

    @precondition(lambda self: not self.erased)
    @rule(pick=st.integers(0, 5), answer=st.sampled_from(["confirmed", "reschedule"]))
    def respond(self, pick: int, answer: str) -> None:
        items = self._interviews(live=False)
        if not items:
            return
        item = items[pick % len(items)]
        page = self.portal.get("/portal/")
        response = self.portal.post(f"/portal/interviews/{item.id}/response", data={
            "answer": answer, "message": "Hellre på tisdag", "csrf_token": csrf_from(page.text)})
        assert response.status_code in (303, 422), response.status_code
        self.changed = True
        self._fresh()

    @precondition(lambda self: not self.erased)
    @rule()
    def name_referee(self) -> None:
        self._do(refs.add_referee, db.session, self.candidate, self.application,
                 refs.RefereeData(name="Rut Ref", relation="Chef", email="rut@example.com",
                                  phone="", language="sv", consent=True))

    @precondition(lambda self: not self.erased)
    @rule(pick=st.integers(0, 5))
    def withdraw_referee_consent(self, pick: int) -> None:
        people = list(db.session.scalars(select(Referee).where(
            Referee.application_id == self.application.id)))
        if people:
            self._do(refs.withdraw, db.session, self.candidate, people[pick % len(people)])

    @precondition(lambda self: not self.erased)
    @rule()
    def join_pool(self) -> None:
        from portal.pool.consent import give_consent

        self._do(give_consent, db.session, self.settings, self.candidate, "sv", "Backend")

    @precondition(lambda self: not self.erased)
    @rule()
    def erase(self) -> None:
        self._do(lifecycle.erase, db.session, self.settings, self.candidate)
        self.erased = True

    @rule()
    def worker_pass(self) -> None:
        """The worker's timed duties run in between (reminders, reference reminders)."""
        self._do(notify.queue_due_reminders, db.session, self.settings)
        self._do(refs.remind_due, db.session, self.settings)

    # ------------------------------------------------------------ what must always hold

    @invariant()
    def a_closed_process_offers_nothing_to_join(self) -> None:
        if not hasattr(self, "application"):
            return
        self._fresh()
        application = db.session.get(Application, self.application.id)
        if application is None or not application.is_closed:
            return
        now = utcnow()
        for item in self._interviews():
            assert not (item.status == InterviewStatus.SCHEDULED and item.ends_at > now), (
                "a closed process keeps a booked interview")
        if self.erased:
            return
        for item in self._interviews(live=False):
            page = self.portal.get(f"/portal/interviews/{item.id}")
            assert page.status_code == 200
            assert "join-button" not in page.text and 'name="answer"' not in page.text

    @invariant()
    def the_candidate_view_tells_the_truth(self) -> None:
        if not hasattr(self, "application") or self.erased:
            return
        self._fresh()
        application = db.session.get(Application, self.application.id)
        visited = lifecycle.visited_stage_ids(db.session, [application.id])[application.id]
        state = view.application_view(application, visited, "en")
        by_name = {s.public_name("en"): s for s in application.opening.stages}
        for step in state.steps:
            if step.state == "done":
                assert by_name[step.name].id in visited, f"{step.name} marked done, never in"
        named = {application.id: sum(1 for r in db.session.scalars(select(Referee).where(
            Referee.application_id == application.id)) if not r.withdrawn_at)}
        step = view.next_step([state], [], named)
        now = utcnow()
        if step.interview is not None:
            assert not step.interview.is_cancelled and step.interview.ends_at > now
            assert not application.is_closed
        if step.kind == "referees":
            assert not application.is_closed and state.asks_references
        # The promise is never earlier than the end of the last booked interview.
        booked = [i.ends_at for i in self._interviews() if i.ends_at > now]
        if application.is_closed:
            assert application.next_step_by is None
        elif booked:
            last = max(booked).astimezone(zone(application.candidate.timezone)).date()
            assert application.next_step_by is not None and application.next_step_by >= last

    @invariant()
    def every_live_referee_link_belongs_to_an_open_process(self) -> None:
        if not hasattr(self, "application"):
            return
        now = utcnow()
        live: dict[int, int] = {}
        for request in db.session.scalars(select(ReferenceRequest)):
            try:
                refs.usable(request)
            except DomainError:
                continue
            live[request.referee_id] = live.get(request.referee_id, 0) + 1
            application = db.session.get(Application, request.referee.application_id)
            assert not application.is_closed, "a referee can still answer for a closed process"
            assert request.expires_at > now
        assert all(n == 1 for n in live.values()), "a referee has two live links"

    @invariant()
    def an_erased_candidate_has_no_live_link(self) -> None:
        if not getattr(self, "erased", False):
            return
        with pytest.raises(LinkProblem):
            verify_token(db.session, self.settings, self.token)
        db.session.rollback()

    @invariant()
    def emails_that_ask_carry_the_link(self) -> None:
        for message in db.session.scalars(select(OutboxMessage).where(
                OutboxMessage.kind.in_(ASKS_TO_ACT))):
            assert "/c/" in message.text_body, f"{message.kind} without a link to act"

    @invariant()
    def no_page_answers_5xx(self) -> None:
        """Every page either side links to answers. Crawled after each step that committed
        something: a refused step was rolled back, and its pages are the ones just crawled."""
        if not hasattr(self, "application") or not self.changed:
            return
        self.changed = False
        if not self.erased:
            overview = self.portal.get("/portal/")
            assert overview.status_code == 200
            for path in sorted(set(HREF.findall(overview.text))):
                if path.startswith("/portal") and not any(s in path for s in SKIP):
                    assert self.portal.get(path).status_code < 500, path
        page = self.staff.get(f"/staff/candidates/{self.candidate.id}")
        assert page.status_code == 200
        for path in sorted(set(HREF.findall(page.text))):
            if path.startswith("/staff") and not any(s in path for s in SKIP):
                assert self.staff.get(path).status_code < 500, path


def test_the_process_never_contradicts_itself(app, ctx):
    from hypothesis import settings

    Process.app = app
    run_state_machine_as_test(Process, settings=settings())
    assert ctx.scalar(select(Application.id)) is None  # each run cleaned up after itself

