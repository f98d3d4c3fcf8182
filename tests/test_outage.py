"""A database that goes silent, refuses or is locked: /healthz answers 503 within seconds,
pages answer 503 with the branded page in the reader's language, never a bare 500, and the
app recovers when the database is back.

PostgreSQL is reached through a switch on loopback (tests/outage.py) that can forward, stay
silent (accept and never answer), freeze open connections, or refuse. Time bounds are loose
(a loaded CI machine): the point is seconds, not the minutes a driver waits by default.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.engine import make_url

from portal.extensions import db
from tests.conftest import csrf_from, make_app
from tests.outage import Switch, closed_port

HEALTH_BOUND = 5.0  # /healthz waits 2 s for the database; the rest is slack for CI


def _timed(fn: Any) -> tuple[Any, float]:
    start = time.monotonic()
    result = fn()
    return result, time.monotonic() - start


def _login_attempt(client: Any) -> Any:
    """A page that reads the database: a sign-in attempt. The form itself reads whether
    single sign-on is set up, so in an outage the form already answers the branded 503."""
    page = client.get("/staff/login")
    if page.status_code == 503:
        return page
    assert page.status_code == 200
    return client.post("/staff/login", data={
        "email": "nobody@example.com", "password": "wrong", "csrf_token": csrf_from(page.text)})


def _assert_branded_503(response: Any, lang: str) -> None:
    assert response.status_code == 503, response.text[:500]
    assert response.headers["Retry-After"]
    heading = {"en": "The portal is briefly unavailable",
               "sv": "Portalen är tillfälligt otillgänglig"}[lang]
    assert f"<h1>{heading}</h1>" in response.text
    assert 'class="brand"' in response.text  # the whole branded page, not a bare error


def _client(app: Flask, lang: str = "en") -> Any:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
    return client


def _recovered(client: Any) -> None:
    """Back to normal within a few requests (the first may meet a connection that the
    outage cut, which the pool then throws away); never a 500 on the way."""
    for _attempt in range(3):
        health = client.get("/healthz")
        assert health.status_code in (200, 503)
        if health.status_code == 200:
            break
    assert health.status_code == 200
    for _attempt in range(3):
        page = _login_attempt(client)
        assert page.status_code in (422, 503)
        if page.status_code == 422:
            break
    assert page.status_code == 422  # wrong password: the database answered


@pytest.fixture()
def pg_switched(pg_database: str) -> Any:
    """The app on PostgreSQL, through a switch, its schema migrated."""
    from flask_migrate import upgrade

    url = make_url(pg_database)
    switch = Switch((url.host or "127.0.0.1", url.port or 5432))
    app = make_app(url.set(host="127.0.0.1", port=switch.port).render_as_string(
        hide_password=False))
    with app.app_context():
        upgrade()
    try:
        yield app, switch
    finally:
        switch.close()
        with app.app_context():
            db.engine.dispose()


def test_postgresql_outage_answers_503_fast_and_recovers(pg_switched: Any) -> None:
    app, switch = pg_switched
    client = _client(app)
    assert client.get("/healthz").status_code == 200
    assert _login_attempt(client).status_code == 422

    # Silent: connections are accepted and never answered.
    switch.set("silent")
    health, seconds = _timed(lambda: client.get("/healthz"))
    assert health.status_code == 503
    assert health.json == {"status": "error", "database": "unreachable"}
    assert seconds < HEALTH_BOUND
    _assert_branded_503(_login_attempt(client), "en")
    _assert_branded_503(_login_attempt(_client(app, "sv")), "sv")

    # Refused: the server is down.
    switch.set("closed")
    health, seconds = _timed(lambda: client.get("/healthz"))
    assert health.status_code == 503
    assert seconds < HEALTH_BOUND
    _assert_branded_503(_login_attempt(client), "en")

    switch.set("forward")
    _recovered(client)


def test_healthz_answers_in_time_when_an_open_connection_freezes(pg_switched: Any) -> None:
    """The server stops answering on connections already open (the pool holds one): the
    driver would wait for TCP to give up; the health check does not."""
    app, switch = pg_switched
    client = _client(app)
    assert client.get("/healthz").status_code == 200
    switch.set("frozen")
    # Should the check hang (as it did), end the outage after a while so the test fails
    # on the time bound instead of hanging the suite.
    rescue = threading.Timer(20, switch.set, ("closed",))
    rescue.start()
    try:
        health, seconds = _timed(lambda: client.get("/healthz"))
        again, seconds_again = _timed(lambda: client.get("/healthz"))
    finally:
        rescue.cancel()
    assert health.status_code == 503 and seconds < HEALTH_BOUND
    assert again.status_code == 503 and seconds_again < HEALTH_BOUND
    switch.set("forward")
    _recovered(client)


def test_a_database_on_a_closed_port_answers_503(pg_database: str) -> None:
    """Pointed at a port where nothing listens, from the start."""
    url = make_url(pg_database).set(host="127.0.0.1", port=closed_port())
    app = make_app(url.render_as_string(hide_password=False))
    client = _client(app)
    health, seconds = _timed(lambda: client.get("/healthz"))
    assert health.status_code == 503 and seconds < HEALTH_BOUND
    _assert_branded_503(_login_attempt(client), "en")
    with app.app_context():
        db.engine.dispose()


def test_a_locked_sqlite_database_answers_503_within_its_busy_timeout(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process holds SQLite's write lock: a page waits DB_BUSY_TIMEOUT, then
    answers the branded 503 (it was a 500), and works again once the lock is gone."""
    monkeypatch.setenv("DB_BUSY_TIMEOUT", "1")
    path = tmp_path / "locked.sqlite3"
    app = make_app(f"sqlite:///{path}")
    with app.app_context():
        db.create_all()
    client = _client(app)
    assert _login_attempt(client).status_code == 422
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        _assert_branded_503(_login_attempt(client), "en")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert _login_attempt(client).status_code == 422
    with app.app_context():
        db.engine.dispose()
