"""The candidate's data (/portal/privacy, /portal/profile, /portal/invites, /portal/my-data,
/portal/erase): the talent pool, their profile and CV, and their rights."""

from __future__ import annotations

from typing import Any

from flask import (
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from portal.candidate.auth import sign_out
from portal.candidate.views import (
    _settings,
    bp,
)
from portal.confirm import Confirmation, ask, confirmed
from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.hiring.models import Candidate
from portal.pool import consent as pool_consent
from portal.process import lifecycle
from portal.web import current_lang


@bp.route("/portal/privacy", methods=["GET", "POST"])
def privacy() -> Any:
    """The talent pool (join, extend, leave) and the candidate's data rights."""
    from portal.privacy import services as privacy_services

    candidate: Candidate = g.candidate
    error = None
    leaving = (request.args.get("leave") == "1" if request.method == "GET"
               else request.form.get("action") == "withdraw" and not confirmed(request.form))
    if leaving and privacy_services.current_consent(db.session, candidate.id) is not None:
        return ask("candidate/confirm.html", _leave_pool_confirmation(),
                   422 if request.method == "POST" else 200, candidate=candidate)
    if request.method == "POST":
        action = request.form.get("action", "")
        try:
            if action in ("join", "extend"):
                if request.form.get("agree") != "y":
                    raise DomainError(_("Tick the box to agree."))
                # Roles are typed on joining; extending keeps the profile's own.
                pool_consent.give_consent(
                    db.session, _settings(), candidate, current_lang(),
                    request.form.get("roles", "") if action == "join" else None)
            elif action == "withdraw":
                pool_consent.withdraw_consent(db.session, _settings(), candidate)
            else:
                abort(400)
        except DomainError as exc:
            db.session.rollback()
            error = str(exc.message)
        else:
            db.session.commit()
            return redirect(url_for(".privacy"), 303)
    return _render_privacy(error=error, typed=request.form)


def _leave_pool_confirmation() -> Confirmation:
    """What leaving the talent pool does, for the confirm step."""
    return Confirmation(
        slot="confirm-leave", title=_("Leave the talent pool?"),
        consequences=[
            _("You leave our talent pool at once, and we will not contact you about new "
              "roles."),
            _("Your profile in the pool is deleted, with your CV if you uploaded one. This "
              "cannot be undone."),
            _("Applications you have already sent are not affected."),
        ],
        action=url_for(".privacy"), hidden={"action": "withdraw"},
        button=_("Yes, leave the talent pool"), back=url_for(".privacy"))


def _render_privacy(error: str | None = None, field_errors: dict[str, str] | None = None,
                    form: dict[str, str] | None = None, typed: Any = None) -> Any:
    """The privacy page; ``form`` is what was typed into the profile, ``typed`` into the
    join/extend form, shown again after an error."""
    from portal.pool import services as pool
    from portal.privacy import services as privacy_services

    candidate: Candidate = g.candidate
    consent = privacy_services.current_consent(db.session, candidate.id)
    profile = pool.profile_of(db.session, candidate.id) if consent else None
    failed = bool(error or field_errors)
    return render_template("candidate/privacy.html", consent=consent, error=error,
                           profile=profile, field_errors=field_errors or {}, form=form or {},
                           typed=typed or {},
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


def _never_again_confirmation(item: Any) -> Confirmation:
    """What "never contact me again" does, for the confirm step."""
    return Confirmation(
        slot="confirm-never", title=_("Leave the talent pool for good?"),
        consequences=[
            _("You leave our talent pool at once, and we will not contact you about new "
              "roles."),
            _("Your profile in the pool is deleted, with your CV if you uploaded one. This "
              "cannot be undone."),
            _("Applications you have already sent are not affected."),
        ],
        action=url_for(".pool_invite", invite_id=item.id), hidden={"answer": "never"},
        button=_("Yes, never contact me again"),
        back=url_for(".pool_invite", invite_id=item.id))


@bp.route("/portal/invites/<int:invite_id>", methods=["GET", "POST"])
def pool_invite(invite_id: int) -> Any:
    """An invitation from the talent pool: interested, not now, or never again."""
    from portal.pool import services as pool

    try:
        item = pool.invite_for_candidate(db.session, g.candidate, invite_id)
    except NotFound:
        abort(404)
    error = None
    # "Never again" deletes their pool profile: it is asked once more before it happens.
    answer = request.form.get("answer", "") if request.method == "POST" else request.args.get(
        "answer", "")
    if answer == "never" and item.answer != "never" and not confirmed(request.form):
        return ask("candidate/confirm.html", _never_again_confirmation(item),
                   422 if request.method == "POST" else 200, candidate=g.candidate)
    if request.method == "POST":
        try:
            application = lifecycle.answer_pool_invite(db.session, _settings(), item, answer)
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

    data = lifecycle.export(db.session, g.candidate)
    db.session.commit()
    response = Response(privacy_services.export_json(data), mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="my-data.json"'
    return response


@bp.get("/portal/my-data")
def my_data() -> Any:
    """The same, as a page to read."""
    from portal.privacy.words import readable_export
    from portal.web import fmt_moment

    data = lifecycle.export(db.session, g.candidate)
    db.session.commit()
    tz = g.candidate.timezone
    sections = readable_export(data, lambda v: fmt_moment(v, tz))
    return render_template("candidate/my_data.html", sections=sections)


@bp.route("/portal/erase", methods=["GET", "POST"])
def erase() -> Any:
    """Erase: confirmed on this page, reached only through the candidate's own link."""

    if request.method == "POST":
        if request.form.get("confirm") != "y":
            return render_template("candidate/erase.html",
                                   error=_("Tick the box to confirm.")), 422
        lifecycle.erase(db.session, _settings(), g.candidate)
        db.session.commit()
        sign_out()
        return render_template("candidate/erased.html", candidate=None)
    return render_template("candidate/erase.html", error=None)
