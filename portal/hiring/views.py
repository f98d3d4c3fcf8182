"""Back office: dashboard, openings and their pipelines, candidates, interviews."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from portal.accounts.forms import UserForm
from portal.accounts.models import Role, User
from portal.accounts.services import create_user
from portal.accounts.views import guard_staff
from portal.decisions.services import waiting_for_answer
from portal.errors import DomainError
from portal.extensions import db
from portal.feedback import services as fb
from portal.feedback.models import KitCompetency
from portal.forms import choices
from portal.hiring import notify, services
from portal.hiring.forms import (
    ApplicationForm,
    CandidateForm,
    InterviewForm,
    MoveForm,
    OpeningForm,
    StageForm,
)
from portal.hiring.models import Application, Candidate, Interview, Opening, Stage
from portal.links.models import MagicLink
from portal.links.services import revoke_all
from portal.messaging.services import failed_count
from portal.platforms.links import InvalidMeetingLink, new_jitsi_room_link, validate_meeting_link
from portal.platforms.registry import platform_choices
from portal.pool import retention
from portal.pool import services as pool_services
from portal.privacy.models import AuditEvent
from portal.privacy.services import audit
from portal.references import services as refs
from portal.techcheck import services as techcheck
from portal.timeutil import all_zones, is_valid_zone, utcnow, zone
from portal.web import is_htmx_target

bp = Blueprint("hiring", __name__, url_prefix="/staff")
guard_staff(bp)


def _settings() -> Any:
    return current_app.config["PORTAL"]


def _manager() -> None:
    if not current_user.can_manage_hiring:
        abort(403)


def _zone_choices() -> list[tuple[str, str]]:
    return [(z, z.replace("_", " ")) for z in sorted(all_zones())]


# ---------------------------------------------------------------- dashboard


@bp.get("/")
def dashboard() -> Any:
    """Today's and upcoming interviews with each candidate's answer, and what needs
    attention."""
    interviews = services.upcoming_interviews(db.session, current_user)
    tz = _settings().default_timezone
    today = utcnow().astimezone(zone(tz)).date()
    todays = [i for i in interviews if i.starts_at.astimezone(zone(tz)).date() == today]
    later = [i for i in interviews if i not in todays]
    attention = [i for i in interviews if i.response == "reschedule"]
    unchecked_ids = {i.id for i in techcheck.unchecked_soon(db.session)}
    unchecked = [i for i in interviews if i.id in unchecked_ids]

    waiting = waiting_for_answer(db.session) if current_user.can_manage_hiring else []
    missing = fb.missing_scorecards(db.session) if current_user.can_manage_hiring else [
        pair for pair in fb.missing_scorecards(db.session) if pair[1].id == current_user.id]
    return render_template(
        "staff/dashboard.html", todays=todays, later=later, attention=attention, tz=tz,
        unchecked=unchecked, missing=missing, waiting=waiting,
        failed=failed_count(db.session) if current_user.can_manage_hiring else 0,
    )


# ---------------------------------------------------------------- openings


@bp.get("/openings")
def openings() -> Any:
    _manager()
    rows = db.session.execute(
        select(Opening, func.count(Application.id).filter(Application.closed_at.is_(None)))
        .outerjoin(Application, Application.opening_id == Opening.id)
        .group_by(Opening.id)
        .order_by(Opening.archived, Opening.created_at.desc())
    ).all()
    return render_template("staff/openings.html", rows=rows)


def _opening_data(form: OpeningForm) -> services.OpeningData:
    return services.OpeningData(
        title=form.title.data or "", team=form.team.data or "",
        description=form.description.data or "", language=form.language.data or "sv",
        response_days=form.response_days.data or 5,
        reference_questions=form.reference_questions.data or "")


@bp.route("/openings/new", methods=["GET", "POST"])
def new_opening() -> Any:
    _manager()
    form = OpeningForm()
    if form.validate_on_submit():
        opening = services.create_opening(db.session, current_user, _opening_data(form))
        db.session.commit()
        flash(_("Opening created."), "success")
        return redirect(url_for(".pipeline", opening_id=opening.id), 303)
    return render_template("staff/opening_form.html", form=form, opening=None), (
        422 if form.errors else 200)


@bp.route("/openings/<int:opening_id>/edit", methods=["GET", "POST"])
def edit_opening(opening_id: int) -> Any:
    opening = services.get_opening(db.session, current_user, opening_id)
    form = OpeningForm(obj=opening)
    if form.validate_on_submit():
        services.update_opening(db.session, current_user, opening, _opening_data(form))
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for(".pipeline", opening_id=opening.id), 303)
    return render_template("staff/opening_form.html", form=form, opening=opening), (
        422 if form.errors else 200)


@bp.route("/stages/<int:stage_id>", methods=["GET", "POST"])
def edit_stage(stage_id: int) -> Any:
    _manager()
    stage = db.get_or_404(Stage, stage_id)
    form = StageForm(obj=stage)
    if form.validate_on_submit():
        services.rename_stage(db.session, current_user, stage, form.name.data or "",
                              form.public_name_en.data or "", form.public_name_sv.data or "")
        db.session.commit()
        return redirect(url_for(".pipeline", opening_id=stage.opening_id), 303)
    return render_template("staff/stage_form.html", form=form, stage=stage), (
        422 if form.errors else 200)


def _pipeline_context(opening: Opening) -> dict[str, Any]:
    applications = db.session.scalars(
        select(Application)
        .where(Application.opening_id == opening.id)
        .options(selectinload(Application.candidate), selectinload(Application.interviews))
        .order_by(Application.updated_at.desc())
    ).all()
    columns = {stage.id: [] for stage in opening.stages}  # type: dict[int, list[Application]]
    for application in applications:
        columns.setdefault(application.stage_id, []).append(application)
    return {"opening": opening, "columns": columns, "now": utcnow(),
            "tz": _settings().default_timezone}


@bp.get("/openings/<int:opening_id>")
def pipeline(opening_id: int) -> Any:
    """The opening's candidates by stage; cards move in place through htmx."""
    opening = services.get_opening(db.session, current_user, opening_id)
    return render_template("staff/pipeline.html", **_pipeline_context(opening))


@bp.post("/applications/<int:application_id>/move")
def move(application_id: int) -> Any:
    """Move an application to another stage (htmx swaps #pipeline; works without JS)."""
    application = services.get_application(db.session, current_user, application_id)
    form = MoveForm()
    stage = db.session.get(Stage, form.stage_id.data) if form.validate_on_submit() else None
    if stage is None:
        abort(400)
    services.move_application(db.session, current_user, application, stage,
                              form.next_step_by.data)
    db.session.commit()
    back = request.form.get("back")
    if is_htmx_target("pipeline"):
        return render_template("staff/_pipeline_board.html",
                               **_pipeline_context(application.opening))
    if back == "candidate":
        return redirect(url_for(".candidate", candidate_id=application.candidate_id), 303)
    return redirect(url_for(".pipeline", opening_id=application.opening_id), 303)


# ---------------------------------------------------------------- candidates


@bp.get("/candidates")
def candidates() -> Any:
    """Candidates, newest first, with a search on name and email (htmx live results)."""
    _manager()
    q = request.args.get("q", "").strip()[:100]
    query = select(Candidate).order_by(Candidate.created_at.desc()).limit(100)
    if q:
        like = f"%{q.lower()}%"
        query = query.where(or_(func.lower(Candidate.name).like(like),
                                func.lower(Candidate.email).like(like)))
    rows = db.session.scalars(query.options(
        selectinload(Candidate.applications).selectinload(Application.opening),
        selectinload(Candidate.applications).selectinload(Application.stage))).all()
    template = "staff/_candidate_rows.html" if is_htmx_target("candidate-rows") else (
        "staff/candidates.html")
    return render_template(template, rows=rows, q=q)


def _candidate_form(candidate: Candidate | None = None) -> CandidateForm:
    form = CandidateForm(obj=candidate)
    form.timezone.choices = choices(_zone_choices())
    if candidate is None and not form.is_submitted():
        form.timezone.data = _settings().default_timezone
    return form


def _candidate_data(form: CandidateForm) -> services.CandidateData:
    return services.CandidateData(
        name=form.name.data or "", email=form.email.data or "", phone=form.phone.data or "",
        language=form.language.data or "sv", timezone=form.timezone.data or "")


@bp.route("/candidates/new", methods=["GET", "POST"])
def new_candidate() -> Any:
    _manager()
    form = _candidate_form()
    openings_ = _open_openings()
    if form.validate_on_submit():
        try:
            candidate = services.create_candidate(db.session, current_user, _candidate_data(form))
            opening_id = request.form.get("opening_id", type=int)
            if opening_id:
                opening = services.get_opening(db.session, current_user, opening_id)
                services.add_application(db.session, current_user, candidate, opening)
        except DomainError as exc:
            _form_error(form, exc)
        else:
            db.session.commit()
            flash(_("Candidate added."), "success")
            return redirect(url_for(".candidate", candidate_id=candidate.id), 303)
    return render_template("staff/candidate_form.html", form=form, candidate=None,
                           openings=openings_), (422 if form.errors else 200)


def _form_error(form: Any, exc: DomainError) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, str(exc.message)]
    else:
        form.form_errors.append(str(exc.message))


def _open_openings() -> list[Opening]:
    return list(db.session.scalars(
        select(Opening).where(Opening.archived.is_(False)).order_by(Opening.title)))


@bp.route("/candidates/<int:candidate_id>/edit", methods=["GET", "POST"])
def edit_candidate(candidate_id: int) -> Any:
    _manager()
    candidate = services.get_candidate(db.session, current_user, candidate_id)
    form = _candidate_form(candidate)
    if form.validate_on_submit():
        try:
            services.update_candidate(db.session, current_user, candidate, _candidate_data(form))
        except DomainError as exc:
            _form_error(form, exc)
        else:
            audit(db.session, "changed", candidate.id, "staff", current_user.id)
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for(".candidate", candidate_id=candidate.id), 303)
    return render_template("staff/candidate_form.html", form=form, candidate=candidate,
                           openings=[]), (422 if form.errors else 200)


@bp.get("/candidates/<int:candidate_id>")
def candidate(candidate_id: int) -> Any:
    """One candidate: their applications, interviews, answers and sign-in links."""
    person = services.get_candidate(db.session, current_user, candidate_id)

    audit(db.session, "viewed", person.id, "staff", current_user.id)
    db.session.commit()
    links = db.session.scalars(
        select(MagicLink).where(MagicLink.candidate_id == person.id)
        .order_by(MagicLink.issued_at.desc()).limit(20)).all()
    taken = {a.opening_id for a in person.applications}
    add_form = ApplicationForm()
    add_form.opening_id.choices = choices(
        (o.id, o.title) for o in _open_openings() if o.id not in taken)
    latest = techcheck.latest_by_candidate(db.session, [person.id]).get(person.id)

    interviews = [i for a in person.applications for i in a.interviews]
    feedback = {i.id: fb.readable_scorecards(db.session, current_user, i) for i in interviews}
    panel_names = {u.id: u.name for i in interviews for u in i.interviewers}
    kit_ids = {i.kit_id for i in interviews if i.kit_id}
    competency_names = {c.id: c.name for c in db.session.scalars(
        select(KitCompetency).where(KitCompetency.kit_id.in_(kit_ids)))} if kit_ids else {}
    return render_template("staff/candidate.html", candidate=person, links=links,
                           add_form=add_form, move_form=MoveForm(),
                           tz=_settings().default_timezone, now=utcnow(), techcheck=latest,
                           techcheck_report=techcheck.report_of(latest) if latest else None,
                           feedback=feedback, panel_names=panel_names,
                           references=refs.referees_for(
                               db.session, [a.id for a in person.applications]),
                           answers_of=refs.answers_of,
                           competency_names=competency_names,
                           pool_profile=pool_services.profile_of(db.session, person.id),
                           hold=retention.active_hold(db.session, person.id))


@bp.post("/candidates/<int:candidate_id>/applications")
def add_application(candidate_id: int) -> Any:
    _manager()
    person = services.get_candidate(db.session, current_user, candidate_id)
    form = ApplicationForm()
    opening_id = form.opening_id.data if form.validate_on_submit() else None
    if not opening_id:
        abort(400)
    opening = services.get_opening(db.session, current_user, opening_id)
    try:
        services.add_application(db.session, current_user, person, opening)
    except DomainError as exc:
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(_("Added to %(title)s.", title=opening.title), "success")
    return redirect(url_for(".candidate", candidate_id=person.id), 303)


@bp.post("/candidates/<int:candidate_id>/links/revoke")
def revoke_links(candidate_id: int) -> Any:
    """Revoke every sign-in link of the candidate at once."""
    _manager()
    person = services.get_candidate(db.session, current_user, candidate_id)
    count = revoke_all(db.session, person)
    db.session.commit()
    flash(_("%(n)d links revoked. The candidate is signed out.", n=count), "success")
    return redirect(url_for(".candidate", candidate_id=person.id), 303)


@bp.post("/candidates/<int:candidate_id>/erase")
def erase_candidate(candidate_id: int) -> Any:
    """Erase on the candidate's request (by email or phone): the same anonymising as their
    own button in the portal, recorded with who did it."""
    from portal.privacy.services import erase

    _manager()
    person = services.get_candidate(db.session, current_user, candidate_id)
    if request.form.get("confirm") != "y":
        flash(_("Tick the box to confirm the erasure."), "error")
        return redirect(url_for(".candidate", candidate_id=person.id) + "#erase", 303)
    erase(db.session, person, actor_kind="staff", actor_id=current_user.id,
          settings=_settings())
    db.session.commit()
    flash(_("The candidate's data is erased."), "success")
    return redirect(url_for(".candidates"), 303)


@bp.post("/candidates/<int:candidate_id>/links")
def send_link(candidate_id: int) -> Any:
    """Email the candidate a fresh sign-in link."""
    _manager()
    person = services.get_candidate(db.session, current_user, candidate_id)
    notify.queue_new_link(db.session, _settings(), person)
    db.session.commit()
    flash(_("A new link is on its way to %(email)s.", email=person.email), "success")
    return redirect(url_for(".candidate", candidate_id=person.id), 303)


# ---------------------------------------------------------------- interviews


def _interview_form(opening_id: int, interview: Interview | None = None) -> InterviewForm:
    tz = _settings().default_timezone
    form = InterviewForm()
    form.timezone.choices = choices(_zone_choices())
    form.platform.choices = choices(platform_choices())
    interviewers = db.session.scalars(
        select(User).where(User.active.is_(True)).order_by(User.name)).all()
    form.interviewer_ids.choices = choices(
        (u.id, f"{u.name} ({u.email})") for u in interviewers)

    kits = fb.current_kits(db.session, opening_id)
    form.kit_id.choices = choices([("", _("No kit")), *((k.id, f"{k.name} (v{k.version})")
                                                          for k in kits)])
    if not form.is_submitted():
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
        kit_id=form.kit_id.data)


@bp.route("/applications/<int:application_id>/interviews/new", methods=["GET", "POST"])
def new_interview(application_id: int) -> Any:
    """Schedule an interview; optionally send the invitation in the same step."""
    _manager()
    application = services.get_application(db.session, current_user, application_id)
    form = _interview_form(application.opening_id)
    if form.is_submitted():
        data = _interview_data(form)
        if data is not None:
            try:
                item = services.schedule_interview(db.session, current_user, application, data)
                if request.form.get("send") == "1":
                    notify.send_invitation(db.session, _settings(), item)
            except DomainError as exc:
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
    form = _interview_form(item.application.opening_id, item)
    if form.is_submitted():
        data = _interview_data(form)
        if data is not None:
            try:
                removed = services.update_interview(db.session, current_user, item, data)
                notify.send_update(db.session, _settings(), item, removed)
            except DomainError as exc:
                _form_error(form, exc)
            else:
                db.session.commit()
                flash(_("Interview changed.") + (" " + _("Everyone invited gets an update.")
                      if item.invited_at else ""), "success")
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


@bp.post("/interviews/<int:interview_id>/cancel")
def cancel_interview(interview_id: int) -> Any:
    _manager()
    item = services.get_interview(db.session, current_user, interview_id)
    try:
        services.cancel_interview(db.session, current_user, item)
        notify.send_cancellation(db.session, _settings(), item)
    except DomainError as exc:
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(_("Interview cancelled. Everyone invited has been told."), "success")
    return redirect(url_for(".candidate", candidate_id=item.application.candidate_id), 303)


# ---------------------------------------------------------------- users (admins)


@bp.route("/users", methods=["GET", "POST"])
def users() -> Any:
    """Admins add staff accounts."""
    if current_user.role != Role.ADMIN:
        abort(403)

    form = UserForm()
    if form.validate_on_submit():
        try:
            create_user(db.session, email=form.email.data or "", name=form.name.data or "",
                        password=form.password.data or "", role=form.role.data or "",
                        language=current_user.language)
        except DomainError as exc:
            _form_error(form, exc)
        else:
            db.session.commit()
            flash(_("Account created."), "success")
            return redirect(url_for(".users"), 303)
    people = db.session.scalars(select(User).order_by(User.name)).all()
    return render_template("staff/users.html", form=form, people=people), (
        422 if form.errors else 200)


@bp.get("/audit")
def audit_log() -> Any:
    """Admins search who did what to whose data, and export it as CSV."""
    if current_user.role != Role.ADMIN:
        abort(403)
    import csv
    import io


    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1000)
    candidate_id = request.args.get("candidate", type=int)
    action = request.args.get("action", "")[:40]
    if candidate_id:
        query = query.where(AuditEvent.candidate_id == candidate_id)
    if action:
        query = query.where(AuditEvent.action == action)
    events = db.session.scalars(query).all()
    if request.args.get("format") == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["at", "actor_kind", "actor_id", "action", "candidate_id"])
        for e in events:
            writer.writerow([e.at.isoformat(), e.actor_kind, e.actor_id, e.action,
                             e.candidate_id])
        from flask import Response

        response = Response(out.getvalue(), mimetype="text/csv")
        response.headers["Content-Disposition"] = 'attachment; filename="audit.csv"'
        return response
    return render_template("staff/audit.html", events=events, candidate_id=candidate_id,
                           action=action, tz=_settings().default_timezone)


@bp.post("/users/<int:user_id>/active")
def toggle_user(user_id: int) -> Any:
    if current_user.role != Role.ADMIN:
        abort(403)
    person = db.get_or_404(User, user_id)
    if person.id == current_user.id:
        abort(400)
    person.active = not person.active
    if not person.active:
        person.sessions.clear()  # signed out everywhere at once
    db.session.commit()
    return redirect(url_for(".users"), 303)

