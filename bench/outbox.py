"""Outbox benchmark: how fast the mail worker drains 10,000 queued messages into a local
SMTP sink (aiosmtpd on loopback, in its own process), with 1 and 4 worker processes
(`flask --app portal worker --once`), on SQLite and PostgreSQL, beside the limit: a bare
smtplib loop sending the same number of messages of the same size over one connection to
the same sink, in the same run.

Run by hand:  .venv/bin/python bench/outbox.py [--messages 10000] [--repeat 3]
              [--skip-postgresql]
The PostgreSQL rows need a server at TEST_PG_ADMIN_URL (default
postgresql://postgres@127.0.0.1:5432/postgres).
Prints one table. Rate: messages over the time from the first message marked sent to the
last (worker start-up is left out; the bare loop is timed from its first message to its
last). Each row runs the bare loop and then the workers, ``--repeat`` times, and shows the
medians: on a shared machine the figures move by the minute, so a row compares figures
taken together. Worker CPU: the workers' CPU time over their run time (100% is one core).
The target: one worker at half the bare loop or better. Every run checks that the sink got
each message exactly once.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

from _common import Sink

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL",
                              "postgresql://postgres@127.0.0.1:5432/postgres")
SECRET = secrets.token_urlsafe(48)
FLASK = str(Path(sys.executable).with_name("flask"))

# About the size of a real invitation: a text part, an HTML part, and a calendar file on
# a quarter of them.
TEXT = ("Hej Anna,\n\nVälkommen till en intervju för tjänsten som backendutvecklare. "
        "Här är allt du behöver veta inför mötet.\n" * 12)
HTML = "<p>" + TEXT.replace("\n", "<br>\n") * 2 + "</p>"
ICS = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nMETHOD:REQUEST\r\n"
       "BEGIN:VEVENT\r\nUID:bench@example.com\r\nSEQUENCE:0\r\nDTSTART:20300101T090000Z\r\n"
       "DTEND:20300101T094500Z\r\nSUMMARY:Intervju\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


# ---------------------------------------------------------------- the limit


def sample_message(i: int) -> EmailMessage:
    email = EmailMessage()
    email["From"] = "Rekrytering <no-reply@example.com>"
    email["To"] = f"Person {i} <person{i}@example.com>"
    email["Subject"] = "Inbjudan till intervju: Backendutvecklare"
    email["Message-ID"] = f"<bench-{i}@example.com>"
    email.set_content(TEXT)
    email.add_alternative(HTML, subtype="html")
    if i % 4 == 0:
        email.add_attachment(ICS.encode(), maintype="text", subtype="calendar",
                             filename="invite.ics", params={"method": "REQUEST"})
    return email


def bare_loop(sink: Sink, n: int) -> tuple[float, float]:
    """The limit: smtplib's send_message in a loop over one connection (messages built
    beforehand, nothing else done). Returns (messages per second, CPU %)."""
    messages = [sample_message(i) for i in range(n)]
    sink.reset()
    with smtplib.SMTP("127.0.0.1", sink.port, timeout=30) as smtp:
        cpu0, t0 = time.process_time(), time.perf_counter()
        for message in messages:
            smtp.send_message(message)
        wall = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
    assert sink.count.value == n, (sink.count.value, n)
    return (n - 1) / wall, 100 * cpu / wall


# ---------------------------------------------------------------- the worker


def app_env(database_url: str, sink: Sink) -> dict[str, str]:
    return {**os.environ, "PORTAL_ENV": "production", "SECRET_KEY": SECRET,
            "DATABASE_URL": database_url, "MAIL_BACKEND": "smtp",
            "MAIL_FROM": "Rekrytering <no-reply@example.com>", "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(sink.port), "PORTAL_BASE_URL": "https://jobs.example.com"}


def seed(database_url: str, sink: Sink, n: int) -> None:
    """Migrate a fresh database and queue ``n`` messages, as ``enqueue`` writes them."""
    os.environ.update(app_env(database_url, sink))
    from flask_migrate import upgrade
    from sqlalchemy import insert

    from portal import create_app
    from portal.extensions import db
    from portal.messaging.models import OutboxMessage
    from portal.timeutil import utcnow

    try:
        from portal.messaging.services import new_message_id
    except ImportError:  # the code before Message-IDs were kept, for a "before" figure
        new_message_id = None

    app = create_app()
    with app.app_context():
        upgrade()
        now = utcnow()
        rows = [{"kind": "candidate_invitation", "to_email": f"person{i}@example.com",
                 "to_name": f"Person {i}", "subject": "Inbjudan till intervju: Backendutvecklare",
                 "text_body": TEXT, "html_body": HTML,
                 "ics": ICS if i % 4 == 0 else None,
                 "ics_method": "REQUEST" if i % 4 == 0 else None,
                 "status": "pending", "attempts": 0, "next_attempt_at": now,
                 "last_error": "", "created_at": now} for i in range(n)]
        if new_message_id is not None:
            for row in rows:
                row["message_id"] = new_message_id("no-reply@example.com")
        for start in range(0, n, 2000):
            db.session.execute(insert(OutboxMessage), rows[start:start + 2000])
        db.session.commit()
        db.engine.dispose()


def sent_span(database_url: str) -> tuple[int, float, int]:
    """(messages sent, seconds from the first sent to the last, rows not sent)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        first, last, sent = conn.execute(text(
            "SELECT min(sent_at), max(sent_at), count(*) FROM outbox_message "
            "WHERE status = 'sent'")).one()
        other = conn.execute(text(
            "SELECT count(*) FROM outbox_message WHERE status <> 'sent'")).scalar_one()
    engine.dispose()
    if isinstance(first, str):  # SQLite hands back text
        first, last = datetime.fromisoformat(first), datetime.fromisoformat(last)
    return sent, (last - first).total_seconds(), other


def run_workers(label: str, database_url: str, sink: Sink, n: int, workers: int) -> tuple:
    """The bare loop, then the workers on a fresh outbox right after it."""
    limit, _limit_cpu = bare_loop(sink, n)
    seed(database_url, sink, n)
    sink.reset()
    ids_before = sink.ids.value
    env = app_env(database_url, sink)
    procs = [subprocess.Popen([FLASK, "--app", "portal", "worker", "--once"], cwd=ROOT,
                              env=env, stdout=subprocess.DEVNULL) for _ in range(workers)]
    t0 = time.perf_counter()
    cpu = 0.0
    for proc in procs:
        _pid, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        cpu += usage.ru_utime + usage.ru_stime
        if proc.returncode != 0:
            raise RuntimeError(f"a worker exited with {proc.returncode}")
    total_wall = time.perf_counter() - t0
    sent, span, unsent = sent_span(database_url)
    received, distinct = sink.count.value, sink.ids.value - ids_before
    rate = (sent - 1) / span if span > 0 else float("nan")
    return (label, workers, limit, rate, 100 * cpu / total_wall, sent, received, unsent,
            received == sent == distinct == n and unsent == 0)


@contextlib.contextmanager
def database(label: str, sqlite_path: Path) -> Iterator[str]:
    """A fresh database: a SQLite file, or a PostgreSQL database dropped afterwards."""
    if label == "SQLite":
        yield f"sqlite:///{sqlite_path}"
        return
    import psycopg

    name = f"portal_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def median_row(runs: list[tuple]) -> tuple:
    """Medians of the rates and CPU; "each sent once" only if every run says so."""
    label, workers = runs[0][:2]
    limit = statistics.median(r[2] for r in runs)
    rate = statistics.median(r[3] for r in runs)
    cpu = statistics.median(r[4] for r in runs)
    bad = next((r for r in runs if not r[8]), runs[0])
    return (label, workers, limit, rate, cpu, *bad[5:8], all(r[8] for r in runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-postgresql", action="store_true")
    args = parser.parse_args()
    n = args.messages
    rows = []
    workdir = Path(tempfile.mkdtemp(prefix="portal-outbox-bench-"))
    with Sink() as sink:
        for label in ("SQLite", "PostgreSQL")[:1 if args.skip_postgresql else 2]:
            for workers in (1, 4):
                runs = []
                for rep in range(args.repeat):
                    with database(label, workdir / f"w{workers}-{rep}.sqlite3") as url:
                        runs.append(run_workers(label, url, sink, n, workers))
                rows.append(median_row(runs))

    print(f"\n{n:,} messages into an aiosmtpd sink on loopback, median of {args.repeat} "
          f"runs ({os.cpu_count()} cores)")
    print("| database | workers | bare loop msg/s | worker msg/s | share of the bare loop "
          "| worker CPU | each sent once |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for label, workers, limit, rate, cpu, sent, received, unsent, once in rows:
        print(f"| {label} | {workers} | {limit:,.0f} | {rate:,.0f} | {rate / limit:.0%} "
              f"| {cpu:.0f}% "
              f"| {'yes' if once else f'NO: {sent} sent, {received} received, {unsent} left'} |")


if __name__ == "__main__":
    main()
