"""A worker's claim takes one batch, whatever plan PostgreSQL chooses for it.

Written as ``UPDATE ... WHERE id IN (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED)``, PostgreSQL
may run the subquery again for every row it updates (a nested loop; it chose one on a
freshly filled outbox), and each run skips the rows the statement has just claimed: one
claim then took the whole queue, and a second worker found nothing to send.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from portal.messaging.models import MessageStatus, OutboxMessage
from portal.messaging.worker import BATCH, _claim
from portal.timeutil import utcnow


def _queue(session, n: int) -> None:
    now = utcnow()
    session.add_all(OutboxMessage(
        kind="bench", to_email=f"person{i}@example.com", to_name=f"Person {i}",
        subject="Hej", text_body="Hej", html_body="<p>Hej</p>", status="pending",
        attempts=0, next_attempt_at=now, last_error="", created_at=now) for i in range(n))
    session.commit()


def test_a_claim_takes_one_batch_even_on_a_nested_loop_plan(app, ctx):
    if ctx.get_bind().dialect.name != "postgresql":
        pytest.skip("SKIP LOCKED and the planner's choice are PostgreSQL's")
    _queue(ctx, 5 * BATCH)
    # The plan PostgreSQL picked on a freshly filled outbox, made certain here.
    ctx.execute(text("SET LOCAL enable_hashjoin = off"))
    ctx.execute(text("SET LOCAL enable_mergejoin = off"))

    claim = _claim(ctx, app.config["PORTAL"])

    assert claim is not None
    assert len(claim.messages) == BATCH
    claimed = ctx.scalar(select(func.count()).select_from(OutboxMessage)
                         .where(OutboxMessage.status == MessageStatus.SENDING))
    assert claimed == BATCH
    # What is left is there for a second worker.
    second = _claim(ctx, app.config["PORTAL"])
    assert second is not None
    assert {m.id for m in second.messages}.isdisjoint(m.id for m in claim.messages)
