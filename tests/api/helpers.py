"""Making API keys for tests through the real service."""

from __future__ import annotations

from typing import Any

from portal.api import keys
from portal.extensions import db
from tests.factories import UserFactory


def make_key(scopes: list[str] | None = None, name: str = "HR system",
             admin: Any = None) -> tuple[Any, str]:
    """(admin, token) for a new key with ``scopes`` (all of them by default)."""
    admin = admin or UserFactory(role="admin")
    made = keys.create_key(db.session, admin, name, list(scopes or keys.SCOPES))
    db.session.commit()
    return admin, made.token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
