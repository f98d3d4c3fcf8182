"""Interviews (/staff/applications/<id>/interviews/new, /staff/interviews/...): schedule,
change, send and cancel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.accounts.models import User
from portal.errors import DomainError
from portal.extensions import db
from portal.feedback import services as fb
from portal.forms import choices
from portal.hiring import notify, services
from portal.hiring.forms import InterviewForm
from portal.hiring.models import Application, Interview
from portal.hiring.views import _form_error, _manager, _settings, bp
from portal.platforms.links import InvalidMeetingLink, new_jitsi_room_link, validate_meeting_link
from portal.platforms.registry import platform_choices
from portal.process import lifecycle
from portal.timeutil import is_valid_zone, utcnow, zone
from portal.web import current_lang
from portal.zones import fit_picker


def _interview_form(application: Application,
                    interview: Interview | None = None) -> InterviewForm:
    tz = _settings().default_timezone
    form = InterviewForm()
    form.platform.choices = choices(platform_choices())
    interviewers = db.session.scalars(
        select(User).where(User.active.is_(True)).order_by(User.name)).all()
    form.interviewer_ids.choices = choices(
        (u.id, f"{u.name} ({u.email})") for u in interviewers)

    kits = fb.current_kits(db.session, application.opening_id)
    form.kit_id.choices = choices([("", _("No kit")), *((k.id, f"{k.name} (v{k.version})")
                                                          for k in kits)])
    form.stage_id.choices = choices(
        (s.id, s.display_name) for s in application.opening.stages if not s.is_end)
    if not form.is_submitted():
        form.stage_id.data = (interview.stage_id if interview is not None and interview.stage_id
                              else lifecycle.fitting_interview_stage(application).id)
        form.timezone.data = tz
        if interview is not None:
            local = interview.starts_at.astimezone(zone(tz))
            form.round_name.data = interview.round_name
            form.date.data, form.time.data = local.date(), local.time()
            form.duration_minutes.data = interview.duration_minutes
            form.platform.data = interview.platform
            form.meeting_url.data = interview.meeting_url
            form.interviewer_ids.data = [u.id for u in interview.interviewers]
            form.what_to_expect.data = interview.what_to_expect
            form.preparation.data = interview.preparation
            form.kit_id.data = interview.kit_id
        elif kits:
            form.kit_id.data = kits[0].id
    fit_picker(form.timezone, utcnow(), current_lang())
    return form


def _interview_data(form: InterviewForm) -> services.InterviewData | None:
    """Turn the form into data, adding inline errors for what does not hold."""
    valid = form.validate_on_submit()
    settings = _settings()
    if form.platform.data not in dict(platform_choices()):
        form.platform.errors = [*form.platform.errors, _("Choose a platform from the list.")]
        valid = False
    url = (form.meeting_url.data or "").strip()
    if form.create_jitsi_room.data and form.platform.data == "jitsi" and not url:
        url = new_jitsi_room_link(settings.jitsi_base_url)
    if not url:
        form.meeting_url.errors = [*form.meeting_url.errors, _(
            "Paste the meeting link, or tick the box to create a Jitsi room.")]
        valid = False
    elif form.platform.data in dict(platform_choices()):
        try:
            url = validate_meeting_link(form.platform.data, url,
                                        jitsi_base_url=settings.jitsi_base_url)
        except InvalidMeetingLink as exc:
            form.meeting_url.errors = [*form.meeting_url.errors, str(exc.message)]
            valid = False
    tzname = form.timezone.data or settings.default_timezone
    if not is_valid_zone(tzname):
        form.timezone.errors = [*form.timezone.errors, _("Choose a time zone from the list.")]
        valid = False
    if not valid or form.date.data is None or form.time.data is None:
        return None
    starts = datetime.combine(form.date.data, form.time.data, tzinfo=zone(tzname))
    form.meeting_url.data = url
    return services.InterviewData(
        round_name=form.round_name.data or "", starts_at=starts,
        duration_minutes=form.duration_minutes.data or 45, platform=form.platform.data or "",
        meeting_url=url, what_to_expect=form.what_to_expect.data or "",
        preparation=form.preparation.data or "", interviewer_ids=form.interviewer_ids.data or [],
        kit_id=form.kit_id.data, stage_id=form.stage_id.data)


@bp.route("/applications/<int:application_id>/interviews/new", methods=["GET", "POST"])
def new_interview(application_id: int) -> Any:
    """Schedule an interview; optionally send the invitation in the same step."""
    _manager()
    application = services.get_application(db.session, current_user, application_id)
    form = _interview_form(application)
    if form.is_submitted():
        data = _interview_data(form)
        if data is not None:
            try:
                item = lifecycle.schedule(db.session, _settings(), current_user, application,
                                          data, send=request.form.get("send") == "1")
            except DomainError as exc:
                # Nothing of the refused change stays (a clash may have spoilt the
                # transaction); the form shows why, e.g. who already has an interview then.
                db.session.rollback()
                _form_error(form, exc)
            else:
                db.session.commit()
                flash(_("Interview scheduled.") + (" " + _("The invitation is on its way.")
                      if request.form.get("send") == "1" else ""), "success")
                return redirect(url_for(".candidate", candidate_id=application.candidate_id)
                                + f"#interview-{item.id}", 303)
    elif not form.what_to_expect.data:
        form.what_to_expect.data = ""
    return render_template("staff/interview_form.html", form=form, application=application,
                           interview=None), (422 if form.errors or form.form_errors else 200)


@bp.route("/interviews/<int:interview_id>/edit", methods=["GET", "POST"])
def edit_interview(interview_id: int) -> Any:
    """Change an interview; everyone already invited gets an update."""
    _manager()
    item = services.get_interview(db.session, current_user, interview_id)
    form = _interview_form(item.application, item)
    if form.is_submitted():
        data = _interview_data(form)
        if data is not None:
            try:
                told = lifecycle.reschedule(db.session, _settings(), current_user, item, data)
            except DomainError as exc:
                db.session.rollback()
                _form_error(form, exc)
            else:
                db.session.commit()
                if not item.invited_at:
                    note = ""
                elif told:
                    note = " " + _("Everyone invited gets an update.")
                else:
                    note = " " + _("The panel gets an update; the candidate sees no change "
                                   "and is not emailed.")
                flash(_("Interview changed.") + note, "success")
                return redirect(url_for(".candidate", candidate_id=item.application.candidate_id)
                                + f"#interview-{item.id}", 303)
    return render_template("staff/interview_form.html", form=form,
                           application=item.application, interview=item), (
        422 if form.errors or form.form_errors else 200)


@bp.post("/interviews/<int:interview_id>/send")
def send_invitation(interview_id: int) -> Any:
    _manager()
    item = services.get_interview(db.session, current_user, interview_id)
    if item.is_cancelled:
        abort(400)
    notify.send_invitation(db.session, _settings(), item)
    db.session.commit()
    flash(_("The invitation is on its way."), "success")
    return redirect(url_for(".candidate", candidate_id=item.application.candidate_id)
                    + f"#interview-{item.id}", 303)


def _cancel_confirmation(item: Interview) -> Any:
    """What cancelling ``item`` does, and to whom, for the confirm step."""
    from portal.confirm import Confirmation
    from portal.web import fmt_when

    candidate = item.application.candidate
    when = fmt_when(item.starts_at, item.ends_at, _settings().default_timezone)
    said = [_("%(round)s with %(name)s, %(when)s, is cancelled. This cannot be undone.",
              round=item.round_name, name=candidate.name, when=when)]
    panel = ", ".join(f"{u.name} ({u.email})" for u in item.interviewers)
    if not item.invited_at:
        said.append(_("No invitation has been sent yet, so nobody is emailed."))
    elif panel:
        said.append(_("An email that the interview is cancelled goes at once to %(name)s "
                      "(%(email)s) and to the panel: %(panel)s.",
                      name=candidate.name, email=candidate.email, panel=panel))
    else:
        said.append(_("An email that the interview is cancelled goes at once to %(name)s "
                      "(%(email)s).", name=candidate.name, email=candidate.email))
    return Confirmation(
        slot=f"confirm-cancel-{item.id}", title=_("Cancel this interview?"), consequences=said,
        action=url_for(".cancel_interview", interview_id=item.id),
        button=_("Yes, cancel the interview"),
        back=url_for(".candidate", candidate_id=candidate.id) + f"#interview-{item.id}")


@bp.route("/interviews/<int:interview_id>/cancel", methods=["GET", "POST"])
def cancel_interview(interview_id: int) -> Any:
    """Cancel a round, after a confirm step that names who is emailed."""
    from portal.confirm import ask, confirmed

    _manager()
    item = services.get_interview(db.session, current_user, interview_id)
    if request.method == "GET" or not confirmed(request.form):
        if item.is_cancelled:
            flash(_("The interview is already cancelled."), "error")
            return redirect(url_for(".candidate", candidate_id=item.application.candidate_id),
                            303)
        return ask("staff/confirm.html", _cancel_confirmation(item),
                   200 if request.method == "GET" else 422,
                   subject=f"{item.round_name} – {item.application.candidate.name}")
    try:
        lifecycle.cancel_interview(db.session, _settings(), current_user, item)
    except DomainError as exc:
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(_("Interview cancelled. Everyone invited has been told."), "success")
    return redirect(url_for(".candidate", candidate_id=item.application.candidate_id), 303)
