"""Booking requests in the back office: offer a round to one candidate
(/staff/applications/<id>/booking/new) or to a stage of an opening
(/staff/openings/<id>/stages/<id>/booking/new), see who has booked
(/staff/openings/<id>/booking), and withdraw a request or one candidate's offer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from portal.accounts.models import User
from portal.booking import services
from portal.booking.forms import RequestForm
from portal.booking.models import BookingOffer, BookingRequest, OfferStatus
from portal.booking.views import staff_bp as bp
from portal.confirm import Confirmation, ask, confirmed
from portal.errors import DomainError
from portal.extensions import db
from portal.feedback import services as fb
from portal.forms import choices
from portal.hiring import services as hiring
from portal.hiring.models import Application, Opening, Stage
from portal.platforms.links import InvalidMeetingLink, validate_meeting_link
from portal.platforms.registry import platform_choices
from portal.timeutil import utcnow, zone


def _settings() -> Any:
    return current_app.config["PORTAL"]


def _manager() -> None:
    if not current_user.can_manage_hiring:
        abort(403)


def _form(opening: Opening, applications: list[Application]) -> RequestForm:
    form = RequestForm()
    form.platform.choices = choices(platform_choices())
    form.interviewer_ids.choices = choices(
        (u.id, f"{u.name} ({u.email})") for u in db.session.scalars(
            select(User).where(User.active.is_(True)).order_by(User.name)))
    kits = fb.current_kits(db.session, opening.id)
    form.kit_id.choices = choices([("", _("No kit")), *((k.id, f"{k.name} (v{k.version})")
                                                          for k in kits)])
    form.application_ids.choices = choices((a.id, a.candidate.name) for a in applications)
    if not form.is_submitted():
        today = utcnow().astimezone(zone(_settings().default_timezone)).date()
        form.window_from.data = today + timedelta(days=1)
        form.window_to.data = today + timedelta(days=14)
        form.platform.data = "jitsi"
        form.application_ids.data = [a.id for a in applications]
        if kits:
            form.kit_id.data = kits[0].id
    return form


def _data(form: RequestForm) -> services.RequestData | None:
    """The form as data, with inline errors for what does not hold."""
    valid = form.validate_on_submit()
    platforms = dict(platform_choices())
    if form.platform.data not in platforms:
        form.platform.errors = [*form.platform.errors, _("Choose a platform from the list.")]
        valid = False
    url = (form.meeting_url.data or "").strip()
    if url and form.platform.data in platforms:
        try:
            url = validate_meeting_link(form.platform.data, url,
                                        jitsi_base_url=_settings().jitsi_base_url)
        except InvalidMeetingLink as exc:
            form.meeting_url.errors = [*form.meeting_url.errors, str(exc.message)]
            valid = False
    elif not url and not (form.create_jitsi_room.data and form.platform.data == "jitsi"):
        form.meeting_url.errors = [*form.meeting_url.errors, _(
            "Paste the meeting link, or choose Jitsi Meet and tick the box to create a room "
            "for each booking.")]
        valid = False
    if form.panel.data == "any" and not form.required.data:
        form.required.errors = [*form.required.errors, _("Enter how many.")]
        valid = False
    if not valid or form.window_from.data is None or form.window_to.data is None:
        return None
    return services.RequestData(
        round_name=form.round_name.data or "", duration_minutes=form.duration_minutes.data or 45,
        interviewer_ids=form.interviewer_ids.data or [],
        required=form.required.data if form.panel.data == "any" else None,
        window_from=form.window_from.data, window_to=form.window_to.data,
        notice_hours=form.notice_hours.data or 0,
        buffer_before_minutes=form.buffer_before_minutes.data or 0,
        buffer_after_minutes=form.buffer_after_minutes.data or 0,
        per_day_limit=form.per_day_limit.data, platform=form.platform.data or "",
        meeting_url=url, cutoff_hours=form.cutoff_hours.data or 0,
        what_to_expect=form.what_to_expect.data or "", preparation=form.preparation.data or "",
        kit_id=form.kit_id.data)


def _form_error(form: RequestForm, exc: DomainError) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, str(exc.message)]
    else:
        form.form_errors.append(str(exc.message))


def _create(opening: Opening, applications: list[Application], stage: Stage | None,
            back: str) -> Any:
    form = _form(opening, applications)
    if form.is_submitted():
        data = _data(form)
        if data is not None:
            chosen = set(form.application_ids.data or [])
            picked = [a for a in applications if a.id in chosen]
            try:
                created = services.create_request(db.session, _settings(), current_user,
                                                  opening, picked, data)
            except DomainError as exc:
                db.session.rollback()
                _form_error(form, exc)
            else:
                db.session.commit()
                flash(ngettext("Sent to %(num)d candidate: they choose a time in the portal.",
                               "Sent to %(num)d candidates: they choose a time in the portal.",
                               len(created.offers)), "success")
                if created.skipped:
                    flash(_("Not sent to %(names)s: they already have a time to book.",
                            names=", ".join(a.candidate.name for a in created.skipped)),
                          "error")
                return redirect(url_for(".requests", opening_id=opening.id)
                                + f"#request-{created.request.id}", 303)
    return render_template("staff/booking_form.html", form=form, opening=opening,
                           applications=applications, stage=stage, back=back), (
        422 if form.errors or form.form_errors else 200)


@bp.route("/applications/<int:application_id>/booking/new", methods=["GET", "POST"])
def new_for_application(application_id: int) -> Any:
    """Offer one candidate a round to book themselves."""
    _manager()
    application = hiring.get_application(db.session, current_user, application_id)
    back = url_for("hiring.candidate", candidate_id=application.candidate_id)
    if application.is_closed:
        flash(_("This process is closed; reopen it before scheduling."), "error")
        return redirect(back, 303)
    return _create(application.opening, [application], None, back)


@bp.route("/openings/<int:opening_id>/stages/<int:stage_id>/booking/new",
          methods=["GET", "POST"])
def new_for_stage(opening_id: int, stage_id: int) -> Any:
    """Offer a round to every open application in a stage at once."""
    opening = hiring.get_opening(db.session, current_user, opening_id)
    stage = db.session.get(Stage, stage_id)
    if stage is None or stage.opening_id != opening.id or stage.is_end:
        abort(404)
    applications = list(db.session.scalars(
        select(Application).where(Application.opening_id == opening.id,
                                  Application.stage_id == stage.id,
                                  Application.closed_at.is_(None))
        .order_by(Application.created_at)))
    back = url_for("hiring.pipeline", opening_id=opening.id)
    if not applications:
        flash(_("Nobody to offer the round to: no open application is in this stage."),
              "error")
        return redirect(back, 303)
    return _create(opening, applications, stage, back)


@bp.route("/openings/<int:opening_id>/booking/new", methods=["GET", "POST"])
def new_for_applications(opening_id: int) -> Any:
    """Offer a round to the open applications ticked on the board or the candidates page
    (``?application_id=...``, after the bulk preview)."""
    opening = hiring.get_opening(db.session, current_user, opening_id)
    ids = [int(raw) for raw in request.args.getlist("application_id")
           if raw.isascii() and raw.isdigit() and len(raw) < 10]
    applications = list(db.session.scalars(
        select(Application).where(Application.opening_id == opening.id,
                                  Application.id.in_(ids),
                                  Application.closed_at.is_(None))
        .order_by(Application.created_at))) if ids else []
    back = url_for("hiring.pipeline", opening_id=opening.id)
    if not applications:
        flash(_("Nobody to offer the round to: no open application is in "
                "this stage."), "error")
        return redirect(back, 303)
    return _create(opening, applications, None, back)


@bp.get("/openings/<int:opening_id>/booking")
def requests(opening_id: int) -> Any:
    """The opening's booking requests: who has booked which time, and who has not yet."""
    opening = hiring.get_opening(db.session, current_user, opening_id)
    return render_template("staff/booking_list.html", opening=opening,
                           requests=services.requests_of_opening(db.session, opening),
                           tz=_settings().default_timezone, now=utcnow(),
                           interview_of=_interview_of, ordered=_ordered,
                           one_minute=timedelta(minutes=1))


# Who has not booked comes first, then who has, then the rest.
_ORDER = {OfferStatus.OPEN: 0, OfferStatus.BOOKED: 1, OfferStatus.CLOSED: 2,
          OfferStatus.WITHDRAWN: 3}


def _ordered(offers: list[BookingOffer]) -> list[BookingOffer]:
    return sorted(offers, key=lambda o: (_ORDER.get(o.status, 9), o.application.candidate.name))


def _interview_of(offer: BookingOffer) -> Any:
    if offer.interview_id is None:
        return None
    return next((i for i in offer.application.interviews if i.id == offer.interview_id), None)


def _withdraw_confirmation(item: BookingRequest) -> Confirmation:
    waiting = [o.application.candidate.name for o in item.offers if o.is_open]
    booked = sum(1 for o in item.offers if o.status == OfferStatus.BOOKED)
    said = [_("%(round)s can no longer be booked. The booking page of everyone who has not "
              "booked yet says so; nobody is emailed.", round=item.round_name)]
    if waiting:
        said.append(_("Not booked yet: %(names)s.", names=", ".join(waiting)))
    if booked:
        said.append(ngettext("%(num)d interview already booked stays; cancel it on the "
                             "candidate's page if it should not take place.",
                             "%(num)d interviews already booked stay; cancel them on the "
                             "candidates' pages if they should not take place.", booked))
    return Confirmation(
        slot=f"confirm-withdraw-{item.id}", title=_("Withdraw this booking request?"),
        consequences=said, action=url_for(".withdraw", request_id=item.id),
        button=_("Yes, withdraw the request"),
        back=url_for(".requests", opening_id=item.opening_id) + f"#request-{item.id}")


@bp.route("/booking/<int:request_id>/withdraw", methods=["GET", "POST"])
def withdraw(request_id: int) -> Any:
    """Withdraw a whole request, after a confirm step."""
    item = services.get_request(db.session, current_user, request_id)
    back = url_for(".requests", opening_id=item.opening_id) + f"#request-{item.id}"
    if item.withdrawn_at is not None:
        flash(_("The request is already withdrawn."), "error")
        return redirect(back, 303)
    if request.method == "GET" or not confirmed(request.form):
        return ask("staff/confirm.html", _withdraw_confirmation(item),
                   200 if request.method == "GET" else 422)
    count = services.withdraw_request(db.session, current_user, item)
    db.session.commit()
    flash(ngettext("Request withdrawn; %(num)d candidate can no longer book.",
                   "Request withdrawn; %(num)d candidates can no longer book.", count),
          "success")
    return redirect(back, 303)


@bp.route("/booking/offers/<int:offer_id>/withdraw", methods=["GET", "POST"])
def withdraw_offer(offer_id: int) -> Any:
    """Withdraw one candidate's offer before they book, after a confirm step."""
    offer = services.get_offer(db.session, current_user, offer_id)
    back = url_for(".requests", opening_id=offer.request.opening_id) + \
        f"#request-{offer.request_id}"
    if not offer.is_open:
        flash(_("There is nothing open to withdraw for this candidate."), "error")
        return redirect(back, 303)
    name = offer.application.candidate.name
    if request.method == "GET" or not confirmed(request.form):
        return ask("staff/confirm.html", Confirmation(
            slot=f"confirm-withdraw-offer-{offer.id}",
            title=_("Withdraw the offer to %(name)s?", name=name),
            consequences=[_("%(name)s can no longer book %(round)s. Their booking page says "
                            "so; they are not emailed.", name=name,
                            round=offer.request.round_name)],
            action=url_for(".withdraw_offer", offer_id=offer.id),
            button=_("Yes, withdraw the offer"), back=back),
            200 if request.method == "GET" else 422)
    services.withdraw_offer(db.session, current_user, offer)
    db.session.commit()
    flash(_("Offer to %(name)s withdrawn.", name=name), "success")
    return redirect(back, 303)
