"""Single sign-on for staff over OpenID Connect: the provider admins configure, and who a
verified ID token signs in as.

One provider (row id 1). The client secret is stored encrypted with the same Fernet keys
as two-factor secrets (``accounts.twofactor.seal``). The browser part of the flow
(authorization code with PKCE, state and nonce, the ID token's signature and claims) is
Authlib's, in ``sso_views``; this module starts where the ID token has been verified.

Linking rules, in order: an account already linked to the token's issuer and subject; else
the account with the token's email, only when the provider says the email is verified
(``email_verified`` true) and the account is not linked to another subject; else a new
account with the default role, when admins allow that and the email's domain is allowed.
"""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from portal.accounts import twofactor
from portal.accounts.models import Role, SsoProvider, User
from portal.errors import DomainError, Forbidden
from portal.locks import insert_if_missing, lock
from portal.settings import Settings
from portal.text import require_single_line
from portal.timeutil import utcnow

DISCOVERY_PATH = "/.well-known/openid-configuration"
TIMEOUT_SECONDS = 10


class SsoRefused(DomainError):
    """The provider vouched for someone this portal does not let in; the message says why."""


# ---------------------------------------------------------------- the provider


def provider(db: Session) -> SsoProvider | None:
    """The configured provider, on or off, or None."""
    return db.get(SsoProvider, 1)


def active_provider(db: Session) -> SsoProvider | None:
    """The provider staff can sign in with now, or None."""
    row = provider(db)
    return row if row is not None and row.enabled else None


def sso_required(db: Session) -> bool:
    """Whether password sign-in (and password links) are off for everyone."""
    row = active_provider(db)
    return bool(row is not None and row.required)


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + DISCOVERY_PATH


def client_secret(settings: Settings, row: SsoProvider) -> str | None:
    """The decrypted client secret, or None for a public client (PKCE only). Raises
    DomainError when the keys changed and the stored secret no longer opens."""
    if not row.client_secret:
        return None
    try:
        return twofactor.unseal(settings, row.client_secret)
    except DomainError as exc:
        raise DomainError(_l("The client secret cannot be read with the keys this portal "
                             "has. An admin enters it again on the single sign-on page.")
                          ) from exc


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_issuer(issuer: str) -> str:
    """The issuer as typed, checked: an https address (http only on this machine, for
    trying things out) without query or fragment. Raises DomainError."""
    issuer = issuer.strip()
    parts = urlsplit(issuer)
    loopback = parts.scheme == "http" and _is_loopback(parts.hostname or "")
    if (parts.scheme != "https" and not loopback) or not parts.hostname \
            or parts.query or parts.fragment or any(c.isspace() for c in issuer):
        raise DomainError(_l("Enter the provider's address starting with https://, for "
                             "example https://login.example.com."), field="issuer")
    return issuer


def discover(issuer: str) -> dict[str, Any]:
    """The provider's discovery document, checked: it names this issuer and has the
    endpoints the sign-in needs. Raises DomainError in words an admin can act on."""
    try:
        response = httpx.get(discovery_url(issuer), timeout=TIMEOUT_SECONDS,
                             follow_redirects=False)
        response.raise_for_status()
        document = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise DomainError(_l("The provider did not answer at %(url)s. Check the address.",
                             url=discovery_url(issuer)), field="issuer") from exc
    if not isinstance(document, dict) or document.get("issuer") != issuer:
        raise DomainError(_l("The provider at that address calls itself something else. "
                             "Enter its issuer exactly as its discovery document gives it."),
                          field="issuer")
    missing = [k for k in ("authorization_endpoint", "token_endpoint", "jwks_uri")
               if not isinstance(document.get(k), str)]
    if missing:
        raise DomainError(_l("The provider's discovery document lacks %(keys)s.",
                             keys=", ".join(missing)), field="issuer")
    return document


def parse_domains(text: str) -> list[str]:
    """Email domains from a box of text (one a line, or separated by commas or spaces),
    lower case, without a leading @. Raises DomainError on something that is no domain."""
    domains: list[str] = []
    for word in text.replace(",", " ").split():
        domain = word.strip().lstrip("@").lower()
        labels = domain.split(".")
        if len(labels) < 2 or not all(
                label and len(label) <= 63 and label.replace("-", "").isalnum()
                for label in labels):
            raise DomainError(_l("“%(domain)s” is not an email domain.", domain=word),
                              field="allowed_domains")
        if domain not in domains:
            domains.append(domain)
    return domains


@dataclass(frozen=True)
class ProviderInput:
    """What an admin typed on the single sign-on page. ``client_secret`` None keeps the
    stored one; ``default_role`` None means only existing accounts may sign in."""

    issuer: str
    client_id: str
    client_secret: str | None
    button_label: str
    default_role: str | None
    allowed_domains: str
    required: bool


def save_provider(db: Session, settings: Settings, actor: User, data: ProviderInput,
                  check: Any = discover) -> SsoProvider:
    """Create or change the provider (turned on). ``check`` fetches the discovery document
    (the real one by default). Requiring single sign-on needs the acting admin to have
    signed in with it, so nobody turns password sign-in off before seeing it work.
    Raises Forbidden or DomainError."""
    if actor.role != Role.ADMIN:
        raise Forbidden(_l("Only admins can do this."))
    issuer = check_issuer(data.issuer)
    client_id = data.client_id.strip()
    label = data.button_label.strip()
    require_single_line(client_id=client_id, button_label=label)
    if not client_id:
        raise DomainError(_l("Enter the client ID."), field="client_id")
    if not label:
        raise DomainError(_l("Enter the text of the button."), field="button_label")
    if data.default_role is not None and data.default_role not in {r.value for r in Role}:
        raise DomainError(_l("Unknown role."), field="default_role")
    domains = parse_domains(data.allowed_domains)
    if data.required and actor.sso_issuer != issuer:
        raise DomainError(_l("Sign in with single sign-on yourself first: then you know it "
                             "works before password sign-in is turned off."),
                          field="required")
    check(issuer)
    insert_if_missing(db, SsoProvider, {
        "id": 1, "enabled": False, "issuer": issuer, "client_id": client_id,
        "button_label": label, "allowed_domains": "", "required": False,
        "updated_at": utcnow()}, ["id"])
    row = lock(db, db.get(SsoProvider, 1))
    row.enabled = True
    row.issuer, row.client_id, row.button_label = issuer, client_id, label
    if data.client_secret:
        row.client_secret = twofactor.seal(settings, data.client_secret.strip())
    row.default_role = data.default_role
    row.allowed_domains = "\n".join(domains)
    row.required = data.required
    row.updated_at = utcnow()
    return row


def turn_off(db: Session) -> bool:
    """Turn single sign-on off (the button goes, password sign-in is back), keeping the
    settings for next time. The break-glass ``flask sso disable`` and the admin page both
    call this. Returns whether anything changed."""
    row = provider(db)
    if row is None:
        return False
    row = lock(db, row)
    changed = row.enabled or row.required
    row.enabled = False
    row.required = False
    row.updated_at = utcnow()
    return changed


# ---------------------------------------------------------------- who signs in


def _email_domain(email: str) -> str:
    return email.rpartition("@")[2].lower()


def _domain_allowed(row: SsoProvider, email: str) -> bool:
    domains = row.allowed_domains.split()
    return not domains or _email_domain(email) in domains


def _verified(claims: dict[str, Any]) -> bool:
    value = claims.get("email_verified")
    return value is True or (isinstance(value, str) and value.lower() == "true")


def resolve_user(db: Session, row: SsoProvider, claims: dict[str, Any],
                 language: str) -> tuple[User, str]:
    """The staff account a verified ID token signs in as, and how it was found:
    "linked" (by subject), "linked_now" (by verified email, just now) or "created".
    Raises SsoRefused with a message for the person."""
    issuer, subject = claims.get("iss"), claims.get("sub")
    if not isinstance(issuer, str) or not isinstance(subject, str) or not subject:
        raise SsoRefused(_l("The sign-in service sent an answer without a user. Try again."))
    user = db.scalar(select(User).where(User.sso_issuer == issuer,
                                        User.sso_subject == subject))
    if user is not None:
        if not user.active:
            raise SsoRefused(_l("Your account is deactivated. Ask an admin to activate it."))
        return user, "linked"

    email = claims.get("email")
    email = email.strip().lower() if isinstance(email, str) else ""
    if not email or "@" not in email:
        raise SsoRefused(_l("The sign-in service did not tell us your email address, so we "
                            "cannot find your account. Ask an admin."))
    if not _domain_allowed(row, email):
        raise SsoRefused(_l("Addresses at %(domain)s cannot sign in here.",
                            domain=_email_domain(email)))
    if not _verified(claims):
        raise SsoRefused(_l("The sign-in service has not verified your email address, so "
                            "it cannot be linked to an account here. Verify it there, or "
                            "ask an admin."))
    user = db.scalar(select(User).where(func.lower(User.email) == email))
    if user is not None:
        user = lock(db, user)
        if user.sso_subject is not None:
            raise SsoRefused(_l("This account is already linked to another sign-in. Ask an "
                                "admin."))
        if not user.active:
            raise SsoRefused(_l("Your account is deactivated. Ask an admin to activate it."))
        user.sso_issuer, user.sso_subject = issuer, subject
        return user, "linked_now"

    if row.default_role is None:
        raise SsoRefused(_l("There is no staff account for %(email)s. Ask an admin to "
                            "invite you.", email=email))
    name = claims.get("name")
    name = name.strip()[:120] if isinstance(name, str) and name.strip() else email
    try:
        require_single_line(name=name)
    except DomainError:
        name = email
    user = User(email=email, name=name, role=row.default_role,
                language=language if language in ("sv", "en") else "en",
                # No password works: "!" marks an unusable hash, as for invitations.
                password_hash="!" + generate_password_hash(secrets.token_urlsafe(24)),
                sso_issuer=issuer, sso_subject=subject)
    try:
        with db.begin_nested():  # two first sign-ins at once: the second finds it taken
            db.add(user)
    except IntegrityError as exc:
        raise SsoRefused(_l("Your account was being set up at the same moment. Sign in "
                            "again.")) from exc
    return user, "created"
