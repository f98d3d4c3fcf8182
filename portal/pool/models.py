"""Talent-pool profiles (what the candidate gave and what staff added), saved searches,
invitations to new openings and retention holds."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.hiring.models import Candidate, Opening
from portal.timeutil import UTCDateTime, utcnow


class TalentProfile(db.Model):
    """One per candidate in (or lately in) the pool. ``search_text`` is the searchable
    document; the full-text index mirrors it (an FTS5 table on SQLite, a tsvector on
    PostgreSQL) and is kept in step by ``portal.pool.search.reindex``."""

    __tablename__ = "talent_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id", ondelete="CASCADE"),
                                              unique=True)
    # The candidate's part.
    summary: Mapped[str] = mapped_column(Text, default="", server_default="")
    skills: Mapped[str] = mapped_column(Text, default="", server_default="")
    location: Mapped[str] = mapped_column(String(120), default="", server_default="")
    remote: Mapped[str] = mapped_column(String(10), default="", server_default="")
    languages: Mapped[str] = mapped_column(String(200), default="", server_default="")
    roles: Mapped[str] = mapped_column(Text, default="", server_default="")
    cv_key: Mapped[str | None] = mapped_column(String(64))
    cv_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    cv_size: Mapped[int] = mapped_column(default=0, server_default="0")
    cv_uploaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cv_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Staff's part.
    tags: Mapped[str] = mapped_column(Text, default="", server_default="")
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    # From past applications: how far they got (the stage's position) and the best
    # weighted score from submitted scorecards.
    stage_reached: Mapped[int] = mapped_column(default=0, server_default="0", index=True)
    stage_name: Mapped[str] = mapped_column(String(80), default="", server_default="")
    best_score: Mapped[float | None] = mapped_column(Float)
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    candidate: Mapped[Candidate] = relationship()

    @staticmethod
    def split(value: str) -> list[str]:
        return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]


class SavedSearch(db.Model):
    """A staff member's named search: the query string of the pool page."""

    __tablename__ = "saved_search"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"),
                                         index=True)
    name: Mapped[str] = mapped_column(String(80))
    query: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class InviteAnswer:
    INTERESTED = "interested"
    NOT_NOW = "not_now"
    NEVER = "never"
    ALL = (INTERESTED, NOT_NOW, NEVER)


class PoolInvite(db.Model):
    """An invitation to a pool member to consider an opening, and their answer."""

    __tablename__ = "pool_invite"
    __table_args__ = (UniqueConstraint("candidate_id", "opening_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id", ondelete="CASCADE"),
                                              index=True)
    opening_id: Mapped[int] = mapped_column(ForeignKey("opening.id", ondelete="CASCADE"),
                                            index=True)
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    answer: Mapped[str] = mapped_column(String(12), default="", server_default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("application.id", ondelete="SET NULL"))

    candidate: Mapped[Candidate] = relationship()
    opening: Mapped[Opening] = relationship()


class RetentionHold(db.Model):
    """Keeps a candidate's data past the retention rules, with the documented reason."""

    __tablename__ = "retention_hold"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id", ondelete="CASCADE"),
                                              index=True)
    reason: Mapped[str] = mapped_column(Text)
    until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    placed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
