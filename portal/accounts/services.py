"""Staff accounts: creation, authentication and server-side sessions."""

from __future__ import annotations

import functools
import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from portal.accounts.models import Role, StaffSession, User
from portal.errors import DomainError
from portal.text import require_single_line

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
