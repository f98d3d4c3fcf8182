"""Staff login and logout, and the guard every staff blueprint uses."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from portal.accounts import photos, services, sso, twofactor
from portal.accounts.forms import (
    CodeForm,
    DisableTwoFactorForm,
    ForgotForm,
    LoginForm,
    ProfileForm,
    SetPasswordForm,
)
from portal.accounts.models import User
from portal.errors import DomainError
from portal.extensions import db, limiter, login_manager
from portal.ratelimit import client, typed_email
from portal.web import safe_next

LINK_KEY = "staff_link_token"  # the session key of an opened invitation or reset link
# Half signed in: the password was right, the second step is still to come. Only this
# key is set (no staff session exists yet), so no staff page opens.
PENDING_KEY = "staff_pending"
PENDING_SECONDS = 10 * 60
SSO_KEY = "staff_sso"  # set by sso_views after a sign-in through the provider
# What a signed-in member without two-factor may open while admins require it.
SETUP_ENDPOINTS = {"accounts.account", "accounts.two_factor", "accounts.logout"}

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
        if request.endpoint not in SETUP_ENDPOINTS and _must_set_up_two_factor():
            return _redirect(url_for("accounts.two_factor"))
        if allowed and current_user.role not in allowed:
            abort(403)
        return None


def _must_set_up_two_factor() -> bool:
    """A signed-in member without two-factor while admins require it of everyone."""
    if current_user.has_two_factor:
        return False
    if session.get(SSO_KEY):  # signed in through the provider: its second factor counts
        return False
    if "require_2fa" not in g:
        g.require_2fa = twofactor.requires_two_factor(db.session)
    return bool(g.require_2fa)


def _redirect(url: str) -> Any:
    response = redirect(url, 303)
    if request.htmx:
        response.headers["HX-Redirect"] = url
    return response


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


guard_staff(bp, public=("login", "login_code", "login_setup", "forgot", "open_password_link",
                        "set_password"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute; 50 per hour", methods=["POST"])
def login() -> Any:
    """Sign in with email and password. The old session is thrown away first, so a
    session id planted before login is never promoted."""
    form = LoginForm()
    error = None
    provider = sso.active_provider(db.session)
    if provider is not None and provider.required:
        # Single sign-on is required: no password form, and a post to it is refused.
        if request.method == "POST":
            error = _("Passwords are not used here. Sign in with the button below.")
        return render_template("staff/login.html", form=None, error=error, sso=provider,
                               next=request.args.get("next")), (
            403 if request.method == "POST" else 200)
    if form.validate_on_submit():
        user = services.authenticate(db.session, form.email.data or "", form.password.data or "")
        if user is None:
            error = _("Wrong email or password.")
        else:
            next_url = safe_next(request.args.get("next"), url_for("hiring.dashboard"))
            if user.has_two_factor:
                _start_pending(user, "code", next_url)
                return redirect(url_for("accounts.login_code"), 303)
            if twofactor.requires_two_factor(db.session):
                _start_pending(user, "setup", next_url)
                return redirect(url_for("accounts.login_setup"), 303)
            _finish_sign_in(user)
            return redirect(next_url, 303)
    status = 422 if request.method == "POST" else 200
    return render_template("staff/login.html", form=form, error=error, sso=provider,
                           next=request.args.get("next")), status


def _fresh_session() -> None:
    """Throw the old session away, keeping only the chosen language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def _password_mark(user: User) -> str:
    """Ties a half-finished sign-in to the password it was made with: a password set
    meanwhile (a reset) ends it."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def _start_pending(user: User, stage: str, next_url: str) -> None:
    _fresh_session()
    session[PENDING_KEY] = {"u": user.id, "s": stage, "t": int(time.time()),
                            "p": _password_mark(user), "n": next_url}


def _pending(stage: str) -> tuple[User, str] | None:
    """The half-signed-in user at ``stage`` and where they were going, or None when there
    is none or it is too old or the account changed."""
    data = session.get(PENDING_KEY)
    if not isinstance(data, dict) or data.get("s") != stage:
        return None
    if not isinstance(data.get("t"), int) or time.time() - data["t"] > PENDING_SECONDS:
        return None
    user = db.session.get(User, data.get("u")) if isinstance(data.get("u"), int) else None
    if user is None or not user.active or data.get("p") != _password_mark(user):
        return None
    if sso.sso_required(db.session):  # single sign-on was required meanwhile
        return None
    return user, safe_next(data.get("n"), url_for("hiring.dashboard"))


def _finish_sign_in(user: User) -> None:
    """Both steps done: a new server-side session, and only now a staff session."""
    _fresh_session()
    user.session_id = services.start_session(db.session, user)  # type: ignore[attr-defined]
    db.session.commit()
    login_user(user)


def _pending_key() -> str:
    """Rate-limit the code step per account as well as per address."""
    data = session.get(PENDING_KEY)
    if isinstance(data, dict) and isinstance(data.get("u"), int):
        return f"staff2fa:{data['u']}"
    return client()


def _audit(action: str, actor_id: int) -> None:
    from portal.privacy.services import audit

    audit(db.session, action, None, "staff", actor_id)


def _settings() -> Any:
    return current_app.config["PORTAL"]


def _start_again() -> Any:
    session.pop(PENDING_KEY, None)
    flash(_("Sign in again: the time for the second step ran out."), "error")
    return redirect(url_for("accounts.login"), 303)


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit("10 per minute; 50 per hour", methods=["POST"])
@limiter.limit("5 per minute; 20 per hour", methods=["POST"], key_func=_pending_key)
def login_code() -> Any:
    """The second step of signing in: a code from the authenticator app or a recovery
    code. Only after it is there a staff session."""
    pending = _pending("code")
    if pending is None:
        return _start_again()
    user, next_url = pending
    form = CodeForm()
    if form.validate_on_submit():
        try:
            kind = twofactor.check_code(db.session, _settings(), user, form.code.data or "")
        except DomainError as exc:
            kind = None
            form.code.errors = [str(exc.message)]
        if kind is not None:
            _audit("staff_2fa_recovery_used" if kind == "recovery" else "staff_2fa_signed_in",
                   user.id)
            _finish_sign_in(user)
            if kind == "recovery":
                left = twofactor.recovery_codes_left(db.session, user)
                flash(_("You used a recovery code. %(n)d are left; you can make new ones on "
                        "your account page.", n=left), "info")
            return redirect(next_url, 303)
        if not form.code.errors:
            form.code.errors = [_("That code is not right, or it was used already. Type the "
                                  "6 digits your app shows now.")]
        _audit("staff_2fa_failed", user.id)
        db.session.commit()
    status = 422 if request.method == "POST" else 200
    return render_template("staff/login_code.html", form=form), status


@bp.route("/login/two-factor", methods=["GET", "POST"])
@limiter.limit("10 per minute; 50 per hour", methods=["POST"])
@limiter.limit("5 per minute; 20 per hour", methods=["POST"], key_func=_pending_key)
def login_setup() -> Any:
    """Admins require two-factor sign-in and this account has none: set it up now,
    right after the password, before any other page."""
    pending = _pending("setup")
    if pending is None:
        return _start_again()
    user, next_url = pending
    if user.has_two_factor:  # set up meanwhile in another browser: sign in with a code
        session[PENDING_KEY] = {**session[PENDING_KEY], "s": "code"}
        return redirect(url_for("accounts.login_code"), 303)
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = twofactor.confirm_setup(db.session, _settings(), user, form.code.data or "")
        except DomainError as exc:
            form.code.errors = [str(exc.message)]
        else:
            _audit("staff_2fa_enabled", user.id)
            _finish_sign_in(user)
            return render_template("staff/recovery_codes.html", codes=codes,
                                   next_url=next_url)
    return _setup_page(user, form, "staff/login_setup.html")


def _setup_page(user: User, form: CodeForm, template: str) -> Any:
    """The QR code and the secret to type: a fresh secret on every visit, the same one
    while the form is answered."""
    settings = _settings()
    secret = twofactor.pending_secret(settings, user) if request.method == "POST" else None
    if secret is None:
        secret = twofactor.begin_setup(db.session, settings, user)
        db.session.commit()
    uri = twofactor.provisioning_uri(settings, user, secret)
    status = 422 if request.method == "POST" else 200
    return render_template(template, form=form, qr=twofactor.qr_svg(uri),
                           secret=twofactor.grouped(secret),
                           issuer=twofactor.issuer(settings)), status


@bp.get("/account")
def account() -> Any:
    """The signed-in member's own account: two-factor sign-in on or off."""
    user = current_user._get_current_object()
    return render_template(
        "staff/account.html", profile=ProfileForm(formdata=None, obj=user),
        disable=DisableTwoFactorForm(formdata=None),
        renew=CodeForm(formdata=None),
        left=twofactor.recovery_codes_left(db.session, user) if user.has_two_factor else 0,
        required=twofactor.requires_two_factor(db.session))


@bp.route("/account/two-factor", methods=["GET", "POST"])
@limiter.limit("10 per minute; 50 per hour", methods=["POST"])
def two_factor() -> Any:
    """Turn two-factor sign-in on: scan the QR code, then prove it with a code."""
    user = current_user._get_current_object()
    if user.has_two_factor:
        return redirect(url_for("accounts.account"), 303)
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = twofactor.confirm_setup(db.session, _settings(), user, form.code.data or "")
        except DomainError as exc:
            db.session.rollback()
            form.code.errors = [str(exc.message)]
        else:
            _audit("staff_2fa_enabled", user.id)
            db.session.commit()
            return render_template("staff/recovery_codes.html", codes=codes,
                                   next_url=url_for("accounts.account"))
    return _setup_page(user, form, "staff/two_factor_setup.html")


@bp.post("/account/two-factor/off")
@limiter.limit("10 per minute; 50 per hour")
def two_factor_off() -> Any:
    """Turn two-factor sign-in off, with the password and a code."""
    user = current_user._get_current_object()
    form = DisableTwoFactorForm()
    if form.validate_on_submit():
        try:
            twofactor.disable(db.session, _settings(), user, form.password.data or "",
                              form.code.data or "")
        except DomainError as exc:
            db.session.rollback()
            target = getattr(form, exc.field or "", None)
            if target is not None:
                target.errors = [str(exc.message)]
            else:
                flash(str(exc.message), "error")
                return redirect(url_for("accounts.account"), 303)
        else:
            _audit("staff_2fa_disabled", user.id)
            db.session.commit()
            flash(_("Two-factor sign-in is off."), "success")
            return redirect(url_for("accounts.account"), 303)
    return render_template(
        "staff/account.html", profile=ProfileForm(formdata=None, obj=user),
        disable=form, renew=CodeForm(formdata=None),
        left=twofactor.recovery_codes_left(db.session, user) if user.has_two_factor else 0,
        required=twofactor.requires_two_factor(db.session)), 422


@bp.post("/account/recovery-codes")
@limiter.limit("10 per minute; 50 per hour")
def recovery_codes() -> Any:
    """New recovery codes (the old ones die), after a code from the app."""
    user = current_user._get_current_object()
    if not user.has_two_factor:
        return redirect(url_for("accounts.account"), 303)
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = twofactor.renew_recovery_codes(db.session, _settings(), user,
                                                   form.code.data or "")
        except DomainError as exc:
            db.session.rollback()
            form.code.errors = [str(exc.message)]
        else:
            _audit("staff_2fa_codes_renewed", user.id)
            db.session.commit()
            return render_template("staff/recovery_codes.html", codes=codes,
                                   next_url=url_for("accounts.account"))
    return render_template(
        "staff/account.html", profile=ProfileForm(formdata=None, obj=user),
        disable=DisableTwoFactorForm(formdata=None), renew=form,
        left=twofactor.recovery_codes_left(db.session, user),
        required=twofactor.requires_two_factor(db.session)), 422


def save_profile(user: User, form: ProfileForm) -> bool:
    """Store the title and, when a file came, the photo of ``user`` from ``form``; False
    with the reason on the form's field when something was refused (nothing is kept)."""
    if not form.validate_on_submit():
        return False
    upload = request.files.get(form.photo.name)
    try:
        photos.set_title(user, form.title.data or "")
        if upload is not None and upload.filename:
            photos.set_photo(db.session, user, photos.read_upload(upload.stream))
    except DomainError as exc:
        db.session.rollback()
        target = getattr(form, exc.field or "", None) or form.photo
        target.errors = [*target.errors, str(exc.message)]
        return False
    db.session.commit()
    return True


def photo_response(data: bytes | None) -> Any:
    """A staff photo at its fingerprinted address: the address changes with the photo,
    so the browser keeps it for a year; private, as only some may see it."""
    if data is None:
        abort(404)
    response = current_app.response_class(data, mimetype="image/webp")
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = "inline"
    return response


@bp.post("/account/profile")
@limiter.limit("20 per minute")
def profile() -> Any:
    """The signed-in member's own title and photo, as candidates will see them."""
    user = current_user._get_current_object()
    form = ProfileForm()
    if save_profile(user, form):
        flash(_("Your title and photo are saved."), "success")
        return redirect(url_for("accounts.account") + "#profile-h", 303)
    return render_template(
        "staff/account.html", profile=form, disable=DisableTwoFactorForm(formdata=None),
        renew=CodeForm(formdata=None),
        left=twofactor.recovery_codes_left(db.session, user) if user.has_two_factor else 0,
        required=twofactor.requires_two_factor(db.session)), 422


@bp.post("/account/photo/remove")
def remove_photo() -> Any:
    """Take the signed-in member's photo away; candidates see initials instead."""
    photos.remove_photo(db.session, current_user._get_current_object())
    db.session.commit()
    flash(_("Your photo is removed."), "success")
    return redirect(url_for("accounts.account") + "#profile-h", 303)


@bp.get("/people/<int:user_id>/photo/<key>.webp")
def photo(user_id: int, key: str) -> Any:
    """A colleague's photo, for any signed-in staff member."""
    return photo_response(photos.photo(db.session, user_id, key))


@bp.post("/logout")
def logout() -> Any:
    """End the session on the server and in the browser; someone who signed in through
    the provider then signs out there too, when it offers that."""
    from portal.accounts.sso_views import provider_logout_url

    provider_url = provider_logout_url(session.get(SSO_KEY))
    services.end_session(db.session, current_user.get_id())
    db.session.commit()
    logout_user()
    session.clear()
    return redirect(provider_url or url_for("accounts.login"), 303)


def _passwords_off() -> Any:
    """Single sign-on is required: no password can be set or reset."""
    if not sso.sso_required(db.session):
        return None
    session.pop(LINK_KEY, None)
    flash(_("Passwords are not used here. Sign in with the button below."), "error")
    return redirect(url_for("accounts.login"), 303)


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit("5 per minute; 20 per hour", methods=["POST"])
@limiter.limit("5 per hour", methods=["POST"], key_func=typed_email)
def forgot() -> Any:
    """Forgotten password: the same answer whether or not the address has an account."""
    if (refused := _passwords_off()) is not None:
        return refused
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
    if (refused := _passwords_off()) is not None:
        return refused
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
    if (refused := _passwords_off()) is not None:
        return refused
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
