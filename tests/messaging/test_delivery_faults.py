"""The worker against an SMTP server that misbehaves, on loopback (aiosmtpd): temporary
answers (4xx) are retried with backoff and permanent ones (5xx) fail at once, at RCPT and
at DATA; a dropped connection or a server that hangs is retried and the pass goes on over a
new connection; a message that cannot be built fails alone; a name or subject with a line
break cannot break or add a header; every attempt carries the same Message-ID; a slow relay
keeps its lease."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import time_machine
from sqlalchemy import select, update

from portal.extensions import db
from portal.hiring import notify
from portal.messaging.models import OutboxMessage
from portal.messaging.services import enqueue
from portal.messaging.worker import RunReport, deliver_due, run_once
from portal.timeutil import utcnow
from tests.factories import CandidateFactory, UserFactory, make_application, make_interview


def _queue(ctx, *addresses: str, **fields) -> list[int]:
    messages = [enqueue(ctx, kind="test", to_email=address, to_name=fields.get("name", "Test"),
                        subject=fields.get("subject", f"Hello {address}"), text="Hi.",
                        html="<p>Hi.</p>") for address in addresses]
    ctx.commit()
    return [m.id for m in messages]


def _rows(ctx) -> dict[str, OutboxMessage]:
    ctx.expire_all()
    return {m.to_email: m for m in ctx.scalars(select(OutboxMessage))}


def _make_due(ctx) -> None:
    ctx.execute(update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    ctx.commit()


SCRIPT = [  # address, where, reply, what the message becomes after one pass
    ("greylisted@example.com", "rcpt", "451 4.7.1 Greylisted, try again later", "pending"),
    ("unknown@example.com", "rcpt", "550 5.1.1 No such user here", "failed"),
    ("busy@example.com", "data", "451 4.3.0 Local problem, try again later", "pending"),
    ("spam@example.com", "data", "554 5.7.1 Rejected as spam", "failed"),
    ("vanished@example.com", "data", "drop", "pending"),
    ("hung@example.com", "data", "hold", "pending"),  # no answer within SMTP_TIMEOUT
    ("fine@example.com", None, None, "sent"),
]


def test_temporary_answers_retry_and_permanent_ones_fail_per_message(app, ctx, scripted_smtp):
    app.config["PORTAL"] = replace(app.config["PORTAL"], smtp_timeout=3)
    _queue(ctx, *(address for address, *_ in SCRIPT))
    for address, where, reply, _outcome in SCRIPT:
        if where:
            getattr(scripted_smtp, where)[address] = [reply]

    report = run_once(app)

    assert (report.sent, report.retried, report.failed) == (1, 4, 2)
    rows = _rows(ctx)
    for address, _where, reply, outcome in SCRIPT:
        row = rows[address]
        assert (address, row.status) == (address, outcome)
        assert row.attempts == 1  # a 5xx fails on the first attempt, not the eighth
        assert row.claimed_at is None
        if outcome == "pending":  # back in line with backoff, the reason kept
            assert row.next_attempt_at > utcnow() + timedelta(seconds=20)
        if reply and reply not in ("drop", "hold"):
            assert reply.split()[0] in row.last_error
    assert rows["vanished@example.com"].last_error.startswith("SMTPServerDisconnected")
    assert "timed out" in rows["hung@example.com"].last_error
    # The connection dropped after "vanished" and timed out on "hung", yet "fine" (next in
    # line) went out in the same pass, over a new connection.
    assert [m["To"].addresses[0].addr_spec for m in scripted_smtp.messages] == [
        "fine@example.com"]

    _make_due(ctx)
    second = run_once(app)
    assert (second.sent, second.retried, second.failed) == (4, 0, 0)
    rows = _rows(ctx)
    assert {a: r.status for a, r in rows.items()} == {
        address: "failed" if outcome == "failed" else "sent"
        for address, _w, _r, outcome in SCRIPT}
    # The failed ones were not tried again.
    tried = [m["To"].addresses[0].addr_spec for m in scripted_smtp.attempts]
    assert "spam@example.com" in tried and tried.count("spam@example.com") == 1
    assert "unknown@example.com" not in tried


def test_every_attempt_carries_the_same_message_id(app, ctx, scripted_smtp):
    _queue(ctx, "busy@example.com", "vanished@example.com", "old@example.com")
    scripted_smtp.data["busy@example.com"] = ["451 4.3.0 Try again later"] * 2
    scripted_smtp.data["vanished@example.com"] = ["drop"]
    scripted_smtp.data["old@example.com"] = ["421 4.3.2 Shutting down"]
    # Queued before the outbox kept Message-IDs: the first attempt gives it one for good.
    ctx.execute(update(OutboxMessage).where(OutboxMessage.to_email == "old@example.com")
                .values(message_id=None))
    ctx.commit()
    for _ in range(3):
        run_once(app)
        _make_due(ctx)
    rows = _rows(ctx)
    assert {r.status for r in rows.values()} == {"sent"}
    for address, tries in (("busy@example.com", 3), ("vanished@example.com", 2),
                           ("old@example.com", 2)):
        seen = [m["Message-ID"] for m in scripted_smtp.attempts
                if m["To"].addresses[0].addr_spec == address]
        assert len(seen) == tries
        # One id for every attempt: the receiver that kept the copy before the connection
        # dropped can drop the second.
        assert len(set(seen)) == 1
        assert seen[0] == rows[address].message_id
    assert len({r.message_id for r in rows.values()}) == 3


def test_a_line_break_in_a_stored_name_or_subject_cannot_stall_or_forge_mail(app, ctx, settings,
                                                                             scripted_smtp):
    """Names stored before forms refused control characters (or by any other path) still
    go out, in one header line; a message that cannot be built fails alone."""
    recruiter = UserFactory(role="recruiter")
    candidate = CandidateFactory(name="Anna\r\nBcc: victim@example.com", language="en")
    panel = UserFactory(role="interviewer", name="Maria\u2028Manager", email="maria@example.com")
    interview = make_interview(recruiter, make_application(recruiter, candidate),
                               interviewers=[panel])
    interview.round_name = "First\ninterview"  # as stored before the services refused it
    notify.send_invitation(ctx, settings, interview)
    ctx.commit()
    broken = _queue(ctx, "two@at@example.com")[0]
    _queue(ctx, "after@example.com", name="Eve\x07\x1b[2J", subject="Hi\rX-Evil: 1\n\tmore")

    report = run_once(app)

    assert report.failed == 1 and report.sent >= 2
    rows = _rows(ctx)
    assert "sending" not in {r.status for r in rows.values()}
    assert rows["two@at@example.com"].id == broken
    assert rows["two@at@example.com"].status == "failed"
    assert "Invalid Domain" in rows["two@at@example.com"].last_error
    assert {r.status for a, r in rows.items() if a != "two@at@example.com"} == {"sent"}
    received = {m["To"].addresses[0].addr_spec: m for m in scripted_smtp.messages}
    to_candidate = received[candidate.email]
    assert to_candidate["To"].addresses[0].display_name == "Anna Bcc: victim@example.com"
    assert [a.addr_spec for a in to_candidate["To"].addresses] == [candidate.email]
    assert to_candidate["Bcc"] is None and "victim@example.com" not in received
    to_panel = received["maria@example.com"]
    assert to_panel["To"].addresses[0].display_name == "Maria Manager"
    assert to_panel["Subject"] == (
        "Interview with Anna Bcc: victim@example.com: First interview")
    after = received["after@example.com"]
    assert after["X-Evil"] is None and after["Subject"] == "Hi X-Evil: 1 more"
    assert after["To"].addresses[0].display_name == "Eve [2J"


def test_a_slow_relay_keeps_its_lease_so_no_second_worker_sends_the_rest(app, ctx,
                                                                         scripted_smtp):
    """Every message takes three minutes (the clock is moved while the server holds
    DATA); while it does, a second worker looks for work. The first renews its lease as it
    goes, so the second never takes (and sends) what the first still holds."""
    addresses = [f"p{i}@example.com" for i in range(6)]
    _queue(ctx, *addresses)
    database_only = replace(app.config["PORTAL"], mail_backend="database")
    second_worker: list[int] = []

    with time_machine.travel(utcnow(), tick=True) as clock:
        def slow_relay(message) -> None:
            clock.shift(timedelta(minutes=3))
            with app.app_context():
                other = RunReport()
                deliver_due(db.session, database_only, other)
                second_worker.append(other.sent)
                db.session.remove()

        scripted_smtp.on_data = slow_relay
        report = run_once(app)

    assert report.sent == 6
    assert second_worker == [0] * 6
    assert sorted(m["To"].addresses[0].addr_spec for m in scripted_smtp.messages) == addresses
    assert {r.status for r in _rows(ctx).values()} == {"sent"}
