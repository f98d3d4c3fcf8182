"""Back office for the talent pool: search (live through htmx), profiles with staff's
part, CVs served as attachments, saved searches, invitations and retention with holds."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from portal.accounts.views import guard_staff
from portal.errors import DomainError
from portal.extensions import db
from portal.forms import coerce_id, parse_int
from portal.hiring.models import Application, Candidate, Opening
from portal.hiring.services import DEFAULT_STAGES
from portal.pool import retention, search, services
from portal.pool.models import PoolInvite, RetentionHold, TalentProfile
from portal.privacy.services import audit, current_consent
from portal.timeutil import utcnow, zone
from portal.web import is_htmx_target

bp = Blueprint("pool_staff", __name__, url_prefix="/staff")
guard_staff(bp, roles=("admin", "recruiter"))

SCORE_CHOICES = ("2", "2.5", "3", "3.5", "4", "4.5")
FILTER_KEYS = ("q", "skill", "tag", "location", "language", "all", "stage", "score")


def _settings() -> Any:
    return current_app.config["PORTAL"]


def stage_choices() -> list[tuple[int, str]]:
    """"Reached at least": the open stages after the first, by position."""
    return [(position, name) for position, (name, _en, _sv, kind) in
            enumerate(DEFAULT_STAGES) if position > 0 and kind.value in ("open", "hired")]


def _filters() -> search.Filters:
    args = request.args
    f = search.Filters(q=args.get("q", "")[:1000], skill=args.get("skill", "")[:80],
                       tag=args.get("tag", "")[:80], location=args.get("location", "")[:80],
                       language=args.get("language", "")[:80],
                       consent_valid=args.get("all") != "1")
    stage = args.get("stage", "")
    if stage:
        if parse_int(stage) in dict(stage_choices()):
            f.stage_min = parse_int(stage)
        else:
            f.notices.append("bad_filter")
    score = args.get("score", "")
    if score:
        if score in SCORE_CHOICES:
            f.score_min = float(score)
        else:
            f.notices.append("bad_filter")
    return f


def _query_string() -> str:
    return urlencode([(k, request.args[k]) for k in FILTER_KEYS if request.args.get(k)])


@bp.get("/pool/")
def pool() -> Any:
    """Search the pool: full text plus filters, ranked, live as you type."""
    f = _filters()
    hits = search.search(db.session, f)
    openings = db.session.scalars(select(Opening).where(Opening.archived.is_(False))
                                  .order_by(Opening.title)).all()
    context = {"hits": hits, "f": f, "query_string": _query_string(), "openings": openings,
               "stages": stage_choices(), "scores": SCORE_CHOICES,
               "saved": services.saved_searches(db.session, current_user),
               "tz": _settings().default_timezone}
    if is_htmx_target("pool-results"):
        return render_template("staff/_pool_results.html", **context)
    return render_template("staff/pool.html", **context)


def _search_query(raw: str) -> str:
    """A search's query string, re-encoded: what was typed never reaches a header (the
    redirect back to the results) as it was typed."""
    return urlencode(parse_qsl(raw[:2000]))


@bp.post("/pool/saved")
def save_search() -> Any:
    query = _search_query(request.form.get("query", ""))
    try:
        services.save_search(db.session, current_user, request.form.get("name", ""), query)
    except DomainError as exc:
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(_("Search saved."), "success")
    return redirect(url_for(".pool") + (f"?{query}" if query else ""), 303)


@bp.post("/pool/saved/<int:saved_id>/delete")
def delete_search(saved_id: int) -> Any:
    try:
        services.delete_saved(db.session, current_user, saved_id)
    except DomainError:
        abort(404)
    db.session.commit()
    return redirect(url_for(".pool"), 303)


def _profile_or_404(profile_id: int) -> TalentProfile:
    profile = db.session.get(TalentProfile, profile_id)
    if profile is None:
        abort(404)
    return profile


@bp.route("/pool/<int:profile_id>", methods=["GET", "POST"])
def profile(profile_id: int) -> Any:
    """A pool member: their part, staff's tags and notes, and their history with us."""
    item = _profile_or_404(profile_id)
    error = None
    if request.method == "POST":
        try:
            services.update_staff_part(db.session, current_user, item,
                                       request.form.get("tags", ""),
                                       request.form.get("notes", ""))
        except DomainError as exc:
            db.session.rollback()
            error = str(exc.message)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for(".profile", profile_id=item.id), 303)
    else:
        services.refresh_history(db.session, item)  # where they stand with us today
        audit(db.session, "profile_viewed", item.candidate_id, "staff", current_user.id)
        db.session.commit()
    applications = db.session.scalars(select(Application).where(
        Application.candidate_id == item.candidate_id).order_by(Application.created_at)).all()
    invites = db.session.scalars(select(PoolInvite).where(
        PoolInvite.candidate_id == item.candidate_id).order_by(PoolInvite.created_at)).all()
    return render_template(
        "staff/pool_profile.html", profile=item, applications=applications, invites=invites,
        consent=current_consent(db.session, item.candidate_id), error=error,
        scores=services.scores_by_application(db.session, item.candidate_id),
        hold=retention.active_hold(db.session, item.candidate_id),
        tz=_settings().default_timezone), (422 if error else 200)


@bp.get("/pool/<int:profile_id>/cv")
def cv(profile_id: int) -> Any:
    """The CV, only ever as a download (never shown inline from our origin)."""
    item = _profile_or_404(profile_id)
    path = services.cv_file(_settings(), item)
    if path is None:
        abort(404)
    audit(db.session, "cv_downloaded", item.candidate_id, "staff", current_user.id)
    db.session.commit()
    response = send_file(path, mimetype="application/pdf", as_attachment=True,
                         download_name=f"cv-{item.candidate_id}.pdf", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/pool/invite")
def invite() -> Any:
    """Invite the chosen profiles to an opening; each gets an email in their language."""
    query = _search_query(request.form.get("query", ""))
    back = url_for(".pool") + (f"?{query}" if query else "")
    ids = [i for v in request.form.getlist("profile")[:500] if (i := parse_int(v) or 0) > 0]
    opening = db.session.get(Opening, request.form.get("opening_id", type=coerce_id) or 0)
    if not ids:
        flash(_("Tick at least one person to invite."), "error")
        return redirect(back, 303)
    if opening is None:
        flash(_("Choose an opening."), "error")
        return redirect(back, 303)
    try:
        sent, skipped = services.invite(db.session, _settings(), current_user, ids, opening)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(back, 303)
    db.session.commit()
    message = ngettext("%(num)d person invited to %(title)s.",
                       "%(num)d people invited to %(title)s.", sent, title=opening.title)
    if skipped:
        message += " " + ngettext(
            "%(num)d skipped: already invited, already in the process or no longer in "
            "the pool.", "%(num)d skipped: already invited, already in the process or no "
            "longer in the pool.", skipped)
    flash(message, "success" if sent else "error")
    return redirect(url_for(".invites", opening=opening.id), 303)


@bp.get("/pool/invites")
def invites() -> Any:
    """Who was invited to what, and what they answered."""
    opening_id = request.args.get("opening", type=coerce_id)
    query = select(PoolInvite).order_by(PoolInvite.created_at.desc()).limit(500)
    if opening_id:
        query = query.where(PoolInvite.opening_id == opening_id)
    rows = db.session.scalars(query).all()
    openings = db.session.scalars(select(Opening).order_by(Opening.title)).all()
    return render_template("staff/pool_invites.html", rows=rows, openings=openings,
                           opening_id=opening_id, tz=_settings().default_timezone)


# ---------------------------------------------------------------- retention


@bp.get("/retention")
def retention_preview() -> Any:
    """What the retention rules erase in the next 30 days, and the holds in force."""
    settings = _settings()
    due = retention.due_for_erasure(db.session, settings, within_days=30)
    expiring = retention.ended_consent_profiles(db.session)
    holds = db.session.scalars(select(RetentionHold).where(RetentionHold.released_at.is_(None))
                               .order_by(RetentionHold.placed_at.desc())).all()
    names = {c.id: c.name for c in db.session.scalars(select(Candidate).where(
        Candidate.id.in_([h.candidate_id for h in holds] + expiring)))} if (
        holds or expiring) else {}
    return render_template("staff/retention.html", due=due, holds=holds, names=names,
                           expiring=expiring, months=settings.retention_months,
                           tz=settings.default_timezone, now=utcnow())


@bp.post("/candidates/<int:candidate_id>/hold")
def place_hold(candidate_id: int) -> Any:
    person = db.session.get(Candidate, candidate_id)
    if person is None:
        abort(404)
    until = None
    raw = request.form.get("until", "").strip()
    back = request.form.get("back") == "retention"
    target = url_for(".retention_preview") if back else url_for("hiring.candidate",
                                                               candidate_id=person.id)
    try:
        if raw:
            try:
                day = datetime.strptime(raw, "%Y-%m-%d").date()
            except ValueError:
                raise DomainError(_("Write the date as YYYY-MM-DD.")) from None
            until = datetime.combine(day, time(23, 59), zone(_settings().default_timezone))
        retention.place_hold(db.session, current_user, person, request.form.get("reason", ""),
                             until)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(_("Hold placed: the data is kept until the hold is released."), "success")
    return redirect(target + "#retention", 303)


@bp.post("/holds/<int:hold_id>/release")
def release_hold(hold_id: int) -> Any:
    try:
        hold = retention.release_hold(db.session, current_user, hold_id)
    except DomainError:
        abort(404)
    db.session.commit()
    flash(_("Hold released."), "success")
    if request.form.get("back") == "retention":
        return redirect(url_for(".retention_preview"), 303)
    return redirect(url_for("hiring.candidate", candidate_id=hold.candidate_id) + "#retention",
                    303)
