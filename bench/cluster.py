"""Cluster benchmark: two application hosts, each in its own network namespace, share one
PostgreSQL and one Redis behind haproxy, and nothing is lost or doubled.

Run by hand, as root, on a machine with haproxy, wrk, redis-server, iproute2 and a local
PostgreSQL (Debian: apt-get install haproxy wrk redis-server):

    sudo .venv/bin/python bench/cluster.py [--seconds 10] [--others 100000]
         [--messages 10000] [--host-cpu 0.4] [--keep]

It takes 3 to 6 minutes (the wheel's dependencies come from the package index, or pip's
cache). What it does, in order:

1. Builds a wheel of the portal from a copy of the source tree and installs it (with the
   ``redis`` extra) into a fresh virtualenv in a temporary directory. Every server process
   below runs from that venv with its working directory in the temporary directory, so
   nothing is read from the source tree. If the wheel lacks templates, static files,
   migrations or compiled catalogs, or has no ``portal.gunicorn_conf``, the output says so
   and the missing files are copied in from the source tree (and ``gunicorn.conf.py`` used).
2. Makes a bridge with 10.77.N.1/24 on this side and two namespaces, host "a" (10.77.N.2)
   and host "b" (10.77.N.3), each joined by a veth pair. Starts redis-server and an SMTP
   sink (aiosmtpd, its own process) on 10.77.N.1, creates a fresh PostgreSQL database
   reached over the unix socket (/var/run/postgresql) and migrates it with the installed
   ``flask db upgrade``. In each namespace: gunicorn with the package's config
   (``PORTAL_ENV=production``, 2 workers x 2 threads, ``TRUSTED_PROXIES=1``, a shared
   ``SECRET_KEY``, ``REDIS_URL``, ``DATABASE_URL`` over the unix socket) and one mail
   worker (``portal worker``). haproxy on 127.0.0.1 balances round-robin over both, checks
   ``/healthz`` twice a second, adds ``X-Forwarded-For``, sets ``X-Forwarded-Proto: https``
   (TLS termination itself is left out: it would cost the same with one host or two),
   names the host that answered in ``X-Backend`` and lets 4 requests at a time into a host
   (its gunicorn threads), over a new connection each. A connection a host refuses is
   tried on the other one and takes the refusing host out of the rotation at once.
3. Scenarios, each with wrk and a Lua script, one connection per wrk thread so each is a
   person with a session of its own:
   - *interview page*: 16 signed-in candidates load their interview page, with host b in
     maintenance (haproxy runtime API) and then with both hosts; the ratio is quoted.
   - *candidate + staff sessions*: 13 candidates open their magic link, then loop overview,
     interview page and confirm (a POST with the CSRF token from the page); 3 staff members
     sign in (CSRF) and load the dashboard.
   - *host b killed*: the same mix; a third of the way in, host b's gunicorn gets SIGKILL.
     Requests in flight on it may fail, nothing else: each person has one request out at
     a time, so no person may fail twice, and host a must answer no error; every session
     carries on on host a with the same cookie (sessions live in the database), nobody
     signs in again. haproxy's counts of what was cut off on b are shown beside. Host b's
     gunicorn is then started again.
   - *login limit*: from its own client address, 11 failed staff logins spread over both
     hosts: the first 10 (the configured limit, read from the installed
     ``accounts/views.py``) are refused as wrong, the 11th is rate limited (429) because
     both hosts count in the same Redis.
   - *mail*: 10,000 messages queued at once; the two workers (one per host) deliver them
     to the sink, which counts messages, distinct Message-IDs and messages per host
     (lost = queued - distinct, duplicates = received - distinct; both hosts must send).
   - *interview page at 0 and at 100,000 other candidates* (with applications and
     interviews, added in bulk, then VACUUM ANALYZE), both hosts; target within 20%.
4. Prints one table and checks; exits 1 if a check fails. Cleans up (processes,
   namespaces, veths, bridge, cgroups, database, temporary directory) in ``finally``, also
   on a failure, Ctrl-C or SIGTERM.

Reading it. Errors: requests that got no answer (wrk's socket errors) plus every answer
that was not what the person expected (a 4xx or 5xx, or a redirect to a sign-in page: a
lost session). Latency: wrk's histogram (the Lua ``done`` hook reads the one ``--latency``
prints, which has no p95). *2 hosts / 1 host*: the interview page's req/s with both hosts
over that with one; the target is 1.7x.

CPU on two cores. wrk and haproxy are pinned to CPU 1. Each host is a cgroup capped at
``--host-cpu`` of a core (0.4 by default: CFS quota, like a container's CPU limit), free
to run on either CPU. With that cap two hosts need 0.8 of a core and leave room for wrk,
haproxy, PostgreSQL and Redis, so the ratio shows whether the shared parts let the app
scale out. The same pair is also measured without the cap, where one host alone can use
both cores and the ratio shows this box's limit instead; a CPU line under the table says
where the CPU went during each measured run (hosts, PostgreSQL backends of this
database, haproxy, wrk, other processes on the machine, idle). The machine may be shared:
figures move between runs, so compare figures from one run.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from _common import Sink, add_others, free_port

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_SOCKET = "/var/run/postgresql"
SECRET = secrets.token_urlsafe(48)
STAFF_EMAIL = "recruiter@example.com"
STAFF_PASSWORD = secrets.token_urlsafe(18)
MAIL_FROM = "Rekrytering <no-reply@jobs.example.com>"
WORKERS, THREADS = 2, 2  # gunicorn per host; haproxy lets WORKERS * THREADS in at a time
PEOPLE = 16  # wrk threads = connections = people
STAFF_IN_MIX = 3
CLIENT_CPU = "1"  # wrk and haproxy
CGROUP_CPU = Path("/sys/fs/cgroup/cpu")
LUA = Path(__file__).with_name("cluster.lua")  # what each wrk connection (a person) does

# ---------------------------------------------------------------- small parts


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kwargs)


def kill_group(proc: subprocess.Popen[Any] | None, sig: int = signal.SIGTERM,
               wait: float = 10) -> None:
    """Stop a process we started in a session of its own, with everything it forked."""
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    try:
        proc.wait(wait)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


@contextlib.contextmanager
def environ(values: dict[str, str]) -> Iterator[None]:
    """Run the portal's code in this process with the hosts' settings, then put it back."""
    saved = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def cpu_ticks(pids: list[int]) -> dict[int, int]:
    """user + system clock ticks of each of ``pids`` still running."""
    ticks = {}
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks[pid] = int(fields[11]) + int(fields[12])
    return ticks


def used(before: dict[int, int], after: dict[int, int]) -> int:
    """Ticks used in between (a process gone by the end counts up to its last sample)."""
    return sum(after.get(pid, start) - start for pid, start in before.items())


def group_pids(pgid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                if int(entry.joinpath("stat").read_text().rsplit(")", 1)[1].split()[2]) == pgid:
                    pids.append(int(entry.name))
    return pids


def box_ticks() -> tuple[int, int]:
    """(busy, total) clock ticks of the whole machine."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


# ---------------------------------------------------------------- the cluster


@dataclass
class Host:
    name: str
    netns: str
    address: str
    cgroup: Path | None = None
    gunicorn: subprocess.Popen[Any] | None = None
    worker: subprocess.Popen[Any] | None = None


@dataclass
class Result:
    scenario: str
    requests: int | None = None
    errors: int | None = None
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None
    rps: float | None = None
    ratio: float | None = None
    delivered: int | None = None
    duplicates: int | None = None
    lost: int | None = None
    notes: str = ""
    cpu: str = ""
    usage: dict[str, float] = field(default_factory=dict)

    def cost(self) -> float:
        """Milliseconds of CPU a request cost the hosts and PostgreSQL together."""
        return 10 * (self.usage["hosts"] + self.usage["pg"]) / (self.rps or 1)


@dataclass
class Cluster:
    args: argparse.Namespace
    tmp: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="portal-cluster-")))
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:4])
    notes: list[str] = field(default_factory=list)
    checks: list[tuple[str, bool]] = field(default_factory=list)
    hosts: list[Host] = field(default_factory=list)
    procs: list[subprocess.Popen[Any]] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    namespaces: list[str] = field(default_factory=list)
    cgroups: list[Path] = field(default_factory=list)
    database: str | None = None
    venv: Path | None = None
    site: Path | None = None
    gunicorn_conf: str = ""
    worker_cmd: list[str] = field(default_factory=list)
    redis: subprocess.Popen[Any] | None = None
    haproxy: subprocess.Popen[Any] | None = None
    wrk: subprocess.Popen[Any] | None = None
    sink: Sink | None = None
    front_port: int = 0
    subnet: str = ""
    redis_port: int = 0

    # ------------------------------------------------------------ install

    def install(self) -> None:
        """Build a wheel from a copy of the tree; install it into a fresh venv."""
        src = self.tmp / "src"
        shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
            ".git", ".venv", "instance", "build", "dist", "*.egg-info", "__pycache__",
            ".ruff_cache", ".pytest_cache", "tests", "test-results", "bench"))
        dist = self.tmp / "dist"
        python = ROOT / ".venv" / "bin" / "python"
        has_build = subprocess.run([python, "-c", "import build"],
                                   capture_output=True).returncode == 0
        if has_build:
            run([str(python), "-m", "build", "--wheel", "--outdir", str(dist), str(src)])
        else:
            run([str(python), "-m", "pip", "wheel", "--no-deps", "-w", str(dist), str(src)])
        wheel = next(dist.glob("*.whl"))
        self.venv = self.tmp / "venv"
        # No pip of its own (ensurepip takes seconds): this venv's pip installs into it.
        run([sys.executable, "-m", "venv", "--without-pip", str(self.venv)])
        run([sys.executable, "-m", "pip", "--python", str(self.venv / "bin" / "python"),
             "install", "--quiet", "--disable-pip-version-check", f"{wheel}[redis]"],
            cwd=self.tmp)
        found = run([str(self.venv / "bin" / "python"), "-c",
                     "import portal, pathlib; print(pathlib.Path(portal.__file__).parent)"],
                    cwd=self.tmp, env=self.base_env()).stdout.strip()
        self.site = Path(found)
        if ROOT in self.site.parents:
            raise RuntimeError(f"the venv imports portal from the source tree: {found}")
        missing = [part for part, probe in (
            ("templates", "templates/base.html"), ("static", "static/css"),
            ("migrations", "migrations/env.py"),
            ("compiled catalogs", "translations/sv/LC_MESSAGES/messages.mo"),
        ) if not (self.site / probe).exists()]
        for part in missing:
            name = part.split()[-1] if part != "compiled catalogs" else "translations"
            shutil.copytree(ROOT / "portal" / name, self.site / name, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__"))
        if missing:
            self.notes.append(f"the wheel lacks {', '.join(missing)}: copied in from the "
                              "source tree")
        if (self.site / "gunicorn_conf.py").exists():
            self.gunicorn_conf = "python:portal.gunicorn_conf"
        else:
            shutil.copy(ROOT / "gunicorn.conf.py", self.tmp / "gunicorn_conf.py")
            self.gunicorn_conf = str(self.tmp / "gunicorn_conf.py")
            self.notes.append("the wheel has no portal.gunicorn_conf: gunicorn.conf.py from "
                              "the source tree is used")
        self.notes.append(f"{wheel.name} installed in {self.venv}; portal imported from "
                          f"{self.site}; processes run in {self.tmp}")

    def base_env(self) -> dict[str, str]:
        """No PYTHONPATH and nothing else from the source tree's shell."""
        return {"PATH": f"{self.venv}/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "LANG": "C.UTF-8", "HOME": str(self.tmp)}

    def database_url(self) -> str:
        return f"postgresql+psycopg://postgres@/{self.database}?host={PG_SOCKET}"

    def host_env(self, host: Host | None) -> dict[str, str]:
        assert self.sink is not None or host is None
        env = {**self.base_env(),
               "PORTAL_ENV": "production", "SECRET_KEY": SECRET,
               "PORTAL_BASE_URL": "https://jobs.example.com", "TRUSTED_PROXIES": "1",
               "DATABASE_URL": self.database_url(),
               "MAIL_BACKEND": "smtp", "MAIL_FROM": MAIL_FROM,
               "UPLOAD_DIR": str(self.tmp / "uploads"),
               "GUNICORN_WORKERS": str(WORKERS), "GUNICORN_THREADS": str(THREADS),
               "FORWARDED_ALLOW_IPS": f"{self.subnet}.1"}
        if self.redis_port:
            env["REDIS_URL"] = f"redis://{self.subnet}.1:{self.redis_port}/0"
        if self.sink is not None:
            env.update(SMTP_HOST=self.sink.host, SMTP_PORT=str(self.sink.port))
        if host is not None:
            env["GUNICORN_BIND"] = f"{host.address}:8000"
        return env

    # ------------------------------------------------------------ network

    def network(self) -> None:
        used = run(["ip", "-4", "-o", "addr"]).stdout
        third = next(n for n in range(256) if f" 10.77.{n}." not in used)
        self.subnet = f"10.77.{third}"
        bridge = f"pcl{self.tag}br"
        run(["ip", "link", "add", "name", bridge, "type", "bridge"])
        self.links.append(bridge)
        run(["ip", "addr", "add", f"{self.subnet}.1/24", "dev", bridge])
        run(["ip", "link", "set", bridge, "up"])
        for i, name in enumerate(("a", "b")):
            netns, outside, inside = f"pcl{self.tag}{name}", f"pcl{self.tag}{name}0", "eth0"
            run(["ip", "netns", "add", netns])
            self.namespaces.append(netns)
            run(["ip", "link", "add", outside, "type", "veth", "peer", "name",
                 f"pcl{self.tag}{name}1"])
            self.links.append(outside)
            run(["ip", "link", "set", f"pcl{self.tag}{name}1", "netns", netns])
            run(["ip", "-n", netns, "link", "set", f"pcl{self.tag}{name}1", "name", inside])
            run(["ip", "link", "set", outside, "master", bridge])
            run(["ip", "link", "set", outside, "up"])
            address = f"{self.subnet}.{i + 2}"
            run(["ip", "-n", netns, "addr", "add", f"{address}/24", "dev", inside])
            run(["ip", "-n", netns, "link", "set", inside, "up"])
            run(["ip", "-n", netns, "link", "set", "lo", "up"])
            host = Host(name, netns, address)
            if CGROUP_CPU.is_dir() and os.access(CGROUP_CPU, os.W_OK):
                host.cgroup = CGROUP_CPU / f"portal-cluster-{self.tag}-{name}"
                host.cgroup.mkdir()
                self.cgroups.append(host.cgroup)
            self.hosts.append(host)
        self.cap(self.args.host_cpu)

    def cap(self, cores: float) -> None:
        """Each host may use ``cores`` of a core (0: no limit)."""
        for host in self.hosts:
            if host.cgroup is not None:
                (host.cgroup / "cpu.cfs_period_us").write_text("100000")
                (host.cgroup / "cpu.cfs_quota_us").write_text(
                    str(int(cores * 100000)) if cores > 0 else "-1")

    def start(self, cmd: list[str], logname: str, env: dict[str, str] | None = None,
              host: Host | None = None, cpu: str | None = None) -> subprocess.Popen[Any]:
        """Start ``cmd`` in a session of its own (in a host's namespace and cgroup)."""
        full = [*(["taskset", "-c", cpu] if cpu else []), *cmd]
        if host is not None:
            full = ["ip", "netns", "exec", host.netns, *full]
        cgroup = host.cgroup if host is not None else None

        def enter_cgroup() -> None:
            if cgroup is not None:
                (cgroup / "cgroup.procs").write_text(str(os.getpid()))

        out = open(self.tmp / f"{logname}.log", "ab")  # noqa: SIM115 - the child keeps it
        cwd = self.tmp / f"host-{host.name}" if host is not None else self.tmp
        cwd.mkdir(exist_ok=True)
        proc = subprocess.Popen(full, cwd=cwd, env=env or self.base_env(), stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=enter_cgroup)
        out.close()
        self.procs.append(proc)
        return proc

    # ------------------------------------------------------------ services

    def services(self) -> None:
        self.redis_port = free_port(f"{self.subnet}.1")
        self.redis = self.start(
            ["redis-server", "--bind", f"{self.subnet}.1", "--port", str(self.redis_port),
             "--save", "", "--appendonly", "no", "--protected-mode", "no"], "redis")
        self.sink = Sink(f"{self.subnet}.1").__enter__()
        import psycopg

        self.database = f"portal_cluster_{self.tag}"
        with psycopg.connect(f"postgresql://postgres@/postgres?host={PG_SOCKET}",
                             autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{self.database}"')
        wait_port(f"{self.subnet}.1", self.redis_port)
        run([str(self.venv / "bin" / "flask"), "--app", "portal", "db", "upgrade"],
            cwd=self.tmp, env=self.host_env(None))

    def start_gunicorn(self, host: Host) -> None:
        host.gunicorn = self.start(
            [str(self.venv / "bin" / "gunicorn"), "-c", self.gunicorn_conf,
             "-b", f"{host.address}:8000", "-w", str(WORKERS), "--threads", str(THREADS),
             "portal:create_app()"], f"gunicorn-{host.name}", self.host_env(host), host)

    def start_hosts(self) -> None:
        portal_script = self.venv / "bin" / "portal"
        if portal_script.exists() and "worker" in subprocess.run(
                [str(portal_script), "--help"], capture_output=True, text=True, cwd=self.tmp,
                env=self.host_env(None)).stdout:
            self.worker_cmd = [str(portal_script), "worker", "--interval", "2"]
        else:
            self.worker_cmd = [str(self.venv / "bin" / "flask"), "--app", "portal", "worker",
                               "--interval", "2"]
        worker = " ".join([Path(self.worker_cmd[0]).name, *self.worker_cmd[1:]])
        self.notes.append(
            f"each host runs `gunicorn -c {self.gunicorn_conf} -w {WORKERS} --threads {THREADS} "
            f"\"portal:create_app()\"` and `{worker}` from the venv")
        for host in self.hosts:
            self.start_gunicorn(host)
            host.worker = self.start(self.worker_cmd, f"worker-{host.name}",
                                     self.host_env(host), host)
        self.front_port = free_port()
        server_options = (f"check inter 500ms fall 2 rise 2 maxconn {WORKERS * THREADS} "
                          "observe layer4 error-limit 1 on-error mark-down")
        servers = "\n".join(f"  server {h.name} {h.address}:8000" for h in self.hosts)
        config = f"""global
  maxconn 2000
  nbthread 1
  stats socket {self.tmp}/haproxy.sock mode 600 level admin
  log stdout format raw local0
defaults
  mode http
  log global
  option httplog
  option dontlog-normal
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  timeout queue 30s
  # A refused connection is tried again on the other host at once, and the host that
  # refused it leaves the rotation at once (not only at its next failed health check).
  retries 3
  option redispatch 1
  # A new connection to the host for every request: a request is then never sent down an
  # idle connection to a host that has just died, so only the requests a host is working
  # on when it dies can fail.
  option http-server-close
  option forwardfor
frontend front
  bind 127.0.0.1:{self.front_port}
  http-request set-header X-Forwarded-Proto https
  http-response set-header X-Backend %s
  default_backend hosts
backend hosts
  balance roundrobin
  option httpchk GET /healthz
  http-check expect status 200
  default-server {server_options}
{servers}
"""
        (self.tmp / "haproxy.cfg").write_text(config)
        self.haproxy = self.start(["haproxy", "-db", "-f", str(self.tmp / "haproxy.cfg")],
                                  "haproxy", cpu=CLIENT_CPU)
        self.wait_up({h.name for h in self.hosts})

    def haproxy_cmd(self, command: str) -> str:
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(self.tmp / "haproxy.sock"))
            s.sendall(command.encode() + b"\n")
            chunks = []
            while chunk := s.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def server_stats(self) -> dict[str, dict[str, str]]:
        lines = self.haproxy_cmd("show stat").splitlines()
        names = lines[0].lstrip("# ").split(",")
        rows = [dict(zip(names, line.split(","), strict=False)) for line in lines[1:] if line]
        return {r["svname"]: r for r in rows if r["pxname"] == "hosts"}

    def wait_up(self, names: set[str], timeout: float = 60) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            with contextlib.suppress(OSError, IndexError, KeyError):
                stats = self.server_stats()
                if all(stats[n]["status"] == "UP" for n in names):
                    return
            for host in self.hosts:
                if host.gunicorn is not None and host.gunicorn.poll() is not None \
                        and host.name in names:
                    raise RuntimeError(f"gunicorn on host {host.name} exited; see "
                                       f"{self.tmp}/gunicorn-{host.name}.log")
            time.sleep(0.2)
        raise RuntimeError(f"hosts {sorted(names)} not up in haproxy after {timeout:.0f} s")

    # ------------------------------------------------------------ data

    def seed(self) -> list[tuple[str, int]]:
        """The staff member and the candidates that wrk plays, each with an interview in
        three days and a sign-in link (made with this process's copy of the code)."""
        with environ(self.host_env(None)):
            from portal import create_app
            from portal.accounts.services import create_user
            from portal.extensions import db
            from portal.hiring import services
            from portal.links.services import issue_link
            from portal.process import lifecycle
            from portal.timeutil import utcnow

            app = create_app()
            people = []
            with app.app_context():
                admin = create_user(db.session, email=STAFF_EMAIL, name="Rita Rekryterare",
                                    password=STAFF_PASSWORD, role="admin")
                opening = services.create_opening(db.session, admin, services.OpeningData(
                    title="Backend developer", team="Platform", description="",
                    language="en"))
                panel = [create_user(db.session, email=f"iv{i}@example.com",
                                     name=f"Interviewer {i}", password=secrets.token_urlsafe(16),
                                     role="interviewer") for i in range(2)]
                settings = app.config["PORTAL"]
                for i in range(PEOPLE):
                    candidate = services.create_candidate(db.session, admin, services.CandidateData(
                        name=f"Kandidat {i}", email=f"kandidat{i}@example.com", phone="",
                        language="sv", timezone="Europe/Stockholm"))
                    application = lifecycle.apply(db.session, admin, candidate, opening)
                    interview = lifecycle.schedule(
                        db.session, settings, admin, application, services.InterviewData(
                            round_name="First interview",
                            starts_at=utcnow() + timedelta(days=3, hours=i),
                            duration_minutes=45, platform="zoom",
                            meeting_url="https://zoom.us/j/98765432101",
                            what_to_expect="You meet the team.", preparation="Test your sound.",
                            interviewer_ids=[u.id for u in panel]))
                    _link, token = issue_link(db.session, settings, candidate)
                    db.session.flush()
                    people.append((token, interview.id))
                db.session.commit()
                self.opening_id, self.stage_id = opening.id, opening.stages[2].id
                db.engine.dispose()
        return people

    def add_others(self, n: int) -> None:
        with environ(self.host_env(None)):
            from portal import create_app
            from portal.extensions import db

            app = create_app()
            with app.app_context():
                # Past the reminder window, so the workers have nothing to send for them.
                add_others(db.session, self.opening_id, self.stage_id, n, timedelta(days=3))
                db.engine.dispose()
        self.sql("VACUUM ANALYZE")

    def sql(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(f"postgresql://postgres@/{self.database}?host={PG_SOCKET}",
                             autocommit=True) as conn:
            cur = conn.execute(statement, params)  # type: ignore[arg-type]
            return cur.fetchall() if cur.description else []

    # ------------------------------------------------------------ requests

    def request(self, method: str, path: str, cookie: str = "", body: str = "",
                source: str = "127.0.0.3") -> tuple[int, dict[str, str], str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.front_port, timeout=15,
                                          source_address=(source, 0))
        headers = {"Accept-Language": "sv"}
        if cookie:
            headers["Cookie"] = f"portal_session={cookie}"
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body or None, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        found = {k.lower(): v for k, v in response.getheaders()}
        conn.close()
        return response.status, found, text

    def sign_in(self, token: str) -> str:
        status, headers, _ = self.request("GET", f"/c/{token}")
        match = re.search(r"portal_session=([^;]+)", headers.get("set-cookie", ""))
        if status != 303 or not match or "/portal/link" in headers.get("location", ""):
            raise RuntimeError(f"sign-in through haproxy failed: {status} {headers}")
        return match.group(1)

    def write_people(self, name: str, candidates: list[tuple[str, int, str]],
                     staff: int) -> Path:
        lines = [f"candidate {token} {iid} {cookie or '-'}" for token, iid, cookie in candidates]
        lines += [f"staff {STAFF_EMAIL} {STAFF_PASSWORD}"] * staff
        path = self.tmp / f"people-{name}.txt"
        path.write_text("\n".join(lines) + "\n")
        return path

    def start_wrk(self, people: Path, mode: str, seconds: float, name: str) -> None:
        count = len(people.read_text().splitlines())
        env = {**self.base_env(), "CLUSTER_PEOPLE": str(people), "CLUSTER_MODE": mode,
               "CLUSTER_OUT": str(self.tmp / f"wrk-{name}.json")}
        self.wrk_pids = self.cpu_pids()
        self.wrk_before = ({k: cpu_ticks(v) for k, v in self.wrk_pids.items()}, box_ticks())
        self.wrk_out = open(self.tmp / f"wrk-{name}.log", "wb")  # noqa: SIM115
        self.wrk = subprocess.Popen(
            ["taskset", "-c", CLIENT_CPU, "wrk", f"-t{count}", f"-c{count}",
             f"-d{seconds:.0f}s", "--timeout", "10s", "--latency", "-s", str(LUA),
             f"http://127.0.0.1:{self.front_port}"],
            cwd=self.tmp, env=env, stdout=self.wrk_out, stderr=subprocess.STDOUT)
        self.procs.append(self.wrk)

    def finish_wrk(self, name: str, scenario: str) -> tuple[Result, dict[str, int]]:
        assert self.wrk is not None
        _pid, status, usage = os.wait4(self.wrk.pid, 0)
        self.wrk.returncode = os.waitstatus_to_exitcode(status)
        self.wrk_out.close()
        if self.wrk.returncode != 0:
            raise RuntimeError(f"wrk failed: {(self.tmp / f'wrk-{name}.log').read_text()}")
        ticks0, (busy0, total0) = self.wrk_before
        ticks1 = {k: cpu_ticks(v) for k, v in self.wrk_pids.items()}
        busy1, total1 = box_ticks()
        data = json.loads((self.tmp / f"wrk-{name}.json").read_text())
        seconds = data["duration_us"] / 1e6
        sockets = data["connect"] + data["read"] + data["write"] + data["timeout"]
        # Failed: no answer (wrk's socket errors, or a person whose request went unanswered)
        # or an answer that was not what the person expected (an error status, a lost session).
        errors = max(sockets + data["status"], data["failed"] + data["bad"] - data["s5xx"])
        result = Result(scenario, requests=data["requests"], errors=errors,
                        p50=data["p50"] / 1000, p95=data["p95"] / 1000, p99=data["p99"] / 1000,
                        rps=data["requests"] / seconds)
        result.notes = ", ".join(f"host {k[5:]} {v:,}" for k, v in sorted(data.items())
                                 if k.startswith("host_"))
        # Where the CPU went (100% = one core; the box has os.cpu_count() of them).
        hz = os.sysconf("SC_CLK_TCK")
        wall = total1 - total0
        cores = os.cpu_count() or 1
        parts = {k: used(ticks0[k], ticks1[k]) for k in ticks0}
        wrk_cpu = (usage.ru_utime + usage.ru_stime) * hz
        ours = sum(parts.values()) + wrk_cpu
        share = 100 * cores / wall if wall else 0.0
        result.usage = {k: v * share for k, v in parts.items()}
        result.usage.update(wrk=wrk_cpu * share, rest=max(0.0, (busy1 - busy0) - ours) * share,
                            idle=(wall - (busy1 - busy0)) * share)
        result.cpu = ", ".join(f"{label} {result.usage[key]:.0f}%" for key, label in (
            ("hosts", "hosts"), ("pg", "PostgreSQL"), ("haproxy", "haproxy"), ("redis", "redis"),
            ("wrk", "wrk"), ("rest", "rest of the machine"), ("idle", "idle"),
        )) + f" (of {100 * cores}%)"
        return result, data

    def cpu_pids(self) -> dict[str, list[int]]:
        hosts = []
        for host in self.hosts:
            for proc in (host.gunicorn, host.worker):
                if proc is not None and proc.poll() is None:
                    hosts += group_pids(proc.pid)
        pg = [int(r[0]) for r in self.sql(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.database,))]
        return {"hosts": hosts, "pg": pg,
                "haproxy": [self.haproxy.pid] if self.haproxy else [],
                "redis": [self.redis.pid] if self.redis else []}

    def measure(self, people: Path, mode: str, seconds: float, name: str,
                scenario: str) -> tuple[Result, dict[str, int]]:
        self.start_wrk(people, mode, seconds, name)
        return self.finish_wrk(name, scenario)

    # ------------------------------------------------------------ teardown

    def close(self) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        # Every process we started runs in a session of its own: stop each whole group,
        # all at once, and kill what has not stopped after 10 seconds.
        running = [p for p in self.procs if p.poll() is None]
        for proc in running:
            with contextlib.suppress(ProcessLookupError):
                if proc is self.wrk:  # wrk runs in our own group
                    proc.kill()
                else:
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.time() + 10
        for proc in running:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(max(0.1, deadline - time.time()))
        for proc in running:
            if proc.poll() is None:
                with contextlib.suppress(Exception):
                    kill_group(proc, signal.SIGKILL, 5)
        if self.sink is not None:
            with contextlib.suppress(Exception):
                self.sink.__exit__()
        for link in self.links:
            subprocess.run(["ip", "link", "del", link], capture_output=True)
        for netns in self.namespaces:
            subprocess.run(["ip", "netns", "del", netns], capture_output=True)
        for cgroup in self.cgroups:
            for _ in range(50):
                try:
                    cgroup.rmdir()
                    break
                except OSError:
                    time.sleep(0.1)
        if self.database:
            with contextlib.suppress(Exception):
                import psycopg

                with psycopg.connect(f"postgresql://postgres@/postgres?host={PG_SOCKET}",
                                     autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        if self.args.keep:
            print(f"kept {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def wait_port(host: str, port: int, timeout: float = 20) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answers on {host}:{port}")


# ---------------------------------------------------------------- the scenarios


def login_limit(cluster: Cluster) -> tuple[Result, bool]:
    """N + 1 failed logins from one client address, spread over both hosts."""
    views = (cluster.site / "accounts" / "views.py").read_text()  # type: ignore[operator]
    match = re.search(r'@limiter\.limit\("(\d+) per minute[^"]*"[^)]*\)\s*\ndef login', views)
    if not match:
        raise RuntimeError("cannot find the login limit in accounts/views.py")
    limit = int(match.group(1))
    source = "127.0.0.2"
    status, headers, body = cluster.request("GET", "/staff/login", source=source)
    cookie = re.search(r"portal_session=([^;]+)", headers.get("set-cookie", ""))
    csrf = re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', body)
    if status != 200 or not cookie or not csrf:
        raise RuntimeError(f"staff login page: {status}")
    answers: list[tuple[int, str]] = []
    for _ in range(limit + 1):
        status, headers, _body = cluster.request(
            "POST", "/staff/login", cookie=cookie.group(1), source=source,
            body=f"csrf_token={csrf.group(1)}&email=recruiter%40example.com&password=wrong-{_}")
        answers.append((status, headers.get("x-backend", "?")))
    wrong = [h for s, h in answers[:limit] if s == 422]
    spread = {h: wrong.count(h) for h in sorted(set(wrong))}
    ok = len(wrong) == limit and answers[limit][0] == 429 and len(spread) == len(cluster.hosts)
    result = Result(f"login limit ({limit}/min), {limit + 1} failed logins", requests=limit + 1,
                    errors=sum(1 for s, _ in answers if s not in (422, 429)))
    result.notes = (f"{len(wrong)} refused as wrong ("
                    + ", ".join(f"host {h} {n}" for h, n in spread.items())
                    + f"), then {answers[limit][0]} on host {answers[limit][1]}")
    return result, ok


def mail(cluster: Cluster, n: int) -> tuple[Result, bool]:
    """Queue ``n`` messages at once; both workers deliver them; count what arrives."""
    from outbox import seed as queue_messages

    sink = cluster.sink
    assert sink is not None
    deadline = time.time() + 60  # the invitations from seeding go first
    while cluster.sql("SELECT count(*) FROM outbox_message WHERE status IN "
                      "('pending', 'sending')")[0][0] and time.time() < deadline:
        time.sleep(0.5)
    time.sleep(1)
    sink.reset()
    first_id = cluster.sql("SELECT coalesce(max(id), 0) FROM outbox_message")[0][0]
    with environ(cluster.host_env(None)), contextlib.redirect_stderr(io.StringIO()):
        queue_messages(cluster.database_url(), sink, n)  # (its migration check logs)
    t0 = time.time()
    deadline = t0 + 300
    while time.time() < deadline:
        left = cluster.sql("SELECT count(*) FROM outbox_message WHERE id > %s "
                           "AND status IN ('pending', 'sending')", (first_id,))[0][0]
        if left == 0 and sink.count.value >= n:
            break
        time.sleep(0.25)
    elapsed = time.time() - t0
    time.sleep(3)  # anything sent twice would arrive now
    statuses = dict(cluster.sql("SELECT status, count(*) FROM outbox_message WHERE id > %s "
                                "GROUP BY status", (first_id,)))
    received, distinct = sink.count.value, sink.ids.value
    per_host = {h.name: sink.from_peer(h.address) for h in cluster.hosts}
    result = Result(f"mail: {n:,} queued, 1 worker per host", requests=None,
                    delivered=distinct, duplicates=received - distinct, lost=n - distinct,
                    rps=n / elapsed)
    result.notes = (", ".join(f"host {h} {c:,}" for h, c in per_host.items())
                    + f"; {n / elapsed:,.0f} msg/s; outbox: "
                    + ", ".join(f"{k} {v:,}" for k, v in sorted(statuses.items())))
    ok = (received == distinct == n and statuses.get("sent") == n
          and all(c > 0 for c in per_host.values()))
    return result, ok


def fmt(value: float | int | None, spec: str = ",.0f") -> str:
    return "" if value is None else format(value, spec)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10, help="each measured wrk run")
    parser.add_argument("--others", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--host-cpu", type=float, default=0.4,
                        help="the CPU cap of each host, in cores (0: none)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: it makes network namespaces")
    for tool in ("wrk", "haproxy", "redis-server", "ip", "taskset"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is not installed")
    if not Path(PG_SOCKET).exists():
        sys.exit(f"no PostgreSQL socket in {PG_SOCKET}")

    def stop(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, stop)
    began = time.time()
    cluster = Cluster(args)
    results: list[Result] = []
    checks = cluster.checks
    failed = True
    try:
        log("building the wheel and installing it into a fresh venv")
        cluster.install()
        log("network namespaces, redis, SMTP sink, database")
        cluster.network()
        cluster.services()
        log("seeding")
        people = cluster.seed()
        log("starting gunicorn and a mail worker in each namespace, haproxy in front")
        cluster.start_hosts()

        # Signed-in candidates for the page runs (from a client address of their own, so
        # these sign-ins do not count against wrk's address).
        signed = [(token, iid, cluster.sign_in(token)) for token, iid in people]
        page_people = cluster.write_people("page", signed, staff=0)
        mix_people = cluster.write_people(
            "mix", [(t, i, "") for t, i in people[:PEOPLE - STAFF_IN_MIX]], STAFF_IN_MIX)
        log("warming up")
        cluster.measure(page_people, "page", 3, "warm", "warm-up")

        # -------------------------------------------- one host against two
        pairs = [(args.host_cpu, f"capped at {args.host_cpu:g} core each")] \
            if args.host_cpu > 0 and cluster.cgroups else []
        pairs.append((0.0, "no cap"))
        ratios = {}
        for cap, label in pairs:
            cluster.cap(cap)
            log(f"interview page, 1 host then 2 ({label})")
            cluster.haproxy_cmd("set server hosts/b state maint")
            one, _ = cluster.measure(page_people, "page", args.seconds, f"one-{cap}",
                                     f"interview page, 1 host ({label})")
            cluster.haproxy_cmd("set server hosts/b state ready")
            cluster.wait_up({"a", "b"})
            two, _ = cluster.measure(page_people, "page", args.seconds, f"two-{cap}",
                                     f"interview page, 2 hosts ({label})")
            two.ratio = two.rps / one.rps  # type: ignore[operator]
            ratios[cap] = (two.ratio, one.usage, two.usage, one.cost(), two.cost())
            results += [one, two]
            checks.append((f"no errors on the interview page ({label})",
                           one.errors == 0 and two.errors == 0))
        cluster.cap(args.host_cpu)

        # -------------------------------------------- sessions of both kinds
        log("candidate and staff sessions, 2 hosts")
        mixed, data = cluster.measure(mix_people, "mix", args.seconds, "mix",
                                      "candidate + staff sessions, 2 hosts")
        mixed.notes += f"; {data.get('confirmed', 0):,} confirmations"
        results.append(mixed)
        checks.append(("no errors in candidate + staff sessions", mixed.errors == 0))

        # -------------------------------------------- the login limit
        log("failed logins spread over both hosts")
        limited, ok = login_limit(cluster)
        results.append(limited)
        checks.append(("login limit counted once across hosts", ok))

        # -------------------------------------------- a host dies
        log("candidate and staff sessions; host b's gunicorn killed a third of the way in")
        seconds = max(9.0, args.seconds * 1.5)
        cluster.start_wrk(mix_people, "mix", seconds, "kill")
        time.sleep(seconds / 3)
        b = cluster.hosts[1]
        before = cluster.server_stats()
        os.killpg(b.gunicorn.pid, signal.SIGKILL)  # type: ignore[union-attr]
        b.gunicorn.wait()  # type: ignore[union-attr]
        killed, data = cluster.finish_wrk("kill", "candidate + staff sessions, host b killed")
        after = cluster.server_stats()
        delta = {n: {k: int(after[n][k]) - int(before[n][k])
                     for k in ("stot", "srv_abrt", "wredis", "eresp", "hrsp_5xx")}
                 for n in ("a", "b")}
        killed.notes += (
            f"; after the kill host a answered {delta['a']['stot']:,}; "
            f"{data['failed']} requests failed, of {data['people_failed']} people, at most "
            f"{data['worst']} each (haproxy: {delta['b']['srv_abrt']} cut off on b, "
            f"{delta['b']['wredis']} refused by b and sent to a); {data['lost']} sessions "
            f"lost; {data['signins']} sign-ins for {PEOPLE} people")
        results.append(killed)
        checks.append((
            "host b killed: only requests in flight on it failed (at most one per person, "
            "none on host a), no session lost, nobody signed in again",
            data["worst"] <= 1 and data["bad"] == data["s5xx"]
            and delta["a"]["eresp"] == 0 and delta["a"]["hrsp_5xx"] == 0
            and delta["a"]["stot"] > 0
            and data["lost"] == 0 and data["signins"] == PEOPLE))
        cluster.start_gunicorn(b)
        cluster.wait_up({"a", "b"})

        # -------------------------------------------- mail
        log(f"queuing {args.messages:,} messages")
        delivered, ok = mail(cluster, args.messages)
        results.append(delivered)
        checks.append(("every message delivered exactly once, by both hosts", ok))

        # -------------------------------------------- 100,000 others
        log("interview page with no other candidates, 2 hosts")
        cluster.measure(page_people, "page", 3, "warm-zero", "warm-up")  # host b is new
        zero, _ = cluster.measure(page_people, "page", args.seconds, "zero",
                                  "interview page, 0 other candidates, 2 hosts")
        log(f"adding {args.others:,} other candidates with applications and interviews")
        cluster.add_others(args.others)
        cluster.measure(page_people, "page", 3, "warm-full", "warm-up")
        full, _ = cluster.measure(page_people, "page", args.seconds, "full",
                                  f"interview page, {args.others:,} other candidates, 2 hosts")
        full.ratio = full.rps / zero.rps  # type: ignore[operator]
        cost_ratio = full.cost() / zero.cost()
        zero.notes += f"; {zero.cost():.1f} ms CPU a request (hosts + PostgreSQL)"
        full.notes += (f"; {full.cost():.1f} ms CPU a request: {cost_ratio:.0%} of the "
                       f"0-candidate cost; req/s {full.ratio:.0%}")
        results += [zero, full]
        # Judged by the CPU a request costs (hosts + PostgreSQL): req/s alone moves with
        # whatever else the machine runs meanwhile (see the CPU lines).
        checks.append((f"{args.others:,} candidates within 20% of 0 (CPU a request "
                       f"{cost_ratio:.0%}, req/s {full.ratio:.0%})", abs(1 - cost_ratio) <= 0.2))
        checks.append(("no errors at 0 and 100,000", zero.errors == 0 and full.errors == 0))
        failed = False
    except KeyboardInterrupt:
        print("\ninterrupted: cleaning up", flush=True)
        raise SystemExit(130) from None
    except Exception:
        for name in ("gunicorn-a", "gunicorn-b", "worker-a", "worker-b", "haproxy", "redis"):
            path = cluster.tmp / f"{name}.log"
            if path.exists():
                tail = path.read_text(errors="replace").splitlines()[-15:]
                print(f"--- {name}.log (last lines)\n" + "\n".join(tail), file=sys.stderr)
        raise
    finally:
        cluster.close()
        if failed:
            print(f"cleaned up after {time.time() - began:.0f} s", flush=True)

    print(f"\nTwo hosts (namespaces, gunicorn {WORKERS} workers x {THREADS} threads each), one "
          f"PostgreSQL (unix socket), one Redis, haproxy round-robin; {os.cpu_count()} cores. "
          f"wrk ({PEOPLE} connections, one person each, {args.seconds:g} s a run) and haproxy "
          f"pinned to CPU {CLIENT_CPU}; each host a cgroup capped at {args.host_cpu:g} of a "
          "core unless the row says no cap, on either CPU; PostgreSQL unpinned.")
    for note in cluster.notes:
        print(f"Note: {note}.")
    print()
    print("| scenario | requests | errors | p50 ms | p95 ms | p99 ms | req/s | 2 hosts / 1 host "
          "| delivered | duplicates | lost | notes |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in results:
        ratio = f"{r.ratio:.2f}x" if r.ratio is not None and "2 hosts (" in r.scenario else ""
        print(f"| {r.scenario} | {fmt(r.requests)} | {fmt(r.errors)} | {fmt(r.p50, '.1f')} "
              f"| {fmt(r.p95, '.1f')} | {fmt(r.p99, '.1f')} "
              f"| {fmt(r.rps) if r.requests is not None else ''} | {ratio} "
              f"| {fmt(r.delivered)} | {fmt(r.duplicates)} | {fmt(r.lost)} | {r.notes} |")
    print("\nCPU during each run (100% = one core):")
    for r in results:
        if r.cpu:
            print(f"- {r.scenario}: {r.cpu}")
    print()
    for cap, (ratio, one_cpu, two_cpu, one_cost, two_cost) in ratios.items():
        label = f"capped at {cap:g} core each" if cap else "no cap"
        print(f"2 hosts / 1 host ({label}): {ratio:.2f}x (target 1.7x). One host used "
              f"{one_cpu['hosts']:.0f}% of a core, two {two_cpu['hosts']:.0f}%"
              + (f" (caps {100 * cap:.0f}% and {200 * cap:.0f}%)" if cap else "")
              + f"; idle with one host {one_cpu['idle']:.0f}%, with two {two_cpu['idle']:.0f}%; "
              f"the rest of the machine took {one_cpu['rest']:.0f}% and "
              f"{two_cpu['rest']:.0f}%; CPU a request (hosts + PostgreSQL) {one_cost:.1f} ms "
              f"with one host, {two_cost:.1f} ms with two.")
    for name, ok in checks:
        print(f"{'ok  ' if ok else 'FAIL'} {name}")
    print(f"wall time {time.time() - began:.0f} s")
    if not all(ok for _, ok in checks):
        sys.exit(1)


if __name__ == "__main__":
    main()
