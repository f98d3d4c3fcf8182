"""Calendar credentials at rest: Fernet with the keys from ``CALENDAR_KEY`` (MultiFernet:
the first key encrypts, every key decrypts, so keys can be rotated). Relaxed environments
without a key derive one from ``SECRET_KEY``; production has none until it is set."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from portal.settings import Settings


class NoCalendarKey(Exception):
    """Production without CALENDAR_KEY: calendars cannot be stored or opened."""


class CannotDecrypt(Exception):
    """The stored credentials were made with a key that is no longer configured."""


def _fernet(settings: Settings) -> MultiFernet:
    keys = list(settings.calendar_keys)
    if not keys:
        if settings.is_production:
            raise NoCalendarKey("CALENDAR_KEY is not set")
        digest = hashlib.sha256(b"calendar-credentials:" + settings.secret_key.encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    return MultiFernet([Fernet(k) for k in keys])


def can_encrypt(settings: Settings) -> bool:
    return bool(settings.calendar_keys) or not settings.is_production


def seal(settings: Settings, data: dict[str, Any]) -> str:
    """The JSON of ``data``, encrypted with the current key."""
    return _fernet(settings).encrypt(json.dumps(data, sort_keys=True).encode()).decode()


def unseal(settings: Settings, token: str) -> dict[str, Any]:
    """What ``seal`` stored. Raises NoCalendarKey or CannotDecrypt."""
    try:
        value = json.loads(_fernet(settings).decrypt(token.encode()))
    except InvalidToken as exc:
        raise CannotDecrypt("the stored credentials do not open with CALENDAR_KEY") from exc
    return value if isinstance(value, dict) else {}


def reseal(settings: Settings, token: str) -> str:
    """The same secret under the current key (after a rotation)."""
    try:
        return _fernet(settings).rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise CannotDecrypt("the stored credentials do not open with CALENDAR_KEY") from exc
