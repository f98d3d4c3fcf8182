"""The portal as a host gets it: a wheel built from what a clean clone holds (through the
sdist, as `python -m build` does), installed in a fresh virtualenv outside the source tree,
and run from another folder with no path back to the source: its `portal` command, its
migrations, its Swedish pages and their CSS, served by gunicorn."""

from __future__ import annotations

import http.cookiejar
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from portal.settings import load_settings
from tests.conftest import csrf_from

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "portal" / "translations" / "sv" / "LC_MESSAGES" / "messages.po"
# What the host's environment must not carry over from the test run or the developer's shell.
DROPPED = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "DATABASE_URL", "SECRET_KEY",
           "SECRET_KEY_FALLBACKS", "UPLOAD_DIR", "REDIS_URL", "RATELIMIT_STORAGE_URI",
           "WEB_CONCURRENCY", "WORKER_IN_PROCESS")

def swedish(msgid: str) -> str:
    """The Swedish the catalog gives for ``msgid``: what an installed page must show."""
    with CATALOG.open("rb") as handle:
        text = read_po(handle).get(msgid).string
    assert text and text != msgid
    return text


def clean_clone(target: Path) -> Path:
    """Copy what a fresh clone of the working tree would hold (tracked files and new ones
    not ignored), so no compiled catalog, instance folder or build left-over comes along."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():  # a tracked file may be deleted in the working tree
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    assert not list(target.rglob("*.mo")), "compiled catalogs must come from the build"
    return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Host:
    """A folder outside the tree with a fresh virtualenv in it; runs its commands there."""

    home: Path
    venv: Path
    env: dict[str, str]
    port: int
    wheel: Path
    sdist: Path

    def run(self, *args: str, stdin: str | None = None, timeout: float = 120) -> str:
        done = subprocess.run([str(self.venv / "bin" / args[0]), *args[1:]], cwd=self.home,
                              env=self.env, input=stdin, capture_output=True, text=True,
                              timeout=timeout)
        assert done.returncode == 0, f"{args}: {done.stdout[-2000:]}{done.stderr[-3000:]}"
        return done.stdout


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Host]:
    """Build, install, migrate and seed once for the checks below (timings on stdout)."""
    base = tmp_path_factory.mktemp("package")
    assert ROOT not in base.parents
    started = time.monotonic()
    source = clean_clone(base / "clone")
    dist = base / "dist"
    built = subprocess.run([sys.executable, "-m", "build", "--outdir", str(dist), str(source)],
                           capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    print(f"build: {time.monotonic() - started:.1f} s")

    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    # The test run's pip installs into the new venv (--python): the same pip, no bootstrap.
    (wheel,) = dist.glob("*.whl")
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
         "--quiet", "--disable-pip-version-check", str(wheel)],
        capture_output=True, text=True, timeout=600)
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]
    print(f"build and install: {time.monotonic() - started:.1f} s")

    home = base / "host"
    home.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in DROPPED and not k.startswith(("PORTAL_", "FLASK_", "GUNICORN_"))}
    parts = [p for p in env.get("PATH", "").split(os.pathsep)
             if p and Path(p).resolve() != (ROOT / ".venv" / "bin").resolve()]
    env["PATH"] = os.pathsep.join([str(venv / "bin"), *parts])
    port = free_port()
    env.update(PORTAL_ENV="development", PORTAL_BASE_URL=f"http://127.0.0.1:{port}",
               GUNICORN_BIND=f"127.0.0.1:{port}", PYTHONDONTWRITEBYTECODE="1")
    yield Host(home, venv, env, port, wheel, next(dist.glob("*.tar.gz")))
    print(f"package test, all in: {time.monotonic() - started:.1f} s")


@pytest.mark.package
def test_the_sdist_carries_the_catalog_sources_and_the_wheel_their_compiled_form(host):
    with tarfile.open(host.sdist) as sdist:
        names = {Path(*Path(n).parts[1:]).as_posix() for n in sdist.getnames()}
    assert "portal/translations/sv/LC_MESSAGES/messages.po" in names
    assert not [n for n in names if n.endswith(".mo")]
    with zipfile.ZipFile(host.wheel) as wheel:
        names = set(wheel.namelist())
    for needed in ("portal/translations/sv/LC_MESSAGES/messages.mo",
                   "portal/templates/base.html", "portal/static/css/portal.css",
                   "portal/migrations/alembic.ini", "portal/migrations/env.py",
                   "portal/migrations/script.py.mako", "portal/gunicorn_conf.py"):
        assert needed in names
    assert [n for n in names if n.startswith("portal/migrations/versions/")]
    assert not [n for n in names if n.endswith((".po", ".pot"))]


@pytest.mark.package
def test_an_installed_portal_runs_from_another_folder(host):
    """From a folder of its own, with the package only in the venv: version, migrations,
    a staff account, demo data, a sign-in link, the worker, and gunicorn serving pages in
    Swedish with their stylesheet."""
    from portal import __version__

    where = host.run("python", "-c", "import portal; print(portal.__file__)").strip()
    assert Path(where).is_relative_to(host.venv), where
    assert host.run("portal", "--version").strip() == f"portal {__version__}"

    host.run("portal", "db", "upgrade")
    # The instance folder of an installed portal is ./instance, not site-packages.
    assert (host.home / "instance" / "portal.sqlite3").is_file()
    password = "a-long-admin-password-1"
    host.run("portal", "create-user", "admin@example.com", "--role", "admin", "--language",
             "sv", stdin=password + "\n")
    demo = json.loads(host.run("portal", "seed-demo", "--json"))
    email = demo["candidates"][0]["email"]
    link = host.run("portal", "magic-link", email).strip()
    assert link.startswith(f"http://127.0.0.1:{host.port}/c/")
    assert "sent" in host.run("portal", "worker", "--once")

    log = host.home / "gunicorn.log"
    with log.open("wb") as out:
        server = subprocess.Popen([str(host.venv / "bin" / "portal"), "serve", "--workers", "1"],
                                  cwd=host.home, env=host.env, stdout=out,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{host.port}"
        wait_until_up(base, server, log)

        login = get(f"{base}/staff/login")
        assert login.status == 200
        page = login.text
        assert '<html lang="sv"' in page
        assert swedish("Sign in") in page
        assert 'href="/static/css/portal.css' in page
        css = get(f"{base}/static/css/portal.css")
        assert css.status == 200
        assert css.headers["Content-Type"].startswith("text/css")
        assert len(css.body) == (ROOT / "portal" / "static" / "css" / "portal.css").stat().st_size

        staff = Browser()
        signed_in = staff.post(f"{base}/staff/login", {
            "email": "admin@example.com", "password": password,
            "csrf_token": csrf_from(staff.open(f"{base}/staff/login").text)})
        assert signed_in.status == 200
        assert signed_in.url.startswith(f"{base}/staff/") and "/login" not in signed_in.url

        candidate = Browser().open(link)  # the link signs in and redirects to the portal
        assert candidate.status == 200
        assert candidate.url == f"{base}/portal/"
        assert '<html lang="sv"' in candidate.text
        assert swedish("Your applications") in candidate.text
        assert "Your applications" not in candidate.text
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


def test_the_instance_folder_holds_the_default_database_uploads_and_demo_secret(
        tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings({"PORTAL_ENV": "development", "PORTAL_INSTANCE_DIR": "data"})
    instance = tmp_path / "data"  # a relative folder is taken from the current one
    assert settings.instance_dir == str(instance)
    assert settings.database_url == f"sqlite:///{instance / 'portal.sqlite3'}"
    assert settings.upload_dir == str(instance / "uploads")
    assert (instance / "secret_key").read_text().strip() == settings.secret_key

    chosen = load_settings({"PORTAL_ENV": "development", "PORTAL_INSTANCE_DIR": "data",
                            "DATABASE_URL": "sqlite:////srv/p.sqlite3", "UPLOAD_DIR": "/srv/up"})
    assert (chosen.database_url, chosen.upload_dir) == ("sqlite:////srv/p.sqlite3", "/srv/up")


def test_a_checkout_keeps_its_instance_folder_at_its_top(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # wherever it is started from
    settings = load_settings({"PORTAL_ENV": "test", "SECRET_KEY": "s" * 40})
    assert settings.instance_dir == str(ROOT / "instance")
    assert settings.database_url == f"sqlite:///{ROOT / 'instance' / 'portal.sqlite3'}"


class Response:
    def __init__(self, status: int, url: str, headers: dict[str, str], body: bytes) -> None:
        self.status, self.url, self.headers, self.body = status, url, headers, body
        self.text = body.decode("utf-8", "replace")


def _answer(opener: urllib.request.OpenerDirector, request: urllib.request.Request | str
            ) -> Response:
    try:
        with opener.open(request, timeout=15) as answer:
            return Response(answer.status, answer.url, dict(answer.headers), answer.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, error.url, dict(error.headers), error.read())


def get(url: str) -> Response:
    return _answer(urllib.request.build_opener(), url)


class Browser:
    """Just enough of a browser: cookies, redirects, forms."""

    def __init__(self) -> None:
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def open(self, url: str) -> Response:
        return _answer(self.opener, url)

    def post(self, url: str, form: dict[str, str]) -> Response:
        request = urllib.request.Request(  # noqa: S310  (http:// to the server we started)
            url, data=urllib.parse.urlencode(form).encode(), method="POST")
        return _answer(self.opener, request)


def wait_until_up(base: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"gunicorn exited ({server.returncode}): {log.read_text()[-3000:]}")
        try:
            if get(f"{base}/healthz").status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer within 60 s: {log.read_text()[-3000:]}")
