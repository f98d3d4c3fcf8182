"""Single sign-on for staff: the admins' page for the OpenID Connect provider, the
sign-in through it, the provider's logout, and the break-glass command.

Authlib's Flask client does the browser part: the authorization code flow with PKCE
(S256), a random ``state`` and ``nonce`` kept in the signed session cookie, the code
exchanged over HTTPS, and the ID token checked (its signature with the provider's JWKS,
``iss``, ``aud``, ``exp`` and ``nonce``). ``accounts.sso`` decides who that is.

Break-glass: ``flask sso disable`` turns single sign-on off from the server, so password
sign-in is back even when the provider is gone or was set up wrong.
"""

from __future__ import annotations

import logging
from typing import Any

import click
import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError
from authlib.integrations.flask_client import FlaskIntegration, FlaskOAuth2App
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from joserfc.errors import JoseError

from portal.accounts import sso
from portal.accounts.forms import SsoProviderForm
from portal.accounts.models import Role, SsoProvider
from portal.accounts.views import SSO_KEY as SSO_SESSION_KEY
from portal.accounts.views import _finish_sign_in, guard_staff
from portal.errors import DomainError
from portal.extensions import db, limiter
from portal.web import safe_next

log = logging.getLogger(__name__)

CLIENT_NAME = "portal_sso"
# The session key of a sign-in through the provider: the ID token, for the provider's
# logout (id_token_hint). Set only after the staff session exists.
SSO_KEY = SSO_SESSION_KEY
NEXT_KEY = "staff_sso_next"  # where the person was going when they pressed the button
SCOPE = "openid email profile"
# What can go wrong talking to the provider or checking its answer: network, bad JSON,
# Authlib's OAuth errors, and joserfc's signature and claim errors.
PROVIDER_ERRORS = (AuthlibBaseError, JoseError, requests.RequestException, ValueError,
                   KeyError, TypeError, RuntimeError, DomainError)

bp = Blueprint("sso", __name__, url_prefix="/staff/sso", cli_group="sso")
guard_staff(bp, public=("start", "callback"), roles=(Role.ADMIN.value,))


def _settings() -> Any:
    return current_app.config["PORTAL"]


def redirect_uri() -> str:
    """The address to register at the provider as the redirect URI."""
    return _settings().base_url + url_for("sso.callback")


def post_logout_uri() -> str:
    return _settings().base_url + url_for("accounts.login")


def _client(row: SsoProvider) -> FlaskOAuth2App:
    """An Authlib client for the stored provider. Its discovery document is read once per
    request; the issuer it names must be the configured one, or nothing is trusted."""
    secret = sso.client_secret(_settings(), row)
    kwargs: dict[str, Any] = {"scope": SCOPE, "code_challenge_method": "S256",
                              "default_timeout": sso.TIMEOUT_SECONDS}
    if secret is None:  # a public client: PKCE alone
        kwargs["token_endpoint_auth_method"] = "none"  # noqa: S105 (a method name)
    client = FlaskOAuth2App(FlaskIntegration(CLIENT_NAME), name=CLIENT_NAME,
                            client_id=row.client_id, client_secret=secret,
                            server_metadata_url=sso.discovery_url(row.issuer),
                            client_kwargs=kwargs)
    if client.load_server_metadata().get("issuer") != row.issuer:
        raise RuntimeError("the discovery document names another issuer")
    return client


def _refuse(message: str) -> Any:
    flash(message, "error")
    return redirect(url_for("accounts.login"), 303)


def _audit(action: str, actor_id: int | None) -> None:
    from portal.privacy.services import audit

    audit(db.session, action, None, "staff", actor_id)


def _unreachable() -> str:
    return _("The sign-in service cannot be reached right now. Try again in a while, or ask "
             "an admin.")


@bp.get("/start")
@limiter.limit("10 per minute; 50 per hour")
def start() -> Any:
    """The single sign-on button: off to the provider with a fresh state, nonce and PKCE
    verifier (kept in this browser's session)."""
    row = sso.active_provider(db.session)
    if row is None:
        return _refuse(_("Single sign-on is not turned on."))
    next_url = safe_next(request.args.get("next"), url_for("hiring.dashboard"))
    try:
        response = _client(row).authorize_redirect(redirect_uri(),
                                                   ui_locales=str(get_locale() or "en"))
    except PROVIDER_ERRORS:
        log.warning("single sign-on: the provider could not be reached", exc_info=True)
        return _refuse(_unreachable())
    session[NEXT_KEY] = next_url
    return response


@bp.get("/callback")
@limiter.limit("10 per minute; 50 per hour")
def callback() -> Any:
    """The provider sends the person back with a code: exchange it, verify the ID token,
    find or link (or create) the account, and start a staff session as a password sign-in
    does. Every refusal is a message on the sign-in page, never an error page."""
    row = sso.active_provider(db.session)
    if row is None:
        return _refuse(_("Single sign-on is not turned on."))
    if request.args.get("error"):
        return _refuse(_("The sign-in service did not sign you in. Try again."))
    state = request.args.get("state") or ""
    if not state or f"_state_{CLIENT_NAME}_{state}" not in session:
        return _refuse(_("This sign-in was started in another browser or took too long. "
                         "Press the button again."))
    try:
        token = _client(row).authorize_access_token()
    except MismatchingStateError:
        return _refuse(_("This sign-in was started in another browser or took too long. "
                         "Press the button again."))
    except PROVIDER_ERRORS:
        log.warning("single sign-on: the answer could not be verified", exc_info=True)
        _audit("staff_sso_refused", None)
        db.session.commit()
        return _refuse(_("The answer from the sign-in service could not be verified, so "
                         "you are not signed in. Try again, or ask an admin."))
    claims = token.get("userinfo")
    if not claims or not token.get("id_token"):  # an OAuth answer without an ID token
        return _refuse(_("The answer from the sign-in service could not be verified, so "
                         "you are not signed in. Try again, or ask an admin."))
    try:
        user, how = sso.resolve_user(db.session, row, dict(claims), str(get_locale() or "en"))
    except sso.SsoRefused as exc:
        db.session.rollback()
        _audit("staff_sso_refused", None)
        db.session.commit()
        return _refuse(str(exc.message))
    if how == "linked_now":
        _audit("staff_sso_linked", user.id)
    elif how == "created":
        _audit("staff_sso_account_created", user.id)
    _audit("staff_sso_signed_in", user.id)
    next_url = safe_next(session.get(NEXT_KEY), url_for("hiring.dashboard"))
    _finish_sign_in(user)  # a fresh session, a server-side staff session, one commit
    session[SSO_KEY] = {"id_token": token["id_token"]}
    return redirect(next_url, 303)


def provider_logout_url(data: Any) -> str | None:
    """Where to send someone signed in through the provider after the portal session has
    ended: the provider's end_session_endpoint with id_token_hint, when it has one."""
    if not isinstance(data, dict) or not isinstance(data.get("id_token"), str):
        return None
    row = sso.active_provider(db.session)
    if row is None:
        return None
    try:
        client = _client(row)
        if not client.load_server_metadata().get("end_session_endpoint"):
            return None
        return str(client.create_logout_url(
            post_logout_redirect_uri=post_logout_uri(), id_token_hint=data["id_token"],
            client_id=row.client_id)["url"])
    except PROVIDER_ERRORS:
        log.warning("single sign-on: no logout at the provider", exc_info=True)
        return None


# ---------------------------------------------------------------- the admins' page


def _form_for(row: SsoProvider | None) -> SsoProviderForm:
    if row is None:
        return SsoProviderForm(formdata=None)
    return SsoProviderForm(formdata=None, issuer=row.issuer, client_id=row.client_id,
                           button_label=row.button_label,
                           default_role=row.default_role or "",
                           allowed_domains=row.allowed_domains,
                           required=row.required and row.enabled)


def _page(form: SsoProviderForm, row: SsoProvider | None, status: int = 200) -> Any:
    return render_template("staff/sso.html", form=form, row=row,
                           redirect_uri=redirect_uri(), logout_uri=post_logout_uri(),
                           linked=current_user.sso_issuer is not None), status


@bp.route("", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def settings() -> Any:
    """Admins set up the OpenID Connect provider (only admins pass the guard)."""
    row = sso.provider(db.session)
    if request.method == "GET":
        return _page(_form_for(row), row)
    form = SsoProviderForm()
    if form.validate_on_submit():
        data = sso.ProviderInput(
            issuer=form.issuer.data or "", client_id=form.client_id.data or "",
            client_secret=form.client_secret.data or None,
            button_label=form.button_label.data or "",
            default_role=form.default_role.data or None,
            allowed_domains=form.allowed_domains.data or "",
            required=bool(form.required.data))
        try:
            sso.save_provider(db.session, _settings(), current_user._get_current_object(),
                              data)
        except DomainError as exc:
            db.session.rollback()
            target = getattr(form, exc.field or "", None)
            if target is not None:
                target.errors = [*target.errors, str(exc.message)]
            else:
                form.form_errors.append(str(exc.message))
        else:
            _audit("staff_sso_configured", current_user.id)
            db.session.commit()
            flash(_("Single sign-on is saved and turned on."), "success")
            return redirect(url_for("sso.settings"), 303)
    return _page(form, row, 422)


@bp.post("/off")
@limiter.limit("20 per minute")
def turn_off() -> Any:
    """Turn single sign-on off: the button goes and password sign-in is back."""
    if sso.turn_off(db.session):
        _audit("staff_sso_turned_off", current_user.id)
    db.session.commit()
    flash(_("Single sign-on is off. Everyone signs in with their password."), "success")
    return redirect(url_for("sso.settings"), 303)


# ---------------------------------------------------------------- break-glass


@bp.cli.command("disable")
def disable_command() -> None:
    """Turn single sign-on off (password sign-in is back for everyone). The settings stay,
    so an admin can turn it on again from the single sign-on page."""
    changed = sso.turn_off(db.session)
    db.session.commit()
    click.echo("Single sign-on is off; staff sign in with passwords." if changed
               else "Single sign-on was not on.")


@bp.cli.command("status")
def status_command() -> None:
    """Show whether single sign-on is on and required."""
    row = sso.provider(db.session)
    if row is None:
        click.echo("Single sign-on is not set up.")
        return
    click.echo(f"issuer: {row.issuer}\nclient id: {row.client_id}\n"
               f"on: {'yes' if row.enabled else 'no'}\n"
               f"required: {'yes' if row.enabled and row.required else 'no'}")
