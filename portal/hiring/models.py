"""The hiring domain: openings with ordered stages, candidates, applications, interviews."""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, UniqueConstraint, text
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.extensions import db
from portal.i18n import stored_words
from portal.timeutil import UTCDateTime, utcnow


class StageKind(enum.StrEnum):
    """Open stages move on; the three ends close a process."""

    OPEN = "open"
    HIRED = "hired"
    NOT_SELECTED = "not_selected"
    WITHDRAWN = "withdrawn"


# The internal names a new opening's stages start with (hiring.services.DEFAULT_STAGES), in
# the reader's language. Staff may rename a stage; a name they typed is shown as typed.
DEFAULT_STAGE_WORDS = {
    "Applied": _l("Applied"),
    "Screening": _l("Screening"),
    "Interview": _l("Interview"),
    "Final interview": _l("Final interview"),
    "References": _l("References"),
    "Offer": _l("Offer"),
    "Hired": _l("Hired"),
    "Not selected": _l("Not selected"),
    "Withdrawn": _l("Withdrawn"),
}


def stage_label(name: str) -> str:
    """A stage's internal name for staff to read: a default name in their language."""
    return stored_words(DEFAULT_STAGE_WORDS, name)

# Where an application came from, and what a flag on it tells the recruiter.
SOURCE_WORDS = {
    "staff": _l("Added by staff"),
    "public_page": _l("Public page"),
    "import": _l("Imported"),
    "pool": _l("Talent pool"),
}
FLAG_WORDS = {
    "again_open": _l("Applied again on the public page while this process was open"),
    "again_rejected": _l("Applied again on the public page within 6 months of being "
                         "turned down"),
    "again_closed": _l("Applied again on the public page after this process closed"),
}


class Opening(db.Model):
    """A role being hired for."""

    __tablename__ = "opening"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    team: Mapped[str] = mapped_column(String(120), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(2), default="sv")
    archived: Mapped[bool] = mapped_column(default=False)
    # Who may read scorecards: "after_submit" (an interviewer sees others' only after
    # submitting their own), "always", or "managers" (admins and recruiters only).
    feedback_visibility: Mapped[str] = mapped_column(String(20), default="after_submit",
                                                     server_default="after_submit")
    # Every candidate hears from us within this many working days after each interview.
    response_days: Mapped[int] = mapped_column(default=5, server_default="5")
    # The questions referees answer, one per line (empty: the default questionnaire).
    reference_questions: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The opening's public page (/jobs/<id>) takes applications only while this is on.
    published: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The person candidates' answers reach: Reply-To of messages to the opening's
    # candidates, and the one told when a candidate writes.
    recruiter_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"))
    # The brand candidates see for this opening; None: the organisation's default brand.
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("brand.id", ondelete="SET NULL"))

    recruiter: Mapped[User | None] = relationship(foreign_keys=[recruiter_id])
    stages: Mapped[list[Stage]] = relationship(
        back_populates="opening", order_by="Stage.position", cascade="all, delete-orphan"
    )
    applications: Mapped[list[Application]] = relationship(back_populates="opening")


class Stage(db.Model):
    """A step in an opening's process, with an internal name and the name a candidate sees."""

    __tablename__ = "stage"
    __table_args__ = (UniqueConstraint("opening_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    opening_id: Mapped[int] = mapped_column(ForeignKey("opening.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column()
    name: Mapped[str] = mapped_column(String(80))
    public_name_en: Mapped[str] = mapped_column(String(80))
    public_name_sv: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20), default=StageKind.OPEN.value)
    # The stage rule: the message template (a ``MessageTemplate`` kind) the candidate is
    # sent on entering this stage; empty means none (the default).
    entry_message: Mapped[str] = mapped_column(String(30), default="", server_default="")

    opening: Mapped[Opening] = relationship(back_populates="stages")

    @property
    def is_end(self) -> bool:
        return self.kind != StageKind.OPEN

    @property
    def display_name(self) -> str:
        """The internal name in the reader's language (a default name is translated)."""
        return stage_label(self.name)

    def public_name(self, language: str) -> str:
        return self.public_name_sv if language == "sv" else self.public_name_en


class Candidate(db.Model):
    """A person in one or more hiring processes. They never have a password."""

    __tablename__ = "candidate"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    phone: Mapped[str] = mapped_column(String(40), default="")
    language: Mapped[str] = mapped_column(String(2), default="sv")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Stockholm")
    # Who set the zone: "default" (nobody: the first visit may take the device's),
    # "recruiter", "browser" (the device, on the first visit) or "candidate".
    timezone_source: Mapped[str] = mapped_column(String(12), default="default")
    first_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    applications: Mapped[list[Application]] = relationship(
        back_populates="candidate", cascade="all, delete-orphan"
    )

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.split() else self.name


class Application(db.Model):
    """A candidate in one opening's process."""

    __tablename__ = "application"
    __table_args__ = (
        UniqueConstraint("candidate_id", "opening_id"),
        # "Answer overdue" on the candidates page: only open applications carry a promise.
        Index("ix_application_open_next_step_by", "next_step_by",
              postgresql_where=text("closed_at IS NULL"), sqlite_where=text("closed_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidate.id", ondelete="CASCADE"), index=True
    )
    opening_id: Mapped[int] = mapped_column(ForeignKey("opening.id"), index=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("stage.id"))
    next_step_by: Mapped[date | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # An end stage is shown in the portal only once the candidate has been told.
    outcome_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Where the candidate last stood in an open stage: what the portal shows until then.
    last_open_stage_id: Mapped[int | None] = mapped_column(ForeignKey("stage.id"))
    # How the application came in: "staff" (typed in), "public_page", "import", "pool".
    source: Mapped[str] = mapped_column(String(20), default="staff", server_default="staff",
                                        index=True)
    # Something for the recruiter to see: the person applied again on the public page
    # while this application was open ("again_open"), soon after being turned down
    # ("again_rejected") or after it closed otherwise ("again_closed").
    flag: Mapped[str] = mapped_column(String(40), default="", server_default="")
    flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The CV sent with a public application (a PDF kept outside the static folder).
    cv_key: Mapped[str | None] = mapped_column(String(64))
    cv_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    cv_size: Mapped[int] = mapped_column(default=0, server_default="0")
    # Its text, for "find anyone" (recruiters search it, interviewers do not).
    cv_text: Mapped[str] = mapped_column(Text, default="", server_default="")

    candidate: Mapped[Candidate] = relationship(back_populates="applications")
    opening: Mapped[Opening] = relationship(back_populates="applications")
    stage: Mapped[Stage] = relationship(foreign_keys=[stage_id])
    last_open_stage: Mapped[Stage | None] = relationship(foreign_keys=[last_open_stage_id])
    interviews: Mapped[list[Interview]] = relationship(
        back_populates="application", order_by="Interview.starts_at", cascade="all, delete-orphan"
    )

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    @property
    def source_label(self) -> str:
        return stored_words(SOURCE_WORDS, self.source)

    @property
    def flag_label(self) -> str:
        return str(FLAG_WORDS.get(self.flag, "")) if self.flag else ""

    @property
    def shown_stage(self) -> Stage:
        """The stage the candidate sees: an end stage only once they have been told."""
        if self.outcome_shown:
            return self.stage
        return self.last_open_stage or self.stage

    @property
    def outcome_shown(self) -> bool:
        """The candidate sees an end stage only once they have been told."""
        return not self.stage.is_end or self.outcome_published_at is not None


def application_cv_path(upload_dir: str, key: str) -> Path:
    """Where the CV sent with a public application is kept (outside the static folder)."""
    return Path(upload_dir) / "applications" / f"{key}.pdf"


interview_interviewer = Table(
    "interview_interviewer",
    db.metadata,
    Column("interview_id", ForeignKey("interview.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("staff_user.id", ondelete="CASCADE"), primary_key=True),
    # When this panel member was last reminded of a missing scorecard: the worker claims
    # the reminder by setting it (a conditional update), so it goes out once per day.
    Column("scorecard_reminded_at", UTCDateTime(), nullable=True),
)


class InterviewStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class Response(enum.StrEnum):
    """The candidate's answer to an invitation."""

    NONE = "none"
    CONFIRMED = "confirmed"
    RESCHEDULE = "reschedule"


class Interview(db.Model):
    """One remote interview round with a candidate."""

    __tablename__ = "interview"
    __table_args__ = (Index("ix_interview_starts_at_status", "starts_at", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    round_name: Mapped[str] = mapped_column(String(120))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    duration_minutes: Mapped[int] = mapped_column(default=45)
    platform: Mapped[str] = mapped_column(String(20))
    meeting_url: Mapped[str] = mapped_column(String(1000))
    what_to_expect: Mapped[str] = mapped_column(Text, default="")
    preparation: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=InterviewStatus.SCHEDULED.value)
    uid: Mapped[str] = mapped_column(String(120), unique=True)
    kit_id: Mapped[int | None] = mapped_column(ForeignKey("interview_kit.id"), index=True)
    # The stage of the process this round belongs to.
    stage_id: Mapped[int | None] = mapped_column(ForeignKey("stage.id"))
    sequence: Mapped[int] = mapped_column(default=0)
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    response: Mapped[str] = mapped_column(String(20), default=Response.NONE.value)
    response_message: Mapped[str] = mapped_column(Text, default="")
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    application: Mapped[Application] = relationship(back_populates="interviews")
    interviewers: Mapped[list[User]] = relationship(
        secondary=interview_interviewer, order_by="User.name"
    )

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def is_cancelled(self) -> bool:
        return self.status == InterviewStatus.CANCELLED
