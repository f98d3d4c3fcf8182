"""The transactional outbox: every email is a row written with the change that causes it."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.timeutil import UTCDateTime, utcnow


class MessageStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(db.Model):
    """An email waiting for, or done with, delivery."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_status_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    to_email: Mapped[str] = mapped_column(String(254))
    to_name: Mapped[str] = mapped_column(String(120), default="")
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    ics: Mapped[str | None] = mapped_column(Text)
    ics_method: Mapped[str | None] = mapped_column(String(20))
    # Extra mail headers, e.g. List-Unsubscribe on talent-pool emails (see EXTRA_HEADERS).
    headers: Mapped[dict[str, str] | None] = mapped_column(JSON)
    candidate_id: Mapped[int | None] = mapped_column(
        ForeignKey("candidate.id", ondelete="SET NULL"), index=True
    )
    interview_id: Mapped[int | None] = mapped_column(
        ForeignKey("interview.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default=MessageStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When the batch holding it was claimed, and renewed while the worker works through it;
    # also the claim's token: a worker changes the row only while it still holds this value.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # One Message-ID for every attempt (set at enqueue), so a receiver that got the message
    # already, e.g. when the connection dropped after the server took it, can drop the copy.
    message_id: Mapped[str | None] = mapped_column(String(250))
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WorkerHeartbeat(db.Model):
    """A delivery worker's last finished pass, written by the worker (one row per process,
    ``host:pid``), so ``/metrics`` on any web host sees every worker on any host. Workers
    prune the rows of workers that have been quiet for ``HEARTBEAT_KEEP``."""

    __tablename__ = "worker_heartbeat"

    worker_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_pass_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Since the worker started: messages handed to the SMTP server, and messages given up
    # on (a permanent refusal, or too many attempts).
    messages_sent: Mapped[int] = mapped_column(default=0)
    messages_failed: Mapped[int] = mapped_column(default=0)
