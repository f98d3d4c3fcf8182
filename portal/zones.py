"""The time-zone picker: one entry per place, sorted by offset, in words a person reads.

A raw list of IANA names has about 600 entries, many of them old aliases (``US/Eastern``)
and ``Etc/GMT+5``, which means UTC-5. The picker lists the zones of tzdata's ``zone.tab``
(one name per place, no aliases, no ``Etc/*``) and UTC, each as "(UTC+01:00) Stockholm —
14.05 now", sorted by the offset right now. A zone stored before (an alias, or an
``Etc/*`` zone) is still accepted and shown first, so saving a form never changes it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from importlib import resources
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import get_timezone_location
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from portal.timeutil import is_valid_zone


@lru_cache(maxsize=1)
def picker_zones() -> tuple[tuple[str, str], ...]:
    """(zone name, ISO country code) for every zone the picker lists, UTC last."""
    table = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text("utf-8")
    rows: list[tuple[str, str]] = []
    for line in table.splitlines():
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) >= 3 and is_valid_zone(parts[2]):
            rows.append((parts[2], parts[0]))
    rows.append(("UTC", ""))
    return tuple(rows)


def is_listed(name: str) -> bool:
    """True when the picker lists ``name`` (a valid zone may still be unlisted)."""
    return any(name == listed for listed, _code in picker_zones())


@lru_cache(maxsize=4096)
def _place(name: str, lang: str) -> str:
    """The city a zone is named after, in the reader's language ("Köpenhamn")."""
    if name == "UTC" or name.startswith("Etc/") or "/" not in name:
        return name
    try:
        return str(get_timezone_location(name, locale=lang, return_city=True))
    except (LookupError, ValueError):
        return name.rsplit("/", 1)[-1].replace("_", " ")


@lru_cache(maxsize=1024)
def _country(code: str, lang: str) -> str:
    return str(Locale.parse(lang).territories.get(code, "")) if code else ""


def offset_text(offset: timedelta | None) -> str:
    """'+01:00', '-05:00', '+05:30'."""
    minutes = int((offset or timedelta()).total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{rest:02d}"


def zone_label(name: str, now: datetime, lang: str) -> str:
    """A zone as a person reads it: "(UTC+01:00) Stockholm — kl. 14.05 now". A name that
    is no valid zone comes back as it is."""
    if not is_valid_zone(name):
        return name
    local = now.astimezone(ZoneInfo(name))
    clock = f"kl. {local:%H.%M}" if lang == "sv" else f"{local:%H:%M}"
    return _("(UTC%(offset)s) %(place)s — %(time)s now", offset=offset_text(local.utcoffset()),
             place=_place(name, lang), time=clock)


def zone_choices(now: datetime, lang: str, keep: str | None = None) -> list[SelectChoice]:
    """The picker's options at ``now``, sorted by offset then place; ``keep`` (the zone
    stored now) is listed first when the picker would not list it."""
    rows = list(picker_zones())
    extra = None
    if keep and is_valid_zone(keep) and not is_listed(keep):
        extra = (keep, "")
    entries: list[tuple[timedelta, str, SelectChoice]] = []
    for name, code in ([extra] if extra else []) + rows:
        offset = now.astimezone(ZoneInfo(name)).utcoffset() or timedelta()
        place = _place(name, lang)
        label = zone_label(name, now, lang)
        search = " ".join(filter(None, (place, _country(code, lang), name.replace("_", " "),
                                        f"utc{offset_text(offset)}"))).lower()
        choice = SelectChoice(value=name, label=label, render_kw={"data-search": search})
        if extra and name == extra[0]:
            entries.insert(0, (timedelta.min, "", choice))
        else:
            entries.append((offset, place.casefold(), choice))
    head = [c for o, _p, c in entries if o == timedelta.min]
    rest = sorted((e for e in entries if e[0] != timedelta.min), key=lambda e: (e[0], e[1]))
    return head + [c for _o, _p, c in rest]


def search_attrs() -> dict[str, str]:
    """What a zone ``<select>`` carries so portal.js adds a search box above it."""
    return {"data-zone-picker": "", "data-search-label": _("Search by city, country or UTC offset")}


def fit_picker(field: object, now: datetime, lang: str) -> None:
    """Give a WTForms select the picker's options (keeping the zone it holds now) and the
    attributes for the search box."""
    field.choices = zone_choices(now, lang, getattr(field, "data", None))  # type: ignore[attr-defined]
    field.render_kw = {**(getattr(field, "render_kw", None) or {}), **search_attrs()}  # type: ignore[attr-defined]
