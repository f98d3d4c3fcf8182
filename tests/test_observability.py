"""Seen from outside: /metrics for Prometheus (requests by endpoint, the outbox, worker
heartbeats; closed to strangers), /readyz beside /healthz, and logs as JSON lines that carry
the request id and never a sign-in token or an email address.

The worker and gunicorn run as real processes against the test database; Redis is a closed
port, or a real redis-server on loopback."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from flask_migrate import stamp
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from portal.extensions import db
from portal.links.services import issue_link
from portal.messaging.models import MessageStatus, WorkerHeartbeat
from portal.messaging.services import enqueue
from portal.messaging.worker import LEASE
from portal.settings import SettingsError, load_settings
from portal.timeutil import utcnow
from tests.conftest import free_port
from tests.factories import CandidateFactory, UserFactory, make_application
from tests.outage import closed_port

ROOT = Path(__file__).resolve().parent.parent
REQUESTS = "flask_http_request_duration_seconds_count"  # requests, by endpoint
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(body: str) -> Samples:
    """Prometheus text, read by prometheus_client's own parser."""
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(body) for sample in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def served(samples: Samples, endpoint: str) -> float:
    return value(samples, REQUESTS, endpoint=endpoint, method="GET", status="200") or 0.0


def scrape(client: Any) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return parse(response.text)


def portal_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a portal process on the test database."""
    env = {key: val for key, val in os.environ.items() if key not in (
        "REDIS_URL", "RATELIMIT_STORAGE_URI", "PROMETHEUS_MULTIPROC_DIR", "LOG_FORMAT",
        "WORKER_IN_PROCESS", "METRICS_TOKEN")}
    return {**env, "PORTAL_ENV": "test", "MAIL_BACKEND": "database",
            "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT), **extra}


def json_lines(output: str) -> list[dict[str, Any]]:
    """Every line a JSON object with the time, level, logger, message and request id."""
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]
    for line in lines:
        assert {"time", "level", "logger", "message", "request_id"} <= set(line), line
    return lines


# ---------------------------------------------------------------- /metrics


def test_metrics_count_requests_by_endpoint_and_never_show_a_path(client, ctx, settings):
    candidate = make_application(UserFactory(role="recruiter")).candidate
    _link, token = issue_link(ctx, settings, candidate)
    ctx.commit()
    before = scrape(client)
    for _ in range(2):
        assert client.get("/portal/about").status_code == 200
    assert client.get(f"/c/{token}").status_code == 303
    for probe in ("/healthz", "/readyz", "/static/css/portal.css"):
        client.get(probe)
    response = client.get("/metrics")
    after = parse(response.text)

    assert served(after, "candidate.about") == served(before, "candidate.about") + 2
    assert (value(after, REQUESTS, endpoint="candidate.open_link", method="GET", status="303")
            or 0) == (value(before, REQUESTS, endpoint="candidate.open_link", method="GET",
                            status="303") or 0) + 1
    endpoints = {dict(labels).get("endpoint") for name, labels in after if name == REQUESTS}
    assert not endpoints & {"metrics", "healthz", "readyz", "static"}  # not traffic
    assert token not in response.text and "/c/" not in response.text


def test_metrics_show_the_outbox_depth_and_the_oldest_due_message(client, ctx):
    def queue(n: int) -> list[Any]:
        return [enqueue(ctx, kind="test", to_email=f"person{i}@example.com", to_name="P",
                        subject="Hello", text="Hello", html="<p>Hello</p>") for i in range(n)]

    start = utcnow()
    waiting, later, failed, due_now = queue(4)
    waiting.next_attempt_at = start - timedelta(minutes=10)  # due for ten minutes
    later.next_attempt_at = start + timedelta(hours=1)  # pending, not yet due
    failed.status = MessageStatus.FAILED.value
    ctx.commit()

    samples = scrape(client)
    assert value(samples, "portal_outbox_messages", status="pending") == 3
    assert value(samples, "portal_outbox_messages", status="sending") == 0
    assert value(samples, "portal_outbox_messages", status="failed") == 1
    age = value(samples, "portal_outbox_oldest_due_age_seconds")
    assert age is not None
    assert 600 <= age <= 600 + (utcnow() - start).total_seconds()
    assert value(samples, "portal_database_up") == 1

    # A batch claimed by a worker that died is due again once its lease has run out.
    later.status = MessageStatus.SENDING.value
    later.claimed_at = start - LEASE - timedelta(minutes=30)
    ctx.commit()
    samples = scrape(client)
    assert value(samples, "portal_outbox_messages", status="pending") == 2
    assert value(samples, "portal_outbox_messages", status="sending") == 1
    age = value(samples, "portal_outbox_oldest_due_age_seconds")
    assert age is not None
    assert 1800 <= age <= 1800 + (utcnow() - start).total_seconds()


def test_a_real_worker_pass_shows_as_its_heartbeat_and_logs_json_without_addresses(
        app, client, ctx, database_url, scripted_smtp):
    """``flask --app portal worker --once`` in a process of its own, LOG_FORMAT=json, with
    an SMTP server that refuses one recipient for good."""
    refused = "anna.refused@example.com"
    scripted_smtp.rcpt[refused] = ["550 5.1.1 No such user"]
    for address in (refused, "bo.accepted@example.com"):
        enqueue(ctx, kind="test", to_email=address, to_name="P", subject="Hello",
                text="Hello", html="<p>Hello</p>")
    gone = WorkerHeartbeat(worker_id="gone-host:4242", started_at=utcnow() - timedelta(days=3),
                           last_pass_at=utcnow() - timedelta(days=2), messages_sent=5,
                           messages_failed=0)
    ctx.add(gone)
    ctx.commit()
    before = scrape(client)
    assert value(before, "portal_outbox_messages", status="pending") == 2
    assert value(before, "portal_worker_last_pass_timestamp_seconds",
                 worker="gone-host:4242") is not None

    started = time.time()
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "portal", "worker", "--once"], cwd=ROOT,
        env=portal_env(database_url, LOG_FORMAT="json", MAIL_BACKEND="smtp",
                       SMTP_HOST="127.0.0.1", SMTP_PORT=str(app.config["PORTAL"].smtp_port)),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = worker.communicate(timeout=120)
    finished = time.time()
    assert worker.returncode == 0, err
    assert "sent 1, retried 0, failed 1" in out

    after = scrape(client)
    me = f"{socket.gethostname()}:{worker.pid}"
    beat = value(after, "portal_worker_last_pass_timestamp_seconds", worker=me)
    assert beat is not None and started <= beat <= finished
    assert value(after, "portal_worker_messages_sent_total", worker=me) == 1
    assert value(after, "portal_worker_messages_failed_total", worker=me) == 1
    assert value(after, "portal_outbox_messages", status="pending") == 0
    assert value(after, "portal_outbox_messages", status="failed") == 1
    # A worker quiet for two days is pruned by the pass.
    assert value(after, "portal_worker_last_pass_timestamp_seconds",
                 worker="gone-host:4242") is None

    lines = json_lines(err)
    [warning] = [line for line in lines if line["logger"] == "portal.messaging.worker"]
    assert warning["level"] == "WARNING" and "not delivered" in warning["message"]
    assert "[email]" in warning["message"]
    assert warning["request_id"].startswith("worker-")  # the pass's own id
    assert refused not in err and "anna.refused" not in err


def test_metrics_are_refused_without_the_token_or_from_elsewhere(app, client):
    elsewhere = {"REMOTE_ADDR": "203.0.113.7"}
    # No METRICS_TOKEN: this machine only, and not through a proxy on it.
    assert client.get("/metrics").status_code == 200
    assert client.get("/metrics", environ_base=elsewhere).status_code == 403
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 403
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200

    token = "metrics-token-" + "m" * 30
    before = app.config["PORTAL"]
    app.config["PORTAL"] = replace(before, env="production", metrics_token=token)
    try:
        for headers in ({}, {"Authorization": "Bearer wrong-token-of-some-length"},
                        {"Authorization": f"Basic {token}"},
                        {"Authorization": f"Bearer {token}x"}):
            refused = client.get("/metrics", headers=headers)
            assert refused.status_code == 401, headers
            assert refused.headers["WWW-Authenticate"].startswith("Bearer")
            assert "portal_" not in refused.text
        opened = client.get("/metrics", headers={"Authorization": f"Bearer {token}"},
                            environ_base=elsewhere)
        assert opened.status_code == 200 and "portal_outbox_messages" in opened.text
    finally:
        app.config["PORTAL"] = before


def test_the_metrics_token_and_the_log_format_are_checked_at_start():
    relaxed = {"PORTAL_ENV": "test", "SECRET_KEY": "s" * 40}
    assert load_settings(relaxed).metrics_token == ""
    assert load_settings(relaxed).log_format == "text"
    settings = load_settings({**relaxed, "METRICS_TOKEN": " " + "t" * 20 + " ",
                              "LOG_FORMAT": "JSON"})
    assert settings.metrics_token == "t" * 20 and settings.log_format == "json"
    assert "t" * 20 not in repr(settings)  # a key stays out of tracebacks
    with pytest.raises(SettingsError, match="METRICS_TOKEN must be at least 16"):
        load_settings({**relaxed, "METRICS_TOKEN": "short"})
    with pytest.raises(SettingsError, match="LOG_FORMAT must be 'text' or 'json'"):
        load_settings({**relaxed, "LOG_FORMAT": "xml"})


# ---------------------------------------------------------------- /readyz


def test_readyz_is_ready_when_all_is_well(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {
        "database": "ok", "migrations": "ok", "redis": "not configured"}}
    assert client.get("/healthz").status_code == 200


def test_readyz_names_migrations_that_are_behind(app, client):
    with app.app_context():
        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
        previous = script.get_revision(script.get_current_head()).down_revision
        stamp(revision=previous)
        try:
            behind = client.get("/readyz")
            assert behind.status_code == 503
            assert behind.get_json() == {"status": "error", "checks": {
                "database": "ok", "migrations": "behind", "redis": "not configured"}}
            assert client.get("/healthz").status_code == 200  # alive all the same
            # A newer release migrated the database and this one still serves meanwhile.
            with db.engine.begin() as conn:
                conn.execute(text("UPDATE alembic_version SET version_num = 'fedcba987654'"))
            ahead = client.get("/readyz")
            assert ahead.status_code == 200
            assert ahead.get_json()["checks"]["migrations"] == "ahead"
        finally:
            stamp(revision="head", purge=True)
    assert client.get("/readyz").status_code == 200


READYZ_SCRIPT = """
import json, sys
from portal import create_app

for uri in sys.argv[1:]:
    app = create_app({"RATELIMIT_STORAGE_URI": uri})
    response = app.test_client().get("/readyz")
    print(json.dumps({"status": response.status_code, "body": response.get_json()}))
"""


def test_readyz_checks_redis_when_the_rate_limits_are_kept_there(app, database_url,
                                                                  redis_server):
    """A process of its own: the rate limiter is one object per process."""
    done = subprocess.run(
        [sys.executable, "-c", READYZ_SCRIPT, f"redis://127.0.0.1:{closed_port()}/0",
         redis_server],
        cwd=ROOT, env=portal_env(database_url), capture_output=True, text=True,
        timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    unreachable, reached = (json.loads(line) for line in done.stdout.strip().splitlines())
    assert unreachable == {"status": 503, "body": {"status": "error", "checks": {
        "database": "ok", "migrations": "ok", "redis": "unreachable"}}}
    assert reached == {"status": 200, "body": {"status": "ok", "checks": {
        "database": "ok", "migrations": "ok", "redis": "ok"}}}


# ---------------------------------------------------------------- under gunicorn


@dataclass
class Answer:
    status: int
    headers: Any
    body: str


@dataclass
class Gunicorn:
    port: int
    process: subprocess.Popen[bytes]
    out: Path
    err: Path

    def get(self, path: str, headers: dict[str, str] | None = None) -> Answer:
        """One request on a connection of its own, redirects not followed."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("GET", path, headers=headers or {})
            response = conn.getresponse()
            return Answer(response.status, response.headers, response.read().decode())
        finally:
            conn.close()

    def stop(self) -> tuple[str, str]:
        """Stop gunicorn; its stdout (access log) and stderr (everything else)."""
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)
        return self.out.read_text(), self.err.read_text()


@pytest.fixture()
def gunicorn(database_url: str, tmp_path: Path) -> Iterator[Any]:
    """Start gunicorn with the project's configuration (gunicorn.conf.py), two workers."""
    started: list[Gunicorn] = []

    def start(**env: str) -> Gunicorn:
        port = free_port()
        n = len(started)
        out, err = tmp_path / f"gunicorn{n}.out", tmp_path / f"gunicorn{n}.err"
        with out.open("wb") as stdout, err.open("wb") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
                 "portal:create_app()"], cwd=ROOT, stdout=stdout, stderr=stderr,
                env=portal_env(database_url, GUNICORN_BIND=f"127.0.0.1:{port}",
                               GUNICORN_WORKERS="2", GUNICORN_THREADS="1",
                               XDG_RUNTIME_DIR=str(tmp_path), **env))
        server = Gunicorn(port, process, out, err)
        started.append(server)
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, err.read_text()[-3000:]
            try:
                if server.get("/healthz").status == 200:
                    return server
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not answer in 90 s"
            time.sleep(0.2)

    yield start
    for server in started:
        server.stop()


def test_request_metrics_add_up_across_gunicorn_workers(gunicorn, tmp_path):
    """Each worker keeps its figures in PROMETHEUS_MULTIPROC_DIR; a scrape, whichever
    worker answers it, adds them up. Requests go on until both workers have served some."""
    folder = tmp_path / "metrics"
    server = gunicorn(PROMETHEUS_MULTIPROC_DIR=str(folder))
    before = parse(server.get("/metrics").body)
    made = 0
    while made < 20 or len(list(folder.glob("histogram_*.db"))) < 2:
        assert server.get("/portal/about").status == 200
        made += 1
        assert made < 500, "one worker served every request"
    for _ in range(3):  # scrapes answered by either worker agree
        after = parse(server.get("/metrics").body)
        assert served(after, "candidate.about") - served(before, "candidate.about") == made


def test_json_logs_carry_the_request_id_and_no_token_or_address(ctx, settings, gunicorn):
    """gunicorn with LOG_FORMAT=json: every line of its output is JSON, the request id
    sent is on the request's lines and comes back in the answer, and a sign-in token and
    the candidate's address in the URL are redacted. Rate limits are kept in a Redis that
    refuses, so the (limited) sign-in link makes the app itself log inside the request."""
    address = "anna.andersson@example.com"
    candidate = make_application(UserFactory(role="recruiter"),
                                 CandidateFactory(email=address)).candidate
    _link, token = issue_link(ctx, settings, candidate)
    ctx.commit()
    server = gunicorn(LOG_FORMAT="json",
                      RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{closed_port()}/0")

    link = server.get(f"/c/{token}?email={address.replace('@', '%40')}&to={address}",
                      headers={"X-Request-ID": "req-link-0001"})
    assert link.status == 303 and link.headers["X-Request-ID"] == "req-link-0001"
    odd = server.get("/portal/about", headers={"X-Request-ID": "not sane; <b>"})
    fresh = odd.headers["X-Request-ID"]
    assert fresh != "not sane; <b>" and len(fresh) == 32  # a new id instead
    out, err = server.stop()

    lines = json_lines(out) + json_lines(err)
    everything = out + err
    assert token not in everything
    assert "anna.andersson" not in everything
    request_lines = [line for line in lines if line["request_id"] == "req-link-0001"]
    [access] = [line for line in request_lines if line["logger"] == "gunicorn.access"]
    assert "/c/[redacted]?email=[email]&to=[email]" in access["message"]
    # The app's own line inside the request (the rate limiter finding Redis away).
    assert any(line["logger"] == "flask-limiter" and line["level"] == "WARNING"
               for line in request_lines)
    assert any(line["request_id"] == fresh for line in lines)
    assert any(line["logger"] == "gunicorn.error" for line in lines)  # gunicorn's own
