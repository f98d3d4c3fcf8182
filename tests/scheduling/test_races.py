"""Several workers at once over the calendar duties: every due calendar is read once and
every queued interview written once. Each worker is a thread with its own app context
(its own session and connection). The claims rely on PostgreSQL's row locks; SQLite runs
one writer at a time and is skipped."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from flask import Flask

from portal.extensions import db
from portal.scheduling import calendars, services, sync
from portal.timeutil import utcnow
from tests.factories import UserFactory, make_interview

WORKERS = 4
EMPTY = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nEND:VCALENDAR\r\n"


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


class _Threaded(WSGIServer):
    daemon_threads = True

    def process_request(self, request: Any, client_address: Any) -> None:
        threading.Thread(target=self._handle, args=(request, client_address),
                         daemon=True).start()

    def _handle(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        finally:
            self.shutdown_request(request)


@pytest.fixture()
def counting_server() -> Iterator[tuple[str, Counter]]:
    hits: Counter = Counter()
    lock = threading.Lock()

    def app(environ, start_response):  # type: ignore[no-untyped-def]
        with lock:
            hits[environ["PATH_INFO"]] += 1
        start_response("200 OK", [("Content-Type", "text/calendar")])
        return [EMPTY]

    server = make_server("127.0.0.1", 0, app, server_class=_Threaded, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", hits
    server.shutdown()
    server.server_close()


def _at_once(app: Flask, duty: Any) -> list[int]:
    start = threading.Barrier(WORKERS)
    results: list[Any] = []

    def worker() -> None:
        start.wait()
        with app.app_context():
            try:
                results.append(duty(db.session, app.config["PORTAL"]))
            except BaseException as exc:  # noqa: BLE001 - reported in the test's thread
                results.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not [r for r in results if isinstance(r, BaseException)], results
    return results


def test_four_workers_read_each_due_calendar_once(app, ctx, settings, counting_server) -> None:
    if ctx.get_bind().dialect.name != "postgresql":
        pytest.skip("the claims' row locks are PostgreSQL's; SQLite runs one writer at a time")
    base, hits = counting_server
    for i in range(6):
        services.connect_ics(ctx, settings, UserFactory(), f"{base}/cal{i}.ics")
    ctx.commit()
    hits.clear()
    later = utcnow() + calendars.REFRESH_EVERY + timedelta(minutes=1)
    done = _at_once(app, lambda session, s: calendars.refresh_due(session, s, now=later))
    assert sum(done) == 6
    assert sorted(hits.values()) == [1] * 6


def test_four_workers_write_each_queued_interview_once(app, ctx, settings, radicale) -> None:
    if ctx.get_bind().dialect.name != "postgresql":
        pytest.skip("the claims' row locks are PostgreSQL's; SQLite runs one writer at a time")
    recruiter = UserFactory(role="recruiter")
    maria = UserFactory(role="interviewer")
    calendar = radicale.new_calendar("maria")
    services.connect_caldav(ctx, settings, maria, radicale.url, "maria",
                            radicale.users["maria"], calendar=str(calendar.url))
    # An hour apart: Maria is never in two interviews at once.
    interviews = [make_interview(recruiter, interviewers=[maria], starts_at=utcnow().replace(
        microsecond=0) + timedelta(days=2, hours=n)) for n in range(5)]
    ctx.commit()
    done = _at_once(app, sync.push_due)
    assert sum(done) == 5
    assert all(sync.pending(ctx, i.id) is None for i in interviews)
    uids = sorted(str(e.icalendar_component["uid"]) for e in calendar.search(event=True))
    assert uids == sorted(i.uid for i in interviews)
