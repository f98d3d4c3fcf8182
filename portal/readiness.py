"""``/readyz``: may this instance take traffic? ``/healthz`` (liveness) asks only whether the
database answers; readiness also asks whether the schema is the one this code expects and
whether Redis, when the rate limits are kept there, answers.

Each check is named in the JSON body; the answer is 200 when all pass and 503 otherwise:

- ``database``: ``ok`` or ``unreachable`` (the health probe, at most 2 s);
- ``migrations``: ``ok`` at the head of ``portal/migrations``; ``behind`` (run
  ``flask db upgrade``) or ``not applied`` fail; ``ahead`` (the database carries a newer
  revision than this code knows: a newer release migrated it, and this one still serves
  while it is rolled out) passes;
- ``redis``: ``ok``, ``unreachable`` (1-second timeouts), or ``not configured``.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import Flask, current_app, jsonify
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import csrf, db, limiter
from portal.health import database_answers
from portal.settings import PACKAGE

log = logging.getLogger(__name__)

READY_TIMEOUT = 2.0  # seconds to wait for the database
REDIS_SCHEMES = ("redis://", "rediss://", "redis+")


@functools.cache
def _scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(PACKAGE / "migrations"))
    return ScriptDirectory.from_config(config)


@functools.cache
def script_heads() -> frozenset[str]:
    """The head revision(s) of this code's migrations: read once per process."""
    return frozenset(_scripts().get_heads())


def _known(revision: str) -> bool:
    try:
        return _scripts().get_revision(revision) is not None
    except CommandError:  # a revision this code has never heard of
        return False


def migrations_state(engine: Engine) -> str:
    """``ok``, ``behind``, ``ahead`` or ``not applied``: the database's Alembic
    revision compared with this code's head."""
    with engine.connect() as conn:
        current = frozenset(MigrationContext.configure(conn).get_current_heads())
    if current == script_heads():
        return "ok"
    if not current:
        return "not applied"
    if all(_known(revision) for revision in current):
        return "behind"
    return "ahead"


def redis_state(app: Flask) -> str | None:
    """``ok`` or ``unreachable`` when the rate limits are kept in Redis, else None. Asks
    with the limiter's own storage options (1-second timeouts, see ``create_app``), on a
    client of its own made once per app."""
    uri = app.config.get("RATELIMIT_STORAGE_URI", "")
    if not uri.startswith(REDIS_SCHEMES):
        return None
    storage = app.extensions.get("portal_readiness_redis")
    if storage is None:
        from limits.storage import storage_from_string

        storage = storage_from_string(uri, **app.config.get("RATELIMIT_STORAGE_OPTIONS", {}))
        app.extensions["portal_readiness_redis"] = storage
    return "ok" if storage.check() else "unreachable"


def readyz() -> Any:
    """Ready to take traffic: the database answers, its schema is at this code's head,
    and Redis answers when the rate limits are kept there. 200 or 503, each check named."""
    checks: dict[str, str] = {}
    ready = database_answers(db.engine, READY_TIMEOUT)
    checks["database"] = "ok" if ready else "unreachable"
    if ready:
        try:
            checks["migrations"] = migrations_state(db.engine)
        except SQLAlchemyError:
            checks["migrations"] = "unknown"
    else:
        checks["migrations"] = "unknown"
    ready = ready and checks["migrations"] in ("ok", "ahead")
    redis = redis_state(current_app)
    checks["redis"] = redis or "not configured"
    ready = ready and redis in (None, "ok")
    if not ready:
        log.warning("not ready: %s", ", ".join(
            f"{name} {state}" for name, state in checks.items()
            if state not in ("ok", "ahead", "not configured")))
        response = jsonify(status="error", checks=checks)
        response.headers["Retry-After"] = "10"
        return response, 503
    return jsonify(status="ok", checks=checks)


def init_app(app: Flask) -> None:
    view: Any = limiter.exempt(readyz)
    app.add_url_rule("/readyz", "readyz", view)
    csrf.exempt(view)
