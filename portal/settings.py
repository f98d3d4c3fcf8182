"""Typed settings read from the environment. The app refuses to boot on a weak secret."""

from __future__ import annotations

import importlib.util
import os
import secrets
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

PACKAGE = Path(__file__).resolve().parent  # templates, static files, migrations, catalogs
ROOT = PACKAGE.parent  # the top of the source checkout, when running from one


def default_instance_dir() -> Path:
    """The instance folder (default SQLite database, uploads, demo secret) when
    PORTAL_INSTANCE_DIR is unset: instance/ of the source checkout when running from one,
    else instance/ in the current directory (never inside an installed package)."""
    if (ROOT / "pyproject.toml").exists():
        return ROOT / "instance"
    return Path.cwd() / "instance"


def _default_database_url(instance: Path | str) -> str:
    return f"sqlite:///{Path(instance) / 'portal.sqlite3'}"


RELAXED_ENVS = ("demo", "development", "test")


class SettingsError(RuntimeError):
    """Raised when the environment does not describe a safe configuration. ``problems``
    holds each thing found wrong, one sentence each, naming its variable."""

    def __init__(self, message: str, problems: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems or (message,)

    @classmethod
    def of(cls, problems: list[str]) -> SettingsError:
        if len(problems) == 1:
            return cls(problems[0])
        listed = "\n".join(f"  - {problem}" for problem in problems)
        return cls(f"{len(problems)} settings need fixing before the portal can start:\n"
                   f"{listed}", tuple(problems))


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _int(env: dict[str, str], name: str, default: int,
         problems: list[str] | None = None) -> int:
    """``name`` as a whole number, ``default`` when unset. A malformed value is added to
    ``problems`` (and ``default`` returned), or raised when no list is given."""
    raw = env.get(name, "")
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        message = f"{name} must be a whole number, not {raw!r}; e.g. {name}={default}"
        if problems is None:
            raise SettingsError(message) from exc
        problems.append(message)
        return default


def _is_fernet_key(value: str) -> bool:
    """A Fernet key: 32 bytes in url-safe base64."""
    import base64
    import binascii

    try:
        return len(base64.urlsafe_b64decode(value.encode("ascii"))) == 32
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return False


BASE_URL_EXAMPLE = "e.g. PORTAL_BASE_URL=https://jobs.example.com"
# Domains that are no public mail domain: mail from or to them never arrives elsewhere.
_LOCAL_MAIL_DOMAINS = ("localhost", "localdomain", "local", "internal", "lan", "invalid")


def _base_url(env: dict[str, str], production: bool, problems: list[str]) -> str:
    """PORTAL_BASE_URL without its trailing slash. In production it must be the public
    ``https://`` origin: every link in emails and calendar files starts with it, and the
    portal serves from the root of its host (links are built as base URL + path, and
    there is no prefix for the proxy to strip), so a path, query or fragment is refused."""
    raw = env.get("PORTAL_BASE_URL", "").strip()
    value = (raw or "http://127.0.0.1:5000").rstrip("/")
    if not production:
        return value
    if not raw:
        problems.append(
            "PORTAL_BASE_URL is not set: every link in emails and calendar files starts "
            "with it, and the default (http://127.0.0.1:5000) only works on the server "
            f"itself. Set the portal's public https:// address, {BASE_URL_EXAMPLE}")
        return value
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018  (raises on a port that is not a number)
        bad_port = False
    except ValueError:
        bad_port = True
    if parts.scheme.lower() != "https" or not parts.hostname:
        why = ("sign-in tokens in links would travel unencrypted, and the browser would not "
               "keep the Secure session cookie" if parts.scheme.lower() == "http"
               else "links in emails and calendar files would not open")
        problems.append(
            f"PORTAL_BASE_URL must be an absolute https:// URL with a host, not {raw!r}: "
            f"{why}. {BASE_URL_EXAMPLE}")
    elif bad_port or parts.username is not None or parts.password is not None:
        problems.append(
            f"PORTAL_BASE_URL must be a plain https:// address with a host and at most a "
            f"port, not {raw!r}; {BASE_URL_EXAMPLE}")
    elif parts.path or parts.query or parts.fragment or value.endswith(("?", "#")):
        problems.append(
            f"PORTAL_BASE_URL must be the bare https:// origin, without a path, query or "
            f"fragment, not {raw!r}: the portal serves from the root of its host and cannot "
            f"run under a prefix. Give it a host name of its own, {BASE_URL_EXAMPLE}")
    return value


def _address(env: dict[str, str], name: str, default: str, production: bool,
             use: str, example: str, problems: list[str]) -> str:
    """An email address setting (``Name <addr>`` or ``addr``). It must hold one address on
    one line; in production its domain must be a public one (a dot, not ``localhost``)."""
    raw = env.get(name, "").strip()
    value = raw or default
    if not value:
        return value
    address = parseaddr(value)[1]
    if "@" not in address or any(c in value for c in "\r\n"):
        problems.append(f"{name} must be one email address, not {value!r}; "
                        f"e.g. {name}='{example}'")
        return value
    domain = address.rpartition("@")[2].lower().rstrip(".")
    labels = domain.split(".")
    if production and ("." not in domain or domain.startswith("[")
                       or labels[0] == "localhost" or labels[-1] in _LOCAL_MAIL_DOMAINS):
        what = f"{name} is" if raw else f"{name} is not set, and its default {value!r} is"
        problems.append(
            f"{what} at {domain!r}, not a public mail domain (a host without a dot, or a "
            f"local name): {use}, so receivers would refuse or misfile the mail. Use an "
            f"address in a domain you send mail for, e.g. {name}='{example}'")
    return value


@dataclass(frozen=True)
class Settings:
    """Everything the app reads from its environment, checked once at start."""

    env: str
    secret_key: str
    secret_key_fallbacks: tuple[str, ...]
    database_url: str
    base_url: str
    default_timezone: str = "Europe/Stockholm"
    mail_backend: str = "smtp"  # "smtp", or "database" to keep mail in the outbox only
    mail_from: str = "Rekrytering <no-reply@localhost>"
    mail_reply_to: str = ""  # empty: no Reply-To, and emails do not invite replies
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_timeout: int = 20
    link_grace_days: int = 30
    link_max_age_days: int = 400
    jitsi_base_url: str = "https://meet.jit.si"
    ratelimit_storage_uri: str = "memory://"
    trusted_proxies: int = 0  # proxies in front whose X-Forwarded-For/-Proto are believed
    web_workers: int = 1  # WEB_CONCURRENCY: web processes, each with its own memory://
    db_connect_timeout: int = 3  # seconds to open a connection (libpq's minimum is 2)
    db_statement_timeout: int = 30  # seconds one statement may run; 0: no limit
    db_idle_in_transaction_timeout: int = 300  # seconds a transaction may sit idle
    db_tcp_timeout: int = 30  # seconds a silent connection is kept (keepalives, TCP)
    db_busy_timeout: int = 5  # SQLite: seconds to wait for a lock before giving up
    worker_in_process: bool = False
    stun_url: str = ""
    # Bearer token that opens /metrics; empty: /metrics answers loopback scrapes only.
    metrics_token: str = field(default="", repr=False)
    log_format: str = "text"  # "text" for people, "json" for log shippers
    # Fernet keys for calendar credentials at rest: the first encrypts, all decrypt (a
    # rotation). Empty: relaxed environments derive one from SECRET_KEY; production then
    # refuses to connect a calendar.
    calendar_keys: tuple[str, ...] = field(default=(), repr=False)
    # Calendar addresses on loopback or private networks (SSRF guard); off in production.
    calendar_allow_private: bool = False
    talent_pool_months: int = 12
    retention_months: int = 24
    upload_dir: str = field(default_factory=lambda: str(default_instance_dir() / "uploads"))
    instance_dir: str = field(default_factory=lambda: str(default_instance_dir()))

    @property
    def default_database_url(self) -> str:
        """The SQLite database used when DATABASE_URL is unset, in the instance folder."""
        return _default_database_url(self.instance_dir)

    @property
    def is_production(self) -> bool:
        return self.env not in RELAXED_ENVS

    def engine_options(self, database_url: str) -> dict[str, Any]:
        """SQLAlchemy engine options for ``database_url``: a database that stops answering
        costs a request seconds, never minutes. On PostgreSQL: a connect timeout, statement
        and idle-in-transaction timeouts set for the session at connect, and TCP keepalives
        with a user timeout so a connection whose server went silent is dropped. On SQLite:
        how long to wait for another writer's lock."""
        # No pre-ping: it costs a round trip per request; connections are recycled instead,
        # and a connection that died with the server is dropped on its first error.
        options: dict[str, Any] = {"pool_recycle": 1800}
        url = make_url(database_url)
        if url.get_backend_name() == "postgresql":
            # psycopg prepares a statement it has run five times on a connection, and the
            # server then may plan it once for any values: searches whose cost swings with
            # the words (a word in 8 CVs or in 25,000) need a plan for the values at hand.
            server = ["-c plan_cache_mode=force_custom_plan"]
            if self.db_statement_timeout:
                server.append(f"-c statement_timeout={self.db_statement_timeout * 1000}")
            if self.db_idle_in_transaction_timeout:
                server.append("-c idle_in_transaction_session_timeout="
                              f"{self.db_idle_in_transaction_timeout * 1000}")
            args: dict[str, Any] = {"connect_timeout": self.db_connect_timeout}
            if server and "options" not in url.query:  # options in the URL win
                args["options"] = " ".join(server)
            if self.db_tcp_timeout:
                args.update(keepalives=1, keepalives_idle=max(1, self.db_tcp_timeout // 2),
                            keepalives_interval=max(1, self.db_tcp_timeout // 6),
                            keepalives_count=3, tcp_user_timeout=self.db_tcp_timeout * 1000)
            options["connect_args"] = args
        elif url.get_backend_name() == "sqlite":
            options["connect_args"] = {"timeout": float(self.db_busy_timeout)}
        return options


def _demo_secret(instance: Path) -> str:
    """A per-machine secret for demo and development, kept in instance/ so links survive
    restarts. Never used in production."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read and check settings. Raises SettingsError on anything unsafe or malformed,
    naming every problem found at once (``SettingsError.problems``), so a host is fixed
    in one go rather than one refusal per start."""
    env = dict(os.environ if environ is None else environ)
    mode = env.get("PORTAL_ENV", "production").strip().lower() or "production"
    instance = Path(os.path.abspath(os.path.expanduser(
        env.get("PORTAL_INSTANCE_DIR", "").strip() or default_instance_dir())))
    production = mode not in RELAXED_ENVS
    problems: list[str] = []
    secret = env.get("SECRET_KEY", "")
    if not secret:
        if production:
            problems.append(
                "SECRET_KEY is not set. Set it to at least 32 random bytes, e.g. the output "
                "of python -c 'import secrets; print(secrets.token_urlsafe(48))'")
        else:
            secret = _demo_secret(instance)
    elif len(secret.encode()) < 32:
        problems.append(
            "SECRET_KEY must be at least 32 bytes long; e.g. the output of "
            "python -c 'import secrets; print(secrets.token_urlsafe(48))'")
    fallbacks = tuple(k for k in env.get("SECRET_KEY_FALLBACKS", "").split(",") if k.strip())
    if any(len(k.encode()) < 32 for k in fallbacks):
        problems.append("every key in SECRET_KEY_FALLBACKS must be at least 32 bytes long; "
                        "e.g. SECRET_KEY_FALLBACKS=<the previous SECRET_KEY>")

    database_url = env.get("DATABASE_URL", "") or _default_database_url(instance)
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgres://")
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")

    base_url = _base_url(env, production, problems)
    mail_backend = env.get("MAIL_BACKEND", "smtp" if production else "database")
    if mail_backend not in ("smtp", "database"):
        problems.append(f"MAIL_BACKEND must be 'smtp' or 'database', not {mail_backend!r}; "
                        "e.g. MAIL_BACKEND=smtp")
    mail_from = _address(
        env, "MAIL_FROM", "Rekrytering <no-reply@localhost>", production,
        "it is the sender of every email, and its domain ends every Message-ID and names "
        "the ORGANIZER of every calendar invitation",
        "Rekrytering <no-reply@jobs.example.com>", problems)
    mail_reply_to = _address(
        env, "MAIL_REPLY_TO", "", production,
        "it is the Reply-To of every email, where candidates' answers go",
        "Rekrytering <jobb@example.com>", problems)

    ratelimit_storage_uri = (env.get("RATELIMIT_STORAGE_URI", "").strip()
                             or env.get("REDIS_URL", "").strip() or "memory://")
    web_workers = _int(env, "WEB_CONCURRENCY", 1, problems)
    if production and ratelimit_storage_uri.startswith("memory://") and web_workers > 1:
        problems.append(
            f"WEB_CONCURRENCY is {web_workers} but rate limits are kept in memory://: each "
            "worker would count on its own, so every limit (staff login included) would be "
            f"{web_workers} times looser. Set REDIS_URL (and pip install '.[redis]'), "
            "e.g. REDIS_URL=redis://127.0.0.1:6379/0, or run one worker")
    if ratelimit_storage_uri.startswith(("redis://", "rediss://", "redis+")) \
            and importlib.util.find_spec("redis") is None:
        problems.append("rate limits in Redis (REDIS_URL, RATELIMIT_STORAGE_URI) need the "
                        "redis client: pip install '.[redis]'")
    trusted_proxies = _int(env, "TRUSTED_PROXIES", 0, problems)
    if not 0 <= trusted_proxies <= 5:
        problems.append("TRUSTED_PROXIES is the number of proxies in front of the app "
                        f"(0 to 5), not {trusted_proxies}; e.g. TRUSTED_PROXIES=1 behind "
                        "one TLS proxy")
    timeouts = {name: _int(env, name, default, problems) for name, default in (
        ("DB_CONNECT_TIMEOUT", 3), ("DB_STATEMENT_TIMEOUT", 30),
        ("DB_IDLE_IN_TRANSACTION_TIMEOUT", 300), ("DB_TCP_TIMEOUT", 30),
        ("DB_BUSY_TIMEOUT", 5))}
    for name, value in timeouts.items():
        if value < 0:
            problems.append(f"{name} is a number of seconds, 0 or more, not {value}; "
                            f"e.g. {name}=30")
    numbers = {name: _int(env, name, default, problems) for name, default in (
        ("SMTP_PORT", 25), ("SMTP_TIMEOUT", 20), ("LINK_GRACE_DAYS", 30),
        ("LINK_MAX_AGE_DAYS", 400), ("TALENT_POOL_MONTHS", 12), ("RETENTION_MONTHS", 24))}
    metrics_token = env.get("METRICS_TOKEN", "").strip()
    if metrics_token and len(metrics_token) < 16:
        problems.append("METRICS_TOKEN must be at least 16 characters (it is the key to "
                        "/metrics); e.g. the output of "
                        "python -c 'import secrets; print(secrets.token_urlsafe(32))'")
    calendar_keys = tuple(k.strip() for k in env.get("CALENDAR_KEY", "").split(",")
                          if k.strip())
    if not all(_is_fernet_key(k) for k in calendar_keys):
        problems.append(
            "CALENDAR_KEY must be one or more Fernet keys, comma-separated (the first "
            "encrypts; older ones after it still decrypt): 32 bytes in url-safe base64, e.g. "
            "the output of python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'")
    log_format = env.get("LOG_FORMAT", "").strip().lower() or "text"
    if log_format not in ("text", "json"):
        problems.append(f"LOG_FORMAT must be 'text' or 'json', not {log_format!r}; "
                        "e.g. LOG_FORMAT=json")
    if problems:
        raise SettingsError.of(problems)

    return Settings(
        env=mode,
        secret_key=secret,
        secret_key_fallbacks=fallbacks,
        database_url=database_url,
        base_url=base_url,
        default_timezone=env.get("PORTAL_TIMEZONE", "Europe/Stockholm"),
        mail_backend=mail_backend,
        mail_from=mail_from,
        mail_reply_to=mail_reply_to,
        smtp_host=env.get("SMTP_HOST", "localhost"),
        smtp_port=numbers["SMTP_PORT"],
        smtp_username=env.get("SMTP_USERNAME", ""),
        smtp_password=env.get("SMTP_PASSWORD", ""),
        smtp_starttls=_bool(env.get("SMTP_STARTTLS")),
        smtp_ssl=_bool(env.get("SMTP_SSL")),
        smtp_timeout=numbers["SMTP_TIMEOUT"],
        link_grace_days=numbers["LINK_GRACE_DAYS"],
        link_max_age_days=numbers["LINK_MAX_AGE_DAYS"],
        jitsi_base_url=env.get("JITSI_BASE_URL", "https://meet.jit.si").rstrip("/"),
        ratelimit_storage_uri=ratelimit_storage_uri,
        trusted_proxies=trusted_proxies,
        web_workers=web_workers,
        db_connect_timeout=timeouts["DB_CONNECT_TIMEOUT"],
        db_statement_timeout=timeouts["DB_STATEMENT_TIMEOUT"],
        db_idle_in_transaction_timeout=timeouts["DB_IDLE_IN_TRANSACTION_TIMEOUT"],
        db_tcp_timeout=timeouts["DB_TCP_TIMEOUT"],
        db_busy_timeout=timeouts["DB_BUSY_TIMEOUT"],
        worker_in_process=_bool(env.get("WORKER_IN_PROCESS"), default=False),
        stun_url=env.get("STUN_URL", "").strip(),
        metrics_token=metrics_token,
        log_format=log_format,
        calendar_keys=calendar_keys,
        calendar_allow_private=_bool(env.get("CALENDAR_ALLOW_PRIVATE"),
                                     default=not production),
        talent_pool_months=numbers["TALENT_POOL_MONTHS"],
        retention_months=numbers["RETENTION_MONTHS"],
        upload_dir=env.get("UPLOAD_DIR", "") or str(instance / "uploads"),
        instance_dir=str(instance),
    )
