"""The week at a glance: /staff/week (one staff member's week: their own, or for
recruiters and admins anyone's, ``?person=<id>``) and /staff/openings/<id>/week. Both take
``?week=`` (a date in the week, or an ISO week such as 2026-W51); the arrows swap just the
week with htmx and keep the address in step."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from babel.dates import format_date, format_time
from flask import current_app, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from portal.accounts.models import User
from portal.booking import week as weeks
from portal.booking.views import staff_bp as bp
from portal.extensions import db
from portal.forms import parse_int
from portal.hiring import services as hiring
from portal.scheduling.engine import wall
from portal.timeutil import utcnow, zone
from portal.web import current_lang, is_htmx_target

TARGET = "week"


def _settings() -> Any:
    return current_app.config["PORTAL"]


def _clock(moment: datetime, tzname: str) -> str:
    """'14.00' in Swedish, '14:00' in English."""
    local = moment.astimezone(zone(tzname))
    if current_lang() == "sv":
        return format_time(local, "HH.mm", locale="sv")
    return format_time(local, "HH:mm", locale="en")


def _span(piece: weeks.Placed, day: date, tzname: str) -> str:
    """A piece's times on its day; one that reaches midnight ends at 24:00."""
    end_of_day = wall(day, 1440, zone(tzname))
    end = "24.00" if current_lang() == "sv" else "24:00"
    return (f"{_clock(piece.start, tzname)}–"
            f"{end if piece.end >= end_of_day else _clock(piece.end, tzname)}")


def _work_spans(day: weeks.Day, tzname: str) -> str:
    """A day's working time as text: '09:00–12:00, 13:00–17:00'."""
    return ", ".join(_span(p, day.day, tzname) for p in day.shading if p.item.kind == "work")


def _hour(hour: int) -> str:
    return f"{hour:02d}.00" if current_lang() == "sv" else f"{hour:02d}:00"


def _day_name(day: date, pattern: str = "EEEE d MMMM") -> str:
    """'Måndag 14 december' / 'Monday 14 December'."""
    name = format_date(day, pattern, locale=current_lang())
    return name[:1].upper() + name[1:]


def _range(week: weeks.Week) -> str:
    """'14–20 December 2026', or across months '28 December 2026 – 3 January 2027'."""
    lang = current_lang()
    if week.monday.month == week.sunday.month:
        return (f"{week.monday.day}–"
                f"{format_date(week.sunday, 'd MMMM y', locale=lang)}")
    return (f"{format_date(week.monday, 'd MMMM y', locale=lang)} – "
            f"{format_date(week.sunday, 'd MMMM y', locale=lang)}")


def _window(req: Any, tzname: str) -> str:
    """A booking request's days: '14 Dec – 25 Dec'."""
    tz = zone(tzname)
    first = req.window_starts_at.astimezone(tz).date()
    last = (req.window_ends_at - timedelta(minutes=1)).astimezone(tz).date()
    if first == last:
        return _day_name(first, "d MMM")
    return f"{_day_name(first, 'd MMM')} – {_day_name(last, 'd MMM')}"


def _not_booked(req: Any) -> int:
    """How many candidates of the request have not booked yet (their process open)."""
    return sum(1 for o in req.offers if o.is_open and not o.application.is_closed)


def _render(page: str, week: weeks.Week, today_monday: date, address: Any,
            **context: Any) -> Any:
    """The page, or just the week when htmx asks for it (rule 6: by HX-Target)."""
    swapped = is_htmx_target(TARGET)
    template = "staff/_week.html" if swapped else page
    return render_template(
        template, week=week, swapped=swapped, week_url=address,
        previous=week.monday - timedelta(days=7), following=week.monday + timedelta(days=7),
        this_week=week.monday == today_monday, today_monday=today_monday,
        clock=_clock, span=_span, hour=_hour, day_name=_day_name, week_range=_range(week),
        window=_window, not_booked=_not_booked,
        work_spans=lambda day: _work_spans(day, week.tz),
        **context)


def _monday(tzname: str, now: datetime) -> tuple[date, date]:
    today = now.astimezone(zone(tzname)).date()
    return weeks.monday_of(request.args.get("week"), today), weeks.monday_of(None, today)


@bp.get("/week")
def week() -> Any:
    """A staff member's week: working hours, days off, busy times, interviews and the
    booking requests they are in. Interviewers see only their own."""
    raw = request.args.get("person")
    person_id = parse_int(raw) if raw else None
    if raw and (person_id is None or person_id <= 0):
        person_id = -1  # names nobody: 404 like any other
    person = weeks.person_for(db.session, current_user, person_id)
    now = utcnow()
    tzname = weeks.zone_for(db.session, _settings(), current_user, person)
    monday, today_monday = _monday(tzname, now)
    data = weeks.interviewer_week(db.session, _settings(), current_user, person, monday, now)
    people: list[User] = []
    if current_user.can_manage_hiring:
        people = list(db.session.scalars(
            select(User).where(User.active.is_(True)).order_by(User.name)))
    own = person.id == current_user.id

    def address(day: date) -> str:
        values: dict[str, Any] = {"week": day.isoformat()}
        if not own:
            values["person"] = person.id
        return url_for("booking.week", **values)

    return _render("staff/week.html", data, today_monday, address, mode="person",
                   person=person, own=own, people=people, opening=None,
                   jump_url=url_for("booking.week"))


@bp.get("/openings/<int:opening_id>/week")
def opening_week(opening_id: int) -> Any:
    """An opening's interviews in a week, and who has not booked their time yet."""
    opening = hiring.get_opening(db.session, current_user, opening_id)
    now = utcnow()
    tzname = weeks.zone_for(db.session, _settings(), current_user, None)
    monday, today_monday = _monday(tzname, now)
    data = weeks.opening_week(db.session, _settings(), current_user, opening, monday, now)

    def address(day: date) -> str:
        return url_for("booking.opening_week", opening_id=opening.id, week=day.isoformat())

    return _render("staff/week.html", data, today_monday, address, mode="opening",
                   opening=opening, person=None, own=False, people=[],
                   jump_url=url_for("booking.opening_week", opening_id=opening.id))
