"""The worker's calendar duties, run once per pass after the mail: write interviews into
the panel's CalDAV calendars, then read the calendars whose time has come. Each step
claims its rows (``portal.locks.claim``) and commits on its own, so several workers share
the work and never do the same twice; a calendar server that fails costs its own timeout
and is retried later, never the pass."""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy.orm import Session

from portal.scheduling import calendars, sync
from portal.settings import Settings

log = logging.getLogger(__name__)


# A pass starts no new calendar work after this many seconds, so a slow calendar server
# (each request up to calendars.TIMEOUT) delays the next pass's mail by little.
BUDGET = 20.0


def run(db: Session, settings: Settings, stop: threading.Event | None = None) -> None:
    until = time.monotonic() + BUDGET
    for duty in (sync.push_due, calendars.refresh_due):
        if stop is not None and stop.is_set():
            return
        try:
            duty(db, settings, stop=stop, until=until)
        except Exception:  # the database went away mid-duty: the next pass tries again
            db.rollback()
            log.exception("calendar duty %s failed", duty.__name__)
