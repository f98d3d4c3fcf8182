"""Self-scheduling: rounds offered to candidates to book, the offer each candidate holds,
the adjustments they ask for, and the interviewers' time their bookings hold.

No double booking, ever: every scheduled interview (booked by the candidate or scheduled
by hand) holds its panel's time in ``interviewer_hold``, written by the lifecycle in the
transaction that schedules or changes it. On PostgreSQL an exclusion
constraint refuses two holds of one interviewer that overlap; on SQLite a trigger does the
same. A hold is the interview's own time, without buffers (see ``InterviewerHold``).
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from sqlalchemy import (
    DDL,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    func,
)
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from portal.accounts.models import User
from portal.extensions import db
from portal.hiring.models import Application, Interview, Opening
from portal.timeutil import UTCDateTime, utcnow

booking_request_interviewer = Table(
    "booking_request_interviewer",
    db.metadata,
    Column("request_id", ForeignKey("booking_request.id", ondelete="CASCADE"),
           primary_key=True),
    Column("user_id", ForeignKey("staff_user.id", ondelete="CASCADE"), primary_key=True),
)


class BookingRequest(db.Model):
    """A round a recruiter offers to one or more candidates of an opening to book
    themselves: its length, panel, window and rules, and where it takes place."""

    __tablename__ = "booking_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    opening_id: Mapped[int] = mapped_column(ForeignKey("opening.id", ondelete="CASCADE"),
                                            index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"))
    round_name: Mapped[str] = mapped_column(String(120))
    duration_minutes: Mapped[int] = mapped_column()
    # None: everyone on the panel sits on every interview; N: any N of the pool.
    required: Mapped[int | None] = mapped_column()
    window_starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    window_ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    notice_hours: Mapped[int] = mapped_column(default=24)
    buffer_before_minutes: Mapped[int] = mapped_column(default=0)
    buffer_after_minutes: Mapped[int] = mapped_column(default=0)
    per_day_limit: Mapped[int | None] = mapped_column()
    platform: Mapped[str] = mapped_column(String(20))
    # A fixed link for every booking, or "" for a new Jitsi room per booking.
    meeting_url: Mapped[str] = mapped_column(String(1000), default="")
    # Candidates change or cancel their booking themselves up to this many hours ahead.
    cutoff_hours: Mapped[int] = mapped_column(default=24)
    what_to_expect: Mapped[str] = mapped_column(Text, default="")
    preparation: Mapped[str] = mapped_column(Text, default="")
    kit_id: Mapped[int | None] = mapped_column(ForeignKey("interview_kit.id",
                                                          ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    opening: Mapped[Opening] = relationship()
    created_by: Mapped[User | None] = relationship()
    interviewers: Mapped[list[User]] = relationship(
        secondary=booking_request_interviewer, order_by="User.name")
    offers: Mapped[list[BookingOffer]] = relationship(
        back_populates="request", order_by="BookingOffer.id", cascade="all, delete-orphan")

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.duration_minutes)

    @property
    def creates_rooms(self) -> bool:
        """Each booking gets a Jitsi room of its own."""
        return not self.meeting_url


class OfferStatus(enum.StrEnum):
    OPEN = "open"            # the candidate may book
    BOOKED = "booked"        # an interview exists (it may be changed or cancelled later)
    WITHDRAWN = "withdrawn"  # staff took the offer back before it was booked
    CLOSED = "closed"        # the process ended before it was booked


class BookingOffer(db.Model):
    """One candidate's invitation to book a round: open until they book, staff withdraw
    it, or their process ends. A candidate who cancels their booking may book again."""

    __tablename__ = "booking_offer"
    __table_args__ = (UniqueConstraint("request_id", "application_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("booking_request.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(12), default=OfferStatus.OPEN.value)
    interview_id: Mapped[int | None] = mapped_column(
        ForeignKey("interview.id", ondelete="SET NULL"), index=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The one reminder to a candidate who has not booked: set when it is claimed.
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    booked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    request: Mapped[BookingRequest] = relationship(back_populates="offers")
    # The backrefs let the candidate's pages load offers with the application or the
    # interview in the same query (``candidate.queries``); the database deletes the rows.
    application: Mapped[Application] = relationship(backref=backref(
        "booking_offers", order_by="BookingOffer.id", passive_deletes=True))
    interview: Mapped[Interview | None] = relationship(backref=backref(
        "booking_offer", uselist=False, passive_deletes=True))

    @property
    def is_open(self) -> bool:
        return self.status == OfferStatus.OPEN


class Adjustment(db.Model):
    """What a candidate asked us to adjust for their interviews in one process, from the
    short list and in their own words. Kept with the application and erased with it."""

    __tablename__ = "booking_adjustment"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), unique=True)
    # Keys from ``adjustments.ADJUSTMENT_KINDS``, comma-separated.
    kinds: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    application: Mapped[Application] = relationship(backref=backref(
        "adjustment", uselist=False, passive_deletes=True))

    @property
    def kind_list(self) -> list[str]:
        return [k for k in self.kinds.split(",") if k]


class InterviewerHold(db.Model):
    """One interviewer's time held by a scheduled interview: [starts_at, ends_at).

    The range is the interview itself, without the round's buffers. The database refuses
    two overlapping holds of one person, which is the rule that must never break (nobody
    is in two interviews at once) whatever rounds the two bookings came from. Buffers are a
    round's own wish, and two rounds may wish differently (or a recruiter may book with
    none): widening each hold by its own buffers would demand both buffers between two
    interviews, twice the gap asked for. So buffers, like working hours, calendars and the
    daily limit, are checked by the slot engine's ``slot_is_free`` right before the write,
    while the bookings that share an interviewer are serialised (``holds.serialise``),
    so that check sees every booking committed before it."""

    __tablename__ = "interviewer_hold"
    __table_args__ = (
        Index("ix_interviewer_hold_interviewer_id_starts_at", "interviewer_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    interviewer_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"))
    interview_id: Mapped[int] = mapped_column(
        ForeignKey("interview.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())


_hold = InterviewerHold.__table__
_hold.append_constraint(ExcludeConstraint(  # needs btree_gist for "=" on an integer
    (_hold.c.interviewer_id, "="), (func.tstzrange(_hold.c.starts_at, _hold.c.ends_at), "&&"),
    name="ex_interviewer_hold_overlap", using="gist").ddl_if(dialect="postgresql"))

# SQLite has no exclusion constraints: a trigger refuses an overlapping hold the same way
# (the migration makes it too; this covers a schema made by ``create_all``).
SQLITE_NO_OVERLAP = """
CREATE TRIGGER IF NOT EXISTS tr_interviewer_hold_no_overlap
BEFORE INSERT ON interviewer_hold
WHEN EXISTS (SELECT 1 FROM interviewer_hold h
             WHERE h.interviewer_id = NEW.interviewer_id
               AND h.starts_at < NEW.ends_at AND NEW.starts_at < h.ends_at)
BEGIN
    SELECT RAISE(ABORT, 'ex_interviewer_hold_overlap');
END
"""

event.listen(_hold, "after_create",
             DDL(SQLITE_NO_OVERLAP).execute_if(dialect="sqlite"))
