"""Decisions, outcome message templates, rejection reasons and sent outcome messages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.timeutil import UTCDateTime, utcnow

KINDS = ("next_round", "reject_screening", "reject_interview", "offer")


class MessageTemplate(db.Model):
    """The words for one outcome in one language; {name}, {role} and {personal_line}
    are filled in when a message is written from it."""

    __tablename__ = "message_template"
    __table_args__ = (UniqueConstraint("kind", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    language: Mapped[str] = mapped_column(String(2))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)


class RejectionReason(db.Model):
    """A reason staff choose from when rejecting (never shown to the candidate)."""

    __tablename__ = "rejection_reason"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(120), unique=True)
    active: Mapped[bool] = mapped_column(default=True)


class Decision(db.Model):
    """Advance, reject or offer: who decided, when, and why."""

    __tablename__ = "decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # advance, reject, offer
    reason: Mapped[str] = mapped_column(String(120), default="")
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OutcomeMessage(db.Model):
    """A message to a candidate about their process, sent now or at a set time. The
    portal shows the outcome from the moment it is sent."""

    __tablename__ = "outcome_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    send_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    # When no message is sent on purpose, staff say why (e.g. "told by phone").
    skipped_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ExperienceAnswer(db.Model):
    """A candidate's anonymous answer about their interview: it names the opening and the
    day, never the candidate or the interview."""

    __tablename__ = "experience_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    opening_id: Mapped[int] = mapped_column(ForeignKey("opening.id", ondelete="CASCADE"),
                                            index=True)
    rating: Mapped[int] = mapped_column()
    comment: Mapped[str] = mapped_column(Text, default="")
    answered_on: Mapped[datetime] = mapped_column(UTCDateTime())  # midnight: the day only


class ExperienceAsked(db.Model):
    """That an interview's candidate has answered (so they are not asked twice); kept
    apart from the answer itself."""

    __tablename__ = "experience_asked"

    interview_id: Mapped[int] = mapped_column(ForeignKey("interview.id", ondelete="CASCADE"),
                                              primary_key=True)
