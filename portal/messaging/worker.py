"""The delivery worker: drains the outbox over SMTP and runs timed duties (reminders).

Messages are claimed a batch at a time in one statement (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so several workers can run), built a step ahead in a second thread, and sent
over one SMTP connection per pass; their outcomes are written together when the batch ends
or within ``RECORD_AFTER`` seconds. The claim is a lease: the worker renews it while it
works through the batch, so a slow relay never lets a second worker take the rest, and it
gives back what it has not sent when it stops (SIGTERM or SIGINT finish the message in
flight first). Each change to a row checks the lease is still this worker's.

What the server says decides what happens, per message: a temporary answer (4xx, a dropped
connection, a timeout) retries it with exponential backoff up to ``MAX_ATTEMPTS``; a
permanent one (5xx) fails it at once. A message that cannot even be built fails alone: the
pass goes on with the rest. Staff see failed messages and can put them back in line. Every
attempt carries the same Message-ID, so a receiver can drop a copy it already has.

Each finished pass is recorded in the database as the worker's heartbeat (``host:pid``), which
``/metrics`` on any web host reports (``portal.metrics``).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import signal
import smtplib
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import policy as email_policy
from email.generator import BytesGenerator
from email.headerregistry import Address, HeaderRegistry
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, parseaddr
from typing import Any

from flask import Flask
from sqlalchemy import and_, bindparam, delete, or_, select, update
from sqlalchemy.orm import Session

from portal import logs
from portal.locks import is_postgresql
from portal.messaging.models import MessageStatus, OutboxMessage, WorkerHeartbeat
from portal.messaging.services import EXTRA_HEADERS, new_message_id
from portal.settings import Settings
from portal.text import one_line
from portal.timeutil import utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BATCH = 20
LEASE = timedelta(minutes=10)
# Renew the lease on the rest of a batch this often: a single message (each SMTP command
# bounded by SMTP_TIMEOUT) never comes near the remaining four fifths of the lease.
RENEW_AFTER = LEASE / 5
# Outcomes are written together, once per batch or after this many seconds, whichever is
# first: a commit per message would double the time a message takes.
RECORD_AFTER = 0.25


# A worker's heartbeat row is pruned once the worker has been quiet this long: long after
# an alert on a stale heartbeat has fired, and soon enough that restarted workers (a new
# pid each time) do not pile up on /metrics.
HEARTBEAT_KEEP = timedelta(days=1)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min ... capped at one hour."""
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


class _HeaderClasses(HeaderRegistry):
    """The standard header registry, but each header class is made once: CPython makes a
    new class for every header it parses, a third of the time it takes to build an email."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made


# The standard policy (headers parsed and checked), with the cached header classes.
POLICY = email_policy.default.clone(header_factory=_HeaderClasses())


def _address(value: str) -> Address | str:
    """``"Name <addr>"`` from settings as a header object; the display name flattened to one
    line. Returns the raw value only when it holds no address at all (a bad setting)."""
    pairs = getaddresses([one_line(value)])
    if not pairs or "@" not in pairs[0][1]:
        return one_line(value)
    name, addr = pairs[0]
    return Address(display_name=name, addr_spec=addr)


def build_email(settings: Settings, message: OutboxMessage) -> EmailMessage:
    """The MIME message: plain text, an HTML alternative, and the calendar file; a
    Reply-To (the message's own, else ``MAIL_REPLY_TO`` when set), and the message's own
    extra headers.

    Headers are built as objects (``email.headerregistry``) from values flattened to one
    line, never by joining strings, so a control character that reached a name or a
    subject cannot break a header or add one. An address that is not an address raises
    ValueError: that message fails alone."""
    email = EmailMessage(policy=POLICY)
    email["From"] = _address(settings.mail_from)
    email["To"] = Address(display_name=one_line(message.to_name),
                          addr_spec=one_line(message.to_email))
    own = dict(message.headers or {})
    reply_to = own.pop("Reply-To", "") or settings.mail_reply_to
    if reply_to:
        email["Reply-To"] = _address(reply_to)
    email["Subject"] = one_line(message.subject)
    email["Date"] = format_datetime(utcnow())
    email["Message-ID"] = message.message_id or new_message_id(settings.mail_from)
    email["Auto-Submitted"] = "auto-generated"
    for name, value in sorted(own.items()):
        if name in EXTRA_HEADERS:
            email[name] = one_line(value)
    email.set_content(message.text_body)
    email.add_alternative(message.html_body, subtype="html")
    if message.ics:
        method = message.ics_method or "PUBLISH"
        # The bytes go as they are (CRLF lines, RFC 5545); the charset tells the reader
        # how to decode them, or "Åäö" and "–" turn to garbage. METHOD as in RFC 6047.
        email.add_attachment(
            message.ics.encode(), maintype="text", subtype="calendar",
            filename="invite.ics" if method != "CANCEL" else "cancel.ics",
            params={"method": method, "charset": "utf-8"},
        )
    return email


# How the bytes go on the wire (CRLF); with SMTPUTF8 when an address is not ASCII.
_WIRE = POLICY.clone(linesep="\r\n")
_WIRE_UTF8 = _WIRE.clone(utf8=True)


@dataclass
class Prepared:
    """One message ready for the wire, or the reason it cannot be built."""

    message: OutboxMessage
    data: bytes = b""
    sender: str = ""
    recipient: str = ""
    options: tuple[str, ...] = ()
    error: Exception | None = None


def prepare(settings: Settings, message: OutboxMessage) -> Prepared:
    """``build_email`` flattened to bytes, with the envelope: the sender from ``MAIL_FROM``,
    the one recipient from the To header (as ``smtplib.send_message`` would take them)."""
    try:
        email = build_email(settings, message)
        sender = parseaddr(one_line(settings.mail_from))[1]
        recipient = email["To"].addresses[0].addr_spec
        international = not (sender + recipient).isascii()
        out = io.BytesIO()
        BytesGenerator(out, policy=_WIRE_UTF8 if international else _WIRE).flatten(email)
    except Exception as exc:  # a message that cannot be built never will be
        return Prepared(message, error=exc)
    return Prepared(message, out.getvalue(), sender, recipient,
                    ("SMTPUTF8", "BODY=8BITMIME") if international else ())


class RelayUnavailable(Exception):
    """The SMTP server could not be reached or refused the session (connect, greeting,
    STARTTLS, login): nothing to do with any one message, so it is always retried."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(f"{type(cause).__name__}: {cause}")
        self.cause = cause


class Mailer:
    """One SMTP connection for a pass: opened on first use, kept across messages (the
    server's RSET after a refusal leaves it usable), opened again after it dropped. When
    the server cannot be reached, the rest of the pass is not tried again, so a dead relay
    costs one timeout per pass, not one per message."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.conn: smtplib.SMTP | None = None
        self.down: RelayUnavailable | None = None

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        smtp_class = smtplib.SMTP_SSL if s.smtp_ssl else smtplib.SMTP
        try:
            conn = smtp_class(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout)
            try:
                if s.smtp_starttls and not s.smtp_ssl:
                    conn.starttls()
                if s.smtp_username:
                    conn.login(s.smtp_username, s.smtp_password)
            except BaseException:
                conn.close()
                raise
        except (OSError, smtplib.SMTPException) as exc:
            self.down = RelayUnavailable(exc)
            raise self.down from exc
        return conn

    def send(self, ready: Prepared) -> None:
        """Hand one message over; raises what the server or the network said."""
        if self.down is not None:
            raise self.down
        if self.conn is None or getattr(self.conn, "sock", None) is None:
            self.close()
            self.conn = self._open()
        try:
            self.conn.sendmail(ready.sender, [ready.recipient], ready.data,
                               mail_options=list(ready.options))
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused,
                smtplib.SMTPDataError):
            # smtplib sent RSET (or closed on 421, which the check above notices).
            raise
        except BaseException:
            self.close()  # in an unknown state: the next message starts afresh
            raise

    def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is None:
            return
        try:
            conn.quit()
        except (OSError, smtplib.SMTPException):
            conn.close()


def is_permanent(exc: BaseException) -> bool:
    """Does the server's answer mean "never", or only "not now"? 5xx is permanent and 4xx
    temporary (RFC 5321 4.2.1), per recipient for refusals at RCPT; a connection that
    dropped or timed out, or a relay that is unavailable, is temporary."""
    if isinstance(exc, RelayUnavailable):
        return False
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        # Every recipient was refused (else smtplib does not raise): try again later if
        # any refusal was temporary; give up only when all were permanent.
        codes = [code for code, _text in exc.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return 500 <= exc.smtp_code < 600
    # SMTPUTF8 needed but not offered: the same server will say the same thing again.
    return isinstance(exc, smtplib.SMTPNotSupportedError)


@dataclass
class RunReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    reminders: int = 0
    errors: list[str] = field(default_factory=list)


def _due(now: datetime) -> Any:
    return or_(
        and_(OutboxMessage.status == MessageStatus.PENDING, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == MessageStatus.SENDING, OutboxMessage.claimed_at < now - LEASE),
    )


@dataclass
class Claim:
    """A batch this worker holds: the messages (detached, read-only) and the lease token."""

    stamp: datetime
    messages: list[OutboxMessage]


def _claim(db: Session, settings: Settings) -> Claim | None:
    """Claim up to ``BATCH`` due messages in one statement and load them in one query."""
    now = utcnow()
    due = _due(now)
    pick = select(OutboxMessage.id).where(due).order_by(OutboxMessage.id).limit(BATCH)
    chosen = OutboxMessage.id.in_(pick.scalar_subquery())
    if db.get_bind().dialect.name == "postgresql":
        # Picked once, in a materialized CTE: as a plain IN (subquery) PostgreSQL may run
        # the subquery again for every row it updates (a nested loop), each run skipping
        # the rows just claimed, so one claim took the whole queue.
        picked = pick.with_for_update(skip_locked=True).cte("picked").prefix_with(
            "MATERIALIZED")
        chosen = OutboxMessage.id.in_(select(picked.c.id))
    ids = list(db.scalars(
        update(OutboxMessage)
        .where(chosen, due)
        .values(status=MessageStatus.SENDING.value, claimed_at=now)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    ))
    if not ids:
        db.commit()
        return None
    messages = list(db.scalars(
        select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)
        .execution_options(populate_existing=True)))
    missing = [m for m in messages if not m.message_id]
    for message in missing:  # queued before Message-IDs were kept: give each one for good
        message.message_id = new_message_id(settings.mail_from)
    if missing:
        db.flush()
    for message in messages:  # read-only from here on; rows change only by statements
        db.expunge(message)
    db.commit()
    return Claim(stamp=now, messages=messages)


def _mine(claim: Claim, ids: Sequence[int]) -> Any:
    return and_(OutboxMessage.id.in_(ids), OutboxMessage.status == MessageStatus.SENDING,
                OutboxMessage.claimed_at == claim.stamp)


def _renew(db: Session, claim: Claim, rest: list[OutboxMessage]) -> list[OutboxMessage]:
    """Extend the lease on the messages still to send; returns those still ours."""
    now = utcnow()
    kept = set(db.scalars(
        update(OutboxMessage).where(_mine(claim, [m.id for m in rest]))
        .values(claimed_at=now).returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)))
    db.commit()
    claim.stamp = now
    lost = [m.id for m in rest if m.id not in kept]
    if lost:
        log.warning("outbox lease lost for %s; another worker has them", lost)
    return [m for m in rest if m.id in kept]


def release(db: Session, claim: Claim, rest: Sequence[OutboxMessage]) -> None:
    """Give unsent messages back: pending again at once, attempts untouched."""
    if not rest:
        return
    db.execute(update(OutboxMessage).where(_mine(claim, [m.id for m in rest]))
               .values(status=MessageStatus.PENDING.value, claimed_at=None)
               .execution_options(synchronize_session=False))
    db.commit()


@dataclass
class _Outcomes:
    """Outcomes of messages handed over but not yet written: written in one statement when
    the batch ends (with the next claim), once ``RECORD_AFTER`` seconds have passed since
    the last write, and before the lease is renewed or the worker stops. Until then their rows stay
    "sending" under this worker's lease; if the worker dies in between (SIGKILL, a crash),
    they go out again when the lease runs out, with the same Message-ID."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    since: float = field(default_factory=time.monotonic)

    def due(self) -> bool:
        return bool(self.rows) and time.monotonic() - self.since >= RECORD_AFTER


_RECORD = (
    update(OutboxMessage.__table__)
    .where(OutboxMessage.id == bindparam("w_id"),
           OutboxMessage.status == MessageStatus.SENDING.value,
           OutboxMessage.claimed_at == bindparam("w_stamp"))
    .values(status=bindparam("status"), attempts=bindparam("attempts"),
            last_error=bindparam("last_error"), sent_at=bindparam("sent_at"),
            next_attempt_at=bindparam("next_attempt_at"), claimed_at=None)
)


def _record(db: Session, claim: Claim, outcomes: _Outcomes, commit: bool = True) -> None:
    """Write (and commit) the outcomes collected so far, one statement for them all."""
    if outcomes.rows:
        rows = [{**row, "w_stamp": claim.stamp} for row in outcomes.rows]
        done = db.execute(_RECORD, rows)
        if done.rowcount not in (-1, len(rows)):  # type: ignore[attr-defined]
            log.warning("outbox: lease lost before the outcome of some of %s was recorded",
                        [row["w_id"] for row in rows])
        if commit:
            db.commit()
    outcomes.rows.clear()
    outcomes.since = time.monotonic()


def _deliver_one(mailer: Mailer | None, ready: Prepared, report: RunReport) -> dict[str, Any]:
    """Send one prepared message; returns its outcome as the values to store. Any error
    belongs to this message alone."""
    message = ready.message
    attempts = message.attempts + 1
    values: dict[str, Any] = {"w_id": message.id, "attempts": attempts, "sent_at": None,
                              "next_attempt_at": message.next_attempt_at}
    if ready.error is not None:
        exc = ready.error
        values.update(status=MessageStatus.FAILED.value,
                      last_error=f"{type(exc).__name__}: {exc}"[:500])
        report.failed += 1
        log.warning("outbox message %s cannot be built: %s", message.id, type(exc).__name__)
        return values
    try:
        if mailer is not None:
            mailer.send(ready)
    except Exception as exc:
        values["last_error"] = f"{type(exc).__name__}: {exc}"[:500]
        if is_permanent(exc) or attempts >= MAX_ATTEMPTS:
            values["status"] = MessageStatus.FAILED.value
            report.failed += 1
        else:
            values.update(status=MessageStatus.PENDING.value,
                          next_attempt_at=utcnow() + backoff(attempts))
            report.retried += 1
        log.warning("outbox message %s not delivered (attempt %s): %s",
                    message.id, attempts, values["last_error"])
    else:
        values.update(status=MessageStatus.SENT.value, sent_at=utcnow(), last_error="")
        report.sent += 1
    return values


def deliver_due(db: Session, settings: Settings, report: RunReport,
                stop: threading.Event | None = None) -> int:
    """Send every due message once; returns how many were handled. When ``stop`` is set,
    finish the message in flight, record what was sent, give the rest of the batch back,
    and return.

    Messages are built and flattened in a second thread, ahead of the one being sent, so
    that work fills the time spent waiting for the server. The outcomes of a batch are
    written in the transaction that claims the next one (or sooner, see ``_Outcomes``)."""
    handled = 0
    mailer = Mailer(settings) if settings.mail_backend == "smtp" else None
    builder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-build")
    ready: dict[int, Future[Prepared]] = {}
    claim: Claim | None = None
    rest: list[OutboxMessage] = []
    outcomes = _Outcomes()

    def stopping() -> bool:
        return stop is not None and stop.is_set()

    try:
        while not stopping() and (claim is None or len(claim.messages) == BATCH):
            if claim is not None:
                _record(db, claim, outcomes, commit=False)  # committed with the claim
            claim = _claim(db, settings)
            if claim is None:
                break
            rest = list(claim.messages)
            ready = {m.id: builder.submit(prepare, settings, m) for m in rest}
            while rest and not stopping():
                if utcnow() - claim.stamp >= RENEW_AFTER:
                    _record(db, claim, outcomes)
                    rest = _renew(db, claim, rest)
                    continue
                message = rest.pop(0)
                handled += 1
                outcomes.rows.append(
                    _deliver_one(mailer, ready.pop(message.id).result(), report))
                if outcomes.due():
                    _record(db, claim, outcomes)
    finally:
        builder.shutdown(wait=True, cancel_futures=True)
        if claim is not None and (outcomes.rows or rest):
            try:
                db.rollback()
                _record(db, claim, outcomes)
                release(db, claim, rest)
            except Exception:  # the lease runs out on its own
                log.exception("could not record or give back outbox messages %s",
                              [m.id for m in rest])
        if mailer is not None:
            mailer.close()
    return handled


def worker_id() -> str:
    """This worker process, as its heartbeat names it: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def record_heartbeat(db: Session, report: RunReport) -> None:
    """Note that this worker finished a pass now, and add what the pass sent and gave up
    on; prune the rows of workers quiet for ``HEARTBEAT_KEEP``. One upsert: the row is
    this process's alone."""
    now = utcnow()
    if is_postgresql(db):
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = WorkerHeartbeat.__table__
    upsert = insert(table).values(
        worker_id=worker_id(), started_at=now, last_pass_at=now,
        messages_sent=report.sent, messages_failed=report.failed)
    db.execute(upsert.on_conflict_do_update(index_elements=["worker_id"], set_={
        "last_pass_at": now,
        "messages_sent": table.c.messages_sent + report.sent,
        "messages_failed": table.c.messages_failed + report.failed}))
    db.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.last_pass_at < now - HEARTBEAT_KEEP)
               .execution_options(synchronize_session=False))


def run_once(app: Flask, stop: threading.Event | None = None) -> RunReport:
    """One pass: queue due reminders, then deliver everything that is due (until ``stop``
    is set)."""
    from portal.extensions import db
    from portal.feedback.reminders import queue_scorecard_reminders
    from portal.hiring.notify import queue_due_reminders

    report = RunReport()
    settings: Settings = app.config["PORTAL"]
    with logs.task("worker"), app.app_context():
        # Every duty claims its rows (SKIP LOCKED and a flag, or a conditional update) and
        # commits on its own, so its claims are held only while it runs: a second worker
        # skips or waits briefly, and never sends the same thing again.
        report.reminders = queue_due_reminders(db.session, settings)
        db.session.commit()
        report.reminders += queue_scorecard_reminders(db.session, settings)
        db.session.commit()
        from portal.decisions.services import send_due

        send_due(db.session, settings)
        db.session.commit()
        from portal.references.services import remind_due

        report.reminders += remind_due(db.session, settings)
        db.session.commit()
        from portal.privacy.services import remind_expiring

        report.reminders += remind_expiring(db.session, settings)
        db.session.commit()
        from portal.booking.services import queue_booking_reminders

        report.reminders += queue_booking_reminders(db.session, settings)
        db.session.commit()
        from portal.pool.retention import run_daily

        run_daily(db.session, settings)
        db.session.commit()
        deliver_due(db.session, settings, report, stop)
        from portal.webhooks.delivery import deliver_due as deliver_webhooks

        deliver_webhooks(db.session, settings, stop=stop)  # claims and commits on its own
        db.session.commit()
        from portal.scheduling import duties as calendar_duties

        calendar_duties.run(db.session, settings, stop)  # read calendars, write interviews
        # The heartbeat: /metrics shows when each worker last finished a pass.
        record_heartbeat(db.session, report)
        db.session.commit()
        db.session.remove()
    return report


def run_forever(app: Flask, interval: float = 5.0, stop: threading.Event | None = None) -> None:
    """Loop until stopped; a failing pass is logged and the loop goes on."""
    stop = stop or threading.Event()
    while not stop.is_set():
        try:
            run_once(app, stop)
        except Exception:  # keep the worker alive through a database hiccup
            log.exception("worker pass failed")
        stop.wait(interval)


@contextlib.contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """While inside: SIGTERM and SIGINT (a service manager stopping the worker, or Ctrl-C)
    set ``stop``: the worker finishes the message in flight, gives the rest of its batch
    back to the queue and exits. A second signal stops at once (KeyboardInterrupt); the
    message then in flight waits for its lease to run out. The handlers before are put back
    on leaving; outside the main thread (where Python takes no signals) this does nothing."""

    def handler(signum: int, frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        # os.write, not print or logging: safe inside a signal handler.
        os.write(2, f"worker: {signal.Signals(signum).name} received; finishing the "
                    f"message in flight and giving the rest back\n".encode())

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def start_in_process(app: Flask, interval: float = 3.0) -> threading.Thread:
    """For the demo: the worker as a daemon thread beside the web server."""
    thread = threading.Thread(target=run_forever, args=(app, interval), daemon=True,
                              name="outbox-worker")
    thread.start()
    time.sleep(0)
    return thread
