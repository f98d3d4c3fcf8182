"""The delivery worker: drains the outbox over SMTP and runs timed duties (reminders).

Each message is claimed in its own short transaction (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so several workers can run), sent, and marked sent in the next one. A message
that fails is retried with exponential backoff and marked failed after ``MAX_ATTEMPTS``;
staff see failed messages and can put them back in line.
"""

from __future__ import annotations

import logging
import smtplib
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr

from flask import Flask
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from portal.messaging.models import MessageStatus, OutboxMessage
from portal.messaging.services import EXTRA_HEADERS
from portal.settings import Settings
from portal.timeutil import utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BATCH = 20
LEASE = timedelta(minutes=10)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min ... capped at one hour."""
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


def build_email(settings: Settings, message: OutboxMessage) -> EmailMessage:
    """The MIME message: plain text, an HTML alternative, and the calendar file; a
    Reply-To when ``MAIL_REPLY_TO`` is set, and the message's own extra headers."""
    email = EmailMessage()
    email["From"] = settings.mail_from
    email["To"] = formataddr((message.to_name, message.to_email))
    if settings.mail_reply_to:
        email["Reply-To"] = settings.mail_reply_to
    email["Subject"] = message.subject
    email["Date"] = format_datetime(utcnow())
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "localhost"
    email["Message-ID"] = make_msgid(f"outbox-{message.id}", domain=domain)
    email["Auto-Submitted"] = "auto-generated"
    for name, value in sorted((message.headers or {}).items()):
        if name in EXTRA_HEADERS:
            email[name] = value
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


def send_smtp(settings: Settings, email: EmailMessage) -> None:
    """Hand one message to the configured SMTP server."""
    smtp_class = smtplib.SMTP_SSL if settings.smtp_ssl else smtplib.SMTP
    with smtp_class(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout) as s:
        if settings.smtp_starttls and not settings.smtp_ssl:
            s.starttls()
        if settings.smtp_username:
            s.login(settings.smtp_username, settings.smtp_password)
        s.send_message(email)


@dataclass
class RunReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    reminders: int = 0
    errors: list[str] = field(default_factory=list)


def _claim(db: Session) -> list[int]:
    now = utcnow()
    due = or_(
        and_(OutboxMessage.status == MessageStatus.PENDING, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == MessageStatus.SENDING, OutboxMessage.claimed_at < now - LEASE),
    )
    query = select(OutboxMessage.id).where(due).order_by(OutboxMessage.id).limit(BATCH)
    if db.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(db.scalars(query))
    claimed = []
    for mid in ids:
        result = db.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == mid, due)
            .values(status=MessageStatus.SENDING.value, claimed_at=now)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            claimed.append(mid)
    db.commit()
    return claimed


def deliver_due(db: Session, settings: Settings, report: RunReport) -> int:
    """Send every due message once; returns how many were handled."""
    handled = 0
    while True:
        ids = _claim(db)
        if not ids:
            return handled
        for mid in ids:
            message = db.get(OutboxMessage, mid)
            if message is None:
                continue
            handled += 1
            message.attempts += 1
            try:
                if settings.mail_backend == "smtp":
                    send_smtp(settings, build_email(settings, message))
            except (OSError, smtplib.SMTPException) as exc:
                message.last_error = f"{type(exc).__name__}: {exc}"[:500]
                if message.attempts >= MAX_ATTEMPTS or isinstance(
                    exc, smtplib.SMTPRecipientsRefused
                ):
                    message.status = MessageStatus.FAILED.value
                    report.failed += 1
                else:
                    message.status = MessageStatus.PENDING.value
                    message.next_attempt_at = utcnow() + backoff(message.attempts)
                    report.retried += 1
                log.warning("outbox message %s not delivered (attempt %s): %s",
                            message.id, message.attempts, type(exc).__name__)
            else:
                message.status = MessageStatus.SENT.value
                message.sent_at = utcnow()
                message.last_error = ""
                report.sent += 1
            db.commit()
        if len(ids) < BATCH:
            return handled


def run_once(app: Flask) -> RunReport:
    """One pass: queue due reminders, then deliver everything that is due."""
    from portal.extensions import db
    from portal.feedback.reminders import queue_scorecard_reminders
    from portal.hiring.notify import queue_due_reminders

    report = RunReport()
    settings: Settings = app.config["PORTAL"]
    with app.app_context():
        report.reminders = queue_due_reminders(db.session, settings)
        report.reminders += queue_scorecard_reminders(db.session, settings)
        from portal.decisions.services import send_due

        send_due(db.session, settings)
        from portal.references.services import remind_due

        report.reminders += remind_due(db.session, settings)
        from portal.privacy.services import remind_expiring

        report.reminders += remind_expiring(db.session, settings)
        db.session.commit()
        from portal.pool.retention import run_daily

        run_daily(db.session, settings)
        db.session.commit()
        deliver_due(db.session, settings, report)
        db.session.remove()
    return report


def run_forever(app: Flask, interval: float = 5.0, stop: threading.Event | None = None) -> None:
    """Loop until stopped; a failing pass is logged and the loop goes on."""
    stop = stop or threading.Event()
    while not stop.is_set():
        try:
            run_once(app)
        except Exception:  # keep the worker alive through a database hiccup
            log.exception("worker pass failed")
        stop.wait(interval)


def start_in_process(app: Flask, interval: float = 3.0) -> threading.Thread:
    """For the demo: the worker as a daemon thread beside the web server."""
    thread = threading.Thread(target=run_forever, args=(app, interval), daemon=True,
                              name="outbox-worker")
    thread.start()
    time.sleep(0)
    return thread
