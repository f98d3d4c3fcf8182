"""``Idempotency-Key`` on creates: the same key and body replay the stored answer; the same
key with another body is refused (422). Keys are per API key and kept for a day."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Response, g, request
from sqlalchemy import delete, select

from portal.api.models import IdempotentResponse
from portal.api.problems import problem
from portal.extensions import db
from portal.timeutil import utcnow

KEEP = timedelta(hours=24)
HEADER = "Idempotency-Key"
DOC = {"parameters": [{
    "in": "header", "name": HEADER, "required": False,
    "description": "retry safely: the same key and body return the first answer",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200}}]}


def _request_hash() -> str:
    body = request.get_data(cache=True)
    return hashlib.sha256(b"\0".join([request.method.encode(), request.path.encode(),
                                      body])).hexdigest()


def idempotent(view: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a create: look up the key first, store a successful answer with the change
    (one commit, in the API's after_request)."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        key_value = request.headers.get(HEADER)
        if key_value is None:
            return view(*args, **kwargs)
        if not 1 <= len(key_value) <= 200 or not key_value.isprintable():
            return problem(422, "The Idempotency-Key must be 1 to 200 printable characters.",
                           [{"field": HEADER, "detail": "1 to 200 printable characters"}])
        api_key = g.api_key
        fingerprint = _request_hash()
        stored = db.session.scalar(select(IdempotentResponse).where(
            IdempotentResponse.api_key_id == api_key.id,
            IdempotentResponse.idempotency_key == key_value,
            IdempotentResponse.created_at > utcnow() - KEEP))
        if stored is not None:
            if stored.request_hash != fingerprint:
                return problem(422, "This Idempotency-Key was used with another request.",
                               [{"field": HEADER, "detail": "already used with another body"}],
                               kind="idempotency-key-reused")
            replay = Response(stored.body, status=stored.status, mimetype="application/json")
            replay.headers["Idempotent-Replayed"] = "true"
            if stored.location:
                replay.headers["Location"] = stored.location
            return replay
        response = view(*args, **kwargs)
        if 200 <= response.status_code < 300:
            db.session.execute(delete(IdempotentResponse).where(
                IdempotentResponse.api_key_id == api_key.id,
                (IdempotentResponse.idempotency_key == key_value)
                | (IdempotentResponse.created_at <= utcnow() - KEEP)))  # and the expired
            db.session.add(IdempotentResponse(
                api_key_id=api_key.id, idempotency_key=key_value, request_hash=fingerprint,
                status=response.status_code, body=response.get_data(as_text=True),
                location=response.headers.get("Location", "")[:300]))
        return response

    return wrapped
