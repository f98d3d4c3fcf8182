"""Staff login and logout, and the guard every staff blueprint uses."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from portal.accounts import services
from portal.accounts.forms import ForgotForm, LoginForm, SetPasswordForm
from portal.errors import DomainError
from portal.extensions import db, limiter, login_manager
from portal.ratelimit import typed_email
from portal.web import safe_next

LINK_KEY = "staff_link_token"  # the session key of an opened invitation or reset link

bp = Blueprint("accounts", __name__, url_prefix="/staff")


@login_manager.user_loader
def _load_user(sid: str) -> Any:
    return services.load_session_user(db.session, sid)


@login_manager.unauthorized_handler
def _unauthorized() -> Any:
    if request.htmx:
        # A full-page redirect, not a login form swapped into a fragment.
        response = redirect(url_for("accounts.login"))
        response.headers["HX-Redirect"] = url_for("accounts.login")
        return response
    return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))


def guard_staff(bp: Blueprint, public: Iterable[str] = (), roles: Iterable[str] = ()) -> None:
    """Deny by default: every endpoint of ``bp`` needs a signed-in staff member (with one of
    ``roles`` when given), except the endpoints listed in ``public``."""
    open_endpoints = {f"{bp.name}.{name}" for name in public}
    allowed = set(roles)

    @bp.before_request
    def _require_staff() -> Any:
        if request.endpoint in open_endpoints:
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if allowed and current_user.role not in allowed:
            abort(403)
        return None


def role_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Narrow one view to some roles (the blueprint guard has already checked login)."""
    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        wrapped.__name__ = view.__name__
        wrapped.__doc__ = view.__doc__
        return wrapped
    return decorate


guard_staff(bp, public=("login", "forgot", "open_password_link", "set_password"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute; 50 per hour", methods=["POST"])
def login() -> Any:
    """Sign in with email and password. The old session is thrown away first, so a
    session id planted before login is never promoted."""
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = services.authenticate(db.session, form.email.data or "", form.password.data or "")
        if user is None:
            error = _("Wrong email or password.")
        else:
            lang = session.get("lang")
            session.clear()
            if lang:
                session["lang"] = lang
            user.session_id = services.start_session(db.session, user)  # type: ignore[attr-defined]
            db.session.commit()
            login_user(user)
            return redirect(safe_next(request.args.get("next"), url_for("hiring.dashboard")), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("staff/login.html", form=form, error=error), status


@bp.post("/logout")
def logout() -> Any:
    """End the session on the server and in the browser."""
    services.end_session(db.session, current_user.get_id())
    db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("accounts.login"), 303)


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit("5 per minute; 20 per hour", methods=["POST"])
@limiter.limit("5 per hour", methods=["POST"], key_func=typed_email)
def forgot() -> Any:
    """Forgotten password: the same answer whether or not the address has an account."""
    form = ForgotForm()
    if form.validate_on_submit():
        services.request_reset(db.session, current_app.config["PORTAL"].base_url,
                               form.email.data or "", session.get("lang") or "en")
        db.session.commit()
        return render_template("staff/forgot.html", form=None, sent=True)
    status = 422 if request.method == "POST" else 200
    return render_template("staff/forgot.html", form=form, sent=False), status


@bp.get("/password/<token>")
def open_password_link(token: str) -> Any:
    """An invitation or reset link: keep its token in the session and go to a clean address,
    so the token leaves the address bar and never reaches a Referer or the access log."""
    if services.token_user(db.session, token) is None:
        session.pop(LINK_KEY, None)
        return render_template("staff/set_password.html", form=None), 410
    session[LINK_KEY] = token
    return redirect(url_for("accounts.set_password"), 303)


@bp.route("/password", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def set_password() -> Any:
    """Set a password from an invitation or reset link opened in this browser. The link
    dies on use, and every session of the account ends."""
    token = session.get(LINK_KEY) or ""
    if not token or services.token_user(db.session, token) is None:
        session.pop(LINK_KEY, None)
        return render_template("staff/set_password.html", form=None), 410
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            services.set_password_by_token(db.session, token, form.password.data or "")
        except DomainError as exc:
            form.password.errors = [str(exc.message)]
        else:
            db.session.commit()
            if current_user.is_authenticated:
                logout_user()
            session.clear()
            flash(_("Your password is set. Sign in with it."), "success")
            return redirect(url_for("accounts.login"), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("staff/set_password.html", form=form), status
