"""Slot engine benchmark: a panel of 5 interviewers (Stockholm, London, New York and two
more in Stockholm), working Monday to Friday with a lunch break, each with 500 busy events
from their calendars over 4 weeks; how long finding the free slots takes.

Run by hand:  .venv/bin/python bench/slots.py [--repeat 30] [--skip-postgresql]
                  [--candidates 200] [--seconds 60] [--skip-engine] [--skip-http]
Rows: the pure engine on loaded data (``compute_slots``) and the whole call
(``free_slots``: the queries, one per kind of data, and the engine) on SQLite and
PostgreSQL (at TEST_PG_ADMIN_URL, default postgresql://postgres@127.0.0.1:5432/postgres),
for "every member" and "any 2 of the 5" (fairly chosen), 45-minute interviews on a
15-minute grid with 10-minute buffers. Prints the median and the 95th percentile of
``--repeat`` runs. The target: 50 ms or less for the whole call.

Then booking over HTTP (``http_run``): gunicorn from this tree (bench/gunicorn.bench.py,
as bench/load.py runs it, pinned to one core), ``--candidates`` candidates, each with an
open offer of one round ("any 2 of 6" interviewers, 45 minutes, two weeks), each signed in
through their own magic link from their own loopback address, arriving evenly spread over
``--seconds``. Each opens the booking page, takes one of the first ten times shown,
thinks 1 to 4 seconds, opens the confirm page, thinks a little more and books; a "just
taken" answer shows the times still free, and they choose again (five tries at most).
Prints the 50th and 95th percentile latency of the booking page GET, the confirm GET and
the booking POST, the counts (booked, "just taken" answers, candidates who found nothing
left or gave up, errors: any other status or a failed request) and whether any
interviewer holds overlapping time afterwards (held time and scheduled interviews both
checked). The target: p95 under 300 ms, no errors, no overlap.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import secrets
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))  # bench/load.py's gunicorn and settings

from _common import free_port  # noqa: E402

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


# ---------------------------------------------------------------- booking over HTTP

HTTP_POOL = 6          # interviewers in the round's pool
HTTP_REQUIRED = 2      # of them on each interview
HTTP_DAYS = 14         # the window: two weeks from three days ahead
TRIES = 5              # a candidate told "just taken" chooses again, this many times in all
SLOT_RE = re.compile(r'name="start" value="([0-9T:\-]+Z)"')
CSRF_RE = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def seed_booking(database_url: str, candidates: int) -> list[tuple[int, str]]:
    """Migrate, make the pool and ``candidates`` candidates, offer them one round; return
    each candidate's (offer id, sign-in token)."""
    from load import app_env

    os.environ.update(app_env(database_url))
    from flask_migrate import upgrade

    from portal import create_app
    from portal.accounts.services import create_user
    from portal.booking import services as booking
    from portal.extensions import db
    from portal.hiring import services
    from portal.links.services import issue_link
    from portal.process import lifecycle
    from portal.timeutil import utcnow, zone

    app = create_app()
    with app.app_context():
        upgrade()
        settings = app.config["PORTAL"]
        actor = create_user(db.session, email="bench@example.com", name="Bench",
                            password=secrets.token_urlsafe(16), role="admin")
        pool = [create_user(db.session, email=f"iv{i}@example.com", name=f"Interviewer {i}",
                            password=secrets.token_urlsafe(16), role="interviewer")
                for i in range(HTTP_POOL)]
        opening = services.create_opening(db.session, actor, services.OpeningData(
            title="Backend developer", team="Platform", description="", language="en"))
        applications = []
        for i in range(candidates):
            candidate = services.create_candidate(db.session, actor, services.CandidateData(
                name=f"Candidate {i}", email=f"candidate{i}@example.com", phone="",
                language="sv" if i % 2 else "en", timezone="Europe/Stockholm"))
            applications.append(lifecycle.apply(db.session, actor, candidate, opening))
        first = utcnow().astimezone(zone(settings.default_timezone)).date() + timedelta(days=3)
        created = booking.create_request(db.session, settings, actor, opening, applications,
                                         booking.RequestData(
            round_name="First interview", duration_minutes=45,
            interviewer_ids=[u.id for u in pool], required=HTTP_REQUIRED,
            window_from=first, window_to=first + timedelta(days=HTTP_DAYS - 1),
            notice_hours=24, buffer_before_minutes=0, buffer_after_minutes=0,
            per_day_limit=None, platform="jitsi", meeting_url="", cutoff_hours=24))
        offers = []
        for offer in created.offers:
            _link, token = issue_link(db.session, settings, offer.application.candidate)
            offers.append((offer.id, token))
        db.session.commit()
        db.engine.dispose()
    return offers


class Tally:
    """What the candidates saw, gathered from their threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = {"page": [], "confirm": [], "book": []}
        self.booked = self.taken = self.nothing_left = self.gave_up = 0
        self.errors: list[str] = []

    def add(self, what: str, ms: float) -> None:
        with self.lock:
            self.times[what].append(ms)

    def count(self, field: str) -> None:
        with self.lock:
            setattr(self, field, getattr(self, field) + 1)

    def error(self, why: str) -> None:
        with self.lock:
            self.errors.append(why)


class Browser:
    """One candidate's client: a kept-alive connection from their own loopback address
    and the session cookie the server last set. Like a browser, it opens a fresh
    connection when the server closed an idle one (gunicorn's keep-alive is 2 s, shorter
    than a candidate's thinking)."""

    def __init__(self, port: int, source: str) -> None:
        import http.client

        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60,
                                               source_address=(source, 0))
        self.cookie = ""

    def request(self, method: str, path: str, body: str | None = None
                ) -> tuple[int, str, float]:
        """(status, body, milliseconds from sending to the whole answer)."""
        import http.client

        headers = {"Cookie": self.cookie} if self.cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            started = time.perf_counter()
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()  # closed while idle: reconnect and send again
                if attempt == 2:
                    raise
                continue
            text = response.read().decode()
            elapsed = (time.perf_counter() - started) * 1000
            if found := re.search(r"portal_session=([^;]*)",
                                  response.getheader("Set-Cookie", "")):
                self.cookie = f"portal_session={found.group(1)}"
            return response.status, text, elapsed
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.conn.close()


def _candidate(port: int, index: int, offer_id: int, token: str, arrive_at: float,
               tally: Tally) -> None:
    """One candidate, from their own loopback address: sign in through the magic link,
    open the booking page, choose, confirm, book; after "just taken", choose again."""
    import http.client

    rng = random.Random(index)
    time.sleep(max(0.0, arrive_at - time.monotonic()))
    browser = Browser(port, f"127.0.{1 + index // 250}.{1 + index % 250}")
    try:
        status, _text, _ms = browser.request("GET", f"/c/{token}")
        if status != 303 or not browser.cookie:
            tally.error(f"sign-in {status}")
            return
        status, page, ms = browser.request("GET", f"/portal/booking/{offer_id}")
        tally.add("page", ms)
        if status != 200:
            tally.error(f"page {status}")
            return
        for _attempt in range(TRIES):
            starts = SLOT_RE.findall(page)
            if not starts:
                tally.count("nothing_left")
                return
            start = rng.choice(starts[:10])
            time.sleep(rng.uniform(1.0, 4.0))
            status, confirm, ms = browser.request(
                "GET", f"/portal/booking/{offer_id}/confirm?start={start}")
            tally.add("confirm", ms)
            if status != 200:
                tally.error(f"confirm {status}")
                return
            time.sleep(rng.uniform(0.3, 1.5))
            form = urlencode({"start": start, "longer": "0",
                              "csrf_token": CSRF_RE.search(confirm).group(1)})
            status, page, ms = browser.request("POST", f"/portal/booking/{offer_id}", form)
            tally.add("book", ms)
            if status == 303:
                tally.count("booked")
                return
            if status != 409 or ("just taken" not in page and "hann någon annan" not in page):
                tally.error(f"book {status}")
                return
            tally.count("taken")
        tally.count("gave_up")
    except (OSError, http.client.HTTPException) as exc:
        tally.error(type(exc).__name__)
    finally:
        browser.close()


def overlaps(database_url: str) -> tuple[int, int, int]:
    """After the run: interviewers with overlapping held time, interviewers in two
    scheduled interviews at once, and how many interviews are scheduled."""
    from sqlalchemy import select

    from portal import create_app
    from portal.booking.models import InterviewerHold
    from portal.extensions import db
    from portal.hiring.models import Interview, InterviewStatus, interview_interviewer

    def clashing(rows: Any) -> int:
        people: dict[int, list[tuple[datetime, datetime]]] = {}
        for user_id, start, end in rows:
            people.setdefault(user_id, []).append((start, end))
        bad = 0
        for spans in people.values():
            spans.sort()
            bad += any(a[1] > b[0] for a, b in zip(spans, spans[1:], strict=False))
        return bad

    app = create_app()
    with app.app_context():
        held = clashing(db.session.execute(select(
            InterviewerHold.interviewer_id, InterviewerHold.starts_at,
            InterviewerHold.ends_at)))
        rows = db.session.execute(select(
            interview_interviewer.c.user_id, Interview.starts_at, Interview.duration_minutes)
            .join(Interview, Interview.id == interview_interviewer.c.interview_id)
            .where(Interview.status == InterviewStatus.SCHEDULED.value)).all()
        sitting = clashing((u, s, s + timedelta(minutes=m)) for u, s, m in rows)
        scheduled = len({(s, u) for u, s, _m in rows}) // HTTP_REQUIRED
        db.engine.dispose()
    return held, sitting, scheduled


def http_run(label: str, database_url: str, candidates: int, seconds: int) -> dict[str, Any]:
    """Seed, start gunicorn, let the candidates book, stop, check; the row's figures."""
    import subprocess

    from load import PIN_SERVER, app_env, wait_for

    offers = seed_booking(database_url, candidates)
    port = free_port()
    server = subprocess.Popen(
        [*PIN_SERVER, str(ROOT / ".venv" / "bin" / "gunicorn"),
         "-c", str(ROOT / "bench" / "gunicorn.bench.py"),
         "-b", f"127.0.0.1:{port}", "portal:create_app()"],
        cwd=ROOT, env=app_env(database_url))
    tally = Tally()
    affinity = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    try:
        wait_for(port)
        if affinity is not None and PIN_SERVER and len(affinity) > 1:
            os.sched_setaffinity(0, {max(affinity)})  # the candidates beside the server
        begin = time.monotonic() + 1
        threads = [threading.Thread(target=_candidate, args=(
            port, i, offer_id, token, begin + seconds * i / len(offers), tally))
            for i, (offer_id, token) in enumerate(offers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        if affinity is not None:
            os.sched_setaffinity(0, affinity)
        server.terminate()
        server.wait(10)
    held, sitting, scheduled = overlaps(database_url)
    return {"label": label, "tally": tally, "held_overlaps": held,
            "sitting_overlaps": sitting, "scheduled": scheduled}


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("nan")


def print_http(rows: list[dict[str, Any]], candidates: int, seconds: int) -> None:
    print(f"\nbooking over HTTP: {candidates} candidates with an open offer arriving over "
          f"{seconds} s, any {HTTP_REQUIRED} of {HTTP_POOL} interviewers, gunicorn "
          f"1 worker x 2 threads (target: p95 under 300 ms)")
    print("| database | request | n | p50 ms | p95 ms |")
    print("|---|---|---:|---:|---:|")
    names = {"page": "booking page GET", "confirm": "confirm page GET",
             "book": "booking POST"}
    for row in rows:
        for key, name in names.items():
            times = row["tally"].times[key]
            print(f"| {row['label']} | {name} | {len(times)} | {statistics.median(times):.0f} "
                  f"| {_pct(times, 0.95):.0f} |")
    print("\n| database | booked | just taken | nothing left / gave up | errors "
          "| overlaps (held / scheduled) |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in rows:
        t = row["tally"]
        print(f"| {row['label']} | {t.booked} | {t.taken} | {t.nothing_left} / {t.gave_up} "
              f"| {len(t.errors)} | {row['held_overlaps']} / {row['sitting_overlaps']} |")
        if t.errors:
            print(f"  errors on {row['label']}: {sorted(set(t.errors))}")
        if t.booked != row["scheduled"]:
            print(f"  {row['label']}: {t.booked} booked but {row['scheduled']} scheduled")


def _postgresql(run: Any) -> list[Any]:
    """``run(url)`` on a throwaway PostgreSQL database (dropped afterwards)."""
    import psycopg

    name = f"portal_bench_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        print(f"PostgreSQL skipped: {exc}".splitlines()[0])
        return []
    admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        return run(f"{base}/{name}")
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--skip-postgresql", action="store_true")
    parser.add_argument("--candidates", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--skip-engine", action="store_true")
    parser.add_argument("--skip-http", action="store_true")
    args = parser.parse_args()
    now = datetime(2027, 3, 1, 7, tzinfo=UTC)  # four weeks across the change to summer time
    rows = []
    if not args.skip_engine:
        with tempfile.TemporaryDirectory() as folder:
            rows += run_database("SQLite", f"sqlite:///{folder}/bench.sqlite3", now,
                                 args.repeat)
        if not args.skip_postgresql:
            rows += _postgresql(lambda url: run_database("PostgreSQL", url, now, args.repeat))
        print(f"panel of {len(PANEL)}, {EVENTS} busy events each, {WEEKS} weeks, "
              f"{args.repeat} runs (target: 50 ms)")
        print(f"{'what':<24} {'panel':<13} {'median ms':>10} {'p95 ms':>8} {'slots':>6}")
        for what, panel, median, p95, found in rows:
            print(f"{what:<24} {panel:<13} {median:>10.1f} {p95:>8.1f} {found:>6}")
    if args.skip_http:
        return
    # The booking rows run gunicorn in production mode: after the engine rows, which
    # run the app in this process in test mode.
    http_rows = []
    with tempfile.TemporaryDirectory() as folder:
        http_rows.append(http_run("SQLite", f"sqlite:///{folder}/booking.sqlite3",
                                  args.candidates, args.seconds))
    if not args.skip_postgresql:
        http_rows += _postgresql(lambda url: [http_run("PostgreSQL", url, args.candidates,
                                                       args.seconds)])
    print_http(http_rows, args.candidates, args.seconds)


if __name__ == "__main__":
    main()
