"""Admins register webhook endpoints, read their delivery logs and replay deliveries."""

from __future__ import annotations

import base64
import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.accounts.models import Role, User
from portal.errors import DomainError, Forbidden, NotFound
from portal.settings import Settings
from portal.text import one_line
from portal.timeutil import utcnow
from portal.webhooks import sealing, targets
from portal.webhooks.events import EVENT_TYPES
from portal.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

LOG_LIMIT = 100


def require_admin(actor: User) -> None:
    if actor.role != Role.ADMIN:
        raise Forbidden(_l("Only admins can do this."))


def new_secret() -> str:
    """A Standard Webhooks signing secret: "whsec_" and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def create_endpoint(db: Session, settings: Settings, actor: User, url: str, events: list[str],
                    description: str, allow_private: bool) -> WebhookEndpoint:
    """A new endpoint, its address checked (SSRF) before it is saved, its new signing
    secret sealed."""
    require_admin(actor)
    chosen = [e for e in EVENT_TYPES if e in set(events)]
    if not chosen or len(chosen) != len(set(events)):
        raise DomainError(_l("Choose at least one event from the list."), field="events")
    targets.check(url, allow_private)
    endpoint = WebhookEndpoint(url=url.strip(), events=" ".join(chosen),
                               description=one_line(description or "").strip()[:200],
                               sealed_secret=sealing.seal(settings, new_secret()),
                               allow_private=allow_private)
    db.add(endpoint)
    db.flush()
    return endpoint


def get_endpoint(db: Session, actor: User, endpoint_id: int) -> WebhookEndpoint:
    require_admin(actor)
    endpoint = db.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound(_l("No such endpoint."))
    return endpoint


def signing_secret(settings: Settings, actor: User, endpoint: WebhookEndpoint) -> str:
    """The endpoint's signing secret in the clear, for an admin to give to the receiving
    system. Raises SecretUnreadable when no configured key opens it."""
    require_admin(actor)
    return sealing.unseal(settings, endpoint.sealed_secret)


def set_active(db: Session, actor: User, endpoint: WebhookEndpoint, active: bool) -> None:
    require_admin(actor)
    endpoint.active = active


def delete_endpoint(db: Session, actor: User, endpoint: WebhookEndpoint) -> None:
    """The endpoint and its log go; nothing more is sent to it."""
    require_admin(actor)
    db.delete(endpoint)


def endpoints(db: Session, actor: User) -> list[tuple[WebhookEndpoint, int]]:
    """Every endpoint with the number of its failed deliveries."""
    require_admin(actor)
    failed = dict(db.execute(select(WebhookDelivery.endpoint_id, func.count()).where(
        WebhookDelivery.status == DeliveryStatus.FAILED.value).group_by(
        WebhookDelivery.endpoint_id)).all())
    return [(e, failed.get(e.id, 0)) for e in db.scalars(
        select(WebhookEndpoint).order_by(WebhookEndpoint.id))]


def deliveries(db: Session, actor: User, endpoint: WebhookEndpoint) -> list[WebhookDelivery]:
    """The endpoint's log, newest first."""
    require_admin(actor)
    return list(db.scalars(select(WebhookDelivery).where(
        WebhookDelivery.endpoint_id == endpoint.id).order_by(WebhookDelivery.id.desc())
        .limit(LOG_LIMIT)))


def replay(db: Session, actor: User, endpoint: WebhookEndpoint,
           delivery_id: int) -> WebhookDelivery:
    """Send a logged event again: a new delivery with the same event id and body (a
    receiver that has it already can tell by the id)."""
    require_admin(actor)
    original = db.get(WebhookDelivery, delivery_id)
    if original is None or original.endpoint_id != endpoint.id:
        raise NotFound(_l("No such delivery."))
    copy = WebhookDelivery(endpoint_id=endpoint.id, event_id=original.event_id,
                           event_type=original.event_type, payload=original.payload,
                           ordering_key="", replay_of_id=original.id, next_attempt_at=utcnow())
    db.add(copy)
    db.flush()
    return copy
