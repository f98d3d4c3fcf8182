"""Shared fixtures: the app on SQLite and on PostgreSQL, a clean database per test, a real
SMTP server on loopback, a live server and a real Chromium for the journeys."""

from __future__ import annotations

import os
import re
import shutil
import socket
import tempfile
import threading
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import text

os.environ["PORTAL_ENV"] = "test"
os.environ["SECRET_KEY"] = "test-only-secret-" + "k" * 40
os.environ["MAIL_BACKEND"] = "database"
os.environ.pop("DATABASE_URL", None)
os.environ.pop("WORKER_IN_PROCESS", None)
os.environ["UPLOAD_DIR"] = tempfile.mkdtemp(prefix="portal-uploads-")

from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402

from portal import create_app  # noqa: E402
from portal.extensions import db, limiter  # noqa: E402

IN_CI = bool(os.environ.get("CI"))

# Stateful tests of the process: a short run by default (CI), many long ones by hand with
# --hypothesis-profile=long. No deadline: CI shares two cores.
from hypothesis import HealthCheck  # noqa: E402
from hypothesis import settings as hypothesis_settings  # noqa: E402

hypothesis_settings.register_profile(
    "default", max_examples=8, stateful_step_count=15, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
hypothesis_settings.register_profile(
    "long", max_examples=200, stateful_step_count=40, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
hypothesis_settings.load_profile("default")
PG_ADMIN_URL = os.environ.get(
    "TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def _unavailable(what: str) -> None:
    """Skip on a laptop without the part; fail in CI, where everything must run."""
    if IN_CI:
        pytest.fail(f"{what} is required when CI is set", pytrace=False)
    pytest.skip(f"{what} is not available")


# ---------------------------------------------------------------- databases


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A throwaway PostgreSQL database for this run."""
    try:
        import psycopg

        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except Exception as exc:  # any connection failure means: no PostgreSQL here
        _unavailable(f"PostgreSQL at {PG_ADMIN_URL} ({type(exc).__name__})")
        raise
    name = f"portal_test_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'portal.sqlite3'}"
    return request.getfixturevalue("pg_database")


class IsolatedClient(FlaskClient):
    """Each request gets its own app context (fresh ``g`` and database session), as in
    production, even while the test holds a context of its own for setup and checks."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with self.application.app_context():
            return super().open(*args, **kwargs)


def make_app(database_url: str, **overrides: Any) -> Flask:
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                      "SERVER_NAME": None, **overrides})
    app.test_client_class = IsolatedClient
    return app


@pytest.fixture(scope="session")
def app(database_url: str) -> Iterator[Flask]:
    """The app, its schema built by running every migration."""
    from flask_migrate import upgrade

    application = make_app(database_url)
    with application.app_context():
        upgrade()
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test starts with empty tables and fresh rate limits."""
    yield
    if "app" not in request.fixturenames:
        return
    application: Flask = request.getfixturevalue("app")
    with application.app_context():
        db.session.rollback()
        db.session.execute(text("DELETE FROM pool_search"))  # the index beside the tables
        db.session.execute(text("DELETE FROM candidate_search"))
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
        db.session.remove()
    limiter.reset()


@pytest.fixture()
def ctx(app: Flask) -> Iterator[Any]:
    """An app context for setup and checks; its session is the one the factories use.
    Requests run in their own contexts, so expire objects before reading what they did."""
    with app.app_context():
        yield db.session
        db.session.remove()


@pytest.fixture()
def settings(app: Flask) -> Any:
    return app.config["PORTAL"]


@pytest.fixture()
def client(app: Flask) -> Any:
    """A browser-like client that prefers English (tests of Swedish ask for it)."""
    test_client = app.test_client()
    test_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return test_client


# ---------------------------------------------------------------- helpers


CSRF_RE = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture()
def login(client: Any) -> Any:
    """Sign a staff member in through the real login form."""
    def do(email: str, password: str) -> Any:
        page = client.get("/staff/login")
        return client.post("/staff/login", data={
            "email": email, "password": password, "csrf_token": csrf_from(page.text)})
    return do


# ---------------------------------------------------------------- SMTP on loopback


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    """Messages received by the loopback SMTP server."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        from email import message_from_bytes, policy

        with self.lock:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture()
def smtp_server(app: Flask) -> Iterator[Inbox]:
    """A real SMTP server on 127.0.0.1; the app's settings point at it for the test."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    before = app.config["PORTAL"]
    app.config["PORTAL"] = replace(before, mail_backend="smtp", smtp_host="127.0.0.1",
                                   smtp_port=port)
    try:
        yield inbox
    finally:
        app.config["PORTAL"] = before
        controller.stop()


class ScriptedInbox(Inbox):
    """An SMTP server that answers as a test tells it, per recipient address: ``rcpt[addr]``
    and ``data[addr]`` are replies used in turn (e.g. "451 4.7.1 Greylisted, try later",
    "554 5.7.1 Rejected"; "drop" closes the connection without an answer; "hold" waits
    until ``release`` is set and then accepts); once its list is used up an address is
    accepted. ``attempts`` keeps every message that reached the end of DATA, accepted or
    not; ``messages`` only the accepted ones; ``holding`` is set while a DATA is held;
    ``on_data``, if set, is called with each message (in the server's thread) first."""

    def __init__(self) -> None:
        super().__init__()
        self.rcpt: dict[str, list[str]] = {}
        self.data: dict[str, list[str]] = {}
        self.attempts: list[Any] = []
        self.holding = threading.Event()
        self.release = threading.Event()
        self.on_data: Any = None

    def _next(self, script: dict[str, list[str]], address: str) -> str | None:
        with self.lock:
            replies = script.get(address)
            return replies.pop(0) if replies else None

    async def _answer(self, server: Any, reply: str) -> str:
        import asyncio

        if reply == "drop":
            server.transport.abort()  # no reply reaches the client
            return "421 4.3.0 Gone"
        if reply == "hold":
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.01)
            return "250 OK"
        return reply

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any,  # noqa: N802
                          address: str, rcpt_options: list[str]) -> str:
        reply = self._next(self.rcpt, address)
        if reply is None:
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.extend(rcpt_options)
            return "250 OK"
        return await self._answer(server, reply)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        from email import message_from_bytes, policy

        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.attempts.append(message)
        if self.on_data is not None:
            self.on_data(message)
        reply = self._next(self.data, envelope.rcpt_tos[0])
        if reply is not None:
            answer = await self._answer(server, reply)
            if not answer.startswith("250"):
                return answer
        with self.lock:
            self.messages.append(message)
        return "250 OK"


@pytest.fixture()
def scripted_smtp(app: Flask) -> Iterator[ScriptedInbox]:
    """Like ``smtp_server``, with answers the test scripts (see ``ScriptedInbox``)."""
    from aiosmtpd.controller import Controller

    inbox = ScriptedInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    before = app.config["PORTAL"]
    app.config["PORTAL"] = replace(before, mail_backend="smtp", smtp_host="127.0.0.1",
                                   smtp_port=port)
    try:
        yield inbox
    finally:
        inbox.release.set()
        app.config["PORTAL"] = before
        controller.stop()


# ---------------------------------------------------------------- live server + browser


class LiveServer:
    def __init__(self, app: Flask) -> None:
        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[LiveServer]:
    server = LiveServer(app)
    old = app.config["PORTAL"]
    app.config["PORTAL"] = replace(old, base_url=server.url)
    yield server
    app.config["PORTAL"] = old
    server.stop()


def speech_like_wav(path: Any) -> Any:
    """A 3 s loop for the fake microphone: 1 s of faint room noise, then 2 s of a tone at
    about -20 dBFS, so a level check sees both a background and a voice."""
    import math
    import random
    import struct
    import wave

    rate = 48000
    rng = random.Random(7)
    frames = bytearray()
    for i in range(rate * 3):
        if i < rate:
            value = rng.uniform(-1, 1) * 0.0003
        else:
            value = 0.1 * math.sin(2 * math.pi * 220 * i / rate)
        frames += struct.pack("<h", int(value * 32767))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(frames))
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any],
                             tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Debian's Chromium, never a downloaded one."""
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        _unavailable(f"Chromium at {CHROMIUM}")
    voice = speech_like_wav(tmp_path_factory.mktemp("media") / "voice.wav")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 # A fake camera (30 fps) and microphone; permission is still asked, so
                 # tests grant or withhold it per context.
                 "--use-fake-device-for-media-stream=fps=30",
                 f"--use-file-for-fake-audio-capture={voice}"],
    }


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory) -> Iterator[str]:
    """A real Redis of the tests' own on a free loopback port; yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        _unavailable("redis-server")
    import subprocess
    import time

    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


# ---------------------------------------------------------------- CalDAV (Radicale)


class RadicaleServer:
    """A real CalDAV server (Radicale, ``python -m radicale``) on a free loopback port,
    with plain htpasswd users in its own folder; stopped by its pid. ``users`` maps user
    names to passwords."""

    USERS = {"maria": "maria-pw", "olle": "olle-pw", "nina": "nina-pw", "sam": "sam-pw"}

    def __init__(self, folder: Any, users: dict[str, str] | None = None) -> None:
        from pathlib import Path

        self.folder = Path(folder)
        self.users = dict(users or self.USERS)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.process: Any = None

    def start(self) -> RadicaleServer:
        import subprocess
        import sys
        import time

        try:
            import radicale  # noqa: F401
        except ImportError:
            _unavailable("radicale (pip install -e '.[dev]')")
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "users").write_text(
            "".join(f"{name}:{password}\n" for name, password in self.users.items()))
        config = self.folder / "config"
        config.write_text(
            f"[server]\nhosts = 127.0.0.1:{self.port}\n"
            f"[auth]\ntype = htpasswd\nhtpasswd_filename = {self.folder / 'users'}\n"
            # No delay after a refused login: the client's first request goes without
            # credentials on purpose, and a second's wait each time adds up.
            "htpasswd_encryption = plain\ndelay = 0\n"
            f"[storage]\nfilesystem_folder = {self.folder / 'collections'}\n"
            "[logging]\nlevel = warning\n")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "radicale", "--config", str(config)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    _unavailable("Radicale (python -m radicale) did not start")
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except Exception:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def client(self, user: str, password: str | None = None) -> Any:
        from caldav import DAVClient

        return DAVClient(url=self.url, username=user,
                         password=self.users[user] if password is None else password,
                         timeout=10, enable_rfc6764=False, require_tls=False)

    def new_calendar(self, user: str, name: str | None = None) -> Any:
        """A fresh calendar of ``user`` (a unique name unless given)."""
        return self.client(user).principal().make_calendar(
            name=name or f"cal-{uuid.uuid4().hex[:8]}")


@pytest.fixture(scope="session")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RadicaleServer]:
    """One Radicale for the run (fails when CI is set and it cannot start)."""
    server = RadicaleServer(tmp_path_factory.mktemp("radicale")).start()
    try:
        yield server
    finally:
        server.stop()
