"""Candidate pages. Every endpoint needs a candidate session except those listed in
PUBLIC; a candidate reaching another candidate's object gets 404."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select

from portal.candidate import queries
from portal.candidate.auth import require_candidate, sign_in, sign_out
from portal.candidate.forms import NewLinkForm, ResponseForm, TimezoneForm
from portal.errors import DomainError, NotFound
from portal.extensions import db, limiter
from portal.hiring import services as hiring
from portal.hiring.models import Candidate
from portal.hiring.notify import queue_new_link
from portal.links.services import LinkProblem, record_use, verify_token
from portal.messaging.calendar import interview_ics
from portal.messaging.models import OutboxMessage
from portal.platforms.registry import PLATFORMS, TROUBLESHOOTING, get_platform
from portal.timeutil import all_zones, is_valid_zone, utcnow
from portal.web import current_lang, is_htmx_target, safe_next

bp = Blueprint("candidate", __name__)
PUBLIC = {"candidate.open_link", "candidate.link_problem", "candidate.new_link",
          "candidate.about"}
NEW_LINKS_PER_HOUR = 3


@bp.before_request
def _require_candidate() -> Any:
    """Deny by default."""
    if request.endpoint in PUBLIC:
        return None
    return require_candidate()


@bp.context_processor
def _inject_candidate() -> dict[str, Any]:
    """Every candidate template knows who is signed in (navigation, time zone sync)."""
    return {"candidate": g.get("candidate")}


def _settings() -> Any:
    return current_app.config["PORTAL"]


# ---------------------------------------------------------------- links


@bp.get("/c/<token>")
@limiter.limit("60 per minute")
def open_link(token: str) -> Any:
    """Exchange a magic link for a session, then redirect to a clean URL so the token
    leaves the address bar. The link is not used up: a mail scanner that fetches it first
    does not break it for the candidate."""
    try:
        link, candidate = verify_token(db.session, _settings(), token)
    except LinkProblem as problem:
        if problem.candidate is not None:
            session["lang"] = session.get("lang") or problem.candidate.language
        return redirect(url_for("candidate.link_problem", reason=problem.reason), 303)
    record_use(link)
    now = utcnow()
    candidate.first_seen_at = candidate.first_seen_at or now
    candidate.last_seen_at = now
    db.session.commit()
    sign_in(link, candidate)
    target = safe_next(request.args.get("next"), url_for("candidate.overview"))
    if not target.startswith("/portal"):
        target = url_for("candidate.overview")
    return redirect(target, 303)


@bp.route("/portal/link", methods=["GET"])
def link_problem() -> Any:
    """The friendly page for an expired, revoked, broken or missing link."""
    reason = request.args.get("reason", "invalid")
    if reason not in ("expired", "revoked", "invalid", "signed-out"):
        reason = "invalid"
    return render_template("candidate/link_problem.html", reason=reason, form=NewLinkForm(),
                           sent=False)


@bp.post("/portal/link")
@limiter.limit("5 per 10 minutes; 20 per day")
def new_link() -> Any:
    """Send a fresh link to the address on file. The answer is the same whether or not
    the address is known."""
    form = NewLinkForm()
    if not form.validate_on_submit():
        return render_template("candidate/link_problem.html", reason="request", form=form,
                               sent=False), 422
    email = (form.email.data or "").strip().lower()
    candidate = db.session.scalar(select(Candidate).where(Candidate.email == email))
    if candidate is not None and candidate.applications:
        since = utcnow() - timedelta(hours=1)
        recent = db.session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.candidate_id == candidate.id,
                                           OutboxMessage.kind == "candidate_new_link",
                                           OutboxMessage.created_at >= since)
        ).all()
        if len(recent) < NEW_LINKS_PER_HOUR:
            queue_new_link(db.session, _settings(), candidate)
            db.session.commit()
    return render_template("candidate/link_problem.html", reason="request", form=NewLinkForm(
        formdata=None), sent=True)


@bp.get("/portal/about")
def about() -> Any:
    """What the portal is and how its links work, for anyone wondering whether an email
    from us is genuine. Public, and it reads nothing from the database."""
    return render_template("candidate/about.html")


@bp.post("/portal/sign-out")
def sign_out_view() -> Any:
    sign_out()
    return redirect(url_for("candidate.link_problem", reason="signed-out"), 303)


# ---------------------------------------------------------------- pages


@bp.get("/portal/")
def overview() -> Any:
    """All the candidate's applications and the next thing to do."""
    candidate: Candidate = g.candidate
    applications = queries.overview(db.session, candidate)
    now = utcnow()
    cards = []
    for application in applications:
        cards.append({
            "application": application,
            "next": queries.next_interview(application, now),
            "steps": queries.timeline(application, current_lang()),
        })
    from portal.pool.models import PoolInvite

    invites = db.session.scalars(select(PoolInvite).where(
        PoolInvite.candidate_id == candidate.id, PoolInvite.answer == "")).all()
    return render_template("candidate/overview.html", candidate=candidate, cards=cards,
                           tz=candidate.timezone, now=now, invites=invites)


def _interview_or_404(interview_id: int) -> Any:
    interview = queries.interview_for(db.session, g.candidate, interview_id)
    if interview is None:
        abort(404)
    return interview


def _calendar_details(interview: Any) -> str:
    text = _("Join the meeting: %(url)s", url=interview.meeting_url)
    portal = url_for("candidate.interview", interview_id=interview.id, _external=False)
    return f"{text}\n{_settings().base_url}{portal}"


def _ask_experience(item: Any) -> bool:
    if item.ends_at > utcnow():
        return False  # no query before the interview: the page stays at two
    from portal.decisions.services import can_ask_experience

    return can_ask_experience(db.session, item)


def _render_interview(item: Any, form: ResponseForm | None, error: str | None = None,
                      status: int = 200) -> Any:
    candidate: Candidate = g.candidate
    return render_template(
        "candidate/interview.html", candidate=candidate, interview=item,
        platform=get_platform(item.platform), tz=candidate.timezone,
        join_open=queries.join_is_open(item), now=utcnow(), form=form, error=error,
        join_window=queries.JOIN_OPENS, ask_experience=_ask_experience(item),
    ), status


@bp.get("/portal/interviews/<int:interview_id>")
def interview(interview_id: int) -> Any:
    """Everything about one interview: when (in the candidate's zone), how to join, who
    they meet, what to expect, how to prepare, and their answer."""
    # No form object on a plain view: the page's forms carry the CSRF token themselves.
    return _render_interview(_interview_or_404(interview_id), None)


@bp.post("/portal/interviews/<int:interview_id>/response")
def respond(interview_id: int) -> Any:
    """Confirm attendance or ask to reschedule (htmx swaps #response; works without JS)."""
    candidate: Candidate = g.candidate
    item = _interview_or_404(interview_id)
    form = ResponseForm()
    error = None
    if form.validate_on_submit():
        try:
            hiring.record_response(db.session, candidate, item, form.answer.data or "",
                                   form.message.data or "")
        except DomainError as exc:
            error = str(exc.message)
        else:
            db.session.commit()
    else:
        error = next(iter(form.errors.values()))[0] if form.errors else _("Choose an answer.")
    status = 422 if error else 200
    if is_htmx_target("response"):
        return render_template("candidate/_response.html", interview=item, form=form,
                               error=error, just_answered=error is None), status
    if error:
        return _render_interview(item, form, error, status)
    return redirect(url_for("candidate.interview", interview_id=item.id) + "#response", 303)


@bp.get("/portal/interviews/<int:interview_id>/calendar.ics")
def calendar(interview_id: int) -> Response:
    """The interview as a calendar file (same UID and SEQUENCE as the emails)."""
    item = _interview_or_404(interview_id)
    body = interview_ics(
        item, method="PUBLISH",
        summary=_("Interview: %(round)s, %(title)s", round=item.round_name,
                  title=item.application.opening.title),
        description=_calendar_details(item), organizer=_settings().mail_from, attendees=[])
    response = make_response(body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="interview-{item.id}.ics"'
    return response


@bp.post("/portal/interviews/<int:interview_id>/experience")
def experience(interview_id: int) -> Any:
    """One anonymous question after the interview (htmx swaps #experience)."""
    from portal.decisions import services as ds

    item = _interview_or_404(interview_id)
    error = None
    try:
        ds.record_experience(db.session, item, request.form.get("rating", type=int) or 0,
                             request.form.get("comment", ""))
    except DomainError as exc:
        db.session.rollback()
        error = str(exc.message)
    else:
        db.session.commit()
    if is_htmx_target("experience"):
        return render_template("candidate/_experience.html", interview=item, asked=False,
                               thanked=error is None, error=error), (422 if error else 200)
    return redirect(url_for(".interview", interview_id=item.id) + "#experience", 303)


@bp.get("/portal/interviews/<int:interview_id>/calendar/<provider>")
def calendar_link(interview_id: int, provider: str) -> Any:
    """Hand the interview to Google Calendar or Outlook on the web. Built on click, so the
    page stays small and nothing is sent to those sites until the candidate asks."""
    item = _interview_or_404(interview_id)
    builders = {"google": queries.google_calendar_url, "outlook": queries.outlook_calendar_url}
    if provider not in builders:
        abort(404)
    title = _("Interview: %(round)s, %(title)s", round=item.round_name,
              title=item.application.opening.title)
    return redirect(builders[provider](item, title, _calendar_details(item)), 303)


@bp.get("/portal/applications/<int:application_id>")
def status(application_id: int) -> Any:
    """Where the process stands: the timeline, what happens next and by when."""
    candidate: Candidate = g.candidate
    application = queries.application_for(db.session, candidate, application_id)
    if application is None:
        abort(404)
    from portal.decisions.services import sent_messages
    from portal.references import services as refs

    return render_template("candidate/status.html", candidate=candidate,
                           application=application,
                           messages=sent_messages(db.session, application.id),
                           asks_references=refs.reference_stage_reached(application),
                           referees=refs.referees_for(db.session, [application.id]).get(
                               application.id, []),
                           referee_error=g.get("referee_error"),
                           referee_form=g.get("referee_form") or _referee_form(),
                           steps=queries.timeline(application, current_lang()),
                           tz=candidate.timezone)


def _referee_form() -> Any:
    from portal.references.forms import RefereeForm

    form = RefereeForm(formdata=None)
    form.language.data = g.candidate.language
    return form


@bp.post("/portal/applications/<int:application_id>/referees")
def add_referee(application_id: int) -> Any:
    """The candidate names a referee and consents to their being contacted."""
    from portal.references import services as refs
    from portal.references.forms import RefereeForm

    application = queries.application_for(db.session, g.candidate, application_id)
    if application is None:
        abort(404)
    form = RefereeForm()
    if form.validate_on_submit():
        try:
            refs.add_referee(db.session, g.candidate, application, refs.RefereeData(
                name=form.name.data or "", relation=form.relation.data or "",
                email=form.email.data or "", phone=form.phone.data or "",
                language=form.language.data or "sv", consent=bool(form.consent.data)))
        except DomainError as exc:
            g.referee_error = str(exc.message)
        else:
            db.session.commit()
            return redirect(url_for(".status", application_id=application.id) + "#references",
                            303)
    else:
        g.referee_error = next(iter(form.errors.values()))[0]
    g.referee_form = form
    return status(application_id), 422


@bp.post("/portal/referees/<int:referee_id>/withdraw")
def withdraw_referee(referee_id: int) -> Any:
    """Withdraw consent for a referee who has not answered yet."""
    from portal.references import services as refs
    from portal.references.models import Referee

    referee = db.session.get(Referee, referee_id)
    if referee is None:
        abort(404)
    try:
        refs.withdraw(db.session, g.candidate, referee)
    except NotFound:
        abort(404)
    except DomainError as exc:
        flash(str(exc.message), "error")
    else:
        db.session.commit()
    return redirect(url_for(".status", application_id=referee.application_id) + "#references",
                    303)


@bp.route("/portal/privacy", methods=["GET", "POST"])
def privacy() -> Any:
    """The talent pool (join, extend, leave) and the candidate's data rights."""
    from portal.privacy import services as privacy_services

    candidate: Candidate = g.candidate
    error = None
    if request.method == "POST":
        action = request.form.get("action", "")
        try:
            if action in ("join", "extend"):
                if request.form.get("agree") != "y":
                    raise DomainError(_("Tick the box to agree."))
                privacy_services.give_consent(db.session, _settings(), candidate,
                                              current_lang(), request.form.get("roles", ""))
            elif action == "withdraw":
                privacy_services.withdraw_consent(db.session, candidate)
            else:
                abort(400)
        except DomainError as exc:
            db.session.rollback()
            error = str(exc.message)
        else:
            db.session.commit()
            return redirect(url_for(".privacy"), 303)
    return _render_privacy(error=error)


def _render_privacy(error: str | None = None, field_errors: dict[str, str] | None = None,
                    form: dict[str, str] | None = None) -> Any:
    from portal.pool import services as pool
    from portal.privacy import services as privacy_services

    candidate: Candidate = g.candidate
    consent = privacy_services.current_consent(db.session, candidate.id)
    profile = pool.profile_of(db.session, candidate.id) if consent else None
    failed = bool(error or field_errors)
    return render_template("candidate/privacy.html", consent=consent, error=error,
                           profile=profile, field_errors=field_errors or {}, form=form or {},
                           months=_settings().talent_pool_months), (422 if failed else 200)


def _own_pool_profile() -> Any:
    """The signed-in candidate's pool profile, or None when they are not in the pool."""
    from portal.pool import services as pool
    from portal.privacy import services as privacy_services

    if privacy_services.current_consent(db.session, g.candidate.id) is None:
        return None
    return pool.profile_of(db.session, g.candidate.id) or pool.ensure_profile(db.session,
                                                                             g.candidate)


@bp.post("/portal/profile")
def update_profile() -> Any:
    """The candidate's own part of their pool profile."""
    from portal.pool import services as pool

    profile = _own_pool_profile()
    if profile is None:
        return redirect(url_for(".privacy"), 303)
    form = {k: request.form.get(k, "") for k in
            ("summary", "skills", "location", "remote", "languages", "roles")}
    try:
        pool.update_candidate_part(db.session, profile, pool.CandidatePart(**form))
    except DomainError as exc:
        db.session.rollback()
        return _render_privacy(field_errors={exc.field or "form": str(exc.message)}, form=form)
    db.session.commit()
    flash(_("Your profile is saved."), "success")
    return redirect(url_for(".privacy") + "#profile-h", 303)


@bp.post("/portal/profile/cv")
def upload_cv() -> Any:
    """A CV as PDF (up to 10 MB), checked by its content; stored only when every check
    passes."""
    from portal.pool import services as pool

    profile = _own_pool_profile()
    if profile is None:
        return redirect(url_for(".privacy"), 303)
    upload = request.files.get("cv")
    try:
        if upload is None or not upload.filename:
            raise DomainError(_("Choose a PDF file."), field="cv")
        pool.store_cv(db.session, _settings(), profile, upload.filename, upload.stream)
    except DomainError as exc:
        db.session.rollback()
        return _render_privacy(field_errors={"cv": str(exc.message)})
    db.session.commit()
    flash(_("Your CV is uploaded."), "success")
    return redirect(url_for(".privacy") + "#cv-h", 303)


@bp.post("/portal/profile/cv/delete")
def delete_cv() -> Any:
    from portal.pool import services as pool

    profile = _own_pool_profile()
    if profile is not None and profile.cv_key:
        pool.remove_cv(db.session, _settings(), profile)
        db.session.commit()
        flash(_("Your CV is deleted."), "success")
    return redirect(url_for(".privacy") + "#cv-h", 303)


@bp.route("/portal/invites/<int:invite_id>", methods=["GET", "POST"])
def pool_invite(invite_id: int) -> Any:
    """An invitation from the talent pool: interested, not now, or never again."""
    from portal.pool import services as pool

    try:
        item = pool.invite_for_candidate(db.session, g.candidate, invite_id)
    except NotFound:
        abort(404)
    error = None
    if request.method == "POST":
        try:
            application = pool.answer_invite(db.session, item, request.form.get("answer", ""))
        except DomainError as exc:
            db.session.rollback()
            error = str(exc.message)
        else:
            db.session.commit()
            if application is not None:
                flash(_("Thank you! You are now in the process for %(title)s.",
                        title=item.opening.title), "success")
                return redirect(url_for(".status", application_id=application.id), 303)
            return redirect(url_for(".pool_invite", invite_id=item.id), 303)
    return render_template("candidate/invite.html", invite=item, error=error), (
        422 if error else 200)


@bp.get("/portal/my-data.json")
def my_data_json() -> Response:
    """Everything we hold on the candidate, as a file to keep."""
    from portal.privacy import services as privacy_services

    data = privacy_services.export(db.session, g.candidate)
    db.session.commit()
    response = Response(privacy_services.export_json(data), mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="my-data.json"'
    return response


@bp.get("/portal/my-data")
def my_data() -> Any:
    """The same, as a page to read."""
    from portal.privacy import services as privacy_services

    data = privacy_services.export(db.session, g.candidate)
    db.session.commit()
    return render_template("candidate/my_data.html", data=data)


@bp.route("/portal/erase", methods=["GET", "POST"])
def erase() -> Any:
    """Erase: confirmed on this page, reached only through the candidate's own link."""
    from portal.privacy import services as privacy_services

    if request.method == "POST":
        if request.form.get("confirm") != "y":
            return render_template("candidate/erase.html",
                                   error=_("Tick the box to confirm.")), 422
        privacy_services.erase(db.session, g.candidate, settings=_settings())
        db.session.commit()
        sign_out()
        return render_template("candidate/erased.html", candidate=None)
    return render_template("candidate/erase.html", error=None)


@bp.get("/portal/guides/<platform_key>")
def guide(platform_key: str) -> Any:
    """How to join on a platform, as a guest, from a computer or a phone."""
    platform = get_platform(platform_key)
    if platform is None:
        abort(404)
    return render_template("candidate/guide.html", platform=platform, platforms=PLATFORMS,
                           troubleshooting=TROUBLESHOOTING,
                           back=safe_next(request.args.get("back"), url_for(".overview")))


@bp.get("/portal/timezone")
def timezone_form() -> Any:
    """Choose the zone times are shown in (the browser's is used until the candidate
    chooses)."""
    candidate: Candidate = g.candidate
    return render_template("candidate/timezone.html", zones=sorted(all_zones()),
                           tz=candidate.timezone,
                           back=safe_next(request.args.get("next"), url_for(".overview")))


@bp.post("/portal/timezone")
def set_timezone() -> Any:
    """Store the candidate's zone: detected by the browser, or chosen by hand. A
    detected zone never overrides one the candidate chose."""
    candidate: Candidate = g.candidate
    form = TimezoneForm()
    form.timezone.choices = []
    zone_name = (form.timezone.data or "").strip()
    back = safe_next(request.form.get("next"), url_for(".overview"))
    if not form.validate_on_submit() or not is_valid_zone(zone_name):
        if request.htmx:
            return Response(status=204)
        return redirect(back, 303)
    source = "browser" if form.source.data == "browser" else "candidate"
    if source == "browser" and candidate.timezone_source == "candidate":
        return Response(status=204)
    changed = candidate.timezone != zone_name
    candidate.timezone = zone_name
    candidate.timezone_source = source
    db.session.commit()
    if request.htmx:
        response = Response(status=204)
        if changed:
            response.headers["HX-Refresh"] = "true"
        return response
    return redirect(back, 303)

