"""Webhook endpoints admins register, and the queue of deliveries to them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.timeutil import UTCDateTime, utcnow


class WebhookEndpoint(db.Model):
    """A URL that is told of the events it subscribes to, signed with its own secret."""

    __tablename__ = "webhook_endpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="", server_default="")
    events: Mapped[str] = mapped_column(Text, default="")  # space-separated event types
    # The signing secret ("whsec_" and base64, the Standard Webhooks form), encrypted
    # (``webhooks.sealing``): the database and its backups never hold it in the clear.
    sealed_secret: Mapped[str] = mapped_column(Text)
    # An admin's explicit choice: this endpoint may be on a private or loopback address
    # (an internal system); otherwise such an address is refused, at registration and at
    # every delivery.
    allow_private: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    active: Mapped[bool] = mapped_column(default=True, server_default=sa_true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def event_list(self) -> list[str]:
        return self.events.split()


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    FAILED = "failed"


class WebhookDelivery(db.Model):
    """One event on its way to one endpoint: claimed by the worker like the outbox, retried
    with backoff, kept as the endpoint's delivery log."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        Index("ix_webhook_delivery_status_due", "status", "next_attempt_at"),
        Index("ix_webhook_delivery_endpoint_order", "endpoint_id", "ordering_key", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_endpoint.id", ondelete="CASCADE"), index=True)
    # The event's id (the webhook-id header): the same for every attempt and a replay, so
    # a receiver can drop a copy it already has.
    event_id: Mapped[str] = mapped_column(String(40))
    event_type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)  # the JSON body, as sent
    # Events with the same key reach an endpoint in the order they happened
    # ("application:12"); a later one waits while an earlier one is still to be delivered.
    ordering_key: Mapped[str] = mapped_column(String(60), default="", server_default="")
    status: Mapped[str] = mapped_column(String(20), default=DeliveryStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_status_code: Mapped[int | None] = mapped_column()
    last_error: Mapped[str] = mapped_column(Text, default="")
    replay_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhook_delivery.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    endpoint: Mapped[WebhookEndpoint] = relationship()
