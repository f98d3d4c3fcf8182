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

from portal.accounts import services as accounts
from portal.accounts import twofactor
from portal.accounts.forms import InviteForm, UserForm
from portal.accounts.models import ROLE_LABELS, Role, User
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
    return _users_page(form, InviteForm(formdata=None, language=current_user.language))


def _users_page(form: UserForm, invite: InviteForm) -> Any:
    people = db.session.scalars(select(User).order_by(User.name)).all()
    return render_template("staff/users.html", form=form, invite=invite, people=people,
                           roles=ROLE_LABELS,
                           require_2fa=twofactor.requires_two_factor(db.session)), (
        422 if form.errors or invite.errors else 200)


def _audit_staff(action: str) -> None:
    from portal.privacy.services import audit

    audit(db.session, action, None, "staff", current_user.id)


@bp.post("/users/invite")
def invite_user() -> Any:
    """Admins invite a colleague by email; they choose their own password from the link."""
    if current_user.role != Role.ADMIN:
        abort(403)
    invite = InviteForm()
    if invite.validate_on_submit():
        try:
            accounts.invite_user(db.session, _settings().base_url,
                                 email=invite.email.data or "", name=invite.name.data or "",
                                 role=invite.role.data or "",
                                 language=invite.language.data or "en", inviter=current_user)
        except DomainError as exc:
            _form_error(invite, exc)
        else:
            _audit_staff("staff_invited")
            db.session.commit()
            flash(_("An invitation is on its way to %(email)s.", email=invite.email.data),
                  "success")
            return redirect(url_for(".users"), 303)
    return _users_page(UserForm(formdata=None), invite)


@bp.post("/users/<int:user_id>/role")
def change_role(user_id: int) -> Any:
    """Admins give a colleague another role; the last admin keeps theirs."""
    if current_user.role != Role.ADMIN:
        abort(403)
    person = db.get_or_404(User, user_id)
    try:
        accounts.change_role(db.session, current_user, person, request.form.get("role", ""))
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        _audit_staff("staff_role_changed")
        db.session.commit()
        flash(_("Role changed."), "success")
    return redirect(url_for(".users"), 303)


@bp.route("/users/<int:user_id>/profile", methods=["GET", "POST"])
def user_profile(user_id: int) -> Any:
    """Admins set a colleague's title and photo, as candidates will see them."""
    from portal.accounts.forms import ProfileForm
    from portal.accounts.views import save_profile

    if current_user.role != Role.ADMIN:
        abort(403)
    person = db.get_or_404(User, user_id)
    form = ProfileForm(obj=person)
    if request.method == "POST" and save_profile(person, form):
        flash(_("The title and photo of %(name)s are saved.", name=person.name), "success")
        return redirect(url_for(".user_profile", user_id=person.id), 303)
    return render_template("staff/user_profile.html", person=person, form=form), (
        422 if form.errors else 200)


@bp.post("/users/<int:user_id>/photo/remove")
def remove_user_photo(user_id: int) -> Any:
    """Admins take a colleague's photo away."""
    from portal.accounts.photos import remove_photo

    if current_user.role != Role.ADMIN:
        abort(403)
    person = db.get_or_404(User, user_id)
    remove_photo(db.session, person)
    db.session.commit()
    flash(_("The photo of %(name)s is removed.", name=person.name), "success")
    return redirect(url_for(".user_profile", user_id=person.id), 303)


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
    try:
        # Deactivating signs the person out everywhere at once.
        accounts.set_active(db.session, current_user, person, not person.active)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        _audit_staff("staff_activated" if person.active else "staff_deactivated")
        db.session.commit()
    return redirect(url_for(".users"), 303)


@bp.post("/users/two-factor")
def require_two_factor() -> Any:
    """Admins require two-factor sign-in of everyone, or stop requiring it."""
    if current_user.role != Role.ADMIN:
        abort(403)
    required = request.form.get("required") == "yes"
    try:
        twofactor.set_requirement(db.session, current_user, required)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        _audit_staff("staff_2fa_required" if required else "staff_2fa_not_required")
        db.session.commit()
        flash(_("Two-factor sign-in is now required for everyone.") if required
              else _("Two-factor sign-in is no longer required."), "success")
    return redirect(url_for(".users"), 303)


@bp.post("/users/<int:user_id>/two-factor/reset")
def reset_two_factor(user_id: int) -> Any:
    """Admins reset a colleague's two-factor sign-in (a lost phone): it is off, and the
    colleague is signed out everywhere."""
    if current_user.role != Role.ADMIN:
        abort(403)
    person = db.get_or_404(User, user_id)
    try:
        twofactor.reset_by_admin(db.session, current_user, person)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        _audit_staff("staff_2fa_reset")
        db.session.commit()
        flash(_("Two-factor sign-in of %(name)s is reset.", name=person.name), "success")
    return redirect(url_for(".users"), 303)
