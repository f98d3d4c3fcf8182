"""Emitting an event: a delivery row per subscribed endpoint, in the caller's transaction.

Any domain may call ``emit``: this module imports no domain, so calling it creates no
import between domains. An event carries ids and states, never a person's details: a
receiver reads those through the API with its key, where access is checked and audited.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.timeutil import utcnow
from portal.webhooks.models import WebhookDelivery, WebhookEndpoint

EVENT_TYPES = (
    "application.created",
    "application.stage_changed",
    "interview.scheduled",
    "interview.confirmed",
    "interview.cancelled",
    "booking.made",
    "decision.recorded",
    "candidate.erased",
)


def new_event_id() -> str:
    return "msg_" + secrets.token_hex(12)


def emit(db: Session, event_type: str, data: dict[str, Any], ordering_key: str = "") -> int:
    """Queue ``event_type`` with ``data`` for every active endpoint that subscribes to it;
    returns how many deliveries were queued. Written with the change that caused it, so an
    event is sent exactly when the change was committed."""
    assert event_type in EVENT_TYPES, event_type
    endpoints = [e for e in db.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.active.is_(True))) if event_type in e.event_list]
    if not endpoints:
        return 0
    now = utcnow()
    event_id = new_event_id()
    body = json.dumps({"type": event_type, "timestamp": now.isoformat().replace("+00:00", "Z"),
                       "data": data}, separators=(",", ":"), sort_keys=True)
    for endpoint in endpoints:
        db.add(WebhookDelivery(endpoint_id=endpoint.id, event_id=event_id,
                               event_type=event_type, payload=body,
                               ordering_key=ordering_key[:60], next_attempt_at=now,
                               created_at=now))
    return len(endpoints)


def for_application(db: Session, event_type: str, application: Any,
                    **extra: Any) -> int:
    """An event about an application: its ids and where it stands, in its order."""
    data = {"application_id": application.id, "candidate_id": application.candidate_id,
            "opening_id": application.opening_id, "stage_id": application.stage_id,
            **extra}
    return emit(db, event_type, data, f"application:{application.id}")


def for_interview(db: Session, event_type: str, interview: Any, **extra: Any) -> int:
    application = interview.application
    data = {"interview_id": interview.id, "application_id": application.id,
            "candidate_id": application.candidate_id, "opening_id": application.opening_id,
            "status": interview.status, "response": interview.response,
            "starts_at": interview.starts_at.isoformat(), **extra}
    return emit(db, event_type, data, f"application:{application.id}")
