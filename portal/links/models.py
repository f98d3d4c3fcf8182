"""One row per magic link, so a link can expire, be revoked and be audited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.hiring.models import Candidate
from portal.timeutil import UTCDateTime, utcnow


class MagicLink(db.Model):
    """A sign-in link sent to a candidate."""

    __tablename__ = "magic_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidate.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(20), default="candidate")
    # A random value inside the signed token: a token for a deleted row cannot be replayed
    # onto a new row that reuses the id.
    nonce: Mapped[str] = mapped_column(String(32))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The hard end of the link's life; the candidate's process may end it sooner.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    use_count: Mapped[int] = mapped_column(default=0)

    candidate: Mapped[Candidate] = relationship()


class CandidateSession(db.Model):
    """One browser signed in through a link. The cookie names the row; signing out deletes
    it, so a copy of the cookie opens nothing afterwards (as a staff session)."""

    __tablename__ = "candidate_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    link_id: Mapped[int] = mapped_column(
        ForeignKey("magic_link.id", ondelete="CASCADE"), index=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidate.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
