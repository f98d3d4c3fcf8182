"""Whom a rate limit counts: the keys behind ``@limiter.limit``.

The client's address is the socket's peer, or, behind ``TRUSTED_PROXIES`` proxies, the
address they report (``ProxyFix`` in ``create_app``); without that every client behind the
proxy would share one bucket. Where a person is known or names an address, limits count
that too, so one busy office behind one address does not lock its neighbours out, and many
addresses cannot hammer one inbox.
"""

from __future__ import annotations

import hashlib

from flask import current_app, request, session
from flask_limiter.util import get_remote_address


def client() -> str:
    """The client's address (the default key)."""
    return "ip:" + get_remote_address()


def candidate_or_client() -> str:
    """A signed-in candidate (the session is signed, so the id cannot be made up);
    anyone else by address. For the tech check, which a candidate runs repeatedly."""
    from portal.candidate.auth import CANDIDATE_KEY

    data = session.get(CANDIDATE_KEY)
    if isinstance(data, dict) and isinstance(data.get("c"), int):
        return f"candidate:{data['c']}"
    return client()


def typed_email() -> str:
    """The email address typed into a form, normalised and hashed (the store never holds
    an address); an empty field counts as one shared key."""
    email = (request.form.get("email") or "").strip().lower()
    digest = hashlib.sha256(
        current_app.config["SECRET_KEY"].encode() + b"\0" + email.encode()).hexdigest()
    return "email:" + digest[:32]
