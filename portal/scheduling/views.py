"""Availability pages (/staff/availability): a staff member's own working hours, days off
and calendars; for admins, everyone's status."""

from __future__ import annotations

from datetime import time
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts.views import guard_staff
from portal.errors import DomainError
from portal.extensions import db
from portal.forms import choices
from portal.scheduling import feed, services
from portal.scheduling.calendars import error_words
from portal.scheduling.engine import Period
from portal.scheduling.forms import (
    WEEKDAY_KEYS,
    WEEKDAY_NAMES,
    CaldavForm,
    ChooseCalendarForm,
    DayOffForm,
    HoursForm,
    IcsForm,
)
from portal.timeutil import utcnow
from portal.web import current_lang
from portal.zones import fit_picker

bp = Blueprint("scheduling", __name__, url_prefix="/staff/availability")
guard_staff(bp)


def _settings() -> Any:
    return current_app.config["PORTAL"]


def _minutes(value: time | None) -> int | None:
    return None if value is None else value.hour * 60 + value.minute


def _clock(minutes: int | None) -> time | None:
    if minutes is None:
        return None
    return time(0, 0) if minutes >= 1440 else time(minutes // 60, minutes % 60)


def _form_error(form: Any, exc: DomainError) -> None:
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None:
        target.errors = [*target.errors, str(exc.message)]
    else:
        form.form_errors.append(str(exc.message))


def _hours_form(schedule: services.Schedule) -> HoursForm:
    form = HoursForm()
    if not form.is_submitted():
        form.timezone.data = schedule.timezone
        for weekday, key in enumerate(WEEKDAY_KEYS):
            period = schedule.week.get(weekday)
            getattr(form, f"{key}_on").data = period is not None
            if period is not None:
                getattr(form, f"{key}_start").data = _clock(period.start)
                getattr(form, f"{key}_end").data = _clock(period.end)
                getattr(form, f"{key}_break_start").data = _clock(period.break_start)
                getattr(form, f"{key}_break_end").data = _clock(period.break_end)
    fit_picker(form.timezone, utcnow(), current_lang())
    return form


def _week_from(form: HoursForm) -> dict[int, Period] | None:
    """The week the form describes, or None with inline errors."""
    week: dict[int, Period] = {}
    valid = True
    for weekday, key in enumerate(WEEKDAY_KEYS):
        if not getattr(form, f"{key}_on").data:
            continue
        start = _minutes(getattr(form, f"{key}_start").data)
        end = _minutes(getattr(form, f"{key}_end").data)
        if start is None or end is None:
            field = getattr(form, f"{key}_start" if start is None else f"{key}_end")
            field.errors = [*field.errors, _("Give the start and end of the day.")]
            valid = False
            continue
        if end == 0:
            end = 1440  # "to 00:00": until midnight
        week[weekday] = Period(start, end, _minutes(getattr(form, f"{key}_break_start").data),
                               _minutes(getattr(form, f"{key}_break_end").data))
    return week if valid else None


def _page(hours: HoursForm | None = None, day_off: DayOffForm | None = None,
          caldav: CaldavForm | None = None, ics: IcsForm | None = None,
          status: int = 200) -> Any:
    schedule = services.schedule_of(db.session, _settings(), current_user)
    hours = hours or _hours_form(schedule)
    return render_template(
        "staff/availability.html", schedule=schedule, hours=hours,
        day_off=day_off or DayOffForm(formdata=None), caldav=caldav or CaldavForm(formdata=None),
        ics=ics or IcsForm(formdata=None), weekdays=list(zip(WEEKDAY_KEYS, WEEKDAY_NAMES,
                                                             strict=True)),
        problems={c.id: services.connection_problem(c, utcnow())
                  for c in schedule.connections},
        error_words=error_words, feed=feed.feed_of(db.session, current_user),
        token=None, feed_tz=schedule.timezone), status


@bp.route("", methods=["GET", "POST"])
def index() -> Any:
    """The member's own availability; POST saves zone and working hours."""
    schedule = services.schedule_of(db.session, _settings(), current_user)
    form = _hours_form(schedule)
    if form.is_submitted():
        week = _week_from(form) if form.validate() else None
        if week is not None:
            try:
                services.save_schedule(db.session, current_user, current_user,
                                       form.timezone.data or "", week)
            except DomainError as exc:
                _form_error(form, exc)
            else:
                db.session.commit()
                flash(_("Working hours saved."), "success")
                return redirect(url_for(".index"), 303)
        return _page(hours=form, status=422)
    return _page(hours=form)


@bp.post("/days-off")
def add_day_off() -> Any:
    form = DayOffForm()
    if form.validate():
        try:
            services.add_day_off(db.session, current_user, form.day.data)
        except DomainError as exc:
            _form_error(form, exc)
        else:
            db.session.commit()
            flash(_("Day off added."), "success")
            return redirect(url_for(".index") + "#days-off", 303)
    return _page(day_off=form, status=422)


@bp.post("/days-off/<int:day_off_id>/delete")
def remove_day_off(day_off_id: int) -> Any:
    services.remove_day_off(db.session, current_user, day_off_id)
    db.session.commit()
    flash(_("Day off removed."), "success")
    return redirect(url_for(".index") + "#days-off", 303)


@bp.post("/calendars/caldav")
def connect_caldav() -> Any:
    """Connect a CalDAV account; it is read once at once (the test), or the choice of
    calendar is asked for."""
    form = CaldavForm()
    if form.validate():
        try:
            done = services.connect_caldav(
                db.session, _settings(), current_user, form.url.data or "",
                form.username.data or "", form.password.data or "", form.calendar.data or "")
        except DomainError as exc:
            _form_error(form, exc)
        else:
            db.session.commit()
            if done.choices:
                return redirect(url_for(".choose_calendar",
                                        connection_id=done.connection.id), 303)
            flash(_("Calendar connected: %(count)s busy times found in the coming weeks.",
                    count=done.connection.busy_count), "success")
            return redirect(url_for(".index") + "#calendars", 303)
    return _page(caldav=form, status=422)


@bp.route("/calendars/<int:connection_id>/choose", methods=["GET", "POST"])
def choose_calendar(connection_id: int) -> Any:
    """Which calendar of the account the portal reads and writes."""
    form = ChooseCalendarForm()
    found: list[tuple[str, str]] = []
    try:
        found = services.calendar_choices(db.session, _settings(), current_user, connection_id)
    except DomainError as exc:
        _form_error(form, exc)
    form.calendar.choices = choices(found)
    if form.is_submitted() and found and form.validate():
        try:
            connection = services.choose_calendar(db.session, _settings(), current_user,
                                                  connection_id, form.calendar.data or "")
        except DomainError as exc:
            _form_error(form, exc)
        else:
            db.session.commit()
            flash(_("Calendar connected: %(count)s busy times found in the coming weeks.",
                    count=connection.busy_count), "success")
            return redirect(url_for(".index") + "#calendars", 303)
    failed = bool(form.errors or form.form_errors)
    return render_template("staff/availability_choose.html", form=form, found=found,
                           connection_id=connection_id), 422 if failed else 200


@bp.post("/calendars/ics")
def connect_ics() -> Any:
    form = IcsForm()
    if form.validate():
        try:
            connection = services.connect_ics(db.session, _settings(), current_user,
                                              form.ics_url.data or "")
        except DomainError as exc:
            _form_error(form, exc)
        else:
            db.session.commit()
            flash(_("Calendar connected: %(count)s busy times found in the coming weeks.",
                    count=connection.busy_count), "success")
            return redirect(url_for(".index") + "#calendars", 303)
    return _page(ics=form, status=422)


@bp.post("/calendars/<int:connection_id>/refresh")
def refresh(connection_id: int) -> Any:
    """Read the calendar again now."""
    failure = services.refresh_now(db.session, _settings(), current_user, connection_id)
    db.session.commit()
    if failure is None:
        flash(_("Calendar read again."), "success")
    else:
        flash(_("Could not read the calendar: %(why)s", why=error_words(failure.stored)),
              "error")
    return redirect(url_for(".index") + "#calendars", 303)


@bp.post("/calendars/<int:connection_id>/disconnect")
def disconnect(connection_id: int) -> Any:
    services.disconnect(db.session, current_user, connection_id)
    db.session.commit()
    flash(_("Calendar disconnected."), "success")
    return redirect(url_for(".index") + "#calendars", 303)


@bp.get("/everyone")
def everyone() -> Any:
    """Admins: every staff member's working hours and calendar status."""
    rows = services.everyone(db.session, current_user)
    return render_template("staff/availability_everyone.html", rows=rows,
                           error_words=error_words)


# The private calendar address registers its pages on ``bp`` (and has its own public one).
from portal.scheduling import feed_views  # noqa: E402, F401
