"""Time helpers: everything is stored as aware UTC and shown in the viewer's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

from portal.errors import DomainError


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always returns them aware.

    SQLite keeps no zone, so a naive value read back is UTC by construction.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; attach a zone first")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


_ZONES: frozenset[str] | None = None


def all_zones() -> frozenset[str]:
    """IANA zone names known to this machine (cached)."""
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(z for z in available_timezones() if "/" in z or z == "UTC")
    return _ZONES


def is_valid_zone(name: str | None) -> bool:
    """True when ``name`` is an IANA zone we can convert to."""
    if not name or len(name) > 64:
        return False
    if name not in all_zones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def zone(name: str | None, default: str = "Europe/Stockholm") -> ZoneInfo:
    """A ZoneInfo for ``name``, or the default when it is unknown."""
    return ZoneInfo(name) if is_valid_zone(name) else ZoneInfo(default)


# ---------------------------------------------------------------- dates people type

# A date a person types (an interview, a promised answer, a hold, a send time) lies within
# these bounds: a year 9999 would overflow the arithmetic of every page that shows it.
EARLIEST_DATE = date(2000, 1, 1)
YEARS_AHEAD = 5


def latest_date(today: date | None = None) -> date:
    """The last date a person may type: about five years from today."""
    today = today or utcnow().date()
    return today + timedelta(days=365 * YEARS_AHEAD + 1)


def is_sane_date(value: date | datetime) -> bool:
    """True when ``value`` (a date, or a datetime in any zone) lies within the bounds."""
    day = value.date() if isinstance(value, datetime) else value
    return EARLIEST_DATE <= day <= latest_date()


def require_sane_date(value: date | datetime | None, field: str | None = None) -> None:
    """Refuse a date outside the bounds with a message for the form (``None`` passes)."""
    if value is not None and not is_sane_date(value):
        raise DomainError(_l("Choose a date between %(first)s and %(last)s.",
                             first=EARLIEST_DATE.isoformat(),
                             last=latest_date().isoformat()), field=field)
