"""The staff week views: an interviewer's week (working hours, days off, busy times from
their calendar, the portal's interviews, the booking requests they are in) and an
opening's (its interviews, who has not booked yet, and their reminders). Who may see
which week; htmx answers with just the week; odd week values never fail; a bounded number
of queries."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import event, select

from portal.booking import services, week
from portal.booking.models import BookingOffer
from portal.extensions import db
from portal.scheduling import services as availability
from portal.scheduling.calendars import Busy, store_reading
from portal.scheduling.engine import Period
from portal.scheduling.models import CalendarConnection
from portal.timeutil import utcnow, zone
from tests.booking.helpers import offer_round
from tests.factories import CandidateFactory, UserFactory, make_application, make_interview
from tests.feedback.test_views import client_for

STOCKHOLM = zone("Europe/Stockholm")


def _next_monday() -> date:
    today = utcnow().astimezone(STOCKHOLM).date()
    return today + timedelta(days=7 - today.weekday())


def _at(day: date, hour: int, minute: int = 0, tz=STOCKHOLM) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)


@pytest.fixture()
def world(ctx, settings):
    """Next week: Maria works Monday to Friday 09-17 with lunch 12-13 and has Thursday off;
    her calendar says she is busy on Tuesday 14:00-15:00; she sits on Anna's interview on
    Monday 10:00. Johan sits on Ben's interview (another opening) on Tuesday. Maria and
    Johan are the pool of a round offered to Cecilia, open Monday to Wednesday."""
    recruiter = UserFactory(email="rec@example.com", role="recruiter", name="Rebecka R")
    maria = UserFactory(email="maria@example.com", role="interviewer", name="Maria M")
    johan = UserFactory(email="johan@example.com", role="interviewer", name="Johan J")
    monday = _next_monday()
    lunch = Period(9 * 60, 17 * 60, 12 * 60, 13 * 60)
    availability.save_schedule(ctx, maria, maria, "Europe/Stockholm",
                               {d: lunch for d in range(5)})
    availability.add_day_off(ctx, maria, monday + timedelta(days=3))
    connection = CalendarConnection(user_id=maria.id, kind="ics", label="Work · cal.example",
                                    secret="-", last_error="", busy_count=0,
                                    last_sync_error="")
    ctx.add(connection)
    ctx.flush()
    store_reading(ctx, connection, [Busy(_at(monday + timedelta(days=1), 14),
                                         _at(monday + timedelta(days=1), 15),
                                         "dentist-appointment-uid")], None, utcnow())
    anna = make_application(recruiter, CandidateFactory(
        name="Anna Andersson", email="anna@example.com", phone="070-111 22 33"))
    interview = make_interview(recruiter, anna, starts_at=_at(monday, 10),
                               interviewers=[maria], round_name="Panel round")
    other = make_application(recruiter, CandidateFactory(name="Ben Berg"))
    make_interview(recruiter, other, starts_at=_at(monday + timedelta(days=1), 11),
                   interviewers=[johan], round_name="Secret round")
    cecilia = make_application(recruiter, CandidateFactory(name="Cecilia Ceder"),
                               anna.opening)
    offer_round(recruiter, [cecilia], [maria, johan], first=monday,
                last=monday + timedelta(days=2), round_name="Booked round", required=1)
    ctx.commit()
    return {"recruiter": recruiter, "maria": maria, "johan": johan, "monday": monday,
            "interview": interview, "anna": anna, "cecilia": cecilia}


def _text(html: str) -> str:
    """The page's words, without tags, spaces run together."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_an_interviewer_sees_their_own_week(app, world):
    monday = world["monday"]
    page = client_for(app, "maria@example.com").get(f"/staff/week?week={monday.isoformat()}")
    assert page.status_code == 200
    text = _text(page.text)
    assert f"Week {monday.isocalendar()[1]}" in text
    assert "Times in Stockholm time (Europe/Stockholm)." in text
    # Her interview, with the candidate's name and round, linking to the candidate page.
    assert "Anna Andersson" in text and "Panel round" in text
    assert f'href="/staff/candidates/{world["anna"].candidate_id}"' in page.text
    assert "10:00–10:45" in text
    # Working hours with the lunch break, the day off, the busy time (no details).
    assert "Working hours: 09:00–12:00, 13:00–17:00" in text
    assert text.count("Day off") >= 2  # the key, and Thursday's column and list
    thursday = re.search(r'id="wl-d4">(.*?)</section>', page.text, re.S).group(1)
    assert "Day off" in thursday and "Working hours" not in thursday
    tuesday = _text(re.search(r'id="wl-d2">(.*?)</section>', page.text, re.S).group(1))
    assert "14:00–15:00 Busy" in tuesday
    assert "dentist" not in page.text
    # The round she is in the pool of, without the names of those offered it.
    assert "Open for booking this week" in text and "Booked round" in text
    assert "1 candidate has not booked yet" in text
    assert "Cecilia" not in text
    # Nothing of interviews she does not sit on.
    assert "Ben Berg" not in text and "Secret round" not in text


def test_an_interviewer_cannot_see_anyone_elses_week_or_an_opening(app, world):
    client = client_for(app, "maria@example.com")
    for person in (world["johan"].id, world["recruiter"].id, 999999, -3, "x", "2" * 30):
        assert client.get(f"/staff/week?person={person}").status_code == 404, person
    assert client.get(f"/staff/week?person={world['maria'].id}").status_code == 200
    assert client.get(f"/staff/openings/{world['anna'].opening_id}/week").status_code == 403


def test_a_recruiter_sees_anyones_week_in_the_portals_zone(app, ctx, world):
    maria = world["maria"]
    availability.save_schedule(ctx, maria, maria, "America/New_York",
                               {d: Period(9 * 60, 17 * 60) for d in range(5)})
    ctx.commit()
    monday = world["monday"]
    recruiter = client_for(app, "rec@example.com")
    page = recruiter.get(f"/staff/week?person={maria.id}&week={monday.isoformat()}")
    assert page.status_code == 200
    text = _text(page.text)
    assert "Week for Maria M" in text
    assert "Times in Stockholm time (Europe/Stockholm)." in text
    assert "10:00–10:45" in text  # the interview, in Stockholm
    # New York's 09:00-17:00 is 15:00-23:00 in Stockholm.
    assert "Working hours: 15:00–23:00" in text
    # Maria herself sees her week in her own zone.
    own = _text(client_for(app, "maria@example.com").get(
        f"/staff/week?week={monday.isoformat()}").text)
    assert "Times in New York time (America/New_York)." in own
    assert "04:00–04:45" in own and "Working hours: 09:00–17:00" in own
    # The recruiter may pick anyone; the list names every active member.
    assert 'name="person"' in page.text and "Johan J" in page.text


def test_the_opening_week_shows_its_interviews_and_who_has_not_booked(app, ctx, settings,
                                                                      world):
    monday = world["monday"]
    opening_id = world["anna"].opening_id
    # A second candidate was offered the round three days ago: the worker reminds them.
    david = make_application(world["recruiter"], CandidateFactory(name="David Dahl"),
                             world["anna"].opening)
    offer_round(world["recruiter"], [david], [world["maria"]], first=monday,
                last=monday + timedelta(days=6), round_name="Late round")
    ctx.flush()
    late = ctx.scalar(select(BookingOffer).where(BookingOffer.application_id == david.id))
    late.sent_at = utcnow() - timedelta(days=3)
    assert services.queue_booking_reminders(ctx, settings) == 1
    ctx.commit()
    page = client_for(app, "rec@example.com").get(
        f"/staff/openings/{opening_id}/week?week={monday.isoformat()}")
    assert page.status_code == 200
    text = _text(page.text)
    assert "Anna Andersson" in text and "Panel round" in text and "Maria M" in text
    assert "Ben Berg" not in text  # another opening's interview
    waiting = _text(re.search(r'id="week-waiting-h">(.*?)</section>', page.text,
                              re.S).group(1))
    assert "Cecilia Ceder" in waiting and "David Dahl" in waiting
    cecilia = re.search(r"Cecilia Ceder(.*?)(?:David|$)", waiting).group(1)
    assert "Due " in cecilia
    assert "Reminded" in re.search(r"David Dahl(.*)", waiting).group(1)
    # David waits longest, so comes first.
    assert waiting.index("David Dahl") < waiting.index("Cecilia Ceder")


def test_reminder_states_follow_the_reminder_duty():
    """The four states, from the same constants the duty uses."""
    now = datetime(2026, 12, 7, 12, tzinfo=zone("UTC"))

    class Request:
        window_ends_at = now + timedelta(days=10)

    class Offer:
        request = Request()
        reminded_at = None
        sent_at = now - timedelta(hours=1)

    offer = Offer()
    assert week.reminder_state(offer, now) == ("due", offer.sent_at + services.REMIND_AFTER)
    offer.sent_at = now - services.REMIND_AFTER - timedelta(minutes=1)
    assert week.reminder_state(offer, now) == ("sending", None)
    Request.window_ends_at = offer.sent_at + services.REMIND_AFTER + services.REMIND_UNTIL
    assert week.reminder_state(offer, now) == ("none_window", None)
    offer.reminded_at = now - timedelta(hours=2)
    assert week.reminder_state(offer, now) == ("sent", offer.reminded_at)
    offer.reminded_at, Request.window_ends_at = None, now
    assert week.reminder_state(offer, now) == ("closed", None)


def test_htmx_asks_for_just_the_week_and_the_address_stays_usable(app, world):
    client = client_for(app, "maria@example.com")
    following = world["monday"] + timedelta(days=7)
    path = f"/staff/week?week={following.isoformat()}"
    full = client.get(path)
    part = client.get(path, headers={"HX-Request": "true", "HX-Target": "week"})
    assert part.status_code == 200
    assert part.text.lstrip().startswith('<div id="week"')
    assert "<html" not in part.text and "autofocus" in part.text
    assert "HX-Request" in part.headers.get("Vary", "")
    # The partial is the page's own week, and its arrows name the neighbouring weeks.
    assert _text(part.text).strip() in _text(full.text)
    for neighbour in (following - timedelta(days=7), following + timedelta(days=7)):
        assert f'hx-get="/staff/week?week={neighbour.isoformat()}"' in part.text
    assert 'hx-push-url="true"' in part.text
    # A bare HX-Request (another target) gets the whole page.
    bare = client.get(path, headers={"HX-Request": "true"})
    assert "<html" in bare.text


@pytest.mark.parametrize("value", [
    "", "x", "2026-13-01", "2026-02-30", "9999-12-31", "0001-01-01", "1999-12-31", "2026-W99",
    "2026-W00", "-1", "2" * 40, "2026-12-07T10:00", "\u202e", "2026-w5", "NaN", "2026-W53"])
def test_odd_week_values_show_a_week_never_an_error(app, world, value):
    client = client_for(app, "rec@example.com")
    for path in ("/staff/week", f"/staff/openings/{world['anna'].opening_id}/week"):
        page = client.get(path, query_string={"week": value})
        assert page.status_code == 200, (path, value)
        assert "Week " in page.text


def test_week_values_name_the_week_they_say():
    today = date(2026, 12, 2)
    assert week.monday_of("2026-12-16", today) == date(2026, 12, 14)
    assert week.monday_of("2026-W51", today) == date(2026, 12, 14)
    assert week.monday_of("2027-01-03", today) == date(2026, 12, 28)  # a Sunday
    assert week.monday_of("2026-W53", today) == date(2026, 12, 28)  # 2026 has 53 weeks
    assert week.monday_of("2027-W53", today) == date(2026, 11, 30)  # 2027 has not: today
    assert week.monday_of(None, today) == date(2026, 11, 30)
    assert week.monday_of("1999-12-31", today) == date(2026, 11, 30)


def test_overlapping_items_sit_side_by_side_and_rows_follow_the_clock():
    monday = date(2026, 3, 23)  # summer time begins in Stockholm on Sunday 29 March
    sunday = monday + timedelta(days=6)
    items = [week.Item("busy", _at(monday, 10), _at(monday, 11)),
             week.Item("busy", _at(monday, 10, 30), _at(monday, 12)),
             week.Item("busy", _at(monday, 13), _at(monday, 14)),
             week.Item("busy", _at(sunday, 10), _at(sunday, 10, 45))]
    laid = week.layout(monday, "Europe/Stockholm", _at(monday, 8), [], items, [])
    first = laid.days[0]
    assert first.lanes == 2
    assert [p.lane for p in first.placed] == [1, 2, 0]
    assert laid.first_minute == 8 * 60 and laid.last_minute == 17 * 60
    # Row 1 is 08:00; a row is a quarter hour.
    assert [(p.row, p.row_end) for p in first.placed] == [(9, 13), (11, 17), (21, 25)]
    # On the day the clocks go forward, 10:00 is still 10:00 on the grid.
    assert [(p.row, p.row_end) for p in laid.days[6].placed] == [(9, 12)]
    assert laid.days[0].is_today and not laid.days[1].is_today


def test_a_long_busy_time_outside_the_hours_shown_stays_in_the_list_only():
    monday = date(2026, 12, 7)
    tuesday, wednesday = monday + timedelta(days=1), monday + timedelta(days=2)
    night = week.Item("busy", _at(tuesday, 18), _at(wednesday, 7))  # 13 hours: a journey
    laid = week.layout(monday, "Europe/Stockholm", _at(monday, 8), [], [night], [])
    assert (laid.first_minute, laid.last_minute) == (8 * 60, 17 * 60)  # not stretched
    for day in (laid.days[1], laid.days[2]):
        assert [p.item for p in day.pieces] == [night] and day.placed == []
    # One that reaches into the hours shown is cut to them.
    morning = week.Item("busy", _at(tuesday, 20), _at(wednesday, 9))
    laid = week.layout(monday, "Europe/Stockholm", _at(monday, 8), [], [morning], [])
    assert [(p.row, p.row_end) for p in laid.days[2].placed] == [(1, 5)]


def _count_queries(app, fn):
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(statements)


def test_the_week_pages_run_a_bounded_number_of_queries(app, ctx, world):
    monday = world["monday"]
    recruiter = client_for(app, "rec@example.com")
    paths = (f"/staff/week?person={world['maria'].id}&week={monday.isoformat()}",
             f"/staff/openings/{world['anna'].opening_id}/week?week={monday.isoformat()}")
    few = [_count_queries(app, lambda p=p: recruiter.get(p)) for p in paths]
    maria = ctx.merge(world["maria"])
    boss = ctx.merge(world["recruiter"])
    for n in range(5):
        application = make_application(boss, CandidateFactory(), world["anna"].opening)
        make_interview(boss, application, starts_at=_at(monday + timedelta(days=n), 14),
                       interviewers=[maria, UserFactory(role="interviewer")])
    ctx.commit()
    many = [_count_queries(app, lambda p=p: recruiter.get(p)) for p in paths]
    assert many == few
