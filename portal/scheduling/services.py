"""A staff member's own availability: time zone, working hours, days off, and the
calendars the portal reads. A member changes only their own; admins read everyone's
status. Calendar credentials are sealed (``crypto``) the moment they arrive and never
shown again. Nothing here commits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.errors import DomainError, NotFound
from portal.scheduling import calendars, crypto
from portal.scheduling.availability import connection_problem
from portal.scheduling.calendars import CalendarUnreadable, error_words
from portal.scheduling.engine import DEFAULT_WEEK, Period
from portal.scheduling.models import (
    CalendarConnection,
    ConnectionKind,
    DayOff,
    InterviewerSchedule,
    WorkingHours,
)
from portal.settings import Settings
from portal.text import one_line
from portal.timeutil import is_valid_zone, require_sane_date, utcnow, zone

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass
class Schedule:
    """What a member's availability page shows."""

    timezone: str
    week: dict[int, Period]
    saved: bool  # False: the default week, never saved
    days_off: list[DayOff] = field(default_factory=list)
    connections: list[CalendarConnection] = field(default_factory=list)


def schedule_of(db: Session, settings: Settings, user: User,
                today: date | None = None) -> Schedule:
    """The member's zone, week (the default one until saved), coming days off and
    calendars."""
    row = db.get(InterviewerSchedule, user.id)
    week = {h.weekday: Period(h.start_minute, h.end_minute, h.break_start, h.break_end)
            for h in db.scalars(select(WorkingHours).where(WorkingHours.user_id == user.id))}
    tzname = row.timezone if row is not None else settings.default_timezone
    today = today or utcnow().astimezone(zone(tzname)).date()
    days_off = list(db.scalars(select(DayOff).where(DayOff.user_id == user.id,
                                                    DayOff.day >= today).order_by(DayOff.day)))
    connections = list(db.scalars(select(CalendarConnection).where(
        CalendarConnection.user_id == user.id).order_by(CalendarConnection.id)))
    return Schedule(tzname, week if row is not None else dict(DEFAULT_WEEK), row is not None,
                    days_off, connections)


def _check_period(weekday: int, period: Period) -> None:
    name = WEEKDAYS[weekday]
    if not 0 <= period.start < period.end <= 1440:
        raise DomainError(_l("The day must end after it starts."), field=f"{name}_end")
    if (period.break_start is None) != (period.break_end is None):
        raise DomainError(_l("Give the break both a start and an end, or neither."),
                          field=f"{name}_break_end")
    if period.break_start is not None and period.break_end is not None:
        if period.break_end <= period.break_start:
            raise DomainError(_l("The break must end after it starts."),
                              field=f"{name}_break_end")
        if period.break_start < period.start or period.break_end > period.end:
            raise DomainError(_l("The break must lie within the working hours."),
                              field=f"{name}_break_start")


def save_schedule(db: Session, actor: User, user: User, timezone: str,
                  week: dict[int, Period]) -> None:
    """Replace the member's zone and working week (weekdays missing from ``week`` are
    not worked). Only the member themselves may."""
    if actor.id != user.id:
        raise NotFound(_l("Page not found"))
    if not is_valid_zone(timezone):
        raise DomainError(_l("Choose a time zone from the list."), field="timezone")
    for weekday, period in week.items():
        if not 0 <= weekday <= 6:
            raise DomainError(_l("Choose a weekday."))
        _check_period(weekday, period)
    row = db.get(InterviewerSchedule, user.id)
    zone_changed = row is None or row.timezone != timezone
    if row is None:
        row = InterviewerSchedule(user_id=user.id, timezone=timezone)
        db.add(row)
    row.timezone, row.updated_at = timezone, utcnow()
    db.execute(delete(WorkingHours).where(WorkingHours.user_id == user.id))
    for weekday, period in sorted(week.items()):
        db.add(WorkingHours(user_id=user.id, weekday=weekday, start_minute=period.start,
                            end_minute=period.end, break_start=period.break_start,
                            break_end=period.break_end))
    if zone_changed:  # all-day events fall on other hours now: read again soon
        calendars.mark_due(db, user.id)


def add_day_off(db: Session, actor: User, day: date | None) -> None:
    """A day the member does not interview (the same day twice is kept once)."""
    if day is None:
        raise DomainError(_l("Choose a date."), field="day")
    require_sane_date(day, field="day")
    from portal.locks import insert_if_missing

    insert_if_missing(db, DayOff, {"user_id": actor.id, "day": day}, ["user_id", "day"])


def remove_day_off(db: Session, actor: User, day_off_id: int) -> None:
    row = db.get(DayOff, day_off_id)
    if row is None or row.user_id != actor.id:
        raise NotFound(_l("Page not found"))
    db.delete(row)


# ---------------------------------------------------------------- calendars


def _own_connection(db: Session, actor: User, connection_id: int) -> CalendarConnection:
    connection = db.get(CalendarConnection, connection_id)
    if connection is None or connection.user_id != actor.id:
        raise NotFound(_l("Page not found"))
    return connection


def _as_domain(exc: CalendarUnreadable, field_name: str) -> DomainError:
    field_for = {"auth": "password", "address": field_name, "no_key": field_name}
    return DomainError(_l("Could not read the calendar: %(why)s", why=error_words(exc.stored)),
                       field=field_for.get(exc.code, field_name))


def _require_key(settings: Settings, field_name: str) -> None:
    if not crypto.can_encrypt(settings):
        raise DomainError(_l("Calendars cannot be connected until the administrator sets "
                             "CALENDAR_KEY."), field=field_name)


def _label(name: str, url: str) -> str:
    host = calendars.host_of(url)
    name = one_line(name or "").strip()
    return (f"{name} · {host}" if name and host else name or host or "?")[:200]


@dataclass
class Connected:
    """The outcome of connecting: the connection, and the calendars to choose from when
    the account has several (then nothing is read until one is chosen)."""

    connection: CalendarConnection
    choices: list[tuple[str, str]] = field(default_factory=list)


def _store_new(db: Session, settings: Settings, actor: User, kind: str, label: str,
               secret: dict[str, Any], blocks: list[calendars.Busy] | None,
               now: datetime) -> CalendarConnection:
    connection = CalendarConnection(user_id=actor.id, kind=kind, label=label,
                                    secret=crypto.seal(settings, secret), created_at=now,
                                    next_refresh_at=now, last_error="", busy_count=0,
                                    last_sync_error="")
    db.add(connection)
    db.flush()
    if blocks is not None:
        calendars.store_reading(db, connection, blocks, None, now)
    else:
        connection.last_error = "no_calendar"
    return connection


def connect_caldav(db: Session, settings: Settings, actor: User, url: str, username: str,
                   password: str, calendar: str = "", now: datetime | None = None) -> Connected:
    """Connect a CalDAV account. The server is asked for its calendars; with one (or the
    one named in ``calendar``, by name or address) it is read once at once, and the
    connection is kept only when that works. With several, the connection waits for the
    member to choose (``choose_calendar``) and counts as unreadable until then."""
    _require_key(settings, "url")
    now = now or utcnow()
    url = one_line(url or "").strip()
    try:
        found = calendars.discover(settings, url, username or "", password or "")
    except CalendarUnreadable as exc:
        raise _as_domain(exc, "url") from exc
    if not found:
        raise DomainError(_l("The account has no calendars."), field="url")
    chosen = _match(found, calendar)
    if calendar.strip() and chosen is None:
        raise DomainError(_l("No calendar of that name was found."), field="calendar")
    if chosen is None and len(found) == 1:
        chosen = found[0]
    secret = {"url": url, "username": username or "", "password": password or "",
              "calendar_url": chosen[0] if chosen else ""}
    if chosen is None:
        connection = _store_new(db, settings, actor, ConnectionKind.CALDAV.value,
                                _label("", url), secret, None, now)
        return Connected(connection, found)
    blocks = _read_new(settings, db, actor, ConnectionKind.CALDAV.value, secret, now, "url")
    return Connected(_store_new(db, settings, actor, ConnectionKind.CALDAV.value,
                                _label(chosen[1], chosen[0]), secret, blocks, now))


def _match(found: list[tuple[str, str]], wanted: str) -> tuple[str, str] | None:
    wanted = (wanted or "").strip()
    if not wanted:
        return None
    for url, name in found:
        if wanted == url or wanted.casefold() == (name or "").casefold():
            return url, name
    return None


def _read_new(settings: Settings, db: Session, actor: User, kind: str, secret: dict[str, Any],
              now: datetime, field_name: str) -> list[calendars.Busy]:
    tz = calendars.member_zone(db, actor.id, settings)
    try:
        return calendars.read_connection(settings, kind, secret, now - calendars.LOOKBACK,
                                         now + calendars.HORIZON, tz)
    except CalendarUnreadable as exc:
        raise _as_domain(exc, field_name) from exc


def calendar_choices(db: Session, settings: Settings, actor: User,
                     connection_id: int) -> list[tuple[str, str]]:
    """The calendars of a connected CalDAV account, asked again with the stored
    credentials."""
    connection = _own_connection(db, actor, connection_id)
    if connection.kind != ConnectionKind.CALDAV:
        raise NotFound(_l("Page not found"))
    secret = _unseal(settings, connection)
    try:
        return calendars.discover(settings, secret.get("url", ""), secret.get("username", ""),
                                  secret.get("password", ""))
    except CalendarUnreadable as exc:
        raise _as_domain(exc, "calendar") from exc


def _unseal(settings: Settings, connection: CalendarConnection) -> dict[str, Any]:
    try:
        return crypto.unseal(settings, connection.secret)
    except crypto.NoCalendarKey as exc:
        raise _as_domain(CalendarUnreadable("no_key"), "calendar") from exc
    except crypto.CannotDecrypt as exc:
        raise _as_domain(CalendarUnreadable("bad_key"), "calendar") from exc


def choose_calendar(db: Session, settings: Settings, actor: User, connection_id: int,
                    calendar_url: str, now: datetime | None = None) -> CalendarConnection:
    """Pick which calendar of the account is read (and written); it is read once."""
    now = now or utcnow()
    found = calendar_choices(db, settings, actor, connection_id)
    chosen = _match(found, calendar_url)
    if chosen is None:
        raise DomainError(_l("Choose one of the calendars found on the server."),
                          field="calendar")
    connection = _own_connection(db, actor, connection_id)
    secret = {**_unseal(settings, connection), "calendar_url": chosen[0]}
    blocks = _read_new(settings, db, actor, ConnectionKind.CALDAV.value, secret, now,
                       "calendar")
    connection.secret = crypto.seal(settings, secret)
    connection.label = _label(chosen[1], chosen[0])
    calendars.store_reading(db, connection, blocks, None, now)
    return connection


def connect_ics(db: Session, settings: Settings, actor: User, url: str,
                now: datetime | None = None) -> CalendarConnection:
    """Connect a private ICS address (free/busy or a whole calendar), read once at once;
    kept only when that works. Read only: interviews are not written into it."""
    _require_key(settings, "ics_url")
    now = now or utcnow()
    url = one_line(url or "").strip()
    secret = {"url": url}
    blocks = _read_new(settings, db, actor, ConnectionKind.ICS.value, secret, now, "ics_url")
    return _store_new(db, settings, actor, ConnectionKind.ICS.value,
                      _label(str(_l("ICS address")), url), secret, blocks, now)


def refresh_now(db: Session, settings: Settings, actor: User, connection_id: int,
                now: datetime | None = None) -> CalendarUnreadable | None:
    """Read the member's calendar again now ("refresh now"); returns the error, if any
    (kept on the connection: the member counts as busy until a good reading)."""
    now = now or utcnow()
    connection = _own_connection(db, actor, connection_id)
    tz = calendars.member_zone(db, actor.id, settings)
    blocks, failure = calendars.read_sealed(settings, connection.kind, connection.secret, tz,
                                            now)
    calendars.store_reading(db, connection, blocks, failure, now)
    return failure


def disconnect(db: Session, actor: User, connection_id: int) -> None:
    """Forget a calendar: its credentials and busy times go; events already written into
    it stay there."""
    db.delete(_own_connection(db, actor, connection_id))


# ---------------------------------------------------------------- for admins


@dataclass
class MemberStatus:
    user: User
    timezone: str
    saved: bool
    working_days: int
    connections: list[tuple[CalendarConnection, str | None]]  # with its problem, if any


def everyone(db: Session, actor: User, now: datetime | None = None) -> list[MemberStatus]:
    """Every active staff member's availability at a glance (admins only): zone, working
    days, calendars and whether each can be trusted now. One query per kind."""
    if not actor.is_admin:
        raise NotFound(_l("Page not found"))
    now = now or utcnow()
    users = list(db.scalars(select(User).where(User.active.is_(True)).order_by(User.name)))
    zones = {user_id: name for user_id, name in db.execute(
        select(InterviewerSchedule.user_id, InterviewerSchedule.timezone))}
    days: dict[int, int] = {}
    for user_id, _weekday in db.execute(select(WorkingHours.user_id, WorkingHours.weekday)):
        days[user_id] = days.get(user_id, 0) + 1
    connections: dict[int, list[tuple[CalendarConnection, str | None]]] = {}
    for connection in db.scalars(select(CalendarConnection).order_by(CalendarConnection.id)):
        connections.setdefault(connection.user_id, []).append(
            (connection, connection_problem(connection, now)))
    return [MemberStatus(u, zones.get(u.id, ""), u.id in zones,
                         days.get(u.id, 0) if u.id in zones else len(DEFAULT_WEEK),
                         connections.get(u.id, [])) for u in users]
