"""``/metrics`` for Prometheus.

Requests: prometheus-flask-exporter counts every request and times it, labelled by the
Flask endpoint (``candidate.overview``), never by the path, which may carry a token
(``flask_http_request_duration_seconds{method,endpoint,status}``; its ``_count`` is the
number of requests). ``/metrics``, ``/healthz``, ``/readyz`` and static files are left out.
Under gunicorn with several workers each worker writes its figures to files in
``PROMETHEUS_MULTIPROC_DIR`` (set up by ``portal.gunicorn_conf``) and a scrape adds them up,
whichever worker answers it.

The rest is read from the database when scraped (``DatabaseCollector``), with a few cheap
queries on indexed columns, so every web host tells the same story: the outbox's depth by
status, how long the oldest due message has waited, each delivery worker's last finished
pass (its heartbeat row, on whatever host it runs) and what it sent and gave up on.

Access: with ``METRICS_TOKEN`` set, only a request with ``Authorization: Bearer <token>``
(compared in constant time); without it, only a request from the loopback address that
came through no proxy (no ``X-Forwarded-For`` or ``Forwarded`` header).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
from collections.abc import Iterator
from typing import Any

from flask import Flask, Response, current_app, request
from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_flask_exporter import PrometheusMetrics
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import csrf, db, limiter
from portal.health import database_answers
from portal.messaging.models import MessageStatus, OutboxMessage, WorkerHeartbeat
from portal.timeutil import utcnow

log = logging.getLogger(__name__)

# Not counted as traffic: the scrapes themselves, probes, and static files.
EXCLUDED_PATHS = [r"^/metrics$", r"^/healthz$", r"^/readyz$", r"^/static/"]
# The statuses counted as the outbox's depth: waiting, in the hands of a worker, given up
# on (failed deliveries, which wait for staff to put them back in line). Sent messages
# are history, and counting them would grow with the table.
DEPTH_STATUSES = (MessageStatus.PENDING, MessageStatus.SENDING, MessageStatus.FAILED)
DATABASE_TIMEOUT = 2.0  # seconds a scrape waits for the database before leaving it out


def _multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


class DatabaseCollector:
    """Gauges read from the database at scrape time."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def describe(self) -> list[Metric]:
        return []  # nothing to check for name clashes without asking the database

    def collect(self) -> Iterator[Metric]:
        from portal.messaging.worker import LEASE

        up = GaugeMetricFamily(
            "portal_database_up",
            "1 when the database answered this scrape (within 2 s); the other portal_ "
            "figures are left out when it did not")
        if not database_answers(self.engine, DATABASE_TIMEOUT):
            up.add_metric([], 0)
            yield up
            return
        now = utcnow()
        try:
            with self.engine.connect() as conn:
                depth = dict(conn.execute(
                    select(OutboxMessage.status, func.count())
                    .where(OutboxMessage.status.in_([s.value for s in DEPTH_STATUSES]))
                    .group_by(OutboxMessage.status)).all())
                oldest_pending = conn.scalar(
                    select(func.min(OutboxMessage.next_attempt_at))
                    .where(OutboxMessage.status == MessageStatus.PENDING.value,
                           OutboxMessage.next_attempt_at <= now))
                # A claimed batch whose worker died is due again once its lease ran out.
                oldest_lease = conn.scalar(
                    select(func.min(OutboxMessage.claimed_at))
                    .where(OutboxMessage.status == MessageStatus.SENDING.value,
                           OutboxMessage.claimed_at < now - LEASE))
                workers = conn.execute(
                    select(WorkerHeartbeat.worker_id, WorkerHeartbeat.last_pass_at,
                           WorkerHeartbeat.messages_sent, WorkerHeartbeat.messages_failed)
                    .order_by(WorkerHeartbeat.worker_id)).all()
        except SQLAlchemyError as exc:
            log.warning("metrics: database figures unavailable: %s", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up

        outbox = GaugeMetricFamily(
            "portal_outbox_messages",
            "Outbox messages not yet sent (pending, sending) and given up on (failed: "
            "failed deliveries, waiting for staff to put them back in line)",
            labels=["status"])
        for status in DEPTH_STATUSES:
            outbox.add_metric([status.value], depth.get(status.value, 0))
        yield outbox

        due_since = [t for t in (oldest_pending, oldest_lease and oldest_lease + LEASE) if t]
        yield GaugeMetricFamily(
            "portal_outbox_oldest_due_age_seconds",
            "How long the oldest message that is due has been waiting for a worker "
            "(0 when none is due)",
            value=max(0.0, (now - min(due_since)).total_seconds()) if due_since else 0.0)

        last_pass = GaugeMetricFamily(
            "portal_worker_last_pass_timestamp_seconds",
            "When each delivery worker (host:pid) last finished a pass, Unix time",
            labels=["worker"])
        sent = CounterMetricFamily(
            "portal_worker_messages_sent",
            "Messages each delivery worker handed to the SMTP server since it started",
            labels=["worker"])
        failed = CounterMetricFamily(
            "portal_worker_messages_failed",
            "Messages each delivery worker gave up on since it started",
            labels=["worker"])
        for worker, at, n_sent, n_failed in workers:
            last_pass.add_metric([worker], at.timestamp())
            sent.add_metric([worker], n_sent)
            failed.add_metric([worker], n_failed)
        yield last_pass
        yield sent
        yield failed


# ---------------------------------------------------------------- access


def _from_loopback() -> bool:
    """The peer is this machine and no proxy passed the request on. Behind trusted
    proxies (``TRUSTED_PROXIES``) ``remote_addr`` is already the client's address."""
    if request.headers.get("X-Forwarded-For") or request.headers.get("Forwarded"):
        return False
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_loopback


def _refusal() -> Response | None:
    """None when this request may read the metrics, else the answer to give."""
    token = current_app.config["PORTAL"].metrics_token
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
                given.strip().encode(), token.encode()):
            return None
        return Response("A bearer token is required.\n", 401, mimetype="text/plain",
                        headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    if _from_loopback():
        return None
    return Response("Metrics are served to this machine only (or set METRICS_TOKEN).\n",
                    403, mimetype="text/plain")


def metrics() -> Response:
    """Prometheus text (or OpenMetrics, when asked for), for a scraper that may read it."""
    refused = _refusal()
    if refused is not None:
        refused.headers["Cache-Control"] = "no-store"
        return refused
    registry = CollectorRegistry()
    if _multiprocess():
        MultiProcessCollector(registry)  # every gunicorn worker's figures, added up
    else:
        registry.register(current_app.extensions["portal_metrics"])
    registry.register(DatabaseCollector(db.engine))
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    return Response(encode(registry), headers={"Content-Type": content_type,
                                               "Cache-Control": "no-store"})


def init_app(app: Flask) -> None:
    """Count and time requests by endpoint, and serve ``/metrics``. Each app keeps its
    request metrics in a registry of its own (several apps live in one test process);
    with several gunicorn workers they go to the shared folder instead."""
    registry = CollectorRegistry(auto_describe=True)
    PrometheusMetrics(app, path=None, registry=registry, group_by="endpoint",
                      excluded_paths=EXCLUDED_PATHS)
    app.extensions["portal_metrics"] = registry
    view: Any = limiter.exempt(metrics)
    app.add_url_rule("/metrics", "metrics", view)
    csrf.exempt(view)
