"""A week at a glance for staff.

One interviewer's week: their working hours, days off, the busy times read from their
calendars (only "busy": the portal keeps no details), the portal's interviews they sit on,
and the booking requests they are in whose window is open that week. One opening's week:
its interviews, the requests open that week, and every candidate who holds an open offer
and has not booked yet, with where their 48-hour reminder stands.

Everything is gathered as UTC intervals, then laid out per local day of the zone the page
is shown in (``layout``): a grid of quarter-hour rows for wide screens, and the same items
as a list per day for phones. Plain functions over an explicit session; they never commit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session, selectinload

from portal.accounts.models import User
from portal.booking.models import BookingOffer, BookingRequest, OfferStatus
from portal.booking.services import REMIND_AFTER, REMIND_UNTIL
from portal.errors import NotFound
from portal.hiring.models import (
    Application,
    Interview,
    InterviewStatus,
    Opening,
    interview_interviewer,
)
from portal.scheduling.availability import connection_problem
from portal.scheduling.calendars import error_words
from portal.scheduling.engine import DEFAULT_WEEK, Period, wall
from portal.scheduling.models import (
    BusyBlock,
    CalendarConnection,
    DayOff,
    InterviewerSchedule,
    WorkingHours,
)
from portal.settings import Settings
from portal.timeutil import is_sane_date, zone

# The grid's rows are quarter hours; it shows at least these hours of each day, and more
# when working hours, interviews or short busy times fall outside them.
ROW_MINUTES = 15
DEFAULT_FIRST, DEFAULT_LAST = 8 * 60, 17 * 60
# A busy time this long or longer (a holiday, an all-day event) does not stretch the grid
# to the whole day: it is cut to the hours shown.
LONG_BUSY = timedelta(hours=12)
# Side by side at most this many overlapping items; more share the last column.
MAX_LANES = 4

_ISO_WEEK = re.compile(r"(\d{4})-?W(\d{1,2})", re.IGNORECASE)


def monday_of(value: str | None, today: date) -> date:
    """The Monday of the week that ``value`` names: any date in it (2026-12-16) or its
    ISO week (2026-W51). Anything else, or a date outside the ones a person may type,
    names today's week."""
    text = (value or "").strip()[:20]
    day: date | None = None
    try:
        if match := _ISO_WEEK.fullmatch(text):
            day = date.fromisocalendar(int(match[1]), int(match[2]), 1)
        elif text:
            day = date.fromisoformat(text)
    except ValueError:
        day = None
    if day is None or not is_sane_date(day):
        day = today
    return day - timedelta(days=day.weekday())


# ---------------------------------------------------------------- what a week holds


@dataclass
class Item:
    """One thing in time: an interview, a busy time from a calendar, working time or a
    day off (these two are the shading behind the rest)."""

    kind: str  # "interview" | "busy" | "work" | "off"
    start: datetime  # aware UTC
    end: datetime
    interview: Interview | None = None


@dataclass
class Waiting:
    """A candidate who holds an open offer and has not booked yet."""

    offer: BookingOffer
    since: datetime
    reminder: str  # "sent" | "due" | "sending" | "none_window" | "closed"
    reminder_at: datetime | None  # when it went out, or is due


@dataclass
class Placed:
    """An item's place on one day of the grid: its part of the day, rows and column."""

    item: Item
    start: datetime  # cut to the day
    end: datetime
    row: int  # first quarter-hour row, from 1
    row_end: int  # the row after its last
    lane: int  # 0: the whole width; else its column, from 1


@dataclass
class Day:
    day: date
    is_today: bool
    off: bool
    working: list[tuple[datetime, datetime]] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)  # interviews and busy times, in order
    shading: list[Placed] = field(default_factory=list)
    pieces: list[Placed] = field(default_factory=list)  # the items' parts on this day
    placed: list[Placed] = field(default_factory=list)  # those within the grid's hours
    lanes: int = 1
    bookable: list[BookingRequest] = field(default_factory=list)


@dataclass
class Week:
    monday: date
    tz: str
    days: list[Day]
    first_minute: int  # the grid's first and last minute of the day
    last_minute: int
    hours: list[tuple[int, int]]  # (hour, its first row) for the time axis
    rows: int
    requests: list[BookingRequest] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # calendars that could not be read
    waiting: list[Waiting] = field(default_factory=list)
    interviews: int = 0

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def number(self) -> int:
        return self.monday.isocalendar()[1]


def bounds(monday: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The week as UTC: local Monday midnight to the next Monday's."""
    return wall(monday, 0, tz), wall(monday + timedelta(days=7), 0, tz)


def _merge(intervals: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


# ---------------------------------------------------------------- who may see what


def may_see_week_of(actor: User, user: User) -> bool:
    """Recruiters and admins see anyone's week; an interviewer only their own (whose
    interviews they all sit on, so every candidate named there is theirs to see)."""
    return actor.can_manage_hiring or actor.id == user.id


def person_for(db: Session, actor: User, user_id: int | None) -> User:
    """The staff member whose week ``actor`` asks for (themselves by default); NotFound
    for anyone they may not see, as for a page that does not exist."""
    if user_id is None or user_id == actor.id:
        return actor
    user = db.get(User, user_id)
    if user is None or not may_see_week_of(actor, user):
        raise NotFound(_l("Page not found"))
    return user


def zone_for(db: Session, settings: Settings, actor: User, user: User | None) -> str:
    """The zone a week is shown in: a member's own week in their own zone (the one their
    working hours are set in); everyone else's, and an opening's, in the portal's."""
    if user is not None and user.id == actor.id:
        name = db.scalar(select(InterviewerSchedule.timezone)
                         .where(InterviewerSchedule.user_id == user.id))
        return zone(name, settings.default_timezone).key
    return zone(settings.default_timezone).key


# ---------------------------------------------------------------- an interviewer's week


def _working(db: Session, settings: Settings, user: User, start: datetime, end: datetime
             ) -> tuple[list[Item], set[date], ZoneInfo]:
    """Working time and days off of ``user`` around [start, end), as items, and their
    days off (their own local dates)."""
    row = db.get(InterviewerSchedule, user.id)
    tz = zone(row.timezone if row else None, settings.default_timezone)
    week: dict[int, Period] = dict(DEFAULT_WEEK)
    if row is not None:
        week = {h.weekday: Period(h.start_minute, h.end_minute, h.break_start, h.break_end)
                for h in db.scalars(select(WorkingHours).where(WorkingHours.user_id == user.id))}
    first = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date() + timedelta(days=1)
    days_off = set(db.scalars(select(DayOff.day).where(
        DayOff.user_id == user.id, DayOff.day >= first, DayOff.day <= last)))
    items: list[Item] = []
    day = first
    while day <= last:
        if day in days_off:
            items.append(Item("off", wall(day, 0, tz), wall(day, 1440, tz)))
        elif (period := week.get(day.weekday())) is not None:
            items.extend(Item("work", wall(day, a, tz), wall(day, b, tz))
                         for a, b in period.segments())
        day += timedelta(days=1)
    return [i for i in items if i.end > start and i.start < end], days_off, tz


def _busy(db: Session, user: User, start: datetime, end: datetime) -> list[Item]:
    """The busy times read from the member's calendars, merged (several calendars may say
    the same hour), less the portal's own interviews written back into them."""
    rows = db.execute(
        select(BusyBlock.starts_at, BusyBlock.ends_at)
        .join(CalendarConnection, CalendarConnection.id == BusyBlock.connection_id)
        .outerjoin(Interview, and_(BusyBlock.uid != "", Interview.uid == BusyBlock.uid))
        .where(CalendarConnection.user_id == user.id, Interview.id.is_(None),
               BusyBlock.starts_at < end, BusyBlock.ends_at > start))
    return [Item("busy", a, b) for a, b in _merge((a, b) for a, b in rows)]


def _problems(db: Session, user: User, now: datetime) -> list[str]:
    found = []
    for connection in db.scalars(select(CalendarConnection).where(
            CalendarConnection.user_id == user.id).order_by(CalendarConnection.id)):
        problem = connection_problem(connection, now)
        if problem is not None:
            found.append(f"{connection.label}: {error_words(problem)}")
    return found


def _interview_options() -> list:  # type: ignore[type-arg]
    return [selectinload(Interview.application).selectinload(Application.candidate),
            selectinload(Interview.application).selectinload(Application.opening),
            selectinload(Interview.interviewers)]


def _open_requests(db: Session, start: datetime, end: datetime, now: datetime,
                   *where: object) -> list[BookingRequest]:
    """Booking requests not withdrawn whose window is open during [start, end) and still
    ahead, with someone who has not booked yet."""
    waiting = exists().where(BookingOffer.request_id == BookingRequest.id,
                             BookingOffer.status == OfferStatus.OPEN.value,
                             Application.id == BookingOffer.application_id,
                             Application.closed_at.is_(None))
    return list(db.scalars(
        select(BookingRequest).where(
            BookingRequest.withdrawn_at.is_(None), BookingRequest.window_starts_at < end,
            BookingRequest.window_ends_at > start, BookingRequest.window_ends_at > now,
            waiting, *where)  # type: ignore[arg-type]
        .options(selectinload(BookingRequest.opening),
                 selectinload(BookingRequest.interviewers),
                 selectinload(BookingRequest.offers).selectinload(BookingOffer.application))
        .order_by(BookingRequest.window_starts_at, BookingRequest.id)))


def interviewer_week(db: Session, settings: Settings, actor: User, user: User, monday: date,
                     now: datetime) -> Week:
    """``user``'s week as ``actor`` may see it (NotFound when they may not)."""
    if not may_see_week_of(actor, user):
        raise NotFound(_l("Page not found"))
    tzname = zone_for(db, settings, actor, user)
    start, end = bounds(monday, zone(tzname))
    shading, days_off, own_tz = _working(db, settings, user, start, end)
    interviews = list(db.scalars(
        select(Interview)
        .join(interview_interviewer, interview_interviewer.c.interview_id == Interview.id)
        .where(interview_interviewer.c.user_id == user.id,
               Interview.status == InterviewStatus.SCHEDULED.value,
               Interview.starts_at < end,
               Interview.starts_at > start - timedelta(minutes=480))
        .options(*_interview_options()).order_by(Interview.starts_at, Interview.id)))
    items = [Item("interview", i.starts_at, i.ends_at, i) for i in interviews
             if i.ends_at > start]
    items += _busy(db, user, start, end)
    requests = _open_requests(db, start, end, now, BookingRequest.interviewers.any(
        User.id == user.id))
    week = layout(monday, tzname, now, shading, items, requests)
    week.problems = _problems(db, user, now)
    for day in week.days:  # a day off of the member's own (in their zone) marks the day
        noon = wall(day.day, 12 * 60, zone(tzname)).astimezone(own_tz).date()
        day.off = noon in days_off
    return week


# ---------------------------------------------------------------- an opening's week


def reminder_state(offer: BookingOffer, now: datetime) -> tuple[str, datetime | None]:
    """Where the one reminder to book stands (``services.queue_booking_reminders`` sends
    it ``REMIND_AFTER`` the offer went out, while the window is open ``REMIND_UNTIL``
    longer): sent, due at a time, going out with the worker's next pass, or none because
    the window closes (or has closed) first."""
    if offer.reminded_at is not None:
        return "sent", offer.reminded_at
    window_end = offer.request.window_ends_at
    if window_end <= now:
        return "closed", None
    due = offer.sent_at + REMIND_AFTER
    if due >= window_end - REMIND_UNTIL:
        return "none_window", None
    if due > now:
        return "due", due
    return "sending", None


def waiting_of(db: Session, opening: Opening, now: datetime) -> list[Waiting]:
    """Every candidate of the opening with an open offer who has not booked, longest
    waiting first."""
    offers = db.scalars(
        select(BookingOffer)
        .join(BookingRequest, BookingRequest.id == BookingOffer.request_id)
        .join(Application, Application.id == BookingOffer.application_id)
        .where(BookingRequest.opening_id == opening.id,
               BookingRequest.withdrawn_at.is_(None),
               BookingOffer.status == OfferStatus.OPEN.value,
               Application.closed_at.is_(None))
        .options(selectinload(BookingOffer.request),
                 selectinload(BookingOffer.application).selectinload(Application.candidate))
        .order_by(BookingOffer.sent_at, BookingOffer.id))
    return [Waiting(o, o.sent_at, *reminder_state(o, now)) for o in offers]


def opening_week(db: Session, settings: Settings, actor: User, opening: Opening,
                 monday: date, now: datetime) -> Week:
    """The opening's interviews that week, its requests open then, and who has not booked.
    Only recruiters and admins reach an opening (``hiring.get_opening``)."""
    tzname = zone_for(db, settings, actor, None)
    start, end = bounds(monday, zone(tzname))
    interviews = list(db.scalars(
        select(Interview).join(Application, Application.id == Interview.application_id)
        .where(Application.opening_id == opening.id,
               Interview.status == InterviewStatus.SCHEDULED.value,
               Interview.starts_at < end,
               Interview.starts_at > start - timedelta(minutes=480))
        .options(*_interview_options()).order_by(Interview.starts_at, Interview.id)))
    items = [Item("interview", i.starts_at, i.ends_at, i) for i in interviews
             if i.ends_at > start]
    requests = _open_requests(db, start, end, now, BookingRequest.opening_id == opening.id)
    week = layout(monday, tzname, now, [], items, requests)
    week.waiting = waiting_of(db, opening, now)
    return week


# ---------------------------------------------------------------- layout


def _minute(moment: datetime, tz: ZoneInfo, day: date) -> int:
    """Wall-clock minutes after ``day``'s local midnight (1440 for the next midnight)."""
    local = moment.astimezone(tz)
    if local.date() > day:
        return 1440
    return local.hour * 60 + local.minute


def _lanes(pieces: Sequence[Placed]) -> int:
    """Give overlapping pieces side-by-side columns (a piece that overlaps none takes the
    whole width); returns how many columns the day needs."""
    widest = 1
    cluster: list[Placed] = []
    ends: list[datetime] = []
    cluster_end: datetime | None = None

    def close() -> None:
        nonlocal widest
        if len(ends) > 1:
            widest = max(widest, min(len(ends), MAX_LANES))
        else:
            for piece in cluster:
                piece.lane = 0

    for piece in sorted(pieces, key=lambda p: (p.start, p.end)):
        if cluster_end is not None and piece.start >= cluster_end:
            close()
            cluster, ends, cluster_end = [], [], None
        lane = next((i for i, e in enumerate(ends) if e <= piece.start), None)
        if lane is None:
            ends.append(piece.end)
            lane = len(ends) - 1
        else:
            ends[lane] = piece.end
        piece.lane = min(lane + 1, MAX_LANES)
        cluster.append(piece)
        cluster_end = piece.end if cluster_end is None else max(cluster_end, piece.end)
    if cluster:
        close()
    return widest


def layout(monday: date, tzname: str, now: datetime, shading: list[Item], items: list[Item],
           requests: list[BookingRequest]) -> Week:
    """Lay the week out in ``tzname``: each item cut into its local days, the hours the
    grid shows, and each piece's rows and column."""
    tz = zone(tzname)
    today = now.astimezone(tz).date()
    days: list[Day] = []
    spans: list[tuple[int, int]] = [(DEFAULT_FIRST, DEFAULT_LAST)]
    for offset in range(7):
        day = monday + timedelta(days=offset)
        day_start, day_end = wall(day, 0, tz), wall(day, 1440, tz)
        entry = Day(day, day == today, False)
        for item in sorted(shading, key=lambda i: i.start):
            start, end = max(item.start, day_start), min(item.end, day_end)
            if start < end:
                entry.shading.append(Placed(item, start, end, 0, 0, 0))
                if item.kind == "work":
                    entry.working.append((start, end))
                    spans.append((_minute(start, tz, day), _minute(end, tz, day)))
        for item in sorted(items, key=lambda i: (i.start, i.end)):
            start, end = max(item.start, day_start), min(item.end, day_end)
            if start < end:
                entry.items.append(item)
                entry.pieces.append(Placed(item, start, end, 0, 0, 0))
                if item.kind == "interview" or item.end - item.start < LONG_BUSY:
                    spans.append((_minute(start, tz, day), _minute(end, tz, day)))
        entry.bookable = [r for r in requests
                          if r.window_starts_at < day_end and r.window_ends_at > day_start]
        days.append(entry)
    first = min(a for a, _b in spans) // 60 * 60
    last = min(1440, -(-max(b for _a, b in spans) // 60) * 60)
    rows = (last - first) // ROW_MINUTES

    def row_of(minute: int, up: bool) -> int:
        minute = min(max(minute, first), last)
        steps = -(-(minute - first) // ROW_MINUTES) if up else (minute - first) // ROW_MINUTES
        return 1 + steps

    for entry in days:
        # A long busy time wholly outside the hours shown stays in the day's list only.
        entry.placed = [p for p in entry.pieces if _minute(p.end, tz, entry.day) > first
                        and _minute(p.start, tz, entry.day) < last]
        for piece in [*entry.shading, *entry.placed]:
            piece.row = row_of(_minute(piece.start, tz, entry.day), False)
            piece.row_end = max(piece.row + 1,
                                row_of(_minute(piece.end, tz, entry.day), True))
            piece.row = min(piece.row, rows)
            piece.row_end = min(max(piece.row_end, piece.row + 1), rows + 1)
        entry.lanes = _lanes(entry.placed)
    hours = [(h, 1 + (h * 60 - first) // ROW_MINUTES) for h in range(first // 60, last // 60)]
    return Week(monday, tzname, days, first, last, hours, rows, requests,
                interviews=sum(1 for i in items if i.kind == "interview"))
