"""The interviewers' time that scheduled interviews hold, and the locks a booking takes.

No double booking, ever: every scheduled interview's panel holds [start, end) in
``interviewer_hold``, whether the candidate booked it or a recruiter scheduled it by hand,
written in the transaction that schedules, moves or re-staffs it; the database refuses two
overlapping holds of one person (``models.InterviewerHold`` says why buffers are not part of
the held range). Before its last check a change takes its locks (``serialise`` for a
booking, ``lock_interviewers`` for any change), so changes that share an interviewer run
one after the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.booking.models import BookingOffer, InterviewerHold
from portal.errors import DomainError
from portal.hiring.models import Application, Interview
from portal.locks import is_postgresql, lock


class SlotTaken(DomainError):
    """The chosen time is no longer free: someone booked it first, or an interviewer's
    calendar filled it since the page was shown."""

    def __init__(self) -> None:
        super().__init__(_l("That time was just taken. Here are the times still free."))


class HoldClash(DomainError):
    """A change would put an interviewer in two interviews at once. The message names
    them and the interview they already have, in the reader's language and in ``tzname``
    (the zone the time was chosen in), formatted when it is shown."""

    def __init__(self, name: str | None = None, starts_at: datetime | None = None,
                 ends_at: datetime | None = None, tzname: str | None = None) -> None:
        super().__init__(LazyString(_clash_words, name, starts_at, ends_at, tzname),
                         field="time")
        self.name, self.starts_at, self.ends_at = name, starts_at, ends_at


def _clash_words(name: str | None, starts_at: datetime | None, ends_at: datetime | None,
                 tzname: str | None) -> str:
    if name is None or starts_at is None or ends_at is None:
        # Only the database's own refusal, in a race the locks should have prevented.
        return _("Someone on the panel already has an interview at that time. Choose "
                 "another time.")
    from portal.web import fmt_when

    return _("%(name)s already has an interview at that time: %(when)s. Choose another "
             "time or another panel.", name=name, when=fmt_when(starts_at, ends_at, tzname))


def serialise(db: Session, application: Application, offer: BookingOffer,
              interviewer_ids: Sequence[int]) -> BookingOffer:
    """Take the locks a booking needs before its last check, always in this order: the
    application's row (as every lifecycle transition does), the offer's, then each
    interviewer's in id order. Bookings that share an interviewer then run one after the
    other, and the second one's check sees what the first committed.

    PostgreSQL: row locks, then a transaction-level advisory lock per interviewer (nothing
    else waits on them). SQLite: the first lock takes the database's write lock, which
    serialises every writer."""
    lock(db, application)
    offer = lock(db, offer)
    lock_interviewers(db, interviewer_ids)
    return offer


def lock_interviewers(db: Session, interviewer_ids: Sequence[int]) -> None:
    """Each interviewer's lock, in id order, held until the transaction ends: every change
    that puts people on an interview takes them (after the application's row lock) before
    it checks their held time, so two such changes that share a person run one after the
    other. PostgreSQL: a transaction-level advisory lock per person (taking it twice in
    one transaction is harmless). SQLite: the application's lock already took the
    database's write lock, which serialises every writer."""
    if is_postgresql(db):
        for user_id in sorted(set(interviewer_ids)):
            db.execute(text("SELECT pg_advisory_xact_lock(:space, :key)"),
                       {"space": HOLD_LOCK_SPACE, "key": user_id})


# The first key of the interviewers' advisory locks (any fixed number; ours alone).
HOLD_LOCK_SPACE = 0x6D1B


def hold(db: Session, interview: Interview) -> None:
    """Write the panel's holds for ``interview``. The database refuses an overlap (an
    exclusion constraint on PostgreSQL, a trigger on SQLite) with an ``IntegrityError``;
    ``hold_panel`` is the checked way in."""
    for user in interview.interviewers:
        db.add(InterviewerHold(interviewer_id=user.id, interview_id=interview.id,
                               starts_at=interview.starts_at, ends_at=interview.ends_at))
    db.flush()


def release(db: Session, interview: Interview) -> None:
    """The interview is off: its held time is free again."""
    db.execute(delete(InterviewerHold).where(InterviewerHold.interview_id == interview.id)
               .execution_options(synchronize_session=False))


def first_clash(db: Session, interview: Interview) -> tuple[str, datetime, datetime] | None:
    """The first interview (by start) that already holds one of ``interview``'s panel
    during its time: (the person's name, that hold's start and end), or None."""
    ids = [u.id for u in interview.interviewers]
    if not ids:
        return None
    row = db.execute(
        select(User.name, InterviewerHold.starts_at, InterviewerHold.ends_at)
        .join(InterviewerHold, InterviewerHold.interviewer_id == User.id)
        .where(InterviewerHold.interviewer_id.in_(ids),
               InterviewerHold.interview_id != interview.id,
               InterviewerHold.starts_at < interview.ends_at,
               InterviewerHold.ends_at > interview.starts_at)
        .order_by(InterviewerHold.starts_at, User.name).limit(1)).first()
    return (row[0], row[1], row[2]) if row is not None else None


def hold_panel(db: Session, interview: Interview, tzname: str | None = None) -> None:
    """After an interview is scheduled, moved or its panel changed: its held time follows
    its time and panel (a cancelled one holds nothing). Takes the interviewers' locks
    (the caller holds the application's), then refuses with ``HoldClash``, naming the
    person and the interview they already have (shown in ``tzname``), a change that would
    put someone in two interviews at once. The caller rolls back on ``HoldClash``."""
    lock_interviewers(db, [u.id for u in interview.interviewers])
    release(db, interview)
    if interview.is_cancelled or not interview.interviewers:
        return
    clash = first_clash(db, interview)
    if clash is not None:
        raise HoldClash(*clash, tzname=tzname)
    try:
        hold(db, interview)
    except IntegrityError:
        # The database's last net (a writer that skipped the locks): the session's
        # transaction is spoilt, and the caller rolls it back.
        raise HoldClash() from None

