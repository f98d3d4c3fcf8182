"""The deployment examples in deploy/ are accepted by the tools that read them (systemd,
HAProxy), do what the README says, and agree with the settings the portal reads: the
systemd units pass `systemd-analyze verify` (an unknown directive fails) and its offline
security review, their commands start this code, and portal.env.example names every
setting load_settings reads and is itself a configuration production accepts.

The tools are found on the machine; without one the test is skipped on a laptop and
fails when CI is set."""

from __future__ import annotations

import ast
import grp
import os
import pwd
import re
import secrets
import shlex
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from portal.settings import Settings, load_settings
from tests.conftest import _unavailable

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
UNITS = ("portal-web.service", "portal-worker.service")
VENV_BIN = "/opt/portal/venv/bin/"
ENV_FILE = "/etc/portal/portal.env"
ASSIGNMENT = re.compile(r"^(#?)\s*([A-Z][A-Z0-9_]*)=(.*)$")


def _tool(name: str) -> str:
    path = shutil.which(name, path=os.pathsep.join(
        [os.environ.get("PATH", ""), "/usr/sbin", "/sbin", "/usr/bin"]))
    if path is None:
        _unavailable(name)
    return str(path)


def _unit(name: str) -> dict[str, dict[str, list[str]]]:
    """A unit file as {section: {directive: [values in order]}}."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for line in (DEPLOY / "systemd" / name).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
        else:
            key, _, value = line.partition("=")
            current.setdefault(key.strip(), []).append(value.strip())
    return sections


def _env_example(include_commented: bool = False) -> dict[str, str]:
    """portal.env.example as systemd's EnvironmentFile= reads it (one pair of double quotes
    around a value removed); with ``include_commented`` the commented examples too."""
    values: dict[str, str] = {}
    for line in (DEPLOY / "portal.env.example").read_text().splitlines():
        match = ASSIGNMENT.match(line)
        if match and (include_commented or not match.group(1)):
            value = match.group(3)
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            values[match.group(2)] = value
    return values


def _production_env(tmp_path: Path) -> dict[str, str]:
    """The example as a host fills it in: a real secret; SQLite so nothing connects."""
    env = _env_example()
    assert env["SECRET_KEY"] == "", "the example must not ship a usable secret"
    return {**env, "SECRET_KEY": secrets.token_urlsafe(48),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}"}


# ---------------------------------------------------------------- systemd


def _units_for_verify(tmp_path: Path, extra: str = "") -> list[Path]:
    """Copies of the units whose ExecStart programs exist: systemd-analyze verify refuses a
    unit whose program is missing, and /opt/portal/venv is not on this machine. Only the
    directory of the venv's programs changes; ``extra`` is added to [Service]."""
    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    copies = []
    for name in UNITS:
        text = (DEPLOY / "systemd" / name).read_text()
        for program in set(re.findall(re.escape(VENV_BIN) + r"([\w.-]+)", text)):
            stub = bin_dir / program
            stub.write_text("#!/bin/sh\nexit 0\n")
            stub.chmod(0o755)
        moved = text.replace(VENV_BIN, f"{bin_dir}/")
        assert moved != text
        copy = tmp_path / name
        copy.write_text(moved.replace("[Service]\n", f"[Service]\n{extra}", 1))
        copies.append(copy)
    return copies


def _verify(tmp_path: Path, extra: str = "") -> tuple[int, list[str]]:
    """systemd-analyze verify's exit status and what it said about our units (it only
    warns, exit status 0, on an unknown directive)."""
    tool = _tool("systemd-analyze")
    copies = _units_for_verify(tmp_path, extra)
    run = subprocess.run([tool, "verify", *map(str, copies)], capture_output=True,
                         text=True, timeout=120, cwd=tmp_path)
    said = [line for line in (run.stdout + run.stderr).splitlines()
            if any(copy.name in line for copy in copies)]
    return run.returncode, said


def test_the_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    assert _verify(tmp_path) == (0, [])


def test_verify_as_run_here_catches_an_unknown_directive(tmp_path: Path) -> None:
    """The check above would notice a misspelt or unsupported directive."""
    status, said = _verify(tmp_path, extra="ProtectSytem=strict\n")
    assert any("ProtectSytem" in line for line in said), said


def test_the_units_are_hardened(tmp_path: Path) -> None:
    """systemd's offline security review: exposure at most 2.5 of 10 (these units score
    1.4 on systemd 252; the margin is for checks later versions add)."""
    tool = _tool("systemd-analyze")
    copies = _units_for_verify(tmp_path)
    run = subprocess.run([tool, "security", "--offline=true", "--threshold=25",
                          "--no-pager", *map(str, copies)],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr
    for name in UNITS:
        service = _unit(name)["Service"]
        assert service["User"][0] not in ("", "root", "0")
        assert service["EnvironmentFile"] == [ENV_FILE]
        for directive, value in (("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"),
                                 ("PrivateTmp", "yes"), ("Restart", "on-failure")):
            assert service[directive] == [value], (name, directive)


def test_the_units_may_write_the_upload_folder_the_example_sets() -> None:
    upload_dir = _env_example()["UPLOAD_DIR"]
    for name in UNITS:
        writable = " ".join(_unit(name)["Service"]["ReadWritePaths"]).split()
        assert upload_dir in writable, name


def _seconds(value: str) -> int:
    match = re.fullmatch(r"(\d+)\s*(s|sec|min)?", value)
    assert match, f"unexpected time span {value!r}"
    return int(match.group(1)) * (60 if match.group(2) == "min" else 1)


def test_the_worker_is_given_time_to_finish_a_slow_smtp_conversation() -> None:
    """On SIGTERM the worker finishes the message in hand, up to SMTP_TIMEOUT; a SIGKILL
    before that leaves its batch claimed for 10 minutes."""
    service = _unit("portal-worker.service")["Service"]
    assert service["KillSignal"] == ["SIGTERM"]
    smtp_timeout = max(Settings.smtp_timeout,
                       int(_env_example(include_commented=True).get("SMTP_TIMEOUT", 0)))
    assert _seconds(service["TimeoutStopSec"][0]) > smtp_timeout


def _local_command(exec_start: str) -> list[str]:
    """A unit's ExecStart run with this checkout's Python instead of /opt/portal/venv."""
    argv = shlex.split(exec_start)
    assert argv[0].startswith(VENV_BIN), argv
    program = argv[0].removeprefix(VENV_BIN)
    assert program in ("gunicorn", "portal"), argv
    return [sys.executable, "-m", program, *argv[1:]]


def test_the_web_unit_starts_gunicorn_with_the_packaged_config(tmp_path: Path) -> None:
    """gunicorn reads the config module and builds the app the unit names, under the
    example's production settings."""
    [exec_start] = _unit("portal-web.service")["Service"]["ExecStart"]
    argv = _local_command(exec_start)
    run = subprocess.run([*argv[:3], "--check-config", *argv[3:]], capture_output=True,
                         text=True, timeout=120, cwd=tmp_path, env=_production_env(tmp_path))
    assert run.returncode == 0, run.stdout + run.stderr
    broken = [*argv[:3], "--check-config", *argv[3:-1], "portal:no_such_factory()"]
    assert subprocess.run(broken, capture_output=True, timeout=120, cwd=tmp_path,
                          env=_production_env(tmp_path)).returncode != 0


def test_the_worker_unit_runs_a_portal_command(tmp_path: Path) -> None:
    [exec_start] = _unit("portal-worker.service")["Service"]["ExecStart"]
    argv = _local_command(exec_start)
    run = subprocess.run([*argv, "--help"], capture_output=True, text=True, timeout=120,
                         cwd=tmp_path, env=_production_env(tmp_path))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "--once" in run.stdout  # the worker's own help, not the group's


# ---------------------------------------------------------------- the settings example


def _names_in_calls(path: Path, receiver: str) -> set[str]:
    """String constants given as the first argument to ``<receiver>.get(...)``."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "get" and ast.unparse(node.func.value) == receiver
                and node.args and isinstance(node.args[0], ast.Constant)):
            names.add(node.args[0].value)
    return names


def _settings_names() -> set[str]:
    """Every environment variable portal/settings.py reads: each name-shaped string
    constant in it (read through env.get, _int, _address or a table of names)."""
    path = ROOT / "portal" / "settings.py"
    constants = {node.value for node in ast.walk(ast.parse(path.read_text()))
                 if isinstance(node, ast.Constant) and isinstance(node.value, str)
                 and re.fullmatch(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+", node.value)}
    return constants | _names_in_calls(path, "env")


def test_the_env_example_names_every_setting_the_portal_reads() -> None:
    example = set(_env_example(include_commented=True))
    read = _settings_names()
    assert {"SECRET_KEY", "PORTAL_BASE_URL", "MAIL_REPLY_TO"} <= read  # the parse works
    missing = read - example
    assert not missing, f"add to deploy/portal.env.example: {sorted(missing)}"
    gunicorn = _names_in_calls(ROOT / "portal" / "gunicorn_conf.py", "os.environ")
    unknown = example - read - gunicorn
    assert not unknown, f"read by nothing: {sorted(unknown)}"


def test_the_env_example_lists_each_setting_once() -> None:
    names = [m.group(2) for line in (DEPLOY / "portal.env.example").read_text().splitlines()
             if (m := ASSIGNMENT.match(line))]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


def test_the_env_example_is_a_configuration_production_accepts(tmp_path: Path) -> None:
    """Filled in with a secret, as it is and with every commented example switched on."""
    env = _production_env(tmp_path)
    settings = load_settings(env)
    assert settings.is_production
    assert settings.base_url == env["PORTAL_BASE_URL"]
    everything = {**_env_example(include_commented=True), **env}
    assert load_settings(everything).mail_reply_to == everything["MAIL_REPLY_TO"]


# ---------------------------------------------------------------- the TLS proxy


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def echo_backend() -> Iterator[int]:
    """An HTTP server that answers with the request headers it received (gunicorn's
    stand-in: what the app would be told)."""

    def app(environ, start_response):  # type: ignore[no-untyped-def]
        body = "\n".join(f"{k}: {v}" for k, v in sorted(environ.items())
                         if k.startswith("HTTP_")).encode()
        start_response("200 OK", [("Content-Type", "text/plain"),
                                  ("Content-Length", str(len(body)))])
        return [body]

    server = make_server("127.0.0.1", 0, app, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    server.server_close()


def _haproxy_config(tmp_path: Path, backend: int, http: int, https: int) -> Path:
    """The example with what belongs to a host replaced: a self-signed certificate, the
    ports, the backend's address, this machine's user, and the log sent to stdout."""
    openssl = _tool("openssl")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=jobs.example.com", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=120)
    pem = tmp_path / "site.pem"
    pem.write_text(cert.read_text() + key.read_text())
    text = (DEPLOY / "haproxy.cfg.example").read_text()
    replacements = {
        "crt /etc/haproxy/certs/jobs.example.com.pem": f"crt {pem}",
        "bind :443 ": f"bind 127.0.0.1:{https} ",
        "bind :80\n": f"bind 127.0.0.1:{http}\n",
        "server web1 127.0.0.1:8000 ": f"server web1 127.0.0.1:{backend} ",
        "log /dev/log local0": "log stdout format raw local0",
        "user haproxy": f"user {pwd.getpwuid(os.getuid()).pw_name}",
        "group haproxy": f"group {grp.getgrgid(os.getgid()).gr_name}",
    }
    for old, new in replacements.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    config = tmp_path / "haproxy.cfg"
    config.write_text(text)
    return config


def test_the_haproxy_example_passes_the_client_scheme_and_a_request_id(
        tmp_path: Path, echo_backend: int) -> None:
    haproxy = _tool("haproxy")
    http, https = _free_port(), _free_port()
    config = _haproxy_config(tmp_path, echo_backend, http, https)
    check = subprocess.run([haproxy, "-c", "-f", str(config)], capture_output=True,
                           text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr
    log = tmp_path / "haproxy.log"
    with log.open("w") as out:
        proxy = subprocess.Popen([haproxy, "-db", "-f", str(config)], stdout=out,
                                 stderr=subprocess.STDOUT)
    try:
        context = ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))
        context.check_hostname = False
        token = "a" * 43
        request = urllib.request.Request(
            f"https://127.0.0.1:{https}/c/{token}?next=/portal",
            headers={"X-Forwarded-For": "192.0.2.66", "X-Forwarded-Proto": "http",
                     "X-Request-ID": "chosen-by-the-client"})
        deadline = time.monotonic() + 30
        while True:
            try:
                response = urllib.request.urlopen(  # noqa: S310  (an https:// URL built here)
                    request, context=context, timeout=10)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        with response:
            heard = dict(line.split(": ", 1) for line in response.read().decode().splitlines())
        assert heard["HTTP_X_FORWARDED_PROTO"] == "https"
        # The proxy's entry is the last one: what TRUSTED_PROXIES=1 believes.
        assert heard["HTTP_X_FORWARDED_FOR"].replace(" ", "").endswith(",127.0.0.1")
        request_id = heard["HTTP_X_REQUEST_ID"]
        assert request_id != "chosen-by-the-client" and len(request_id) >= 32
        assert response.headers["X-Request-ID"] == request_id
        plain = urllib.request.Request(f"http://127.0.0.1:{http}/staff/login")
        with pytest.raises(urllib.request.HTTPError) as redirected:
            urllib.request.build_opener(_NoRedirect).open(plain, timeout=10)
        redirected.value.close()
        assert redirected.value.code == 301
        assert redirected.value.headers["Location"].startswith("https://")
    finally:
        proxy.terminate()
        proxy.wait(timeout=30)
    logged = log.read_text()
    assert "/c/[redacted]" in logged and request_id in logged
    assert token not in logged


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None
