"""Is the database answering? Asked with a deadline, so ``/healthz`` answers in time
even when the server has gone silent.

A driver waits for a silent server for as long as TCP lets it (the connect timeout when
connecting; keepalives and the TCP user timeout on an open connection). The probe runs on a
daemon thread of its own with its own connection, and the caller waits at most ``timeout``.
While a probe is still stuck, later callers wait on that same probe instead of starting
another, so an outage holds at most one thread and one connection per engine.
"""

from __future__ import annotations

import threading
import weakref
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout

from sqlalchemy import text
from sqlalchemy.engine import Engine

_lock = threading.Lock()
_probes: weakref.WeakKeyDictionary[Engine, Future[None]] = weakref.WeakKeyDictionary()


def _probe(engine: Engine, result: Future[None]) -> None:
    try:
        with engine.connect() as connection:  # closed, or invalidated on error, on leaving
            connection.execute(text("SELECT 1"))
    except BaseException as exc:  # noqa: BLE001 - every failure is an answer: unhealthy
        result.set_exception(exc)
    else:
        result.set_result(None)


def database_answers(engine: Engine, timeout: float) -> bool:
    """True when ``SELECT 1`` comes back within ``timeout`` seconds."""
    with _lock:
        probe = _probes.get(engine)
        if probe is None or probe.done():
            probe = Future()
            _probes[engine] = probe
            threading.Thread(target=_probe, args=(engine, probe), daemon=True,
                             name="health-probe").start()
    try:
        probe.result(timeout=timeout)
    except FutureTimeout:
        return False
    except Exception:  # the driver's error: unreachable, refused, timed out
        return False
    return True
