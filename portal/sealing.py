"""Secrets at rest, one way for all of them: Fernet with the keys from ``CALENDAR_KEY``
first (the first of them encrypts), then keys derived from ``SECRET_KEY`` and its fallbacks
under a label per kind of secret, so a portal without ``CALENDAR_KEY`` never stores a
secret in the clear, and every configured key still opens what an older one sealed (a
rotation). Used for two-factor secrets, the single sign-on client secret and webhook
signing secrets."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from portal.settings import Settings


def keyring(settings: Settings, label: bytes) -> MultiFernet:
    """The keys that seal and open secrets of the kind ``label`` names."""
    derived = [base64.urlsafe_b64encode(hashlib.sha256(label + key.encode()).digest())
               for key in (settings.secret_key, *settings.secret_key_fallbacks)]
    return MultiFernet([Fernet(k) for k in (*settings.calendar_keys, *derived)])


def seal(settings: Settings, label: bytes, secret: str) -> str:
    """``secret`` encrypted with the current key."""
    return keyring(settings, label).encrypt(secret.encode()).decode()


def unseal(settings: Settings, label: bytes, token: str, unreadable: Exception) -> str:
    """The secret ``seal`` stored; raises ``unreadable`` when no configured key opens it
    (the keys changed without keeping the old one as a fallback)."""
    try:
        return keyring(settings, label).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise unreadable from exc
