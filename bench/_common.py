"""What the benchmarks share: an app on a fresh database of either engine, an SMTP sink
that counts what it receives, and bulk inserts of "other" candidates so a page is measured
against a realistic database."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import socket
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------- the sink


def _sink(host: str, port: int, count: Any, ids: Any, by_peer: Any, clear: Any,
          ready: Any, stop: Any) -> None:
    """An SMTP server that counts what it accepts, how many distinct Message-IDs, and how
    many from each sender address (by the address's last byte)."""
    from aiosmtpd.controller import Controller

    # Ctrl-C reaches the whole terminal's group: the parent stops the sink through ``stop``.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    seen: set[bytes] = set()

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802, ANN001, ANN201
            if clear.is_set():
                seen.clear()
                clear.clear()
            head = envelope.content[:4096]
            start = head.find(b"Message-ID:")
            seen.add(head[start:head.find(b"\n", start)] if start >= 0 else os.urandom(8))
            try:
                last = int(str(session.peer[0]).rsplit(".", 1)[1]) % 256
            except (IndexError, TypeError, ValueError):
                last = 0
            with count.get_lock():
                count.value += 1
                ids.value = len(seen)
                by_peer[last] += 1
            return "250 OK"

    controller = Controller(Handler(), hostname=host, port=port,
                            server_hostname="sink.localhost")
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


class Sink:
    """The sink in a process of its own (so it never competes with the measuring process
    for the GIL), listening on ``host``."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = free_port(host)
        self.count = multiprocessing.Value("i", 0)
        self.ids = multiprocessing.Value("i", 0)
        self.by_peer = multiprocessing.Array("i", 256)
        self.clear = multiprocessing.Event()
        self.ready = multiprocessing.Event()
        self.stop = multiprocessing.Event()
        self.process = multiprocessing.Process(
            target=_sink, args=(host, self.port, self.count, self.ids, self.by_peer,
                                self.clear, self.ready, self.stop),
            daemon=True)

    def __enter__(self) -> Sink:
        self.process.start()
        if not self.ready.wait(20):
            raise RuntimeError("the SMTP sink did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.process.join(10)
        if self.process.is_alive():
            self.process.kill()

    def reset(self) -> None:
        """Start counting afresh (call it while nothing is being sent)."""
        with self.count.get_lock():
            self.count.value = 0
            self.ids.value = 0
            for i in range(256):
                self.by_peer[i] = 0
        self.clear.set()

    def from_peer(self, address: str) -> int:
        """Messages received from ``address`` (IPv4) since the last reset."""
        return int(self.by_peer[int(address.rsplit(".", 1)[1])])


# ---------------------------------------------------------------- other candidates


def add_others(session: Any, opening_id: int, stage_id: int, others: int,
               starts_after: timedelta = timedelta(0)) -> None:
    """Insert ``others`` candidates, each with an application to ``opening_id`` at
    ``stage_id`` and one scheduled interview (spread over two weeks from ``starts_after``),
    in bulk and committed 5,000 at a time."""
    from sqlalchemy import insert

    from portal.hiring.models import Application, Candidate, Interview
    from portal.timeutil import utcnow

    now = utcnow()
    chunk = 5000
    for start in range(0, others, chunk):
        n = min(chunk, others - start)
        ids = list(session.execute(insert(Candidate).returning(Candidate.id), [
            {"name": f"Other {start + i}", "email": f"other{start + i}@example.com",
             "phone": "", "language": "en", "timezone": "Europe/Stockholm",
             "timezone_source": "recruiter", "created_at": now} for i in range(n)]).scalars())
        app_ids = list(session.execute(insert(Application).returning(Application.id), [
            {"candidate_id": cid, "opening_id": opening_id, "stage_id": stage_id,
             "created_at": now, "updated_at": now} for cid in ids]).scalars())
        session.execute(insert(Interview), [
            {"application_id": aid, "round_name": "First interview",
             "starts_at": now + starts_after + timedelta(minutes=aid % 20000),
             "duration_minutes": 45, "platform": "zoom",
             "meeting_url": "https://zoom.us/j/98765432101", "what_to_expect": "",
             "preparation": "", "status": "scheduled", "uid": f"{uuid.uuid4().hex}@bench",
             "sequence": 0, "response": "none", "response_message": "", "created_at": now,
             "updated_at": now}
            for aid in app_ids])
        session.commit()


PG_ADMIN_URL = os.environ.get("PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextlib.contextmanager
def bench_app(backend: str, prefix: str, **config: Any) -> Iterator[tuple[Any, Any]]:
    """(app, db) on a fresh database of ``backend`` ("sqlite" in a temporary folder, or a
    PostgreSQL database made at PG_ADMIN_URL), migrated to head; everything made is
    removed afterwards."""
    import secrets
    import shutil
    import tempfile
    from pathlib import Path

    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    pg_name = None
    if backend == "postgresql":
        import psycopg

        pg_name = f"portal_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{pg_name}"')
        url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{pg_name}"
    else:
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ.update({"PORTAL_ENV": "test", "SECRET_KEY": secrets.token_urlsafe(48),
                       "DATABASE_URL": url})
    from flask_migrate import upgrade

    from portal import create_app
    from portal.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url.replace(
        "postgresql://", "postgresql+psycopg://", 1), **config})
    try:
        with app.app_context():
            upgrade()
        yield app, db
    finally:
        with app.app_context():
            db.engine.dispose()
        shutil.rmtree(workdir, ignore_errors=True)
        if pg_name:
            import psycopg

            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


def vacuum(db: Any) -> None:
    """Fresh planner statistics after a bulk seed (PostgreSQL; nothing on SQLite)."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(db.text("VACUUM ANALYZE"))
