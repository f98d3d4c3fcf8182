"""The pipeline board of an opening with 2,000 applications, on SQLite and PostgreSQL: the
board page (its first 50 cards a column), and a move of one card as the board makes it
(htmx, answered with out-of-band swaps of the card and the two counts), timed over 50 moves
through the Flask test client (in process: no network, the whole request and its commit).

Run by hand:  .venv/bin/python bench/board.py [sqlite] [postgresql]
PostgreSQL is reached at PG_ADMIN_URL (default postgresql://postgres@127.0.0.1:5432/postgres);
the bench makes and drops its own database.
"""

from __future__ import annotations

import multiprocessing
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from _common import bench_app, vacuum  # noqa: E402

APPLICATIONS = 2_000
MOVES = 50
PASSWORD = "bench board password"  # noqa: S105 (a throwaway account in a throwaway database)


def seed(db) -> tuple[int, list]:  # noqa: ANN001
    """A recruiter, one opening with the default stages, 2,000 candidates spread over its
    open stages (most of them still in "Applied")."""
    from sqlalchemy import insert
    from werkzeug.security import generate_password_hash

    from portal.accounts.models import User
    from portal.hiring import services
    from portal.hiring.models import Application, Candidate
    from portal.timeutil import utcnow

    recruiter = User(email="bench@example.com", name="Bench Recruiter", role="recruiter",
                     language="en", password_hash=generate_password_hash(PASSWORD))
    db.session.add(recruiter)
    db.session.flush()
    opening = services.create_opening(db.session, recruiter, services.OpeningData(
        title="Backend developer", team="Platform", description="", language="en"))
    db.session.flush()
    open_stages = [s for s in opening.stages if not s.is_end]
    now = utcnow()
    ids = list(db.session.execute(insert(Candidate).returning(Candidate.id), [
        {"name": f"Candidate {n}", "email": f"c{n}@example.com", "phone": "",
         "language": "sv" if n % 2 else "en", "timezone": "Europe/Stockholm",
         "timezone_source": "recruiter", "created_at": now} for n in range(APPLICATIONS)]
    ).scalars())
    db.session.execute(insert(Application), [
        {"candidate_id": cid, "opening_id": opening.id,
         "stage_id": (open_stages[0] if n % 3 else open_stages[n % len(open_stages)]).id,
         "created_at": now, "updated_at": now} for n, cid in enumerate(ids)])
    db.session.commit()
    return opening.id, open_stages


def run(backend: str) -> tuple:
    from portal.hiring.models import Application

    with bench_app(backend, "portal-boardbench-", RATELIMIT_ENABLED=False) as (app, db):
        with app.app_context():
            opening_id, stages = seed(db)
            vacuum(db)
            applied, screening = stages[0].id, stages[1].id
        client = app.test_client()
        page = client.get("/staff/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        client.post("/staff/login", data={"email": "bench@example.com", "password": PASSWORD,
                                          "csrf_token": token})
        board_times = []
        for _ in range(5):
            began = time.perf_counter()
            board = client.get(f"/staff/openings/{opening_id}")
            board_times.append((time.perf_counter() - began) * 1000)
        assert board.status_code == 200, board.status_code
        token = re.search(r'name="csrf-token" content="([^"]+)"', board.text).group(1)
        moving = [int(i) for i in re.findall(r'id="app-(\d+)"', board.text)]
        with app.app_context():
            moving = [i for i in moving if db.session.get(Application, i).stage_id == applied]
        samples, sizes = [], []
        for application_id in moving[:MOVES]:
            began = time.perf_counter()
            response = client.post(
                f"/staff/applications/{application_id}/move",
                data={"stage_id": str(screening), "from_stage": str(applied)},
                headers={"HX-Request": "true", "HX-Target": f"app-{application_id}",
                         "X-CSRFToken": token})
            samples.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200, response.status_code
            sizes.append(len(response.data))
        samples.sort()
        p95 = samples[int(len(samples) * 0.95) - 1]
        row = (backend, len(board.data), statistics.median(board_times),
               statistics.median(samples), p95, max(sizes), len(samples))
        print(f"  {backend}: move p50 {row[3]:.1f} ms, p95 {p95:.1f} ms, "
              f"{max(sizes):,} bytes", flush=True)
        return row


def main() -> None:
    backends = [a for a in sys.argv[1:] if a in ("sqlite", "postgresql")] or [
        "sqlite", "postgresql"]
    # Each database in a process of its own: the app is built once per process.
    spawn = multiprocessing.get_context("spawn")
    rows = []
    for backend in backends:
        with spawn.Pool(1) as pool:
            rows.append(pool.apply(run, (backend,)))
    print()
    print(f"| database | board page ({APPLICATIONS:,} applications) | board ms | "
          "move p50 ms | move p95 ms | move response |")
    print("|---|---:|---:|---:|---:|---:|")
    for backend, board_bytes, board_ms, p50, p95, size, _n in rows:
        print(f"| {backend} | {board_bytes / 1024:.0f} KB | {board_ms:.0f} | {p50:.1f} | "
              f"{p95:.1f} | {size / 1024:.1f} KB |")


if __name__ == "__main__":
    main()
