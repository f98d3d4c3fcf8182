"""Typed settings read from the environment. The app refuses to boot on a weak secret."""

from __future__ import annotations

import importlib.util
import os
import secrets
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

PACKAGE = Path(__file__).resolve().parent  # templates, static files, migrations, catalogs
ROOT = PACKAGE.parent
INSTANCE = ROOT / "instance"
RELAXED_ENVS = ("demo", "development", "test")


class SettingsError(RuntimeError):
    """Raised when the environment does not describe a safe configuration."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name, "")
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from exc


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
    talent_pool_months: int = 12
    retention_months: int = 24
    upload_dir: str = str(INSTANCE / "uploads")

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
            server = []
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


def _demo_secret() -> str:
    """A per-machine secret for demo and development, kept in instance/ so links survive
    restarts. Never used in production."""
    INSTANCE.mkdir(exist_ok=True)
    path = INSTANCE / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read and check settings. Raises SettingsError on anything unsafe or malformed."""
    env = dict(os.environ if environ is None else environ)
    mode = env.get("PORTAL_ENV", "production").strip().lower() or "production"
    secret = env.get("SECRET_KEY", "")
    if not secret:
        if mode in RELAXED_ENVS:
            secret = _demo_secret()
        else:
            raise SettingsError(
                "SECRET_KEY is not set. Set it to at least 32 random bytes, e.g. "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
    if len(secret.encode()) < 32:
        raise SettingsError("SECRET_KEY must be at least 32 bytes long")
    fallbacks = tuple(k for k in env.get("SECRET_KEY_FALLBACKS", "").split(",") if k.strip())
    if any(len(k.encode()) < 32 for k in fallbacks):
        raise SettingsError("every key in SECRET_KEY_FALLBACKS must be at least 32 bytes long")

    database_url = env.get("DATABASE_URL", "") or f"sqlite:///{INSTANCE / 'portal.sqlite3'}"
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgres://")
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")

    mail_backend = env.get("MAIL_BACKEND", "database" if mode in RELAXED_ENVS else "smtp")
    if mail_backend not in ("smtp", "database"):
        raise SettingsError("MAIL_BACKEND must be 'smtp' or 'database'")
    mail_reply_to = env.get("MAIL_REPLY_TO", "").strip()
    if mail_reply_to and (
        "@" not in parseaddr(mail_reply_to)[1] or any(c in mail_reply_to for c in "\r\n")
    ):
        raise SettingsError("MAIL_REPLY_TO must be an email address, e.g. "
                            "'Rekrytering <jobb@example.com>'")

    ratelimit_storage_uri = (env.get("RATELIMIT_STORAGE_URI", "").strip()
                             or env.get("REDIS_URL", "").strip() or "memory://")
    web_workers = _int(env, "WEB_CONCURRENCY", 1)
    if mode not in RELAXED_ENVS and ratelimit_storage_uri.startswith("memory://") \
            and web_workers > 1:
        raise SettingsError(
            f"WEB_CONCURRENCY is {web_workers} but rate limits are kept in memory://: each "
            "worker would count on its own, so every limit (staff login included) would be "
            f"{web_workers} times looser. Set REDIS_URL (and pip install '.[redis]'), "
            "or run one worker")
    if ratelimit_storage_uri.startswith(("redis://", "rediss://", "redis+")) \
            and importlib.util.find_spec("redis") is None:
        raise SettingsError("rate limits in Redis need the redis client: "
                            "pip install '.[redis]'")
    trusted_proxies = _int(env, "TRUSTED_PROXIES", 0)
    if not 0 <= trusted_proxies <= 5:
        raise SettingsError("TRUSTED_PROXIES is the number of proxies in front of the app "
                            "(0 to 5)")
    timeouts = {name: _int(env, name, default) for name, default in (
        ("DB_CONNECT_TIMEOUT", 3), ("DB_STATEMENT_TIMEOUT", 30),
        ("DB_IDLE_IN_TRANSACTION_TIMEOUT", 300), ("DB_TCP_TIMEOUT", 30),
        ("DB_BUSY_TIMEOUT", 5))}
    for name, value in timeouts.items():
        if value < 0:
            raise SettingsError(f"{name} is a number of seconds, 0 or more")

    return Settings(
        env=mode,
        secret_key=secret,
        secret_key_fallbacks=fallbacks,
        database_url=database_url,
        base_url=env.get("PORTAL_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        default_timezone=env.get("PORTAL_TIMEZONE", "Europe/Stockholm"),
        mail_backend=mail_backend,
        mail_from=env.get("MAIL_FROM", "Rekrytering <no-reply@localhost>"),
        mail_reply_to=mail_reply_to,
        smtp_host=env.get("SMTP_HOST", "localhost"),
        smtp_port=_int(env, "SMTP_PORT", 25),
        smtp_username=env.get("SMTP_USERNAME", ""),
        smtp_password=env.get("SMTP_PASSWORD", ""),
        smtp_starttls=_bool(env.get("SMTP_STARTTLS")),
        smtp_ssl=_bool(env.get("SMTP_SSL")),
        smtp_timeout=_int(env, "SMTP_TIMEOUT", 20),
        link_grace_days=_int(env, "LINK_GRACE_DAYS", 30),
        link_max_age_days=_int(env, "LINK_MAX_AGE_DAYS", 400),
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
        talent_pool_months=_int(env, "TALENT_POOL_MONTHS", 12),
        retention_months=_int(env, "RETENTION_MONTHS", 24),
        upload_dir=env.get("UPLOAD_DIR", "") or str(INSTANCE / "uploads"),
    )
