"""The interviewers' time that booked interviews hold, and the locks a booking takes.

No double booking, ever: a booked interview's panel holds [start, end) in
``interviewer_hold``, written in the booking's transaction; the database refuses two
overlapping holds of one person (``models.InterviewerHold`` says why buffers are not part of
the held range). Before its last check a booking takes its locks (``serialise``), so
bookings that share an interviewer run one after the other.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, text
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
    """A change would put an interviewer in two booked interviews at once."""


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
    if is_postgresql(db):
        for user_id in sorted(set(interviewer_ids)):
            db.execute(text("SELECT pg_advisory_xact_lock(:space, :key)"),
                       {"space": HOLD_LOCK_SPACE, "key": user_id})
    return offer


# The first key of the interviewers' advisory locks (any fixed number; ours alone).
HOLD_LOCK_SPACE = 0x6D1B


def hold(db: Session, interview: Interview) -> None:
    """Hold the panel's time for a booked interview. The database refuses an overlap (an
    exclusion constraint on PostgreSQL, a trigger on SQLite): the caller turns that into
    "just taken"."""
    for user in interview.interviewers:
        db.add(InterviewerHold(interviewer_id=user.id, interview_id=interview.id,
                               starts_at=interview.starts_at, ends_at=interview.ends_at))
    db.flush()


def release(db: Session, interview: Interview) -> None:
    """The interview is off: its held time is free again."""
    db.execute(delete(InterviewerHold).where(InterviewerHold.interview_id == interview.id)
               .execution_options(synchronize_session=False))


def sync_holds(db: Session, interview: Interview) -> None:
    """After a change to an interview: a booked interview's holds follow its time and
    panel (an interview staff scheduled by hand holds nothing). A change that would put
    someone in two booked interviews at once is refused."""
    held = db.scalar(select(func.count(InterviewerHold.id)).where(
        InterviewerHold.interview_id == interview.id)) or 0
    if not held:
        return
    release(db, interview)
    if interview.is_cancelled:
        return
    ids = [u.id for u in interview.interviewers]
    clash = db.scalar(select(User.name).join(InterviewerHold,
                                             InterviewerHold.interviewer_id == User.id)
                      .where(InterviewerHold.interviewer_id.in_(ids),
                             InterviewerHold.starts_at < interview.ends_at,
                             InterviewerHold.ends_at > interview.starts_at).limit(1))
    if clash:
        raise HoldClash(_l("%(name)s has another booked interview at that time.",
                           name=clash), field="time")
    hold(db, interview)
