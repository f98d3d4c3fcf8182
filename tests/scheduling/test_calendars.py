"""Calendars read from a real CalDAV server (Radicale) and an ICS address, into the slot
engine: busy times, all-day events, a weekly event with a moved and a removed instance,
events in another zone, summer time in Stockholm and New York, and failing closed."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from portal.errors import DomainError
from portal.extensions import db
from portal.scheduling import calendars, services
from portal.scheduling.availability import SlotRules, free_slots, slot_is_free
from portal.scheduling.engine import Period
from portal.scheduling.models import CalendarConnection
from tests.conftest import RadicaleServer
from tests.factories import UserFactory

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NEW_YORK = ZoneInfo("America/New_York")

VTIMEZONES = """BEGIN:VTIMEZONE
TZID:Europe/Stockholm
BEGIN:STANDARD
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VTIMEZONE
TZID:America/New_York
BEGIN:STANDARD
DTSTART:19701101T020000
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700308T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
END:DAYLIGHT
END:VTIMEZONE
"""


def ics(*events: str) -> str:
    body = "".join(f"BEGIN:VEVENT\nDTSTAMP:20261201T000000Z\n{e.strip()}\nEND:VEVENT\n"
                   for e in events)
    return f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//tests//EN\n{VTIMEZONES}{body}END:VCALENDAR\n"


def member(tzname: str, start: int, end: int, days: range = range(5)) -> Any:
    """A staff member with working hours (minutes) on ``days`` in ``tzname``."""
    user = UserFactory(role="interviewer")
    services.save_schedule(db.session, user, user, tzname,
                           {d: Period(start, end) for d in days})
    db.session.flush()
    return user


def connect(settings: Any, server: RadicaleServer, user: Any, login: str, calendar: Any,
            now: datetime) -> CalendarConnection:
    done = services.connect_caldav(db.session, settings, user, server.url, login,
                                   server.users[login], calendar=str(calendar.url), now=now)
    db.session.commit()
    return done.connection


def local_hours(slots: list[Any], tz: ZoneInfo) -> dict[date, list[int]]:
    out: dict[date, list[int]] = defaultdict(list)
    for slot in slots:
        local = slot.start.astimezone(tz)
        out[local.date()].append(local.hour)
    return dict(out)


def hourly(start: datetime, end: datetime, **kw: Any) -> SlotRules:
    return SlotRules(duration=timedelta(hours=1), window_start=start, window_end=end,
                     step=timedelta(hours=1), **kw)


def test_busy_times_all_day_recurring_with_exceptions_and_other_zones(ctx, settings,
                                                                      radicale) -> None:
    now = datetime(2027, 1, 1, tzinfo=UTC)
    maria = member("Europe/Stockholm", 8 * 60, 18 * 60)
    cal = radicale.new_calendar("maria")
    cal.save_event(dtstart=datetime(2027, 1, 5, 9, tzinfo=UTC),
                   dtend=datetime(2027, 1, 5, 10, tzinfo=UTC), summary="Dentist")
    cal.save_event(dtstart=date(2027, 1, 6), dtend=date(2027, 1, 7), summary="Conference")
    cal.save_event(ical=ics("""
UID:weekly-1
DTSTART;TZID=Europe/Stockholm:20270104T100000
DTEND;TZID=Europe/Stockholm:20270104T110000
RRULE:FREQ=WEEKLY;COUNT=6
EXDATE;TZID=Europe/Stockholm:20270111T100000
SUMMARY:Team meeting""", """
UID:weekly-1
RECURRENCE-ID;TZID=Europe/Stockholm:20270118T100000
DTSTART;TZID=Europe/Stockholm:20270118T140000
DTEND;TZID=Europe/Stockholm:20270118T150000
SUMMARY:Team meeting (moved)"""))
    cal.save_event(ical=ics("""
UID:ny-1
DTSTART;TZID=America/New_York:20270107T040000
DTEND;TZID=America/New_York:20270107T050000
SUMMARY:Call with New York"""))
    cal.save_event(ical=ics("""
UID:free-1
DTSTART;TZID=Europe/Stockholm:20270108T100000
DTEND;TZID=Europe/Stockholm:20270108T110000
TRANSP:TRANSPARENT
SUMMARY:Reminder only""", ))
    cal.save_event(ical=ics("""
UID:off-1
DTSTART;TZID=Europe/Stockholm:20270108T130000
DTEND;TZID=Europe/Stockholm:20270108T140000
STATUS:CANCELLED
SUMMARY:Called off"""))
    connection = connect(settings, radicale, maria, "maria", cal, now)
    assert connection.last_error == ""
    # Weekly: 6 instances less the removed one; plus the single, all-day, New York ones.
    assert connection.busy_count == 8

    result = free_slots(db.session, [maria.id], hourly(
        datetime(2027, 1, 4, tzinfo=UTC), datetime(2027, 1, 23, tzinfo=UTC)), now)
    assert result.unreadable == {}
    hours = local_hours(result.slots, STOCKHOLM)
    assert 10 not in hours[date(2027, 1, 4)] and 9 in hours[date(2027, 1, 4)]
    assert 10 not in hours[date(2027, 1, 5)] and 11 in hours[date(2027, 1, 5)]
    assert date(2027, 1, 6) not in hours  # the all-day event takes the whole day
    assert 10 not in hours[date(2027, 1, 7)]  # 04:00 in New York
    assert {10, 13} <= set(hours[date(2027, 1, 8)])  # transparent and cancelled: free
    assert 10 in hours[date(2027, 1, 11)]  # the removed instance
    assert 10 in hours[date(2027, 1, 18)] and 14 not in hours[date(2027, 1, 18)]  # moved


def _weekday_hours(hours: dict[date, list[int]], first: date, last: date) -> set[tuple]:
    return {tuple(h) for d, h in hours.items() if first <= d <= last}


@pytest.mark.parametrize("season", ["march", "october"])
def test_a_panel_in_stockholm_and_new_york_across_the_change_of_summer_time(
        ctx, settings, radicale, season) -> None:
    """Stockholm works 15-18, New York 09-12 with a daily call 11-12 New York time: the
    common hours follow each city's own clock as the two change on different Sundays."""
    maria = member("Europe/Stockholm", 15 * 60, 18 * 60)
    nina = member("America/New_York", 9 * 60, 12 * 60)
    first = "20270322" if season == "march" else "20271025"
    now = (datetime(2027, 3, 15, tzinfo=UTC) if season == "march"
           else datetime(2027, 10, 20, tzinfo=UTC))
    cal = radicale.new_calendar("nina")
    cal.save_event(ical=ics(f"""
UID:daily-{season}
DTSTART;TZID=America/New_York:{first}T110000
DTEND;TZID=America/New_York:{first}T120000
RRULE:FREQ=DAILY;COUNT=30
SUMMARY:Daily call"""))
    connect(settings, radicale, nina, "nina", cal, now)
    connect(settings, radicale, maria, "maria", radicale.new_calendar("maria"), now)
    if season == "march":
        window = hourly(datetime(2027, 3, 22, tzinfo=UTC), datetime(2027, 4, 3, tzinfo=UTC))
    else:
        window = hourly(datetime(2027, 10, 25, tzinfo=UTC), datetime(2027, 11, 13, tzinfo=UTC))
    result = free_slots(db.session, [maria.id, nina.id], window, now)
    assert result.unreadable == {}
    hours = local_hours(result.slots, STOCKHOLM)
    if season == "march":  # New York changed on 14 March, Stockholm on 28 March
        assert _weekday_hours(hours, date(2027, 3, 22), date(2027, 3, 26)) == {(15,)}
        assert _weekday_hours(hours, date(2027, 3, 29), date(2027, 4, 2)) == {(15, 16)}
    else:  # Stockholm changed back on 31 October, New York on 7 November
        assert _weekday_hours(hours, date(2027, 10, 25), date(2027, 10, 29)) == {(15, 16)}
        assert _weekday_hours(hours, date(2027, 11, 1), date(2027, 11, 5)) == {(15,)}
        assert _weekday_hours(hours, date(2027, 11, 8), date(2027, 11, 12)) == {(15, 16)}
    # Every slot is 15:00 or 16:00 on the Stockholm clock (the lead's grid), and the
    # New York member's 09:00-12:00 in their own clock.
    for slot in result.slots:
        ny = slot.start.astimezone(NEW_YORK)
        assert ny.hour >= 9 and slot.end.astimezone(NEW_YORK).hour <= 11


def test_an_unreadable_calendar_fails_closed(ctx, settings, tmp_path) -> None:
    """Wrong password, a stopped server, a cache too old: that member is busy, the result
    says why, and any-of-a-pool picks only the others."""
    server = RadicaleServer(tmp_path / "own").start()
    try:
        now = datetime(2027, 5, 3, 6, tzinfo=UTC)
        maria = member("Europe/Stockholm", 9 * 60, 17 * 60)
        olle = member("Europe/Stockholm", 9 * 60, 17 * 60)
        connection = connect(settings, server, maria, "maria", server.new_calendar("maria"),
                             now)
        window = hourly(datetime(2027, 5, 3, tzinfo=UTC), datetime(2027, 5, 8, tzinfo=UTC))
        start = next(iter(free_slots(db.session, [maria.id], window, now).slots)).start
        assert slot_is_free(db.session, [maria.id, olle.id], start, window, now)

        def check(code: str) -> None:
            both = free_slots(db.session, [maria.id, olle.id], window, now)
            assert both.slots == [] and set(both.unreadable) == {maria.id}
            assert str(calendars.ERROR_WORDS[code]) in both.unreadable[maria.id]
            assert not slot_is_free(db.session, [maria.id, olle.id], start, window, now)
            pool = free_slots(db.session, [maria.id, olle.id], replace(window, required=1),
                              now)
            assert pool.slots and all(s.interviewer_ids == (olle.id,) for s in pool.slots)

        # The password changed on the server.
        (server.folder / "users").write_text("maria:a-new-password\n")
        failure = calendars.refresh_connection(db.session, settings, connection.id, now)
        assert failure is not None and failure.code == "auth"
        check("auth")
        # The right password again: readable and free again.
        (server.folder / "users").write_text(f"maria:{server.users['maria']}\n")
        assert calendars.refresh_connection(db.session, settings, connection.id, now) is None
        assert free_slots(db.session, [maria.id, olle.id], window, now).slots
        # Nothing read for longer than the limit.
        later = now + calendars.STALE_AFTER + timedelta(minutes=1)
        stale = free_slots(db.session, [maria.id], window, later)
        assert stale.slots == [] and str(calendars.ERROR_WORDS["stale"]) in \
            stale.unreadable[maria.id]
        # The server is down.
        server.stop()
        failure = calendars.refresh_connection(db.session, settings, connection.id, now)
        assert failure is not None and failure.code == "connect"
        check("connect")
        db.session.expire_all()
        kept = db.session.get(CalendarConnection, connection.id)
        assert kept.last_error.startswith("connect") and kept.last_attempt_at == now
    finally:
        server.stop()


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def ics_server() -> Iterator[dict[str, Any]]:
    """An HTTP server on loopback serving what the test puts in ``files``."""
    files: dict[str, bytes] = {}

    def app(environ, start_response):  # type: ignore[no-untyped-def]
        body = files.get(environ["PATH_INFO"])
        if body is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"no"]
        start_response("200 OK", [("Content-Type", "text/calendar"),
                                  ("Content-Length", str(len(body)))])
        return [body]

    server = make_server("127.0.0.1", 0, app, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_port}", "files": files}
    server.shutdown()
    server.server_close()


def test_an_ics_address_with_events_and_free_busy(ctx, settings, ics_server) -> None:
    now = datetime(2027, 2, 1, tzinfo=UTC)
    maria = member("Europe/Stockholm", 9 * 60, 17 * 60)
    ics_server["files"]["/private/abc.ics"] = ics("""
UID:weekly-ics
DTSTART;TZID=Europe/Stockholm:20270201T090000
DTEND;TZID=Europe/Stockholm:20270201T100000
RRULE:FREQ=WEEKLY;COUNT=3""").replace("END:VCALENDAR", """BEGIN:VFREEBUSY
DTSTAMP:20261201T000000Z
FREEBUSY;FBTYPE=BUSY:20270202T120000Z/20270202T130000Z
FREEBUSY;FBTYPE=FREE:20270203T120000Z/20270203T130000Z
END:VFREEBUSY
END:VCALENDAR""").encode()
    connection = services.connect_ics(db.session, settings, maria,
                                      ics_server["url"] + "/private/abc.ics", now=now)
    db.session.commit()
    assert connection.kind == "ics" and connection.busy_count == 4
    assert "abc.ics" not in connection.label and "abc.ics" not in connection.secret
    hours = local_hours(free_slots(db.session, [maria.id], hourly(
        datetime(2027, 2, 1, tzinfo=UTC), datetime(2027, 2, 6, tzinfo=UTC)), now).slots,
        STOCKHOLM)
    assert 9 not in hours[date(2027, 2, 1)] and 13 not in hours[date(2027, 2, 2)]
    assert 13 in hours[date(2027, 2, 3)]

    # Not a calendar, too large, missing: refused inline, nothing stored.
    ics_server["files"]["/junk.ics"] = b"<html>hello</html>"
    ics_server["files"]["/huge.ics"] = b"X" * (calendars.MAX_ICS_BYTES + 1)
    for path, words in (("/junk.ics", "not_calendar"), ("/huge.ics", "too_large"),
                        ("/missing.ics", "not_found")):
        with pytest.raises(DomainError) as caught:
            services.connect_ics(db.session, settings, maria, ics_server["url"] + path, now=now)
        assert str(calendars.ERROR_WORDS[words]) in str(caught.value.message)
    assert db.session.scalars(select(CalendarConnection)).all() == [connection]


def test_private_addresses_are_refused_where_not_allowed(ctx, settings, ics_server) -> None:
    strict = replace(settings, env="production", calendar_allow_private=False,
                     calendar_keys=("a" * 43 + "=",))
    maria = UserFactory()
    for url in (ics_server["url"] + "/x.ics", "https://127.0.0.1/cal", "https://10.1.2.3/cal",
                "https://[::1]/cal", "http://example.com/cal", "ftp://example.com/cal",
                "https://user:pw@example.com/cal"):
        with pytest.raises(DomainError) as caught:
            services.connect_ics(db.session, strict, maria, url)
        assert str(calendars.ERROR_WORDS["address"]) in str(caught.value.message), url
    with pytest.raises(DomainError) as caught:
        services.connect_caldav(db.session, strict, maria, "https://localhost:5232/", "a", "b")
    assert str(calendars.ERROR_WORDS["address"]) in str(caught.value.message)
    # Production without CALENDAR_KEY connects nothing.
    keyless = replace(strict, calendar_keys=())
    with pytest.raises(DomainError, match="CALENDAR_KEY"):
        services.connect_ics(db.session, keyless, maria, "https://example.com/cal.ics")


def test_credentials_are_encrypted_at_rest_and_keys_rotate(ctx, settings, radicale) -> None:
    from cryptography.fernet import Fernet

    now = datetime(2027, 6, 1, tzinfo=UTC)
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    first = replace(settings, calendar_keys=(old,))
    maria = member("Europe/Stockholm", 9 * 60, 17 * 60)
    connection = connect(first, radicale, maria, "maria", radicale.new_calendar("maria"), now)
    stored = db.session.get(CalendarConnection, connection.id)
    assert radicale.users["maria"] not in stored.secret and "maria" not in stored.secret
    # Rotated: the new key first, the old one still opens what it sealed.
    rotated = replace(settings, calendar_keys=(new, old))
    assert calendars.refresh_connection(db.session, rotated, connection.id, now) is None
    # Only the new key: the old secret no longer opens, and the member is busy.
    failure = calendars.refresh_connection(db.session, replace(settings, calendar_keys=(new,)),
                                           connection.id, now)
    assert failure is not None and failure.code == "bad_key"
    assert free_slots(db.session, [maria.id], hourly(now, now + timedelta(days=3)),
                      now).unreadable


def test_calendar_settings_are_checked_at_start(tmp_path) -> None:
    from cryptography.fernet import Fernet

    from portal.settings import SettingsError, load_settings

    env = {"PORTAL_ENV": "production", "SECRET_KEY": "s" * 48,
           "PORTAL_BASE_URL": "https://jobs.example.com",
           "MAIL_FROM": "Jobs <no-reply@jobs.example.com>",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite3'}"}
    production = load_settings(env)
    assert production.calendar_keys == () and not production.calendar_allow_private
    keys = [Fernet.generate_key().decode() for _ in range(2)]
    rotated = load_settings({**env, "CALENDAR_KEY": f" {keys[0]}, {keys[1]} "})
    assert rotated.calendar_keys == tuple(keys)
    assert keys[0] not in repr(rotated)
    with pytest.raises(SettingsError, match="CALENDAR_KEY must be one or more Fernet keys"):
        load_settings({**env, "CALENDAR_KEY": "not-a-key"})
    assert load_settings({**env, "PORTAL_ENV": "test"}).calendar_allow_private


def test_one_query_per_kind_of_data_whatever_the_panel(app, ctx, settings, ics_server) -> None:
    from sqlalchemy import event

    now = datetime(2027, 2, 1, tzinfo=UTC)
    ics_server["files"]["/c.ics"] = ics("""
UID:one
DTSTART;TZID=Europe/Stockholm:20270202T090000
DTEND;TZID=Europe/Stockholm:20270202T100000""").encode()
    panel = [member("Europe/Stockholm", 9 * 60, 17 * 60) for _ in range(4)]
    for person in panel:
        services.connect_ics(db.session, settings, person, ics_server["url"] + "/c.ics",
                             now=now)
        services.add_day_off(db.session, person, date(2027, 2, 3))
    db.session.commit()
    rules = hourly(datetime(2027, 2, 1, tzinfo=UTC), datetime(2027, 2, 6, tzinfo=UTC))

    def queries(ids: list[int]) -> tuple[int, int]:
        statements: list[str] = []

        def record(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            found = free_slots(db.session, ids, rules, now)
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        return len(statements), len(found.slots)

    one, one_slots = queries([panel[0].id])
    four, four_slots = queries([p.id for p in panel])
    assert one == four <= 7
    assert one_slots == four_slots > 0  # the same hours and calendar for everyone
