"""Consent records and the audit log (which never stores person data itself)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.timeutil import UTCDateTime, utcnow


class TalentConsent(db.Model):
    """Consent to stay in the talent pool, with the exact text version and language."""

    __tablename__ = "talent_consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id", ondelete="CASCADE"),
                                              index=True)
    text_version: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(2))
    roles: Mapped[str] = mapped_column(Text, default="")
    given_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminded_30_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminded_7_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None and self.expires_at > utcnow()


class AuditEvent(db.Model):
    """Who did what to whose data, by ids only."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_kind: Mapped[str] = mapped_column(String(20))  # staff, candidate, system
    actor_id: Mapped[int | None] = mapped_column()
    action: Mapped[str] = mapped_column(String(40), index=True)
    candidate_id: Mapped[int | None] = mapped_column(index=True)  # no FK: survives erasure


class NoticeConsent(db.Model):
    """Consent to the privacy notice, given on a public application: the exact notice
    version and language, and the application it came with."""

    __tablename__ = "notice_consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id", ondelete="CASCADE"),
                                              index=True)
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("application.id", ondelete="SET NULL"))
    text_version: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(2))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
