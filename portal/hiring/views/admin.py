"""For admins (/staff/users, /staff/audit): staff accounts and the audit log."""

from __future__ import annotations

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

from portal.accounts.forms import UserForm
from portal.accounts.models import Role, User
from portal.accounts.services import create_user
from portal.errors import DomainError
from portal.extensions import db
from portal.forms import coerce_id
from portal.hiring.views import _form_error, _settings, bp


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
    from portal.privacy import audit_log as log
    from portal.privacy.words import AUDIT_ACTIONS

    candidate_id = request.args.get("candidate", type=coerce_id)
    action = request.args.get("action", "")[:40]
    rows = log.search(db.session, candidate_id, action)
    if request.args.get("format") == "csv":
        from flask import Response

        response = Response(log.to_csv(rows), mimetype="text/csv")
        response.headers["Content-Disposition"] = 'attachment; filename="audit.csv"'
        return response
    return render_template("staff/audit.html", rows=rows, candidate_id=candidate_id,
                           actions=AUDIT_ACTIONS,
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
