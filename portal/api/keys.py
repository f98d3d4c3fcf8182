"""API keys: made by admins, shown once, kept as a SHA-256 hash, revocable.

A token reads ``pk_live_`` and 43 random characters (256 bits). Its first 16 characters are
stored in the clear to find the row (and to tell keys apart on the page); the whole token
is compared by its hash in constant time. The hash is plain SHA-256: the token is random
and long, so no slow hash is needed (nothing to guess).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal.accounts.models import Role, User
from portal.api.models import ApiKey
from portal.errors import DomainError, Forbidden, NotFound
from portal.text import one_line
from portal.timeutil import utcnow

PREFIX = "pk_live_"
DEMO_PREFIX = "pk_demo_"
# The demo's key, printed by ``make demo``: fixed so the README's curl example works as
# written. It is accepted only outside production and made only by the demo's seed.
DEMO_TOKEN = DEMO_PREFIX + "readme-example-key-for-the-demo-only-0000000"
LOOKUP = 16  # characters of the token kept in the clear

# The areas a key can reach, each with a read and (where the API changes it) a write scope.
AREAS = ("openings", "stages", "candidates", "applications", "interviews", "booking_requests",
         "decisions", "scorecards", "pool")
WRITABLE = ("candidates", "applications", "interviews")
SCOPES = tuple(f"{a}:read" for a in AREAS) + tuple(f"{a}:write" for a in WRITABLE)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Made:
    key: ApiKey
    token: str  # shown once, never stored


def _require_admin(actor: User) -> None:
    if actor.role != Role.ADMIN:
        raise Forbidden(_l("Only admins can do this."))


def create_key(db: Session, actor: User, name: str, scopes: list[str],
               token: str | None = None) -> Made:
    """A new key for ``actor``'s organisation, acting with ``actor``'s rights; the token
    is returned once. ``token`` is for the demo only (a fixed, known key)."""
    _require_admin(actor)
    name = one_line(name or "").strip()
    if not name:
        raise DomainError(_l("Give the key a name, e.g. the system that will use it."),
                          field="name")
    if len(name) > 120:
        raise DomainError(_l("Keep the name under 120 characters."), field="name")
    chosen = [s for s in SCOPES if s in set(scopes)]
    if not chosen or len(chosen) != len(set(scopes)):
        raise DomainError(_l("Choose at least one permission from the list."), field="scopes")
    token = token or PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(name=name, prefix=token[:LOOKUP], token_hash=digest(token),
                 scopes=" ".join(chosen), user_id=actor.id)
    db.add(key)
    db.flush()
    return Made(key, token)


def revoke(db: Session, actor: User, key_id: int) -> ApiKey:
    _require_admin(actor)
    key = db.get(ApiKey, key_id)
    if key is None:
        raise NotFound(_l("No such key."))
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    return key


def all_keys(db: Session, actor: User) -> list[ApiKey]:
    _require_admin(actor)
    return list(db.scalars(select(ApiKey).order_by(ApiKey.revoked_at.is_not(None),
                                                   ApiKey.id.desc())))


def authenticate(db: Session, token: str, allow_demo: bool = False) -> ApiKey | None:
    """The live key ``token`` belongs to, or None (unknown, revoked, or its admin can no
    longer manage hiring). The demo's fixed key opens nothing unless ``allow_demo``
    (never in production)."""
    if not token.startswith(PREFIX) and not (allow_demo and token.startswith(DEMO_PREFIX)):
        return None
    if len(token) < LOOKUP + 16 or len(token) > 200:
        return None
    key = db.scalar(select(ApiKey).where(ApiKey.prefix == token[:LOOKUP]))
    if key is None or not hmac.compare_digest(key.token_hash, digest(token)):
        return None
    if key.revoked_at is not None or key.user is None or not key.user.active \
            or not key.user.can_manage_hiring:
        return None
    return key


def touch(db: Session, key: ApiKey) -> None:
    """Record the use (a statement, so two requests at once do not conflict)."""
    db.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=utcnow())
               .execution_options(synchronize_session=False))
