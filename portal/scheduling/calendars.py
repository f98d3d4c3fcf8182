"""Reading interviewers' calendars into busy blocks.

A CalDAV calendar is read with the ``caldav`` client, events expanded over the horizon
(recurring events with their moved and removed instances come out as single times); an
ICS address (a private free/busy or calendar file) is fetched with a timeout and a size
limit and expanded with ``recurring-ical-events``. Transparent ("free") and cancelled
events count for nothing; an all-day event blocks the member's whole local day.

An address must be ``https://`` (``http://`` only where private addresses are allowed) and
must not lead to loopback, private or link-local addresses unless
``CALENDAR_ALLOW_PRIVATE`` is on, so a typed address cannot reach services inside the
network. The check is made on every address the portal connects to (and every redirect of
an ICS address); the CalDAV client resolves the name again when it connects.

Errors are kept as a short code and a detail (``"auth: 401 Unauthorized"``); pages and
``Availability.unreadable`` show the code in the reader's language.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from time import monotonic
from typing import Any
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.orm import Session

from portal.errors import NotFound
from portal.locks import claim, lock
from portal.scheduling import crypto
from portal.scheduling.models import (
    BusyBlock,
    CalendarConnection,
    ConnectionKind,
    InterviewerSchedule,
)
from portal.settings import Settings
from portal.timeutil import utcnow, zone

log = logging.getLogger(__name__)

# How far ahead calendars are read, and how often. A cache older than STALE_AFTER (the
# worker stopped, or the calendar keeps failing) makes its member busy.
HORIZON = timedelta(weeks=8)
LOOKBACK = timedelta(days=1)
REFRESH_EVERY = timedelta(minutes=15)
RETRY_AFTER = timedelta(minutes=5)
STALE_AFTER = timedelta(hours=2)
TIMEOUT = 15  # seconds for each request to a calendar server
MAX_ICS_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 3
REFRESH_BATCH = 10  # connections one worker pass refreshes at most

# What an error code means, for staff pages and Availability.unreadable.
ERROR_WORDS = {
    "auth": _l("the server refused the user name or password"),
    "not_found": _l("the calendar was not found at this address"),
    "timeout": _l("the server did not answer in time"),
    "connect": _l("the server could not be reached"),
    "address": _l("this address is not allowed"),
    "too_large": _l("the calendar file is too large"),
    "not_calendar": _l("the address did not return a calendar"),
    "server": _l("the server answered with an error"),
    "no_key": _l("the portal has no CALENDAR_KEY to open stored calendar passwords"),
    "bad_key": _l("the stored password no longer opens with CALENDAR_KEY; connect again"),
    "never": _l("the calendar has not been read yet"),
    "stale": _l("the calendar has not been read for too long"),
    "no_calendar": _l("choose one of the calendars found on the server"),
}


class CalendarUnreadable(Exception):
    """A calendar could not be read; ``code`` is a key of ERROR_WORDS."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail[:300]

    @property
    def stored(self) -> str:
        return f"{self.code}: {self.detail}" if self.detail else self.code


def error_words(stored: str) -> str:
    """A stored error ("code: detail") in the reader's language, with its detail."""
    code, _sep, detail = stored.partition(": ")
    words = ERROR_WORDS.get(code)
    if words is None:
        return stored
    return f"{words} ({detail})" if detail else str(words)


@dataclass(frozen=True)
class Busy:
    start: datetime  # aware UTC
    end: datetime
    uid: str = ""


# ---------------------------------------------------------------- addresses


def check_address(settings: Settings, url: str) -> str:
    """The address to connect to (``webcal://`` becomes ``https://``), or
    CalendarUnreadable("address") when it may not be used."""
    url = (url or "").strip()
    if url.lower().startswith("webcal://"):
        url = "https://" + url[len("webcal://"):]
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise CalendarUnreadable("address", "not a web address") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 1000:
        raise CalendarUnreadable("address", "give an https:// address")
    if parts.username or parts.password:
        raise CalendarUnreadable("address", "put the user name and password in their fields")
    if settings.calendar_allow_private:
        return url
    if parts.scheme != "https":
        raise CalendarUnreadable("address", "give an https:// address")
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise CalendarUnreadable("connect", f"{parts.hostname}: name not found") from exc
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if not address.is_global or address.is_multicast:
            raise CalendarUnreadable("address", f"{parts.hostname} is on a private network")
    return url


def host_of(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


# ---------------------------------------------------------------- events to busy times


def _as_utc(value: date | datetime, tz: ZoneInfo) -> datetime:
    """A DTSTART/DTEND value in UTC: a date is the start of that day in the member's zone,
    a floating time is the member's wall-clock time."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0))
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)


def component_busy(component: Any, tz: ZoneInfo) -> Busy | None:
    """The busy time of one (expanded) VEVENT, or None when it keeps nobody busy."""
    if str(component.get("status", "")).upper() == "CANCELLED":
        return None
    if str(component.get("transp", "")).upper() == "TRANSPARENT":
        return None
    dtstart = component.get("dtstart")
    if dtstart is None:
        return None
    start_value = dtstart.dt
    all_day = not isinstance(start_value, datetime)
    if component.get("dtend") is not None:
        end_value = component.get("dtend").dt
    elif component.get("duration") is not None:
        end_value = start_value + component.get("duration").dt
    else:
        end_value = start_value + timedelta(days=1) if all_day else start_value
    if all_day and not isinstance(end_value, datetime) and end_value <= start_value:
        end_value = start_value + timedelta(days=1)
    start, end = _as_utc(start_value, tz), _as_utc(end_value, tz)
    if end <= start:
        return None
    return Busy(start, end, str(component.get("uid", ""))[:255])


def freebusy_busy(component: Any) -> Iterator[Busy]:
    """The busy periods of a VFREEBUSY (FBTYPE BUSY, BUSY-UNAVAILABLE, BUSY-TENTATIVE)."""
    values = component.get("freebusy")
    if values is None:
        return
    for prop in values if isinstance(values, list) else [values]:
        if str(prop.params.get("FBTYPE", "BUSY")).upper() == "FREE":
            continue
        periods = prop.dt if isinstance(prop.dt, list) else [prop.dt]
        for period in periods:
            if not isinstance(period, tuple):
                continue
            start, other = period
            end = start + other if isinstance(other, timedelta) else other
            start, end = _as_utc(start, ZoneInfo("UTC")), _as_utc(end, ZoneInfo("UTC"))
            if end > start:
                yield Busy(start, end)


def clip(blocks: Iterable[Busy], start: datetime, end: datetime) -> list[Busy]:
    """The blocks that touch [start, end), sorted."""
    return sorted((b for b in blocks if b.end > start and b.start < end),
                  key=lambda b: (b.start, b.end))


# ---------------------------------------------------------------- CalDAV


def _dav_error(exc: BaseException) -> CalendarUnreadable:
    import niquests
    from caldav.lib import error as dav

    if isinstance(exc, CalendarUnreadable):
        return exc
    if isinstance(exc, dav.AuthorizationError):
        return CalendarUnreadable("auth", "401 Unauthorized")
    if isinstance(exc, dav.NotFoundError):
        return CalendarUnreadable("not_found", "404 Not Found")
    if isinstance(exc, niquests.exceptions.Timeout | socket.timeout | TimeoutError):
        return CalendarUnreadable("timeout", type(exc).__name__)
    if isinstance(exc, niquests.exceptions.ConnectionError | ConnectionError):
        return CalendarUnreadable("connect", type(exc).__name__)
    if isinstance(exc, dav.DAVError):
        return CalendarUnreadable("server", str(exc).splitlines()[0][:200] if str(exc) else
                                  type(exc).__name__)
    if isinstance(exc, ValueError):
        return CalendarUnreadable("not_calendar", type(exc).__name__)
    return CalendarUnreadable("server", type(exc).__name__)


def dav_client(settings: Settings, url: str, username: str, password: str) -> Any:
    from caldav import DAVClient

    return DAVClient(url=check_address(settings, url), username=username or None,
                     password=password or None, timeout=TIMEOUT, enable_rfc6764=False,
                     require_tls=not settings.calendar_allow_private)


def discover(settings: Settings, url: str, username: str,
             password: str) -> list[tuple[str, str]]:
    """The calendars the account can read: (address, display name) pairs. When ``url`` is
    itself a calendar, just that one."""
    try:
        client = dav_client(settings, url, username, password)
        try:
            found = []
            for cal in client.principal().calendars():
                check_address(settings, str(cal.url))
                found.append((str(cal.url), cal.get_display_name() or host_of(str(cal.url))))
        except Exception as exc:
            from caldav.lib import error as dav

            if not isinstance(exc, dav.DAVError | KeyError | AttributeError | IndexError):
                raise
            # No principal there: perhaps the address is a calendar itself.
            cal = client.calendar(url=check_address(settings, url))
            found = [(str(cal.url), cal.get_display_name() or host_of(url))]
        return found
    except Exception as exc:
        raise _dav_error(exc) from exc


def read_caldav(settings: Settings, secret: dict[str, Any], start: datetime, end: datetime,
                tz: ZoneInfo) -> list[Busy]:
    """The busy times of one CalDAV calendar between ``start`` and ``end``."""
    calendar_url = secret.get("calendar_url") or ""
    if not calendar_url:
        raise CalendarUnreadable("no_calendar")
    try:
        client = dav_client(settings, secret.get("url", "") or calendar_url,
                            secret.get("username", ""), secret.get("password", ""))
        cal = client.calendar(url=check_address(settings, calendar_url))
        found = cal.search(start=start, end=end, event=True, expand=True)
        busy = []
        for item in found:
            for component in item.icalendar_instance.walk("VEVENT"):
                block = component_busy(component, tz)
                if block is not None:
                    busy.append(block)
        return clip(busy, start, end)
    except Exception as exc:
        raise _dav_error(exc) from exc


# ---------------------------------------------------------------- ICS addresses


def fetch_ics(settings: Settings, url: str) -> bytes:
    """The body of an ICS address: each hop checked, a timeout, a size limit."""
    import niquests

    address = check_address(settings, url)
    with niquests.Session() as http:
        for _hop in range(MAX_REDIRECTS + 1):
            try:
                response = http.get(address, timeout=TIMEOUT, allow_redirects=False,
                                    stream=True, headers={"Accept": "text/calendar"})
            except niquests.exceptions.Timeout as exc:
                raise CalendarUnreadable("timeout", type(exc).__name__) from exc
            except niquests.exceptions.RequestException as exc:
                raise CalendarUnreadable("connect", type(exc).__name__) from exc
            try:
                if response.status_code in (301, 302, 303, 307, 308):
                    target = response.headers.get("Location", "")
                    address = check_address(settings, urljoin(address, target))
                    continue
                if response.status_code in (401, 403):
                    raise CalendarUnreadable("auth", f"{response.status_code}")
                if response.status_code == 404:
                    raise CalendarUnreadable("not_found", "404")
                if response.status_code != 200:
                    raise CalendarUnreadable("server", f"HTTP {response.status_code}")
                body = bytearray()
                for chunk in response.iter_content(64 * 1024):
                    body += chunk
                    if len(body) > MAX_ICS_BYTES:
                        raise CalendarUnreadable("too_large", f"over {MAX_ICS_BYTES} bytes")
                return bytes(body)
            except niquests.exceptions.Timeout as exc:
                raise CalendarUnreadable("timeout", type(exc).__name__) from exc
            except niquests.exceptions.RequestException as exc:
                raise CalendarUnreadable("connect", type(exc).__name__) from exc
            finally:
                response.close()
    raise CalendarUnreadable("connect", "too many redirects")


def parse_ics(body: bytes, start: datetime, end: datetime, tz: ZoneInfo) -> list[Busy]:
    """Busy times in an ICS file: its events expanded over [start, end), and the busy
    periods of any VFREEBUSY."""
    import recurring_ical_events
    from icalendar import Calendar

    try:
        calendar = Calendar.from_ical(body)
        busy: list[Busy] = []
        for component in recurring_ical_events.of(calendar).between(start, end):
            if component.name != "VEVENT":
                continue
            block = component_busy(component, tz)
            if block is not None:
                busy.append(block)
        for component in calendar.walk("VFREEBUSY"):
            busy.extend(freebusy_busy(component))
    except CalendarUnreadable:
        raise
    except Exception as exc:  # icalendar and the expansion raise many kinds on bad input
        raise CalendarUnreadable("not_calendar", type(exc).__name__) from exc
    return clip(busy, start, end)


def read_ics(settings: Settings, secret: dict[str, Any], start: datetime, end: datetime,
             tz: ZoneInfo) -> list[Busy]:
    return parse_ics(fetch_ics(settings, secret.get("url", "")), start, end, tz)


# ---------------------------------------------------------------- refreshing


def member_zone(db: Session, user_id: int, settings: Settings) -> ZoneInfo:
    name = db.scalar(select(InterviewerSchedule.timezone)
                     .where(InterviewerSchedule.user_id == user_id))
    return zone(name, settings.default_timezone)


def read_connection(settings: Settings, kind: str, secret: dict[str, Any], start: datetime,
                    end: datetime, tz: ZoneInfo) -> list[Busy]:
    """Read one calendar (no database): its busy times between ``start`` and ``end``."""
    if kind == ConnectionKind.CALDAV:
        return read_caldav(settings, secret, start, end, tz)
    return read_ics(settings, secret, start, end, tz)


def read_sealed(settings: Settings, kind: str, token: str, tz: ZoneInfo,
                now: datetime) -> tuple[list[Busy], CalendarUnreadable | None]:
    """Open the stored credentials and read the calendar over [now - LOOKBACK,
    now + HORIZON): (busy times, None) or ([], the error). No database."""
    try:
        try:
            secret = crypto.unseal(settings, token)
        except crypto.NoCalendarKey as exc:
            raise CalendarUnreadable("no_key") from exc
        except crypto.CannotDecrypt as exc:
            raise CalendarUnreadable("bad_key") from exc
        return read_connection(settings, kind, secret, now - LOOKBACK, now + HORIZON, tz), None
    except CalendarUnreadable as exc:
        return [], exc


def store_reading(db: Session, connection: CalendarConnection, blocks: list[Busy],
                  failure: CalendarUnreadable | None, now: datetime) -> None:
    """Record what a reading found (no commit): on success the busy blocks replace the
    old ones; on failure the error is kept and the member counts as busy until a good
    reading. The connection's row is locked first, so two readings at once do not mix."""
    connection = lock(db, connection)
    connection.last_attempt_at = now
    if failure is not None:
        connection.last_error = failure.stored
        connection.next_refresh_at = min(connection.next_refresh_at, now + RETRY_AFTER)
        return
    db.execute(delete(BusyBlock).where(BusyBlock.connection_id == connection.id))
    if blocks:
        db.execute(insert(BusyBlock), [
            {"connection_id": connection.id, "starts_at": b.start, "ends_at": b.end,
             "uid": b.uid} for b in blocks])
    connection.last_error = ""
    connection.last_success_at = now
    connection.covered_until = now + HORIZON
    connection.busy_count = len(blocks)
    connection.next_refresh_at = max(connection.next_refresh_at, now + REFRESH_EVERY)


def refresh_connection(db: Session, settings: Settings, connection_id: int,
                       now: datetime | None = None) -> CalendarUnreadable | None:
    """The worker's reading of one connection, committed; returns the error when it
    could not be read. No transaction is open while the server is asked."""
    now = now or utcnow()
    connection = db.get(CalendarConnection, connection_id)
    if connection is None:
        return None
    kind, token, user_id = connection.kind, connection.secret, connection.user_id
    tz = member_zone(db, user_id, settings)
    db.commit()  # nothing held while the server answers (or does not)
    blocks, failure = read_sealed(settings, kind, token, tz, now)
    if failure is not None:
        log.warning("calendar %s of user %s not read: %s", connection_id, user_id,
                    failure.code)
    try:
        store_reading(db, connection, blocks, failure, now)
    except NotFound:  # disconnected meanwhile
        db.rollback()
        return failure
    db.commit()
    return failure


def refresh_due(db: Session, settings: Settings, now: datetime | None = None,
                stop: threading.Event | None = None, limit: int = REFRESH_BATCH,
                until: float | None = None) -> int:
    """The worker's duty: refresh connections whose time has come. Each is claimed by
    moving its ``next_refresh_at`` on in a conditional update (committed at once), so of
    several workers exactly one reads it. No new one is started after ``until`` (a
    ``time.monotonic()`` value). Returns how many were read."""
    now = now or utcnow()
    due = list(db.scalars(select(CalendarConnection.id)
                          .where(CalendarConnection.next_refresh_at <= now)
                          .order_by(CalendarConnection.next_refresh_at).limit(limit)))
    db.commit()
    done = 0
    for connection_id in due:
        if (stop is not None and stop.is_set()) or (until is not None
                                                    and monotonic() > until):
            break  # the rest stay due for the next pass
        won = claim(db, CalendarConnection, connection_id,
                    CalendarConnection.next_refresh_at <= now,
                    next_refresh_at=now + REFRESH_EVERY)
        db.commit()
        if not won:
            continue
        refresh_connection(db, settings, connection_id, now)
        done += 1
    return done


def mark_due(db: Session, user_id: int, now: datetime | None = None) -> None:
    """Have the worker read a member's calendars on its next pass (their zone changed,
    so all-day events fall on other hours)."""
    db.execute(update(CalendarConnection).where(
        CalendarConnection.user_id == user_id,
        or_(CalendarConnection.next_refresh_at > (now or utcnow()),
            CalendarConnection.next_refresh_at.is_(None)))
        .values(next_refresh_at=now or utcnow())
        .execution_options(synchronize_session=False))
