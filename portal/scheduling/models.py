"""Working hours, days off, calendar connections and what was read from them."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.timeutil import UTCDateTime, utcnow


class InterviewerSchedule(db.Model):
    """A staff member's own time zone; their working hours and days off hang off the user.
    A member without this row works the default week (``DEFAULT_HOURS``) in the portal's
    zone."""

    __tablename__ = "interviewer_schedule"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WorkingHours(db.Model):
    """One weekday's working time in the member's zone, in minutes after local midnight
    (wall-clock, so 09:00 stays 09:00 across a change to or from summer time). A weekday
    without a row is not worked (once the member has saved a schedule)."""

    __tablename__ = "working_hours"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), primary_key=True)
    weekday: Mapped[int] = mapped_column(primary_key=True)  # 0 Monday .. 6 Sunday
    start_minute: Mapped[int] = mapped_column()
    end_minute: Mapped[int] = mapped_column()  # up to 1440 (midnight at the end)
    break_start: Mapped[int | None] = mapped_column()
    break_end: Mapped[int | None] = mapped_column()


class DayOff(db.Model):
    """A whole local day the member does not interview."""

    __tablename__ = "day_off"
    __table_args__ = (UniqueConstraint("user_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"),
                                         index=True)
    day: Mapped[date] = mapped_column()


class ConnectionKind(enum.StrEnum):
    CALDAV = "caldav"  # read and written (interviews are put into it)
    ICS = "ics"  # a private free/busy or calendar address: read only


class CalendarConnection(db.Model):
    """A calendar of a staff member that the portal reads (and, for CalDAV, writes
    interviews into). Everything that opens it (addresses, user name, password) is in
    ``secret``, encrypted with ``CALENDAR_KEY``; ``label`` is what pages show."""

    __tablename__ = "calendar_connection"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"),
                                         index=True)
    kind: Mapped[str] = mapped_column(String(10))
    label: Mapped[str] = mapped_column(String(200))  # e.g. "Work · cal.example.com"
    secret: Mapped[str] = mapped_column(Text)  # Fernet token of the JSON that opens it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The worker's claim: it refreshes a connection once this has passed, and moves it on
    # in the same conditional update, so a second worker skips it.
    next_refresh_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when the last read failed (cleared by a good one): the member counts as busy.
    last_error: Mapped[str] = mapped_column(Text, default="")
    # The busy blocks cover times up to here; later times count as busy.
    covered_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    busy_count: Mapped[int] = mapped_column(default=0)
    # The last failure to write an interview into this calendar (CalDAV only).
    last_sync_error: Mapped[str] = mapped_column(Text, default="")


class BusyBlock(db.Model):
    """A busy time read from a connection, in UTC. ``uid`` is the event's UID: an event
    that is one of the portal's own interviews (written back) is not counted twice."""

    __tablename__ = "busy_block"
    __table_args__ = (Index("ix_busy_block_connection_starts", "connection_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("calendar_connection.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    uid: Mapped[str] = mapped_column(String(255), default="")


class CalendarEventCopy(db.Model):
    """Where an interview was written into a CalDAV calendar, so a change moves it and a
    cancellation (or leaving the panel) deletes it. ``interview_id`` has no foreign key:
    the copy must outlive the interview's row to be deleted."""

    __tablename__ = "calendar_event_copy"
    __table_args__ = (UniqueConstraint("interview_id", "connection_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(index=True)
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("calendar_connection.id", ondelete="CASCADE"), index=True)
    href: Mapped[str] = mapped_column(String(1000))
    sequence: Mapped[int] = mapped_column(default=0)
    written_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CalendarSyncJob(db.Model):
    """An interview whose calendar copies must be brought up to date by the worker. One
    row per interview; queueing again bumps ``version``, so a worker that finishes an older
    version leaves the row for another pass."""

    __tablename__ = "calendar_sync_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(unique=True)
    version: Mapped[int] = mapped_column(default=1)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")


class CalendarFeed(db.Model):
    """A staff member's private calendar address (an ICS feed of their interviews) that a
    calendar app subscribes to without signing in. Only the SHA-256 of its secret token is
    kept: the address is shown once, when made; revoking deletes the row, and making a new
    one replaces it (the old address answers 404 from then on)."""

    __tablename__ = "calendar_feed"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When a calendar app last fetched it (kept to a few minutes' precision).
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
