"""Delivering webhooks: claimed from the queue like the outbox, signed per Standard
Webhooks, retried with exponential backoff, each outcome kept as the endpoint's log.

A batch is claimed in one statement (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several
workers can run). Only the oldest undelivered event of each (endpoint, ordering key) is due:
events about one application reach an endpoint in the order they happened, and a later one
waits while an earlier one is retried. After ``MAX_ATTEMPTS`` a delivery fails for good and
stops holding the line; staff can replay it from the log.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, aliased
from standardwebhooks.webhooks import Webhook

from portal.errors import DomainError
from portal.settings import Settings
from portal.timeutil import utcnow
from portal.webhooks import sealing, targets
from portal.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BATCH = 10
LEASE = timedelta(minutes=10)
TIMEOUT = 10.0  # seconds for each of connect, write and read
MAX_PASSES = 50  # claims in one worker pass, so one pass always ends
# A pass stops claiming after this long, so a slow receiver never holds up the email that
# the same worker delivers.
BUDGET = 30.0
USER_AGENT = "candidate-portal-webhooks/1"


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min ... capped at six hours."""
    return timedelta(seconds=min(6 * 3600, 30 * 2 ** max(0, attempts - 1)))


def _due(now: datetime) -> object:
    earlier = aliased(WebhookDelivery)
    waiting = select(earlier.id).where(
        earlier.endpoint_id == WebhookDelivery.endpoint_id,
        earlier.ordering_key == WebhookDelivery.ordering_key,
        earlier.id < WebhookDelivery.id,
        earlier.status.in_((DeliveryStatus.PENDING.value, DeliveryStatus.SENDING.value)),
    ).exists()
    return and_(
        or_(and_(WebhookDelivery.status == DeliveryStatus.PENDING.value,
                 WebhookDelivery.next_attempt_at <= now),
            and_(WebhookDelivery.status == DeliveryStatus.SENDING.value,
                 WebhookDelivery.claimed_at < now - LEASE)),
        or_(WebhookDelivery.ordering_key == "", ~waiting),
    )


@dataclass
class Claimed:
    id: int
    endpoint_id: int
    event_id: str
    payload: str
    attempts: int
    stamp: datetime


def claim(db: Session, now: datetime) -> list[Claimed]:
    """Take up to ``BATCH`` due deliveries and commit the claim."""
    stamp = utcnow()
    pick = select(WebhookDelivery.id).where(_due(now)).order_by(WebhookDelivery.id).limit(BATCH)
    chosen = WebhookDelivery.id.in_(pick.scalar_subquery())
    if db.get_bind().dialect.name == "postgresql":
        picked = pick.with_for_update(skip_locked=True, of=WebhookDelivery).cte(
            "picked").prefix_with("MATERIALIZED")
        chosen = WebhookDelivery.id.in_(select(picked.c.id))
    ids = list(db.scalars(
        update(WebhookDelivery).where(chosen, _due(now))
        .values(status=DeliveryStatus.SENDING.value, claimed_at=stamp)
        .returning(WebhookDelivery.id).execution_options(synchronize_session=False)))
    rows = []
    if ids:
        rows = [Claimed(d.id, d.endpoint_id, d.event_id, d.payload, d.attempts, stamp)
                for d in db.scalars(select(WebhookDelivery).where(WebhookDelivery.id.in_(ids))
                                    .order_by(WebhookDelivery.id))]
    db.commit()
    return rows


def signed_headers(secret: str, event_id: str, payload: str) -> dict[str, str]:
    """The Standard Webhooks headers for ``payload``, signed now."""
    now = datetime.now(tz=utcnow().tzinfo)
    signature = Webhook(secret).sign(event_id, now, payload)
    return {"webhook-id": event_id, "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature, "content-type": "application/json",
            "user-agent": USER_AGENT}


def send(endpoint: WebhookEndpoint, secret: str, event_id: str, payload: str,
         timeout: float = TIMEOUT) -> tuple[int | None, str]:
    """POST one event signed with ``secret`` (the endpoint's, unsealed); (status code or
    None, error in a line). The address is checked now and the connection goes to the
    checked IP; redirects are not followed."""
    try:
        target = targets.check(endpoint.url, endpoint.allow_private)
    except DomainError as exc:
        return None, f"refused: {exc}"
    host = f"[{target.address}]" if ":" in target.address else target.address
    url = f"{target.scheme}://{host}:{target.port}{target.path}"
    headers = signed_headers(secret, event_id, payload)
    default_port = 443 if target.scheme == "https" else 80
    headers["host"] = target.host if target.port == default_port else \
        f"{target.host}:{target.port}"
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
            response = client.post(url, content=payload.encode(), headers=headers,
                                   extensions=extensions)
    except httpx.TimeoutException:
        return None, "timed out"
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500]
    return response.status_code, "" if response.is_success else f"HTTP {response.status_code}"


def _record(db: Session, item: Claimed, code: int | None, error: str, now: datetime) -> str:
    ok = code is not None and 200 <= code < 300
    attempts = item.attempts + 1
    if ok:
        values = {"status": DeliveryStatus.DELIVERED.value, "delivered_at": utcnow()}
    elif attempts >= MAX_ATTEMPTS:
        values = {"status": DeliveryStatus.FAILED.value}
    else:
        values = {"status": DeliveryStatus.PENDING.value,
                  "next_attempt_at": now + backoff(attempts)}
    db.execute(update(WebhookDelivery).where(
        WebhookDelivery.id == item.id, WebhookDelivery.status == DeliveryStatus.SENDING.value,
        WebhookDelivery.claimed_at == item.stamp).values(
        attempts=attempts, last_status_code=code, last_error=error, claimed_at=None,
        **values).execution_options(synchronize_session=False))
    db.commit()
    return values["status"]


@dataclass
class Report:
    delivered: int = 0
    retried: int = 0
    failed: int = 0


def _defer(db: Session, item: Claimed, now: datetime) -> None:
    """Give a claimed delivery back untried (its endpoint did not answer just now)."""
    db.execute(update(WebhookDelivery).where(
        WebhookDelivery.id == item.id, WebhookDelivery.status == DeliveryStatus.SENDING.value,
        WebhookDelivery.claimed_at == item.stamp).values(
        status=DeliveryStatus.PENDING.value, claimed_at=None,
        next_attempt_at=now + backoff(1)).execution_options(synchronize_session=False))
    db.commit()


def deliver_due(db: Session, settings: Settings, now: datetime | None = None,
                timeout: float = TIMEOUT, stop: threading.Event | None = None,
                budget: float = BUDGET) -> Report:
    """Deliver what is due (``now``: the clock the schedule is read by), until nothing is
    due, ``stop`` is set, ``MAX_PASSES`` claims were made or ``budget`` seconds passed.
    An endpoint that did not answer (timeout, refused) gets nothing more in this batch."""
    report = Report()
    started = time.monotonic()
    for _ in range(MAX_PASSES):
        if stop is not None and stop.is_set() or time.monotonic() - started > budget:
            break
        when = now or utcnow()
        batch = claim(db, when)
        if not batch:
            break
        endpoints = {e.id: e for e in db.scalars(select(WebhookEndpoint).where(
            WebhookEndpoint.id.in_({c.endpoint_id for c in batch})))}
        db.commit()
        down: set[int] = set()
        for item in batch:
            if item.endpoint_id in down:
                _defer(db, item, when)
                continue
            endpoint = endpoints.get(item.endpoint_id)
            if endpoint is None or not endpoint.active:
                code, error = None, "the endpoint is switched off"
            else:
                try:
                    secret = sealing.unseal(settings, endpoint.sealed_secret)
                except sealing.SecretUnreadable:
                    code, error = None, "the signing secret does not open with this " \
                        "portal's keys (SECRET_KEY, SECRET_KEY_FALLBACKS, CALENDAR_KEY)"
                else:
                    code, error = send(endpoint, secret, item.event_id, item.payload,
                                       timeout)
            if code is None:
                down.add(item.endpoint_id)
            status = _record(db, item, code, error, when)
            if status == DeliveryStatus.DELIVERED:
                report.delivered += 1
            elif status == DeliveryStatus.FAILED:
                report.failed += 1
            else:
                report.retried += 1
            log.info("webhook %s to endpoint %s: %s", item.event_id, item.endpoint_id,
                     error or "delivered")
    return report
