"""Free times for a panel: the slot engine over what the database holds.

Busy time for an interviewer is the time outside their working hours or on a day off,
the busy blocks read from their calendars, and the portal's own scheduled interviews they
sit on, each widened by the rules' buffers (``portal.scheduling.engine``). The data is
loaded with one query per kind, for the whole panel at once.

Fail closed: a member whose calendar could not be read at its last try, has never been
read, or was last read more than ``STALE_AFTER`` ago, is busy all the time; ``unreadable``
says why, and no slot depends on them. So is a member who is no active staff member.
Times past what a calendar covers (its horizon) are busy too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.hiring.models import Interview, InterviewStatus, interview_interviewer
from portal.scheduling.calendars import STALE_AFTER, error_words
from portal.scheduling.engine import (
    DEFAULT_WEEK,
    Member,
    Period,
    Slot,
    SlotRules,
    compute_slots,
)
from portal.scheduling.models import (
    BusyBlock,
    CalendarConnection,
    DayOff,
    InterviewerSchedule,
    WorkingHours,
)
from portal.timeutil import zone

__all__ = ["Availability", "Slot", "SlotRules", "free_slots", "load_members", "slot_is_free"]

# The longest interview the portal books (minutes): how far back an interview may start
# and still overlap the window.
_LONGEST = timedelta(minutes=480)


@dataclass
class Availability:
    slots: list[Slot]
    unreadable: dict[int, str]  # interviewer id -> why their calendar could not be read


def _default_zone() -> str:
    if has_app_context():
        return str(current_app.config["PORTAL"].default_timezone)
    return "Europe/Stockholm"


def connection_problem(connection: CalendarConnection, now: datetime) -> str | None:
    """Why this connection cannot be trusted now (stored error code), or None."""
    if connection.last_error:
        return connection.last_error
    if connection.last_success_at is None:
        return "never"
    if now - connection.last_success_at > STALE_AFTER:
        return "stale"
    return None


def load_members(db: Session, interviewer_ids: Sequence[int], start: datetime, end: datetime,
                 now: datetime, rules: SlotRules,
                 ignore_interview_id: int | None = None) -> tuple[list[Member], dict[int, str]]:
    """The engine's members for ``interviewer_ids`` (in that order, once each) around
    [start, end), and the ones left out with the reason. One query per kind of data."""
    ids = list(dict.fromkeys(interviewer_ids))
    unreadable: dict[int, str] = {}
    if not ids:
        return [], unreadable
    active = set(db.scalars(select(User.id).where(User.id.in_(ids), User.active.is_(True))))
    zones = {user_id: name for user_id, name in db.execute(
        select(InterviewerSchedule.user_id, InterviewerSchedule.timezone)
        .where(InterviewerSchedule.user_id.in_(ids)))}
    weeks: dict[int, dict[int, Period]] = defaultdict(dict)
    for row in db.scalars(select(WorkingHours).where(WorkingHours.user_id.in_(ids))):
        weeks[row.user_id][row.weekday] = Period(row.start_minute, row.end_minute,
                                                 row.break_start, row.break_end)
    first_day = (start - timedelta(days=2)).date()
    last_day = (end + timedelta(days=2)).date()
    days_off: dict[int, set] = defaultdict(set)
    for user_id, day in db.execute(select(DayOff.user_id, DayOff.day).where(
            DayOff.user_id.in_(ids), DayOff.day >= first_day, DayOff.day <= last_day)):
        days_off[user_id].add(day)
    covered: dict[int, datetime | None] = {}
    for connection in db.scalars(select(CalendarConnection).where(
            CalendarConnection.user_id.in_(ids)).order_by(CalendarConnection.id)):
        problem = connection_problem(connection, now)
        if problem is not None and connection.user_id not in unreadable:
            unreadable[connection.user_id] = _("%(calendar)s: %(why)s",
                                               calendar=connection.label,
                                               why=error_words(problem))
        until = connection.covered_until
        if until is not None:
            before = covered.get(connection.user_id)
            covered[connection.user_id] = until if before is None else min(before, until)
        else:
            covered.setdefault(connection.user_id, None)
    # Busy blocks, less the events that are the portal's own interviews (written back to
    # the calendar): those count below, as interviews, so a cancelled or moved one frees
    # its old time at once.
    busy_from = start - rules.buffer_before - timedelta(days=1)
    busy_to = end + rules.buffer_after + timedelta(days=1)
    busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for user_id, block_start, block_end in db.execute(
            select(CalendarConnection.user_id, BusyBlock.starts_at, BusyBlock.ends_at)
            .join(CalendarConnection, CalendarConnection.id == BusyBlock.connection_id)
            .outerjoin(Interview, and_(BusyBlock.uid != "", Interview.uid == BusyBlock.uid))
            .where(CalendarConnection.user_id.in_(ids), Interview.id.is_(None),
                   BusyBlock.starts_at < busy_to, BusyBlock.ends_at > busy_from)):
        busy[user_id].append((block_start, block_end))
    # The portal's interviews: busy time, and counted per day (limit) and week (fairness).
    starts: dict[int, list[datetime]] = defaultdict(list)
    query = (select(interview_interviewer.c.user_id, Interview.starts_at,
                    Interview.duration_minutes)
             .join(Interview, Interview.id == interview_interviewer.c.interview_id)
             .where(interview_interviewer.c.user_id.in_(ids),
                    Interview.status == InterviewStatus.SCHEDULED.value,
                    Interview.starts_at >= start - timedelta(days=8) - _LONGEST,
                    Interview.starts_at < end + timedelta(days=8)))
    if ignore_interview_id is not None:
        query = query.where(Interview.id != ignore_interview_id)
    for user_id, interview_start, minutes in db.execute(query):
        starts[user_id].append(interview_start)
        busy[user_id].append((interview_start, interview_start + timedelta(minutes=minutes)))
    members = []
    default_zone = _default_zone()
    for user_id in ids:
        if user_id not in active:
            unreadable[user_id] = _("not an active staff member")
            continue
        if user_id in unreadable:
            continue
        members.append(Member(
            id=user_id, tz=zone(zones.get(user_id), default_zone),
            week=weeks[user_id] if user_id in zones else dict(DEFAULT_WEEK),
            days_off=frozenset(days_off[user_id]), busy=busy[user_id],
            interview_starts=starts[user_id], covered_until=covered.get(user_id)))
    return members, unreadable


def free_slots(db: Session, interviewer_ids: Sequence[int], rules: SlotRules, now: datetime,
               ignore_interview_id: int | None = None) -> Availability:
    """The free slots within the rules' window for the panel (every member, or any
    ``rules.required`` of the pool). ``ignore_interview_id``: an interview being moved,
    which must not collide with itself."""
    members, unreadable = load_members(db, interviewer_ids, rules.window_start,
                                       rules.window_end, now, rules, ignore_interview_id)
    if rules.required is None and unreadable:
        return Availability([], unreadable)  # a slot would depend on someone unknown
    return Availability(compute_slots(members, rules, now), unreadable)


def slot_is_free(db: Session, interviewer_ids: Sequence[int], start: datetime,
                 rules: SlotRules, now: datetime,
                 ignore_interview_id: int | None = None) -> bool:
    """Is ``start`` still free under ``rules`` (inside its window, after its notice)?
    The same test ``free_slots`` makes, for one time, on or off the grid."""
    end = start + rules.duration
    if start < rules.window_start or end > rules.window_end:
        return False
    members, unreadable = load_members(db, interviewer_ids, start, end, now, rules,
                                       ignore_interview_id)
    if rules.required is None and unreadable:
        return False
    narrow = replace(rules, window_start=start, window_end=end)
    return bool(compute_slots(members, narrow, now, starts=[start]))
