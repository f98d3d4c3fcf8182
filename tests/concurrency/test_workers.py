"""Four workers at once over timed duties of every kind (interview reminders, outcome
messages, scorecard reminders, referee reminders, consent reminders): every message goes
out exactly once. Each worker is a thread with its own app context, so its own database
session and connection, as a separate process would have.

The claims rely on PostgreSQL's row locks (``SKIP LOCKED``, and a conditional update that
waits for the row); SQLite runs one writer at a time and is skipped here."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.decisions import services as decisions
from portal.feedback import services as fb
from portal.messaging.models import OutboxMessage
from portal.messaging.worker import run_once
from portal.pool.consent import give_consent
from portal.references import services as refs
from portal.timeutil import utcnow
from tests.factories import (
    CandidateFactory,
    UserFactory,
    make_application,
    make_interview,
    make_opening,
    move_to,
)

WORKERS = 4
EACH = 10  # due items of every kind
KINDS = ("candidate_reminder", "outcome_next_round", "scorecard_reminder", "referee_reminder",
         "pool_expiring")


def seed(ctx, settings, kinds: tuple[str, ...]) -> None:
    """``EACH`` candidates, each with one due item of every kind in ``kinds``."""
    now = utcnow()
    recruiter = UserFactory(role="recruiter")
    panel = UserFactory(role="interviewer", name="Pat Panel")
    opening = make_opening(recruiter)
    kit = fb.create_starter_kit(ctx, recruiter, opening)
    references = next(s for s in opening.stages if s.name == "References")
    for i in range(EACH):
        candidate = CandidateFactory()
        application = make_application(recruiter, candidate, opening)
        if "candidate_reminder" in kinds:
            # An interview tomorrow morning, invited days ago: its 24-hour reminder is due.
            soon = make_interview(recruiter, application)
            soon.starts_at, soon.invited_at = now + timedelta(hours=12), now - timedelta(days=2)
        if "scorecard_reminder" in kinds:
            # An interview held two days ago whose scorecard the panel still owes.
            held = make_interview(recruiter, application, interviewers=[panel],
                                  starts_at=now + timedelta(days=2, hours=i))  # one at a time
            held.kit_id, held.starts_at = kit.id, now - timedelta(days=2)
        if "outcome_next_round" in kinds:
            # A message written to go out later, whose time has come.
            message = decisions.schedule(ctx, recruiter, application, "next_round",
                                         "Next round", "We would like to meet you again.",
                                         send_at=now + timedelta(hours=1), settings=settings)
            message.send_at = now - timedelta(minutes=1)
        if "referee_reminder" in kinds:
            # A reference request sent four days ago and not answered.
            move_to(recruiter, application, references)
            referee = refs.add_referee(ctx, candidate, application, refs.RefereeData(
                name=f"Referee {i}", relation="Manager", email=f"referee{i}@example.com",
                phone="", language="en", consent=True))
            refs.send_request(ctx, settings, recruiter, referee)
            for request in referee.requests:
                request.sent_at -= timedelta(days=4)
        if "pool_expiring" in kinds:
            # Pool consent running out: in 5 days (the 7-day reminder) or 20 (the 30-day).
            consent = give_consent(ctx, settings, candidate, "en", "Backend")
            consent.expires_at = now + timedelta(days=5 if i % 2 else 20)
    ctx.commit()


def _sent(ctx) -> list[tuple[str, str, int | None, int]]:
    ctx.expire_all()
    return ctx.execute(
        select(OutboxMessage.kind, OutboxMessage.to_email, OutboxMessage.interview_id,
               func.count(OutboxMessage.id))
        .where(OutboxMessage.kind.in_(KINDS))
        .group_by(OutboxMessage.kind, OutboxMessage.to_email, OutboxMessage.interview_id)
    ).all()


# Every kind alone (one duty's claim, with nothing before it in the pass to keep the
# workers apart), then all of them together.
@pytest.mark.parametrize("kinds", [(kind,) for kind in KINDS] + [KINDS],
                         ids=[*KINDS, "every-kind"])
def test_four_workers_at_once_send_every_due_message_exactly_once(app, ctx, settings, kinds):
    if ctx.get_bind().dialect.name != "postgresql":
        pytest.skip("the claims' row locks are PostgreSQL's; SQLite runs one writer at a time")
    seed(ctx, settings, kinds)
    start = threading.Barrier(WORKERS)
    failures: list[BaseException] = []

    def worker() -> None:
        start.wait()
        try:
            run_once(app)
        except BaseException as exc:  # noqa: BLE001 - reported in the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []

    rows = _sent(ctx)
    twice = [row for row in rows if row[3] != 1]
    assert twice == [], f"sent more than once: {twice}"
    per_kind = {kind: sum(1 for row in rows if row[0] == kind) for kind in KINDS}
    assert per_kind == {kind: EACH if kind in kinds else 0 for kind in KINDS}
    # Everything was delivered, and one more pass finds nothing left to do.
    assert run_once(app).reminders == 0
    assert sorted(_sent(ctx)) == sorted(rows)
    pending = ctx.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.kind.in_(KINDS), OutboxMessage.status != "sent"))
    assert pending == 0
