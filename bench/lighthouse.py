"""Lighthouse on every page a candidate, a referee or a talent-pool member reaches, and the
public job pages: mobile emulation (Lighthouse's default), served the way production serves
them (gunicorn from the venv, gzip on), three runs a page, the first counted.

Run by hand:  .venv/bin/python bench/lighthouse.py [--runs 3] [--only interview]
Needs Node 20 and npm: Lighthouse 12 is installed into LIGHTHOUSE_DIR (default
~/.cache/portal-lighthouse, outside the checkout) the first time. Chromium at CHROME_PATH
(default /usr/bin/chromium).

Seeds demo-like data on a fresh SQLite database (tests/browser/demo_pages.py: the demo seed
plus an open reference request and a talent-pool invitation), signs each candidate in through
their real link, finds their pages by following links as the browser tests do, and measures
one page of each kind. Prints one table; the targets: performance 95 or more on every run,
accessibility and best practices 100, a first load under 35 KB compressed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from _common import free_port

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
LIGHTHOUSE_DIR = Path(os.environ.get("LIGHTHOUSE_DIR",
                                     Path.home() / ".cache" / "portal-lighthouse"))
CHROME_PATH = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CHROME_FLAGS = ("--headless=new --no-sandbox --disable-gpu --disable-background-networking "
                "--disable-component-update --disable-sync --no-first-run")
SECRET = secrets.token_urlsafe(48)
BUDGET = 35 * 1024
LINK = re.compile(r'href="([^"]+)"')


def lighthouse() -> Path:
    """The Lighthouse 12 command, installed with npm into LIGHTHOUSE_DIR when missing."""
    binary = LIGHTHOUSE_DIR / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        if not shutil.which("npm"):
            sys.exit("npm is not installed (Node 20 and npm are needed for Lighthouse)")
        LIGHTHOUSE_DIR.mkdir(parents=True, exist_ok=True)
        if not (LIGHTHOUSE_DIR / "package.json").exists():
            (LIGHTHOUSE_DIR / "package.json").write_text('{"private": true}\n')
        print(f"installing Lighthouse 12 into {LIGHTHOUSE_DIR} ...", file=sys.stderr)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "lighthouse@12"],
                       cwd=LIGHTHOUSE_DIR, check=True, stdout=subprocess.DEVNULL)
    return binary


def app_env(database_url: str, port: int) -> dict[str, str]:
    return {**os.environ, "PORTAL_ENV": "production", "SECRET_KEY": SECRET,
            "DATABASE_URL": database_url, "MAIL_BACKEND": "database",
            "PORTAL_BASE_URL": "https://jobs.example.com",
            "MAIL_FROM": "Rekrytering <no-reply@jobs.example.com>",
            "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "1"}


def seed(database_url: str, port: int) -> tuple[object, dict[str, str]]:
    """Migrate and add the demo-like data; (links, public pages by name)."""
    os.environ.update(app_env(database_url, port))
    from flask_migrate import upgrade
    from sqlalchemy import select

    from portal import create_app
    from portal.extensions import db
    from portal.hiring.models import Opening
    from tests.browser.demo_pages import make_demo

    app = create_app()
    with app.app_context():
        upgrade()
        with app.test_request_context("/"):
            links = make_demo(db.session, app.config["PORTAL"])
        opening = db.session.scalar(select(Opening).where(Opening.published.is_(True))
                                    .order_by(Opening.id))
        public = {}
        if opening is not None:
            public = {"/jobs/N": f"/jobs/{opening.id}",
                      "/jobs/N/thanks": f"/jobs/{opening.id}/thanks",
                      "/jobs/privacy": "/jobs/privacy"}
        db.engine.dispose()
    return links, public


def wait_for(port: int, timeout: float = 90) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


class Visitor:
    """One person's cookies over plain HTTP (the production cookies are Secure, which a
    cookie jar would keep to HTTPS), following redirects."""

    def __init__(self, port: int, lang: str = "sv") -> None:
        self.port = port
        self.lang = lang
        self.cookies: dict[str, str] = {}

    @property
    def header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def get(self, path: str) -> tuple[int, str, str]:
        """(status, final path, body)."""
        for _hop in range(5):
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            headers = {"Accept-Language": self.lang}
            if self.cookies:
                headers["Cookie"] = self.header
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read().decode("utf-8", "replace")
            for cookie in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = cookie.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            conn.close()
            if response.status in (301, 302, 303, 307, 308):
                location = urlsplit(response.getheader("Location", "/"))
                path = location.path + (f"?{location.query}" if location.query else "")
                continue
            return response.status, path, body
        raise RuntimeError(f"too many redirects from {path}")


def find_pages(port: int, links: object, public: dict[str, str]) -> list[tuple[str, str, str]]:
    """(kind, path, Cookie header) for one page of each kind, in the order first met."""
    from tests.browser.demo_pages import follow, page_kind

    pages: dict[str, tuple[str, str]] = {}
    starts = [*links.candidates, ("referee", links.referee),
              ("pool", links.pool_extend), ("unsubscribe", links.pool_unsubscribe)]
    for _who, start in starts:
        visitor = Visitor(port)
        status, landed, _body = visitor.get(start)
        todo, seen = [landed], set()
        while todo:
            path = todo.pop(0)
            if path in seen:
                continue
            seen.add(path)
            status, path, body = visitor.get(path)
            if status != 200:
                continue
            pages.setdefault(page_kind(path), (path, visitor.header))
            hrefs = [h.replace("&amp;", "&") for h in LINK.findall(body)]
            todo.extend(h for h in follow(hrefs) if h not in seen)
    pages.setdefault("/portal/link", ("/portal/link?reason=expired", ""))
    for name, path in public.items():
        pages.setdefault(name, (path, ""))
    return [(k, path, cookie) for k, (path, cookie) in pages.items()]


def run_lighthouse(binary: Path, url: str, cookie: str, out: Path) -> dict:
    headers = {"Accept-Language": "sv"}
    if cookie:
        headers["Cookie"] = cookie
    env = {**os.environ, "CHROME_PATH": CHROME_PATH, "TZ": "Europe/Stockholm"}
    for attempt in range(2):  # Chrome now and then fails to start on a busy machine
        done = subprocess.run(
            [str(binary), url, "--quiet", "--output=json", f"--output-path={out}",
             "--only-categories=performance,accessibility,best-practices",
             # Unscored extras that cost seconds a run: leaving the page and coming back,
             # and screenshots.
             "--skip-audits=bf-cache,screenshot-thumbnails,final-screenshot",
             "--disable-full-page-screenshot",
             f"--chrome-flags={CHROME_FLAGS}", f"--extra-headers={json.dumps(headers)}"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if done.returncode == 0:
            break
        if attempt:
            raise RuntimeError(f"Lighthouse failed on {url}: {done.stderr[-2000:]}")
    report = json.loads(out.read_text())
    cats, audits = report["categories"], report["audits"]
    failed = sorted(
        a for cat in ("accessibility", "best-practices")
        for a in (ref["id"] for ref in cats[cat]["auditRefs"] if ref.get("weight", 0) > 0)
        if audits[a].get("score") is not None and audits[a]["score"] < 1)
    if report.get("runtimeError"):
        failed.append(f"runtime error: {report['runtimeError'].get('code')}")
    return {
        "performance": round(100 * (cats["performance"]["score"] or 0)),
        "accessibility": round(100 * (cats["accessibility"]["score"] or 0)),
        "best": round(100 * (cats["best-practices"]["score"] or 0)),
        "tbt": audits["total-blocking-time"]["numericValue"],
        "index": report["environment"]["benchmarkIndex"],
        "bytes": audits["total-byte-weight"]["numericValue"],
        "failed": failed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default="", help="measure only kinds containing this text")
    parser.add_argument("--reports", type=Path, help="keep each run's JSON report here")
    args = parser.parse_args()
    if not Path(CHROME_PATH).exists():
        sys.exit(f"no Chromium at {CHROME_PATH} (set CHROME_PATH)")
    binary = lighthouse()
    workdir = Path(tempfile.mkdtemp(prefix="portal-lighthouse-"))
    port = free_port()
    database_url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    links, public = seed(database_url, port)
    log = (workdir / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", "python:portal.gunicorn_conf",
         "portal:create_app()"],
        cwd=ROOT, env=app_env(database_url, port), stdout=log, stderr=subprocess.STDOUT)
    rows = []
    try:
        wait_for(port)
        pages = [p for p in find_pages(port, links, public) if args.only in p[0]]
        print(f"{len(pages)} kinds of page, {args.runs} runs each", file=sys.stderr)
        for name, path, cookie in pages:
            runs = []
            for number in range(args.runs):
                out = workdir / "report.json"
                if args.reports:
                    args.reports.mkdir(parents=True, exist_ok=True)
                    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "page"
                    out = args.reports / f"{slug}-{number + 1}.json"
                runs.append(run_lighthouse(binary, f"http://127.0.0.1:{port}{path}", cookie,
                                           out))
            rows.append((name, runs))
            print(f"  {name}: {[r['performance'] for r in runs]}", file=sys.stderr)
    except Exception:
        log.flush()
        print((workdir / "gunicorn.log").read_text()[-3000:], file=sys.stderr)
        raise
    finally:
        server.terminate()
        server.wait(10)
        log.close()
        shutil.rmtree(workdir, ignore_errors=True)

    version = subprocess.run([str(binary), "--version"], capture_output=True,
                             text=True).stdout.strip()
    indexes = sorted(r["index"] for _name, runs in rows for r in runs) or [0]
    print(f"\nLighthouse {version}, mobile emulation, {args.runs} runs a page (the first "
          f"counted; performance: every run), gunicorn 1 worker, compression on; "
          f"Lighthouse's CPU benchmark index {indexes[len(indexes) // 2]:.0f} (median; lower "
          f"when the machine is busier), load average {os.getloadavg()[0]:.1f} at the end")
    print("| page | performance (runs) | accessibility | best practices | TBT ms | "
          "KB transferred | meets targets | failing audits |")
    print("|---|---:|---:|---:|---:|---:|---|---|")
    misses = 0
    for name, runs in rows:
        first = runs[0]
        ok = (min(r["performance"] for r in runs) >= 95 and first["accessibility"] == 100
              and first["best"] == 100 and first["bytes"] < BUDGET)
        misses += not ok
        print(f"| {name} | {' / '.join(str(r['performance']) for r in runs)} | "
              f"{first['accessibility']} | {first['best']} | {first['tbt']:.0f} | "
              f"{first['bytes'] / 1024:.1f} | {'yes' if ok else 'NO'} | "
              f"{', '.join(first['failed']) or ''} |")
    print(f"\n{len(rows) - misses} of {len(rows)} pages meet every target")


if __name__ == "__main__":
    main()
