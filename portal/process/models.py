"""The stage history: every move of an application, who made it, from where, to where, why."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.hiring.models import Stage
from portal.timeutil import UTCDateTime, utcnow


class StageChange(db.Model):
    """One move of an application between stages. The first row of an application has no
    ``from_stage``: it is the application itself."""

    __tablename__ = "stage_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True)
    from_stage_id: Mapped[int | None] = mapped_column(ForeignKey("stage.id"))
    to_stage_id: Mapped[int] = mapped_column(ForeignKey("stage.id"))
    # "staff", "candidate" or "system" (the worker, retention, a booking).
    actor_kind: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[int | None] = mapped_column()
    # The transition's name ("apply", "advance", "reject", ...) and the person's reason.
    transition: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    from_stage: Mapped[Stage | None] = relationship(foreign_keys=[from_stage_id])
    to_stage: Mapped[Stage] = relationship(foreign_keys=[to_stage_id])


class StageEntryMessage(db.Model):
    """The last time a stage rule wrote to an application's candidate on entering a stage.
    One row per application and stage (the key): moving out and back within
    ``ENTRY_MESSAGE_QUIET`` does not write again, and two moves at once cannot both insert."""

    __tablename__ = "stage_entry_message"

    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("stage.id", ondelete="CASCADE"),
                                          primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
