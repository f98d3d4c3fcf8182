"""Referees and the requests sent to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.timeutil import UTCDateTime, utcnow


class Referee(db.Model):
    """Someone the candidate named, with their consent to being contacted."""

    __tablename__ = "referee"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    relation: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(40), default="")
    language: Mapped[str] = mapped_column(String(2), default="sv")
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    requests: Mapped[list[ReferenceRequest]] = relationship(
        back_populates="referee", order_by="ReferenceRequest.id", cascade="all, delete-orphan")

    @property
    def answered_request(self) -> ReferenceRequest | None:
        """The request the referee answered through (the one whose answers staff read)."""
        return next((r for r in self.requests if r.answered_at), None)

    @property
    def answered(self) -> bool:
        return self.answered_request is not None

    @property
    def latest(self) -> ReferenceRequest | None:
        return self.requests[-1] if self.requests else None


class ReferenceRequest(db.Model):
    """One request to one referee; its link opens that form and nothing else.

    A referee has at most one request that is neither superseded nor revoked: sending again
    supersedes the earlier one (its link then says a newer one was sent), and a process
    that closes revokes them. The partial unique index holds that even against a race."""

    __tablename__ = "reference_request"
    __table_args__ = (
        Index("uq_reference_request_one_live", "referee_id", unique=True,
              sqlite_where=text("superseded_at IS NULL AND revoked_at IS NULL"),
              postgresql_where=text("superseded_at IS NULL AND revoked_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referee_id: Mapped[int] = mapped_column(ForeignKey("referee.id", ondelete="CASCADE"),
                                            index=True)
    nonce: Mapped[str] = mapped_column(String(32))
    questions: Mapped[str] = mapped_column(Text)  # JSON list, frozen when sent
    answers: Mapped[str] = mapped_column(Text, default="{}")  # JSON {index: text}
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # a newer one went
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the process closed

    referee: Mapped[Referee] = relationship(back_populates="requests")

    @property
    def live(self) -> bool:
        """Neither replaced by a newer request nor closed with the process."""
        return self.superseded_at is None and self.revoked_at is None


class ReferencePrompt(db.Model):
    """That the candidate was asked to name referees for an application: one row, so the
    email goes once however often the application enters the reference stage."""

    __tablename__ = "reference_prompt"

    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
