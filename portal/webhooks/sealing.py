"""Webhook signing secrets at rest: Fernet, the same way as calendar credentials and
two-factor secrets (``scheduling.crypto``, ``accounts.twofactor``). The keys from
``CALENDAR_KEY`` come first (the first of them encrypts), then keys derived from
``SECRET_KEY`` and its fallbacks, so a portal without ``CALENDAR_KEY`` never stores a
secret in the clear either, and every configured key still opens what an older one sealed
(a rotation). The migration that sealed the secrets already stored derives the same keys.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal import sealing
from portal.errors import DomainError
from portal.settings import Settings

LABEL = b"webhook-signing-secret:"


class SecretUnreadable(DomainError):
    """No configured key opens the stored secret (the keys changed without a fallback)."""


def seal(settings: Settings, secret: str) -> str:
    """``secret`` encrypted with the current key."""
    return sealing.seal(settings, LABEL, secret)


def unseal(settings: Settings, token: str) -> str:
    """The secret ``seal`` stored. Raises SecretUnreadable."""
    return sealing.unseal(settings, LABEL, token, SecretUnreadable(_l(
        "The signing secret cannot be read with the keys this portal has. Remove the "
        "endpoint and register it again.")))
