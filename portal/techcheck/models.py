"""Stored tech-check results: what the browser measured and how it was scored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.timeutil import UTCDateTime, utcnow


class TechCheckResult(db.Model):
    """One run of the tech check by a candidate."""

    __tablename__ = "tech_check_result"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidate.id", ondelete="CASCADE"), index=True)
    interview_id: Mapped[int | None] = mapped_column(
        ForeignKey("interview.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    verdict: Mapped[str] = mapped_column(String(20))
    schema_version: Mapped[int] = mapped_column()
    thresholds_version: Mapped[str] = mapped_column(String(40))
    browser: Mapped[str] = mapped_column(String(80), default="")
    system: Mapped[str] = mapped_column(String(80), default="")
    report: Mapped[str] = mapped_column(Text)  # JSON: the scored checks
    payload: Mapped[str] = mapped_column(Text)  # JSON: what the browser sent

    @property
    def passed(self) -> bool:
        return self.verdict in ("ready", "warnings")
