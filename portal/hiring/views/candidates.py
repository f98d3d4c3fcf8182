"""Candidates (/staff/candidates/...): the list, one candidate, their applications, sign-in
links and erasure."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    abort,
    flash,
    make_response,
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
from portal.feedback.models import KitCompetency
from portal.forms import choices, coerce_id
from portal.hiring import notify, search, services
from portal.hiring.forms import (
    ApplicationForm,
    CandidateForm,
    MoveForm,
)
from portal.hiring.models import Candidate, Opening, Stage, stage_label
from portal.hiring.views import _form_error, _manager, _settings, bp
from portal.intake.merge import possible_duplicates
from portal.links.models import MagicLink
from portal.links.services import revoke_all
from portal.pool import retention
from portal.pool import services as pool_services
from portal.pool.search import MAX_QUERY as search_max_query
from portal.privacy.services import audit
from portal.process import bulk, lifecycle
from portal.references import services as refs
from portal.techcheck import services as techcheck
from portal.timeutil import utcnow
from portal.web import current_lang, is_htmx_target
from portal.zones import fit_picker


@bp.get("/candidates")
def candidates() -> Any:
    """Find anyone: full-text search over names, emails, openings, stages, notes and CVs,
    with filters, sorts and pages (htmx live results). Interviewers see only the candidates
    on their panels, found by name, email, opening or stage."""
    manager = current_user.can_manage_hiring
    query = _search_query()
    today = datetime.now(ZoneInfo(_settings().default_timezone)).date()
    visible = None if manager else services.visible_application_ids(current_user)
    found = search.search(db.session, query, today, visible=visible, full=manager)
    rows = [c for c, _rank in found.rows]
    panel = None if manager else set(db.session.scalars(visible))
    shown = {c.id: [a for a in c.applications if panel is None or a.id in panel] for c in rows}
    template = "staff/_candidate_rows.html" if is_htmx_target("candidate-results") else (
        "staff/candidates.html")
    from portal.booking.services import waiting_to_book

    now = utcnow()
    waiting = waiting_to_book(db.session, [a.id for apps in shown.values() for a in apps], now)
    openings_ = db.session.scalars(select(Opening).order_by(Opening.archived, Opening.title)
                                   ).all() if manager else []
    stage_names = sorted(set(db.session.scalars(select(Stage.name).distinct()))) if manager else []
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    response = make_response(render_template(
        template, rows=rows, shown=shown, q=query.q, query=query, found=found, waiting=waiting,
        now=now, tz=_settings().default_timezone, openings=openings_, stage_names=stage_names,
        stage_label=stage_label, statuses=search.STATUSES, verdicts=search.VERDICTS,
        args=args, last_activity=search.last_activity, manager=manager,
        bulk_actions=bulk.action_choices()))
    response.vary.add("HX-Request")
    return response


def _search_query() -> search.Query:
    """The query string as typed, every odd value dropped rather than refused."""
    args = request.args

    def number(name: str) -> int | None:
        value = args.get(name, "")
        return int(value) if value.isdigit() and len(value) < 10 else None

    return search.Query(
        q=args.get("q", "").replace("\x00", "").strip()[:search_max_query],
        opening=number("opening"), stage=args.get("stage", "")[:80],
        status=args.get("status", "") if args.get("status") in search.STATUSES else "",
        verdict=args.get("verdict", "") if args.get("verdict") in search.VERDICTS else "",
        overdue=args.get("overdue") == "1", reschedule=args.get("reschedule") == "1",
        source=args.get("source", "") if args.get("source") in search.SOURCES else "",
        sort=args.get("sort", "") if args.get("sort") in search.SORTS else "",
        page=min(number("page") or 1, search.MAX_PAGE))


def _candidate_form(candidate: Candidate | None = None) -> CandidateForm:
    form = CandidateForm(obj=candidate)
    if candidate is None and not form.is_submitted():
        form.timezone.data = _settings().default_timezone
    fit_picker(form.timezone, utcnow(), current_lang())
    return form


def _candidate_data(form: CandidateForm) -> services.CandidateData:
    return services.CandidateData(
        name=form.name.data or "", email=form.email.data or "", phone=form.phone.data or "",
        language=form.language.data or "sv", timezone=form.timezone.data or "",
        default_timezone=_settings().default_timezone)


@bp.route("/candidates/new", methods=["GET", "POST"])
def new_candidate() -> Any:
    _manager()
    form = _candidate_form()
    openings_ = _open_openings()
    if form.validate_on_submit():
        try:
            candidate = services.create_candidate(db.session, current_user, _candidate_data(form))
            opening_id = request.form.get("opening_id", type=coerce_id)
            if opening_id:
                opening = services.get_opening(db.session, current_user, opening_id)
                lifecycle.apply(db.session, current_user, candidate, opening)
        except DomainError as exc:
            _form_error(form, exc)
        else:
            db.session.commit()
            flash(_("Candidate added."), "success")
            return redirect(url_for(".candidate", candidate_id=candidate.id), 303)
    return render_template("staff/candidate_form.html", form=form, candidate=None,
                           openings=openings_), (422 if form.errors else 200)


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
    return candidate_page(person)


def candidate_page(person: Candidate, status: int = 200, **extra: Any) -> Any:
    """The candidate page; ``extra`` for a form that comes back with what was typed (the
    notes and messages views)."""
    from portal.hiring.views.conversation import conversation_context

    links = db.session.scalars(
        select(MagicLink).where(MagicLink.candidate_id == person.id)
        .order_by(MagicLink.issued_at.desc()).limit(20)).all()
    taken = {a.opening_id for a in person.applications}
    add_form = ApplicationForm()
    add_form.opening_id.choices = choices(
        (o.id, o.title) for o in _open_openings() if o.id not in taken)
    latest = techcheck.latest_by_candidate(db.session, [person.id]).get(person.id)

    # An interviewer sees only the processes whose interviews they sit on, and no referees
    # (their contacts and answers are for the people who decide).
    applications = list(person.applications)
    if not current_user.can_manage_hiring:
        panel = set(db.session.scalars(services.visible_application_ids(current_user)))
        applications = [a for a in applications if a.id in panel]
    interviews = [i for a in applications for i in a.interviews]
    feedback = {i.id: fb.readable_scorecards(db.session, current_user, i) for i in interviews}
    panel_names = {u.id: u.name for i in interviews for u in i.interviewers}
    kit_ids = {i.kit_id for i in interviews if i.kit_id}
    competency_names = {c.id: c.name for c in db.session.scalars(
        select(KitCompetency).where(KitCompetency.kit_id.in_(kit_ids)))} if kit_ids else {}
    app_ids = [a.id for a in applications]
    from portal.booking import adjustments
    from portal.booking import services as booking

    return render_template("staff/candidate.html", candidate=person, links=links,
                           offers=booking.offers_of_applications(db.session, app_ids),
                           adjustments=adjustments.adjustments_of(db.session, app_ids),
                           adjustment_labels=adjustments.adjustment_labels,
                           applications=applications,
                           history=lifecycle.history(db.session, app_ids),
                           staff_names=_staff_names(),
                           add_form=add_form, move_form=MoveForm(),
                           tz=_settings().default_timezone, now=utcnow(), techcheck=latest,
                           techcheck_report=techcheck.report_of(latest) if latest else None,
                           feedback=feedback, panel_names=panel_names,
                           references=refs.referees_for(db.session, app_ids)
                           if current_user.can_manage_hiring else {},
                           answers_of=refs.answers_of,
                           competency_names=competency_names,
                           pool_profile=pool_services.profile_of(db.session, person.id),
                           hold=retention.active_hold(db.session, person.id),
                           duplicates=possible_duplicates(db.session, person)
                           if current_user.can_manage_hiring else [],
                           **conversation_context(person, applications, extra)), status


def _staff_names() -> dict[int, str]:
    return {user_id: name for user_id, name in db.session.execute(select(User.id, User.name))}


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
        lifecycle.apply(db.session, current_user, person, opening)
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
    _manager()
    person = services.get_candidate(db.session, current_user, candidate_id)
    if request.form.get("confirm") != "y":
        flash(_("Tick the box to confirm the erasure."), "error")
        return redirect(url_for(".candidate", candidate_id=person.id) + "#erase", 303)
    lifecycle.erase(db.session, _settings(), person, actor_kind="staff",
                    actor_id=current_user.id)
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
