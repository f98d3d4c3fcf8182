"""The candidate's booking pages: choose a time (/portal/booking/<id>), confirm it
(/portal/booking/<id>/confirm), move or cancel a booked interview before the cut-off
(/portal/interviews/<id>/move, /cancel-booking), and adjustments
(/portal/applications/<id>/adjustments).

Two taps: a time is a button on the first page (a GET form, no JavaScript needed), the
second page books it. A time someone took first answers 409 with the times still free."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from babel.dates import format_date, format_time
from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from portal.booking import adjustments as adj
from portal.booking import holds, services
from portal.booking.forms import AdjustmentForm
from portal.booking.models import BookingOffer
from portal.booking.views import portal_bp as bp
from portal.candidate import queries
from portal.confirm import Confirmation, ask, confirmed
from portal.errors import DomainError
from portal.extensions import db
from portal.hiring.models import Candidate, Interview
from portal.platforms.registry import get_platform
from portal.process import booking as process
from portal.timeutil import utcnow, zone
from portal.web import current_lang


def _settings() -> Any:
    return current_app.config["PORTAL"]


def _offer_or_404(offer_id: int) -> BookingOffer:
    offer = services.offer_for(db.session, g.candidate, offer_id)
    if offer is None:
        abort(404)
    return offer


def _interview_or_404(interview_id: int) -> Interview:
    interview = queries.interview_for(db.session, g.candidate, interview_id)
    if interview is None:
        abort(404)
    return interview


def _longer(offer: BookingOffer) -> bool:
    """Show times for a longer interview: asked in the address, else what the candidate
    asked for before in this process."""
    asked = request.values.get("longer")
    if asked in ("0", "1"):
        return asked == "1"
    row = adj.adjustment_of(db.session, offer.application_id)
    return row is not None and "more_time" in row.kind_list


def _start() -> datetime:
    start = services.parse_start(request.values.get("start"))
    if start is None:
        abort(400)
    return start


def _day_name(day: date) -> str:
    """A day heading: 'Tisdag 14 januari' / 'Tuesday 14 January'."""
    name = format_date(day, "EEEE d MMMM", locale=current_lang())
    return name[:1].upper() + name[1:]


def _clock(moment: datetime, tzname: str) -> str:
    """A slot's time on its button: '14.00' in Swedish, '14:00' in English."""
    local = moment.astimezone(zone(tzname))
    if current_lang() == "sv":
        return format_time(local, "HH.mm", locale="sv")
    return format_time(local, "HH:mm", locale="en")


def _slots_page(offer: BookingOffer, *, longer: bool, interview: Interview | None = None,
                taken: bool = False, error: str | None = None, status: int = 200) -> Any:
    """The times still free for ``offer``, by day in the candidate's zone (moving
    ``interview`` when given)."""
    candidate: Candidate = g.candidate
    now = utcnow()
    problem = None if interview is not None else process.bookable_problem(offer, now)
    days: list[services.Day] = []
    unreadable = False
    if problem is None:
        found = services.free_slots(db.session, offer.request, longer, now,
                                    ignore_interview_id=interview.id if interview else None)
        days = services.by_day(found.slots, candidate.timezone)
        unreadable = bool(found.unreadable)
    request_ = offer.request
    return render_template(
        "candidate/booking.html", offer=offer, req=request_, interview=interview,
        opening=offer.application.opening, days=days, longer=longer, taken=taken,
        error=error, problem=problem, unreadable=unreadable, tz=candidate.timezone,
        problem_text=str(process.PROBLEMS[problem]) if problem else "",
        day_name=_day_name, clock=_clock,
        minutes=services.booked_minutes(request_, longer),
        longer_minutes=services.longer_minutes(request_.duration_minutes),
        platform=get_platform(request_.platform),
        confirm_url=(url_for(".move_confirm", interview_id=interview.id) if interview
                     else url_for(".confirm", offer_id=offer.id)),
        page_url=(url_for(".move", interview_id=interview.id) if interview
                  else url_for(".book", offer_id=offer.id)),
    ), status


def _confirm_page(offer: BookingOffer, start: datetime, *, longer: bool,
                  interview: Interview | None = None, form: AdjustmentForm | None = None,
                  error: str | None = None, status: int = 200) -> Any:
    candidate: Candidate = g.candidate
    minutes = services.booked_minutes(offer.request, longer)
    if form is None:
        form = AdjustmentForm(formdata=None)
        row = adj.adjustment_of(db.session, offer.application_id)
        if row is not None:
            form.adjustments.data = row.kind_list
            form.note.data = row.note
    return render_template(
        "candidate/booking_confirm.html", offer=offer, req=offer.request, start=start,
        end=start + timedelta(minutes=minutes), minutes=minutes, longer=longer,
        interview=interview, opening=offer.application.opening, tz=candidate.timezone,
        form=form, error=error, platform=get_platform(offer.request.platform),
        kinds=adj.ADJUSTMENT_KINDS,
        longer_minutes=services.longer_minutes(offer.request.duration_minutes),
        longer_url=(url_for(".move", interview_id=interview.id, longer=1) if interview
                    else url_for(".book", offer_id=offer.id, longer=1)),
        action=(url_for(".move_post", interview_id=interview.id) if interview
                else url_for(".book_post", offer_id=offer.id)),
        back=(url_for(".move", interview_id=interview.id, longer=int(longer)) if interview
              else url_for(".book", offer_id=offer.id, longer=int(longer))),
    ), status


# ---------------------------------------------------------------- booking


@bp.get("/portal/booking/<int:offer_id>")
def book(offer_id: int) -> Any:
    """The free times of an offered round, grouped by day in the candidate's zone. A
    booked offer leads to its interview."""
    offer = _offer_or_404(offer_id)
    if offer.interview_id is not None and process.bookable_problem(offer) == "booked":
        return redirect(url_for("candidate.interview", interview_id=offer.interview_id))
    return _slots_page(offer, longer=_longer(offer))


@bp.get("/portal/booking/<int:offer_id>/confirm")
def confirm(offer_id: int) -> Any:
    """The second tap: the chosen time, adjustments if wanted, and "Book this time"."""
    offer = _offer_or_404(offer_id)
    if process.bookable_problem(offer) is not None:
        return redirect(url_for(".book", offer_id=offer.id), 303)
    return _confirm_page(offer, _start(), longer=_longer(offer))


@bp.post("/portal/booking/<int:offer_id>")
def book_post(offer_id: int) -> Any:
    """Book the time: the interview is made and the invitation sent. A time that is no
    longer free answers 409 with the times still free."""
    offer = _offer_or_404(offer_id)
    longer = request.form.get("longer") == "1"
    form = AdjustmentForm()
    if not form.validate_on_submit():
        message = next(iter(form.errors.values()))[0] if form.errors else _("Try again.")
        return _confirm_page(offer, _start(), longer=longer, form=form, error=message,
                             status=422)
    start = _start()
    kinds = list(form.adjustments.data or [])
    if longer and "more_time" not in kinds:
        kinds.append("more_time")
    elif not longer and "more_time" in kinds:
        kinds.remove("more_time")
    try:
        interview = process.book(db.session, _settings(), g.candidate, offer, start,
                                 longer=longer, adjustments=kinds, note=form.note.data or "")
        db.session.commit()
    except holds.SlotTaken as exc:
        db.session.rollback()
        offer = _offer_or_404(offer_id)
        return _slots_page(offer, longer=longer, taken=True, error=str(exc.message),
                           status=409)
    except DomainError as exc:
        db.session.rollback()
        offer = _offer_or_404(offer_id)
        if offer.interview_id is not None and process.bookable_problem(offer) == "booked":
            # A second tap (or another tab) after the booking went through: show it.
            return redirect(url_for("candidate.interview", interview_id=offer.interview_id),
                            303)
        return _slots_page(offer, longer=longer, error=str(exc.message), status=422)
    flash(_("Booked. The invitation with the calendar file is on its way to you."), "success")
    return redirect(url_for("candidate.interview", interview_id=interview.id), 303)


# ---------------------------------------------------------------- moving and cancelling


def _movable(interview: Interview) -> BookingOffer:
    state = process.self_service(db.session, interview)
    if state.offer is None:
        abort(404)
    if not state.can_change:
        flash(_("It is too late to change the time here. Ask us for another time instead."),
              "error")
        abort(_redirect_to(interview))
    return state.offer


def _redirect_to(interview: Interview) -> Any:
    return redirect(url_for("candidate.interview", interview_id=interview.id) + "#response",
                    303)


@bp.get("/portal/interviews/<int:interview_id>/move")
def move(interview_id: int) -> Any:
    """Pick another time for a booked interview, from the same offered times."""
    interview = _interview_or_404(interview_id)
    offer = _movable(interview)
    return _slots_page(offer, longer=_longer(offer), interview=interview)


@bp.get("/portal/interviews/<int:interview_id>/move/confirm")
def move_confirm(interview_id: int) -> Any:
    interview = _interview_or_404(interview_id)
    offer = _movable(interview)
    return _confirm_page(offer, _start(), longer=_longer(offer), interview=interview)


@bp.post("/portal/interviews/<int:interview_id>/move")
def move_post(interview_id: int) -> Any:
    """Move the booked interview; everyone invited gets the update."""
    interview = _interview_or_404(interview_id)
    _movable(interview)
    start = _start()
    longer = request.form.get("longer") == "1"
    try:
        process.rebook(db.session, _settings(), g.candidate, interview, start, longer=longer)
        db.session.commit()
    except holds.SlotTaken as exc:
        db.session.rollback()
        interview = _interview_or_404(interview_id)
        return _slots_page(_movable(interview), longer=longer, interview=interview,
                           taken=True, error=str(exc.message), status=409)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return _redirect_to(_interview_or_404(interview_id))
    flash(_("Your interview has been moved. The new time is on its way to you in an "
            "email."), "success")
    return redirect(url_for("candidate.interview", interview_id=interview_id), 303)


@bp.route("/portal/interviews/<int:interview_id>/cancel-booking", methods=["GET", "POST"])
def cancel(interview_id: int) -> Any:
    """Cancel a booked interview before the cut-off, after a confirm step."""
    interview = _interview_or_404(interview_id)
    offer = _movable(interview)
    if request.method == "GET" or not confirmed(request.form):
        said = [_("The interview is cancelled and the panel is told.")]
        if offer.request.window_ends_at > utcnow():
            said.append(_("You can book another time afterwards, while times are offered."))
        return ask("candidate/confirm.html", Confirmation(
            slot="confirm-cancel-booking", title=_("Cancel your interview?"),
            consequences=said,
            action=url_for(".cancel", interview_id=interview.id),
            button=_("Yes, cancel the interview"),
            back=url_for("candidate.interview", interview_id=interview.id) + "#response"),
            200 if request.method == "GET" else 422)
    try:
        process.cancel(db.session, _settings(), g.candidate, interview)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return _redirect_to(_interview_or_404(interview_id))
    flash(_("Your interview is cancelled."), "success")
    return redirect(url_for(".book", offer_id=offer.id), 303)


# ---------------------------------------------------------------- adjustments


@bp.route("/portal/applications/<int:application_id>/adjustments", methods=["GET", "POST"])
def adjustments(application_id: int) -> Any:
    """What the candidate asks us to adjust for their interviews in this process."""
    application = queries.application_for(db.session, g.candidate, application_id)
    if application is None:
        abort(404)
    row = adj.adjustment_of(db.session, application.id)
    form = AdjustmentForm(formdata=request.form if request.method == "POST" else None)
    error = None
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                # The panel of interviews already sent is told once, by email.
                adj.ask_for_adjustments(db.session, _settings(), application,
                                        form.adjustments.data or [], form.note.data or "")
            except DomainError as exc:
                db.session.rollback()
                error = str(exc.message)
            else:
                db.session.commit()
                flash(_("Thank you. The people you meet will see what you asked for."),
                      "success")
                return redirect(url_for(".adjustments", application_id=application.id), 303)
        else:
            error = next(iter(form.errors.values()))[0]
    elif row is not None:
        form.adjustments.data = row.kind_list
        form.note.data = row.note
    upcoming = [i for i in application.interviews
                if not i.is_cancelled and i.ends_at > utcnow()]
    moves = {i.id: process.self_service(db.session, i).can_change for i in upcoming}
    return render_template("candidate/adjustments.html", application=application, form=form,
                           error=error, kinds=adj.ADJUSTMENT_KINDS, upcoming=upcoming,
                           moves=moves, tz=g.candidate.timezone), (422 if error else 200)
