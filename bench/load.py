"""Load benchmark: the candidate interview page (with a real candidate session) against a
floor page of the same app (same base layout, no database work), on SQLite and PostgreSQL,
with and without 100,000 other candidates and their interviews in the database.

Run by hand:  .venv/bin/python bench/load.py [--seconds 10] [--others 100000]
Needs wrk (Debian: apt-get install wrk) and, for the PostgreSQL rows, a server reachable at
TEST_PG_ADMIN_URL (default postgresql://postgres@127.0.0.1:5432/postgres).
Prints one table; the targets are: interview page >= 40 % of the floor, no errors at 32
connections, and the ratio within 20 % with 100,000 others.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from _common import add_others

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL",
                              "postgresql://postgres@127.0.0.1:5432/postgres")
SECRET = secrets.token_urlsafe(48)
# One core for the server, one for wrk: on a 2-core machine the two otherwise fight over
# both cores and the figures swing twofold from run to run.
PIN_SERVER = ["taskset", "-c", "0"] if shutil.which("taskset") else []
PIN_CLIENT = ["taskset", "-c", "1"] if shutil.which("taskset") else []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def app_env(database_url: str) -> dict[str, str]:
    return {**os.environ, "PORTAL_ENV": "production", "SECRET_KEY": SECRET,
            "DATABASE_URL": database_url, "MAIL_BACKEND": "database",
            "PORTAL_BASE_URL": "https://jobs.example.com",
            "MAIL_FROM": "Rekrytering <no-reply@jobs.example.com>"}


def seed(database_url: str, others: int) -> tuple[str, int]:
    """Migrate, add the measured candidate and ``others`` more; return (token, interview id)."""
    os.environ.update(app_env(database_url))
    from flask_migrate import upgrade

    from portal import create_app
    from portal.accounts.services import create_user
    from portal.extensions import db
    from portal.hiring import services
    from portal.links.services import issue_link
    from portal.process import lifecycle
    from portal.timeutil import utcnow

    app = create_app()
    with app.app_context():
        upgrade()
        actor = create_user(db.session, email="bench@example.com", name="Bench",
                            password=secrets.token_urlsafe(16), role="admin")
        opening = services.create_opening(db.session, actor, services.OpeningData(
            title="Backend developer", team="Platform", description="", language="en"))
        panel = [create_user(db.session, email=f"iv{i}@example.com", name=f"Interviewer {i}",
                             password=secrets.token_urlsafe(16), role="interviewer")
                 for i in range(2)]
        candidate = services.create_candidate(db.session, actor, services.CandidateData(
            name="Anna Andersson", email="anna@example.com", phone="", language="sv",
            timezone="Europe/Stockholm"))
        application = lifecycle.apply(db.session, actor, candidate, opening)
        interview = lifecycle.schedule(db.session, app.config["PORTAL"], actor, application,
                                       services.InterviewData(
            round_name="First interview", starts_at=utcnow() + timedelta(days=2),
            duration_minutes=45, platform="zoom", meeting_url="https://zoom.us/j/98765432101",
            what_to_expect="You meet the team.", preparation="Test your sound.",
            interviewer_ids=[u.id for u in panel]))
        _link, token = issue_link(db.session, app.config["PORTAL"], candidate)
        db.session.commit()
        interview_id = interview.id
        stage_id = opening.stages[2].id
        add_others(db.session, opening.id, stage_id, others)
        db.engine.dispose()
    return token, interview_id


def wait_for(port: int, timeout: float = 20) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def session_cookie(port: int, token: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", f"/c/{token}")
    response = conn.getresponse()
    cookie = response.getheader("Set-Cookie", "")
    conn.close()
    match = re.search(r"portal_session=([^;]+)", cookie)
    if response.status != 303 or not match:
        raise RuntimeError(f"sign-in failed: {response.status}")
    return f"portal_session={match.group(1)}"


def wrk(url: str, cookie: str, seconds: int, connections: int) -> tuple[float, int]:
    out = subprocess.run(
        [*PIN_CLIENT, "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-H", f"Cookie: {cookie}",
         "-H", "Accept-Language: sv", url],
        capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = 0
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors += int(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        errors += sum(int(x) for x in m.groups())
    return rps, errors


def measure(label: str, database_url: str, others: int, seconds: int) -> list[tuple]:
    token, interview_id = seed(database_url, others)
    port = free_port()
    server = subprocess.Popen(
        [*PIN_SERVER, str(ROOT / ".venv" / "bin" / "gunicorn"),
         "-c", str(ROOT / "bench" / "gunicorn.bench.py"),
         "-b", f"127.0.0.1:{port}", "portal:create_app()"],
        cwd=ROOT, env=app_env(database_url))
    try:
        wait_for(port)
        cookie = session_cookie(port, token)
        base = f"http://127.0.0.1:{port}"
        wrk(f"{base}/portal/about", cookie, 2, 32)  # warm up both paths
        wrk(f"{base}/portal/interviews/{interview_id}", cookie, 2, 32)
        floor, floor_err = wrk(f"{base}/portal/about", cookie, seconds, 32)
        page, page_err = wrk(f"{base}/portal/interviews/{interview_id}", cookie, seconds, 32)
    finally:
        server.terminate()
        server.wait(10)
    return [(label, others, floor, page, page / floor, floor_err + page_err)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--others", type=int, default=100_000)
    parser.add_argument("--skip-postgresql", action="store_true")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk)")
    rows = []
    workdir = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    for others in (0, args.others):
        rows += measure("SQLite", f"sqlite:///{workdir / f'bench-{others}.sqlite3'}", others,
                        args.seconds)
    if not args.skip_postgresql:
        import psycopg

        for others in (0, args.others):
            name = f"portal_bench_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{name}"')
            url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
            try:
                rows += measure("PostgreSQL", url, others, args.seconds)
            finally:
                with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    shutil.rmtree(workdir, ignore_errors=True)

    print(f"\n32 connections, {args.seconds} s each, gunicorn 1 worker x 2 threads pinned to "
          f"one core, wrk on another ({os.cpu_count()} cores)")
    print("| database | other candidates | floor req/s | interview req/s | ratio | errors |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, others, floor, page, ratio, errors in rows:
        print(f"| {label} | {others:,} | {floor:,.0f} | {page:,.0f} | {ratio:.0%} | {errors} |")


if __name__ == "__main__":
    main()
