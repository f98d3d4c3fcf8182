"""Rate limits behind a TLS proxy: each client has its own bucket when the proxy is trusted
(TRUSTED_PROXIES), the forwarded header is ignored when it is not, forms work over the
proxy's HTTPS, and a rate-limit store that is down never turns sign-in into a 500.

These limits do not depend on the database, so each test uses a private SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from portal.extensions import db
from tests.conftest import csrf_from, make_app
from tests.outage import Switch, closed_port

ROOT = Path(__file__).resolve().parent.parent
PROXY = "10.0.0.2"  # every request arrives from the proxy's address


@pytest.fixture()
def proxied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Build an app with a given TRUSTED_PROXIES, on a private database."""
    apps: list[Flask] = []

    def build(trusted: int, **env: str) -> Flask:
        monkeypatch.setenv("TRUSTED_PROXIES", str(trusted))
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        app = make_app(f"sqlite:///{tmp_path / f'limits{len(apps)}.sqlite3'}")
        with app.app_context():
            db.create_all()
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def client_behind_proxy(app: Flask, forwarded_for: str, **extra: str) -> Any:
    client = app.test_client()
    client.environ_base.update(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded_for,
                               HTTP_ACCEPT_LANGUAGE="en", **extra)
    return client


def failed_login(client: Any) -> int:
    page = client.get("/staff/login")
    return client.post("/staff/login", data={
        "email": "someone@example.com", "password": "wrong",
        "csrf_token": csrf_from(page.text)}).status_code


@pytest.mark.parametrize("trusted", [0, 1])
def test_clients_behind_one_proxy_have_their_own_login_bucket(proxied: Any,
                                                               trusted: int) -> None:
    """The login allows 10 attempts a minute. One client using them up behind the proxy
    must not lock out another (the staff lock-out), yet with no trusted proxy the header is
    anyone's to write, so it must not open a fresh bucket."""
    app = proxied(trusted)
    noisy = client_behind_proxy(app, "198.51.100.7")
    assert [failed_login(noisy) for _ in range(10)] == [422] * 10
    assert failed_login(noisy) == 429
    other = client_behind_proxy(app, "203.0.113.9")
    assert failed_login(other) == (422 if trusted else 429)
    # With one trusted proxy only the address it appended counts: a client cannot pick a
    # fresh bucket by writing its own X-Forwarded-For in front.
    spoofing = client_behind_proxy(app, "192.0.2.1, 198.51.100.7")
    assert failed_login(spoofing) == 429


def new_link(client: Any, email: str) -> int:
    page = client.get("/portal/link?reason=expired")
    return client.post("/portal/link", data={
        "email": email, "csrf_token": csrf_from(page.text)}).status_code


def test_new_link_requests_count_per_client_and_per_address(proxied: Any) -> None:
    """Per client: 5 in 10 minutes. Per typed address, whoever asks: 10 an hour, so many
    clients cannot flood one inbox; other addresses are not affected."""
    app = proxied(1)
    one = client_behind_proxy(app, "198.51.100.7")
    assert [new_link(one, f"person{i}@example.com") for i in range(5)] == [200] * 5
    assert new_link(one, "person9@example.com") == 429
    assert new_link(client_behind_proxy(app, "198.51.100.8"), "person9@example.com") == 200

    statuses = [new_link(client_behind_proxy(app, f"203.0.113.{i}"), "Target@Example.com")
                for i in range(10)]
    assert statuses == [200] * 10
    fresh = client_behind_proxy(app, "203.0.113.99")
    assert new_link(fresh, "target@example.com") == 429  # same address, any spelling
    assert new_link(fresh, "someone.else@example.com") == 200


@pytest.mark.parametrize("how", ["proxyfix", "gunicorn"])
def test_forms_work_over_https_behind_the_proxy(proxied: Any, how: str) -> None:
    """Behind a TLS proxy the request is HTTPS, told by X-Forwarded-Proto to ProxyFix
    (TRUSTED_PROXIES) or to gunicorn (FORWARDED_ALLOW_IPS, 127.0.0.1 by default). Our pages
    send no Referer (no-referrer), and Flask-WTF's strict referrer check over HTTPS refused
    every form with a 400."""
    production = {"PORTAL_ENV": "production", "PORTAL_BASE_URL": "https://jobs.example.com",
                  "MAIL_FROM": "Rekrytering <no-reply@jobs.example.com>"}
    if how == "proxyfix":
        app = proxied(1, **production)
        client = client_behind_proxy(app, "198.51.100.7", HTTP_X_FORWARDED_PROTO="https")
        base = "http://jobs.example.com"
    else:
        app = proxied(0, **production)
        client = app.test_client()
        base = "https://jobs.example.com"  # gunicorn already set the scheme
    page = client.get("/staff/login", base_url=base)
    assert page.status_code == 200
    response = client.post("/staff/login", base_url=base, data={
        "email": "someone@example.com", "password": "wrong",
        "csrf_token": csrf_from(page.text)})
    assert response.status_code == 422  # the form was read: wrong password, not 400


LOGIN_SCRIPT = textwrap.dedent("""
    import json, re, sys
    from portal import create_app
    from portal.extensions import db

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": sys.argv[1]})
    with app.app_context():
        db.create_all()
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    token = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"',
                      client.get("/staff/login").text).group(1)
    codes = [client.post("/staff/login", data={"email": "a@example.com", "password": "x",
                                               "csrf_token": token}).status_code
             for _ in range(11)]
    print(json.dumps(codes))
""")


@pytest.mark.parametrize("redis_state", ["refusing", "silent"])
def test_login_answers_when_the_rate_limit_store_is_down(tmp_path: Path,
                                                         redis_state: str) -> None:
    """RATELIMIT_STORAGE_URI points at a Redis that refuses (a closed port) or never
    answers. Sign-in still answers (it was a 500), limited per process in memory, and the
    fall-back is logged. A process of its own: the limiter is one object per process."""
    pytest.importorskip("redis")  # the [redis] extra, part of [dev]
    switch = Switch(mode="silent") if redis_state == "silent" else None
    port = switch.port if switch else closed_port()
    env = {**os.environ, "PORTAL_ENV": "test", "MAIL_BACKEND": "database",
           "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{port}/0",
           "PYTHONPATH": str(ROOT)}
    env.pop("REDIS_URL", None)
    try:
        done = subprocess.run(
            [sys.executable, "-c", LOGIN_SCRIPT, f"sqlite:///{tmp_path / 'p.sqlite3'}"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    finally:
        if switch:
            switch.close()
    assert done.returncode == 0, done.stderr[-3000:]
    codes = json.loads(done.stdout.strip().splitlines()[-1])
    assert codes == [422] * 10 + [429]  # the limit still holds, counted in memory
    assert "falling back to in-memory storage" in done.stderr


def test_two_candidates_behind_one_address_have_their_own_tech_check_bucket(app, ctx,
                                                                            settings):
    """Candidates in one office share an address; the tech check counts each candidate
    (30 results an hour), so one who runs it over and over does not stop a colleague."""
    from portal.links.services import issue_link
    from tests.factories import CandidateFactory, UserFactory, make_application

    recruiter = UserFactory(role="recruiter")
    tokens = []
    for _ in range(2):
        _link, token = issue_link(ctx, settings, make_application(
            recruiter, CandidateFactory()).candidate)
        tokens.append(token)
    ctx.commit()

    def signed_in(token: str) -> tuple[Any, str]:
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        client.get(f"/c/{token}")
        page = client.get("/portal/tech-check/")
        assert page.status_code == 200
        return client, csrf_from(page.text)

    def post_result(client: Any, csrf: str) -> int:
        return client.post("/portal/tech-check/results", data="not json", headers={
            "Content-Type": "application/json", "X-CSRFToken": csrf}).status_code

    first, first_csrf = signed_in(tokens[0])
    assert 429 not in [post_result(first, first_csrf) for _ in range(30)]
    assert post_result(first, first_csrf) == 429
    second, second_csrf = signed_in(tokens[1])
    assert post_result(second, second_csrf) == 400  # read and refused as not JSON
