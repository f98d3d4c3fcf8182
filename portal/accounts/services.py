"""Staff accounts: creation, authentication and server-side sessions."""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from portal.accounts.models import Role, StaffSession, StaffToken, User
from portal.errors import DomainError
from portal.text import require_single_line
from portal.timeutil import utcnow

MIN_PASSWORD = 10


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(
    db: Session, *, email: str, name: str, password: str, role: str, language: str = "en"
) -> User:
    """Create a staff account. Raises DomainError on a taken address, weak password or
    unknown role."""
    email = normalise_email(email)
    require_single_line(name=name)
    if role not in {r.value for r in Role}:
        raise DomainError(_l("Unknown role."), field="role")
    if len(password) < MIN_PASSWORD:
        raise DomainError(
            _l("The password must be at least %(n)d characters.", n=MIN_PASSWORD),
            field="password",
        )
    if db.scalar(select(User.id).where(func.lower(User.email) == email)):
        raise DomainError(_l("There is already an account with that email."), field="email")
    user = User(email=email, name=name.strip() or email, role=role, language=language)
    user.set_password(password)
    db.add(user)
    db.flush()
    return user


def authenticate(db: Session, email: str, password: str) -> User | None:
    """The active user with these credentials, or None. Runs a hash check even for unknown
    addresses so timing does not tell which addresses exist."""
    user = db.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def start_session(db: Session, user: User) -> str:
    """A new server-side session for ``user``; returns its id for the cookie."""
    sid = secrets.token_urlsafe(32)
    db.add(StaffSession(id=sid, user_id=user.id))
    return sid


def end_session(db: Session, sid: str | None) -> None:
    """Delete the session row, so the cookie is worthless even if copied."""
    if sid:
        row = db.get(StaffSession, sid)
        if row is not None:
            db.delete(row)


def load_session_user(db: Session, sid: str) -> User | None:
    row = db.get(StaffSession, sid)
    if row is None or not row.user.active:
        return None
    row.user.session_id = sid  # type: ignore[attr-defined]
    return row.user


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(16))


# ---------------------------------------------------------------- invitations and resets

TOKEN_LIFETIME = {"invite": timedelta(hours=72), "reset": timedelta(hours=1)}


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(db: Session, user: User, purpose: str) -> str:
    """A fresh single-use link token for ``user``; any earlier unused one of the same
    purpose dies. Returns the token (only its hash is stored)."""
    now = utcnow()
    for old in db.scalars(select(StaffToken).where(
            StaffToken.user_id == user.id, StaffToken.purpose == purpose,
            StaffToken.used_at.is_(None))):
        old.used_at = now
    token = secrets.token_urlsafe(32)
    db.add(StaffToken(user_id=user.id, purpose=purpose, token_hash=_hash_token(token),
                      expires_at=now + TOKEN_LIFETIME[purpose]))
    return token


def token_user(db: Session, token: str) -> User | None:
    """The active user a live (unused, unexpired) token belongs to, or None."""
    row = db.scalar(select(StaffToken).where(StaffToken.token_hash == _hash_token(token)))
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    user = db.get(User, row.user_id)
    return user if user is not None and user.active else None


def set_password_by_token(db: Session, token: str, password: str) -> User:
    """Use a token to set a password: the token and every other live token of the user die,
    and every session of the user ends. Raises DomainError on a dead token or weak password."""
    row = db.scalar(select(StaffToken).where(StaffToken.token_hash == _hash_token(token))
                    .with_for_update())
    user = token_user(db, token)
    if row is None or user is None:
        raise DomainError(_l("This link has expired or has already been used."))
    if len(password) < MIN_PASSWORD:
        raise DomainError(
            _l("The password must be at least %(n)d characters.", n=MIN_PASSWORD),
            field="password",
        )
    now = utcnow()
    for live in db.scalars(select(StaffToken).where(StaffToken.user_id == user.id,
                                                    StaffToken.used_at.is_(None))):
        live.used_at = now
    user.set_password(password)
    db.execute(StaffSession.__table__.delete().where(StaffSession.user_id == user.id))
    return user


def _link(base_url: str, token: str) -> str:
    return f"{base_url}/staff/password/{token}"


def invite_user(db: Session, base_url: str, *, email: str, name: str, role: str,
                language: str, inviter: User) -> User:
    """Create a staff account without a usable password and queue an invitation with a link
    to set one (72 h). Inviting an address again that has not signed in yet sends a fresh
    link and kills the old one. Raises DomainError on a taken address or unknown role."""
    from portal.messaging.services import enqueue, render_email

    if language not in ("sv", "en"):
        raise DomainError(_l("Unknown language."), field="language")
    existing = db.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))
    if existing is not None and existing.password_hash.startswith("!") \
            and existing.sso_subject is None:  # (an account made by single sign-on is taken)
        user = existing  # invited before and never signed in: invite again
        require_single_line(name=name)
        if role not in {r.value for r in Role}:
            raise DomainError(_l("Unknown role."), field="role")
        user.name, user.role, user.language = name.strip() or user.email, role, language
    else:
        user = create_user(db, email=email, name=name, password=secrets.token_urlsafe(24),
                           role=role, language=language)
        user.password_hash = "!" + user.password_hash  # no password works until one is set
    token = issue_token(db, user, "invite")
    text, html = render_email("staff_invitation", user.language, user=user, inviter=inviter,
                              link=_link(base_url, token))
    from flask_babel import force_locale, gettext
    with force_locale(user.language):
        subject = gettext("You are invited to the recruiting portal")
    enqueue(db, kind="staff_invitation", to_email=user.email, to_name=user.name,
            subject=subject, text=text, html=html)
    return user


def request_reset(db: Session, base_url: str, email: str, language: str) -> bool:
    """Forgotten password: queue a reset link (1 h) to an active account at ``email``.
    The same work whether or not the address is known (one lookup, one token, one email
    rendered), so neither the answer nor its time tells which addresses exist. Returns
    whether an email was queued."""
    from flask_babel import force_locale, gettext

    from portal.messaging.services import enqueue, render_email

    user = db.scalar(select(User).where(User.email == normalise_email(email)))
    known = user is not None and user.active
    if known:
        token = issue_token(db, user, "reset")
    else:  # a stand-in, never added to the session
        user = User(email=email, name=email, language=language)
        token = secrets.token_urlsafe(32)
    text, html = render_email("staff_password_reset", user.language, user=user,
                              link=_link(base_url, token))
    with force_locale(user.language):
        subject = gettext("Set a new password")
    if known:
        enqueue(db, kind="staff_password_reset", to_email=user.email, to_name=user.name,
                subject=subject, text=text, html=html)
    return known


def admin_count(db: Session) -> int:
    return db.scalar(select(func.count(User.id)).where(
        User.role == Role.ADMIN.value, User.active.is_(True))) or 0


def change_role(db: Session, actor: User, user: User, role: str) -> None:
    """Give ``user`` another role. The last active admin keeps the admin role, and an
    admin cannot take it from themselves. Raises DomainError."""
    if role not in {r.value for r in Role}:
        raise DomainError(_l("Unknown role."), field="role")
    if user.role == Role.ADMIN.value and role != Role.ADMIN.value:
        if user.id == actor.id:
            raise DomainError(_l("You cannot remove your own admin role."))
        if user.active and admin_count(db) <= 1:
            raise DomainError(_l("There must be at least one active admin."))
    user.role = role


def set_active(db: Session, actor: User, user: User, active: bool) -> None:
    """Activate or deactivate an account; deactivating ends its sessions. Nobody
    deactivates themselves, and the last active admin stays. Raises DomainError."""
    if not active:
        if user.id == actor.id:
            raise DomainError(_l("You cannot deactivate yourself."))
        if user.role == Role.ADMIN.value and user.active and admin_count(db) <= 1:
            raise DomainError(_l("There must be at least one active admin."))
        db.execute(StaffSession.__table__.delete().where(StaffSession.user_id == user.id))
    user.active = active
