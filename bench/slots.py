"""Slot engine benchmark: a panel of 5 interviewers (Stockholm, London, New York and two
more in Stockholm), working Monday to Friday with a lunch break, each with 500 busy events
from their calendars over 4 weeks; how long finding the free slots takes.

Run by hand:  .venv/bin/python bench/slots.py [--repeat 30] [--skip-postgresql]
Rows: the pure engine on loaded data (``compute_slots``) and the whole call
(``free_slots``: the queries, one per kind of data, and the engine) on SQLite and
PostgreSQL (at TEST_PG_ADMIN_URL, default postgresql://postgres@127.0.0.1:5432/postgres),
for "every member" and "any 2 of the 5" (fairly chosen), 45-minute interviews on a
15-minute grid with 10-minute buffers. Prints the median and the 95th percentile of
``--repeat`` runs. The target: 50 ms or less for the whole call.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PORTAL_ENV", "test")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-" + "b" * 40)
os.environ.setdefault("MAIL_BACKEND", "database")

PANEL = ("Europe/Stockholm", "Europe/London", "America/New_York", "Europe/Stockholm",
         "Europe/Stockholm")
EVENTS = 500
WEEKS = 4
PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL",
                              "postgresql://postgres@127.0.0.1:5432/postgres")


def _rules(now: datetime, required: int | None) -> Any:
    from portal.scheduling.availability import SlotRules

    return SlotRules(duration=timedelta(minutes=45), window_start=now,
                     window_end=now + timedelta(weeks=WEEKS), notice=timedelta(hours=24),
                     buffer_before=timedelta(minutes=10), buffer_after=timedelta(minutes=10),
                     per_day_limit=3, step=timedelta(minutes=15), required=required)


def _busy(rng: random.Random, now: datetime) -> list[tuple[datetime, datetime]]:
    """500 events over the 4 weeks: mostly 15 to 90 minutes in the day, some all-day."""
    out = []
    for _ in range(EVENTS):
        start = now + timedelta(minutes=15 * rng.randrange(WEEKS * 7 * 96))
        length = timedelta(days=1) if rng.random() < 0.02 else timedelta(
            minutes=15 * rng.randint(1, 6))
        out.append((start, start + length))
    return out


def seed(app: Any, now: datetime) -> list[int]:
    from portal.accounts.models import User
    from portal.extensions import db
    from portal.scheduling.models import (
        BusyBlock,
        CalendarConnection,
        InterviewerSchedule,
        WorkingHours,
    )

    rng = random.Random(7)
    ids = []
    with app.app_context():
        for i, tzname in enumerate(PANEL):
            user = User(email=f"bench{i}-{uuid.uuid4().hex[:6]}@example.com",
                        name=f"Bench {i}", role="interviewer",
                        password_hash="!")  # noqa: S106 - signs in never
            db.session.add(user)
            db.session.flush()
            ids.append(user.id)
            db.session.add(InterviewerSchedule(user_id=user.id, timezone=tzname,
                                               updated_at=now))
            for day in range(5):
                db.session.add(WorkingHours(user_id=user.id, weekday=day, start_minute=8 * 60,
                                            end_minute=17 * 60, break_start=12 * 60,
                                            break_end=13 * 60))
            connection = CalendarConnection(
                user_id=user.id, kind="caldav", label="Bench", created_at=now,
                secret="-",  # noqa: S106 - read from the cache only, never from a server
                next_refresh_at=now + timedelta(hours=1), last_attempt_at=now,
                last_success_at=now, last_error="", covered_until=now + timedelta(weeks=8),
                busy_count=EVENTS, last_sync_error="")
            db.session.add(connection)
            db.session.flush()
            db.session.execute(BusyBlock.__table__.insert(), [
                {"connection_id": connection.id, "starts_at": a, "ends_at": b,
                 "uid": f"e{k}@bench"} for k, (a, b) in enumerate(_busy(rng, now))])
        db.session.commit()
    return ids


def timed(call: Any, repeat: int) -> tuple[float, float, int]:
    """Median and 95th percentile in milliseconds, and how many slots the call found."""
    found = len(call().slots)  # warm: imports, caches, the first connection
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))], found


def run_database(label: str, url: str, now: datetime, repeat: int) -> list[tuple]:
    from flask_migrate import upgrade

    from portal import create_app
    from portal.extensions import db
    from portal.scheduling.availability import Availability, free_slots, load_members
    from portal.scheduling.engine import compute_slots

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
    ids = seed(app, now)
    rows = []
    with app.app_context():
        for required, name in ((None, "every member"), (2, "any 2 of 5")):
            rules = _rules(now, required)
            if label == "SQLite":
                members, _ = load_members(db.session, ids, rules.window_start,
                                          rules.window_end, now, rules)
                median, p95, found = timed(
                    lambda m=members, r=rules: Availability(compute_slots(m, r, now), {}),
                    repeat)
                rows.append(("engine only", name, median, p95, found))
            median, p95, found = timed(
                lambda r=rules: free_slots(db.session, ids, r, now), repeat)
            rows.append((f"free_slots, {label}", name, median, p95, found))
        db.engine.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--skip-postgresql", action="store_true")
    args = parser.parse_args()
    now = datetime(2027, 3, 1, 7, tzinfo=UTC)  # four weeks across the change to summer time
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        rows += run_database("SQLite", f"sqlite:///{folder}/bench.sqlite3", now, args.repeat)
    if not args.skip_postgresql:
        import psycopg

        name = f"portal_bench_{uuid.uuid4().hex[:8]}"
        try:
            admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
        except psycopg.OperationalError as exc:
            print(f"PostgreSQL skipped: {exc}".splitlines()[0])
        else:
            admin.execute(f'CREATE DATABASE "{name}"')
            base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://",
                                                          "postgresql+psycopg://", 1)
            try:
                rows += run_database("PostgreSQL", f"{base}/{name}", now, args.repeat)
            finally:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                admin.close()
    print(f"panel of {len(PANEL)}, {EVENTS} busy events each, {WEEKS} weeks, "
          f"{args.repeat} runs (target: 50 ms)")
    print(f"{'what':<24} {'panel':<13} {'median ms':>10} {'p95 ms':>8} {'slots':>6}")
    for what, panel, median, p95, found in rows:
        print(f"{what:<24} {panel:<13} {median:>10.1f} {p95:>8.1f} {found:>6}")


if __name__ == "__main__":
    main()
