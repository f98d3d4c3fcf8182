"""Time helpers: everything is stored as aware UTC and shown in the viewer's zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


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
