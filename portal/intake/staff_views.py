"""Back office for intake (/staff/...): merging two records of one person, importing
candidates from a CSV file, and the CV sent with a public application. Recruiters and
admins only; deny by default through ``guard_staff``."""

from __future__ import annotations

from typing import Any

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
from flask_login import current_user

from portal.accounts.models import Role
from portal.accounts.views import guard_staff
from portal.errors import DomainError
from portal.extensions import db
from portal.hiring import services
from portal.intake import csvimport, public
from portal.intake import merge as merging
from portal.intake.forms import ImportForm
from portal.privacy.services import audit

bp = Blueprint("intake", __name__, url_prefix="/staff")
guard_staff(bp, roles=(Role.ADMIN, Role.RECRUITER))


def _settings() -> Any:
    return current_app.config["PORTAL"]


@bp.get("/applications/<int:application_id>/cv")
def application_cv(application_id: int) -> Any:
    """The CV sent with a public application (audited, like every CV read by staff)."""
    application = services.get_application(db.session, current_user, application_id)
    path = public.cv_path(_settings(), application.cv_key) if application.cv_key else None
    if path is None or not path.is_file():
        abort(404)
    audit(db.session, "cv_downloaded", application.candidate_id, "staff", current_user.id)
    db.session.commit()
    return send_file(path, mimetype="application/pdf", as_attachment=True,
                     download_name=f"cv-{application.candidate_id}.pdf", max_age=0)


# ---------------------------------------------------------------- merging


def _merge_page(first: Any, second: Any, error: str | None = None, status: int = 200,
                picked: dict[str, str] | None = None) -> Any:
    return render_template(
        "staff/merge.html", first=first, second=second, fields=merging.FIELDS,
        plan=merging.plan(db.session, first, second), error=error, picked=picked or {},
        labels={"name": _("Name"), "email": _("Email"), "phone": _("Phone"),
                "language": _("Language"), "timezone": _("Time zone")}), status


@bp.route("/candidates/<int:candidate_id>/merge/<int:other_id>", methods=["GET", "POST"])
def merge(candidate_id: int, other_id: int) -> Any:
    """Both records side by side; choose the record to keep and each value. The merge
    moves everything to the kept record and removes the other."""
    first = services.get_candidate(db.session, current_user, candidate_id)
    second = services.get_candidate(db.session, current_user, other_id)
    if first.id == second.id:
        abort(404)
    if request.method == "GET":
        return _merge_page(first, second)
    from flask_wtf.csrf import validate_csrf
    from wtforms import ValidationError

    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        abort(400)
    ids = {str(first.id): first, str(second.id): second}
    keep = ids.get(request.form.get("keep", ""))
    picked = {name: request.form.get(name, "") for name in merging.FIELDS}
    if keep is None or any(v not in ids for v in picked.values()):
        return _merge_page(first, second, _("Choose the record to keep and a value for "
                                            "every row."), 422, picked)
    remove = second if keep is first else first
    try:
        kept = merging.merge(db.session, current_user, keep, remove,
                             {name for name, v in picked.items() if v == str(remove.id)},
                             _settings())
    except DomainError as exc:
        db.session.rollback()
        first = services.get_candidate(db.session, current_user, candidate_id)
        second = services.get_candidate(db.session, current_user, other_id)
        return _merge_page(first, second, str(exc.message), 409, picked)
    db.session.commit()
    flash(_("The records are merged."), "success")
    return redirect(url_for("hiring.candidate", candidate_id=kept.id), 303)


# ---------------------------------------------------------------- importing


@bp.route("/openings/<int:opening_id>/import", methods=["GET", "POST"])
def import_candidates(opening_id: int) -> Any:
    """Upload a CSV file, see every row checked, then import all rows or none."""
    opening = services.get_opening(db.session, current_user, opening_id)
    form = ImportForm()
    preview = None
    if form.validate_on_submit():
        text = form.content.data or ""
        try:
            if request.form.get("action") == "import" and text:
                done = csvimport.run(db.session, _settings(), current_user, opening, text,
                                     bool(form.invite.data))
                db.session.commit()
                flash(_("%(new)d new candidates imported, %(linked)d existing candidates "
                        "added, %(skipped)d already in the opening.",
                        new=done.count("new"), linked=done.count("link"),
                        skipped=done.count("skip")), "success")
                return redirect(url_for("hiring.pipeline", opening_id=opening.id), 303)
            upload = request.files.get("file")
            if upload is None or not upload.filename:
                raise DomainError(_("Choose a CSV file."), field="file")
            text = csvimport.decode(upload.stream.read(csvimport.MAX_BYTES + 1))
            preview = csvimport.read(db.session, opening, text)
            form.content.data = text
        except DomainError as exc:
            db.session.rollback()
            if exc.field == "file":
                form.file.errors = [str(exc.message)]
            else:
                form.form_errors.append(str(exc.message))
                preview = csvimport.read(db.session, opening, text) if text else None
    status = 422 if form.errors or form.form_errors or (preview and not preview.ok) else 200
    return render_template("staff/import.html", opening=opening, form=form,
                           preview=preview, max_rows=csvimport.MAX_ROWS), status
