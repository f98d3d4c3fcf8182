"""Staff notes on a candidate and the message thread between staff and a candidate.

Both are personal data: the candidate's copy of their data holds them and erasure removes
them (``portal.process.lifecycle``)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.timeutil import UTCDateTime, utcnow


class StaffNote(db.Model):
    """A note a colleague wrote on a candidate; ``mentions`` holds the ids of the
    colleagues it named with @ (they were emailed)."""

    __tablename__ = "staff_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidate.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    mentions: Mapped[list[int] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Direction(enum.StrEnum):
    TO_CANDIDATE = "out"
    FROM_CANDIDATE = "in"


class CandidateMessage(db.Model):
    """One message in the thread between staff and a candidate. A message to the candidate
    is announced by an email (``outbox_message_id``: its delivery status); a message from
    the candidate is written in the portal."""

    __tablename__ = "candidate_message"
    __table_args__ = (Index("ix_candidate_message_candidate_at", "candidate_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(3))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    outbox_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_message.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # A message to the candidate: when they first saw it in the portal. A message from
    # the candidate: when a colleague answered it (a later message to them).
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def from_candidate(self) -> bool:
        return self.direction == Direction.FROM_CANDIDATE
