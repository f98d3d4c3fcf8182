"""Referees and the requests sent to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
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
    def answered(self) -> bool:
        return any(r.answered_at for r in self.requests)

    @property
    def latest(self) -> ReferenceRequest | None:
        return self.requests[-1] if self.requests else None


class ReferenceRequest(db.Model):
    """One request to one referee; its link opens that form and nothing else."""

    __tablename__ = "reference_request"

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

    referee: Mapped[Referee] = relationship(back_populates="requests")
