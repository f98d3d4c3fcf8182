"""Interview kits (versioned), scorecards and their amendments."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.timeutil import UTCDateTime, utcnow

if TYPE_CHECKING:
    from portal.hiring.models import Opening


class InterviewKit(db.Model):
    """The questions and competencies of one round of an opening. Once an interview has
    used a version, editing makes a new version: everyone in a round is judged alike."""

    __tablename__ = "interview_kit"
    __table_args__ = (UniqueConstraint("opening_id", "name", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    opening_id: Mapped[int] = mapped_column(ForeignKey("opening.id", ondelete="CASCADE"),
                                            index=True)
    name: Mapped[str] = mapped_column(String(120))
    version: Mapped[int] = mapped_column(default=1)
    scale_max: Mapped[int] = mapped_column(default=4)
    in_use: Mapped[bool] = mapped_column(default=False)
    superseded: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    competencies: Mapped[list[KitCompetency]] = relationship(
        back_populates="kit", order_by="KitCompetency.position", cascade="all, delete-orphan")
    # The kits page names the opening a kit can be copied from.
    opening: Mapped[Opening] = relationship(viewonly=True)


class KitCompetency(db.Model):
    """What is judged, how much it weighs, and what each level of the scale looks like."""

    __tablename__ = "kit_competency"

    id: Mapped[int] = mapped_column(primary_key=True)
    kit_id: Mapped[int] = mapped_column(ForeignKey("interview_kit.id", ondelete="CASCADE"),
                                        index=True)
    position: Mapped[int] = mapped_column()
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    weight: Mapped[int] = mapped_column(default=1)
    anchors: Mapped[str] = mapped_column(Text, default="")  # one line per level, 1 first
    questions: Mapped[str] = mapped_column(Text, default="")  # one question per line

    kit: Mapped[InterviewKit] = relationship(back_populates="competencies")

    @property
    def anchor_list(self) -> list[str]:
        return [a.strip() for a in self.anchors.splitlines() if a.strip()]

    @property
    def question_list(self) -> list[str]:
        return [q.strip() for q in self.questions.splitlines() if q.strip()]


class Recommendation(enum.StrEnum):
    STRONG_NO = "strong_no"
    NO = "no"
    NONE = "none"
    YES = "yes"
    STRONG_YES = "strong_yes"


class Scorecard(db.Model):
    """One interviewer's judgement of one interview. Submitting locks it."""

    __tablename__ = "scorecard"
    __table_args__ = (UniqueConstraint("interview_id", "interviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interview.id", ondelete="CASCADE"),
                                              index=True)
    interviewer_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    kit_id: Mapped[int] = mapped_column(ForeignKey("interview_kit.id"), index=True)
    recommendation: Mapped[str] = mapped_column(String(20), default=Recommendation.NONE.value)
    notes: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    ratings: Mapped[list[ScorecardRating]] = relationship(
        back_populates="scorecard", cascade="all, delete-orphan")

    @property
    def submitted(self) -> bool:
        return self.submitted_at is not None


class ScorecardRating(db.Model):
    """A rating and notes for one competency (question notes are kept with it)."""

    __tablename__ = "scorecard_rating"
    __table_args__ = (UniqueConstraint("scorecard_id", "competency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("scorecard.id", ondelete="CASCADE"),
                                              index=True)
    competency_id: Mapped[int] = mapped_column(ForeignKey("kit_competency.id"))
    rating: Mapped[int | None] = mapped_column()
    notes: Mapped[str] = mapped_column(Text, default="")
    # Notes per question of the competency, in the kit's order (JSON list of strings).
    question_notes: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")

    scorecard: Mapped[Scorecard] = relationship(back_populates="ratings")

    @property
    def question_note_list(self) -> list[str]:
        import json

        try:
            value = json.loads(self.question_notes or "[]")
        except ValueError:
            return []
        return [str(v) for v in value] if isinstance(value, list) else []


class ScorecardAmendment(db.Model):
    """Audit trail: a change to a submitted scorecard, by whom, when and why."""

    __tablename__ = "scorecard_amendment"

    id: Mapped[int] = mapped_column(primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("scorecard.id", ondelete="CASCADE"),
                                              index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reason: Mapped[str] = mapped_column(Text)
    before: Mapped[str] = mapped_column(Text)  # JSON
    after: Mapped[str] = mapped_column(Text)  # JSON
