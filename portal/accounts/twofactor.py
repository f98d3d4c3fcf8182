"""Two-factor sign-in for staff: a code from an authenticator app (TOTP, RFC 6238) after
the password, or one of a handful of single-use recovery codes.

The shared secret is stored encrypted, the same way as calendar credentials
(``scheduling.crypto``): Fernet keys from ``CALENDAR_KEY`` (the first encrypts, all
decrypt), and keys derived from ``SECRET_KEY`` and its fallbacks, so a portal without
``CALENDAR_KEY`` still never stores the secret in the clear and survives a key rotation.
A code is accepted once: the time step it belongs to is claimed by a conditional update,
so two requests with the same code at once cannot both pass.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from email.utils import parseaddr
from urllib.parse import urlsplit

import pyotp
import segno
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from portal import sealing
from portal.accounts.models import RecoveryCode, Role, StaffPolicy, StaffSession, User
from portal.errors import DomainError, Forbidden
from portal.locks import insert_if_missing, lock
from portal.settings import Settings
from portal.timeutil import utcnow

RECOVERY_CODES = 10
STEP_SECONDS = 30
# A code from the step before or after is accepted too: phones and servers drift.
DRIFT_STEPS = 1
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to mistype


# ---------------------------------------------------------------- the secret at rest


_LABEL = b"staff-two-factor:"


def seal(settings: Settings, secret: str) -> str:
    return sealing.seal(settings, _LABEL, secret)


def unseal(settings: Settings, token: str) -> str:
    """The secret ``seal`` stored. Raises DomainError when no configured key opens it."""
    return sealing.unseal(settings, _LABEL, token, DomainError(_l(
        "The two-factor secret cannot be read with the keys this portal has. Ask an admin "
        "to reset your two-factor sign-in.")))


# ---------------------------------------------------------------- setting it up


def issuer(settings: Settings) -> str:
    """The name the authenticator app shows above the code."""
    name = parseaddr(settings.mail_from)[0].strip()
    return name or urlsplit(settings.base_url).hostname or "Portal"


def begin_setup(db: Session, settings: Settings, user: User) -> str:
    """A fresh secret for ``user`` to add to their app, kept (encrypted) until confirmed.
    Each call makes a new one, so a secret someone else saw earlier is never reused.
    Raises DomainError when two-factor sign-in is already on."""
    if user.has_two_factor:
        raise DomainError(_l("Two-factor sign-in is already on."))
    secret = pyotp.random_base32(32)
    user.totp_secret = seal(settings, secret)
    user.totp_last_step = None
    return secret


def pending_secret(settings: Settings, user: User) -> str | None:
    """The secret being set up (not yet confirmed), or None."""
    if user.has_two_factor or not user.totp_secret:
        return None
    return unseal(settings, user.totp_secret)


def provisioning_uri(settings: Settings, user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer(settings))


def qr_svg(uri: str) -> Markup:
    """The ``otpauth://`` address as an inline SVG QR code (no request leaves the page).
    Drawn by segno from our own address: paths only, nothing a person typed."""
    return Markup(segno.make(uri, error="m").svg_inline(  # noqa: S704
        scale=5, border=2, dark="#000", light="#fff"))


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to type by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def confirm_setup(db: Session, settings: Settings, user: User, code: str) -> list[str]:
    """Turn two-factor sign-in on once the user proves their app shows the right code.
    Returns the new recovery codes, in the clear for the one time they are shown.
    Raises DomainError on a wrong code or without a secret being set up."""
    secret = pending_secret(settings, user)
    if secret is None:
        raise DomainError(_l("Start again: open the setup page to get a new QR code."))
    step = _matching_step(secret, code, user.totp_last_step)
    if step is None or not _claim_step(db, user, step):
        raise DomainError(_l("That code is not right. Type the 6 digits your app shows now."),
                          field="code")
    user.totp_enabled_at = utcnow()
    return _new_recovery_codes(db, user)


# ---------------------------------------------------------------- checking a code


def _digits(code: str) -> str:
    return "".join(ch for ch in code if not ch.isspace())


def _matching_step(secret: str, code: str, last_step: int | None,
                   now: datetime | None = None) -> int | None:
    """The time step ``code`` belongs to (within the drift allowed), newer than
    ``last_step``; None when it matches none."""
    code = _digits(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now or utcnow())
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step if last_step is None or step > last_step else None
    return None


def _claim_step(db: Session, user: User, step: int) -> bool:
    """Record ``step`` as used, unless it (or a later one) already was: of two requests
    with one code at once, only one wins."""
    result = db.execute(
        update(User).where(User.id == user.id, or_(User.totp_last_step.is_(None),
                                                   User.totp_last_step < step))
        .values(totp_last_step=step).execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    user.totp_last_step = step
    return True


def _hash_code(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _normal_recovery(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def check_code(db: Session, settings: Settings, user: User, code: str) -> str | None:
    """Check a second factor: "totp" for a valid, unused app code, "recovery" for an
    unused recovery code (now used up), None otherwise."""
    if not user.has_two_factor or not user.totp_secret:
        return None
    step = _matching_step(unseal(settings, user.totp_secret), code, user.totp_last_step)
    if step is not None:
        return "totp" if _claim_step(db, user, step) else None
    clean = _normal_recovery(code)
    if len(clean) != 10:
        return None
    result = db.execute(
        update(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                   RecoveryCode.code_hash == _hash_code(clean),
                                   RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow()).execution_options(synchronize_session=False))
    return "recovery" if result.rowcount == 1 else None  # type: ignore[attr-defined]


def recovery_codes_left(db: Session, user: User) -> int:
    return db.scalar(select(func.count(RecoveryCode.id)).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


def _new_recovery_codes(db: Session, user: User) -> list[str]:
    db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["".join(secrets.choice(_ALPHABET) for _ in range(10))
             for _ in range(RECOVERY_CODES)]
    for code in codes:
        db.add(RecoveryCode(user_id=user.id, code_hash=_hash_code(code)))
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def renew_recovery_codes(db: Session, settings: Settings, user: User, code: str) -> list[str]:
    """A fresh set of recovery codes (the old ones die), after a code from the app.
    Raises DomainError on a wrong code."""
    if check_code(db, settings, user, code) != "totp":
        raise DomainError(_l("That code is not right. Type the 6 digits your app shows now."),
                          field="code")
    return _new_recovery_codes(db, user)


# ---------------------------------------------------------------- turning it off


def _clear(db: Session, user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def disable(db: Session, settings: Settings, user: User, password: str, code: str) -> None:
    """The user turns two-factor sign-in off with their password and a code (from the app
    or a recovery code). Refused while admins require it for everyone. Raises
    DomainError."""
    if not user.has_two_factor:
        raise DomainError(_l("Two-factor sign-in is not on."))
    if requires_two_factor(db):
        raise DomainError(_l("Two-factor sign-in is required for everyone here, so it "
                             "cannot be turned off."))
    if not user.check_password(password):
        raise DomainError(_l("Wrong password."), field="password")
    if check_code(db, settings, user, code) is None:
        raise DomainError(_l("That code is not right."), field="code")
    _clear(db, user)


def reset_by_admin(db: Session, actor: User, user: User) -> None:
    """An admin turns a colleague's two-factor sign-in off (a lost phone); the colleague's
    sessions end, so the next sign-in is with the password alone or, when required,
    straight into setting it up again. Raises Forbidden or DomainError."""
    if actor.role != Role.ADMIN:
        raise Forbidden(_l("Only admins can do this."))
    if user.id == actor.id:
        raise DomainError(_l("Turn your own two-factor sign-in off on your account page."))
    if not user.has_two_factor and not user.totp_secret:
        raise DomainError(_l("%(name)s has no two-factor sign-in to reset.", name=user.name))
    _clear(db, user)
    db.execute(delete(StaffSession).where(StaffSession.user_id == user.id))


# ---------------------------------------------------------------- the rule for everyone


def requires_two_factor(db: Session) -> bool:
    """Whether admins require two-factor sign-in of every staff account."""
    return bool(db.scalar(select(StaffPolicy.require_two_factor).where(StaffPolicy.id == 1)))


def set_requirement(db: Session, actor: User, required: bool) -> None:
    """Admins require two-factor sign-in of everyone (or stop requiring it). An admin
    turns it on for themselves first, so the rule never locks them in a setup they did
    not expect. Raises Forbidden or DomainError."""
    if actor.role != Role.ADMIN:
        raise Forbidden(_l("Only admins can do this."))
    if required and not actor.has_two_factor:
        raise DomainError(_l("Turn on two-factor sign-in for your own account first."))
    insert_if_missing(db, StaffPolicy, {"id": 1, "require_two_factor": False,
                                        "updated_at": utcnow()}, ["id"])
    row = lock(db, db.get(StaffPolicy, 1))
    row.require_two_factor = required
    row.updated_at = utcnow()
