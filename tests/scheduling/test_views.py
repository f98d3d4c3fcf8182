"""The availability pages: a member sets their own hours, days off and calendars (errors
inline, never a 500), nobody touches another's, admins see everyone's status."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.scheduling.models import CalendarConnection, DayOff, WorkingHours
from tests.conftest import csrf_from, free_port
from tests.factories import PASSWORD, UserFactory


def _hours(token: str, **changes: str) -> dict[str, str]:
    data = {"csrf_token": token, "timezone": "America/New_York"}
    for key in ("mon", "tue", "wed", "thu", "fri"):
        data.update({f"{key}_on": "y", f"{key}_start": "09:00", f"{key}_end": "17:00"})
    data.update({"wed_break_start": "12:00", "wed_break_end": "13:00"})
    data.update(changes)
    return data


@pytest.fixture()
def member(ctx: Any, login: Any) -> Any:
    user = UserFactory(role="interviewer", email="ia@example.com", name="Ia Interviewer")
    db.session.commit()
    login(user.email, PASSWORD)
    return user


def test_a_member_saves_hours_with_a_break_and_sees_errors_inline(client, member) -> None:
    page = client.get("/staff/availability")
    assert page.status_code == 200 and "My availability" in page.text
    assert 'href="/staff/availability"' in client.get("/staff/").text  # in the navigation
    token = csrf_from(page.text)
    for changes, message in (
            ({"mon_end": "08:00"}, "The day must end after it starts."),
            ({"tue_break_start": "13:00"}, "Give the break both a start and an end"),
            ({"wed_break_start": "18:00", "wed_break_end": "19:00"}, "within the working hours"),
            ({"thu_start": ""}, "Give the start and end of the day."),
            ({"fri_start": "25:99"}, "Not a valid time value"),
            ({"timezone": "Mars/Olympus"}, "Choose a time zone from the list."),
            ({"csrf_token": "forged"}, "")):
        answer = client.post("/staff/availability", data=_hours(token, **changes))
        assert answer.status_code in (400, 422), changes
        assert message in answer.text, changes
    assert db.session.scalars(select(WorkingHours)).all() == []

    saved = client.post("/staff/availability", data=_hours(token, fri_end="00:00"))
    assert saved.status_code == 303
    rows = {r.weekday: r for r in db.session.scalars(select(WorkingHours))}
    assert sorted(rows) == [0, 1, 2, 3, 4]
    assert (rows[2].break_start, rows[2].break_end) == (12 * 60, 13 * 60)
    assert rows[4].end_minute == 1440  # "to 00:00" is until midnight
    page = client.get("/staff/availability").text
    assert 'selected value="America/New_York"' in page


def test_days_off_are_added_and_removed_by_their_owner_only(client, member, login) -> None:
    token = csrf_from(client.get("/staff/availability").text)
    assert client.post("/staff/availability/days-off",
                       data={"csrf_token": token, "day": "9999-12-31"}).status_code == 422
    assert client.post("/staff/availability/days-off",
                       data={"csrf_token": token, "day": "2030-06-03"}).status_code == 303
    [day_off] = db.session.scalars(select(DayOff)).all()
    assert "2030" in client.get("/staff/availability").text
    other = UserFactory(role="recruiter")
    db.session.commit()
    login(other.email, PASSWORD)
    token = csrf_from(client.get("/staff/availability").text)
    assert client.post(f"/staff/availability/days-off/{day_off.id}/delete",
                       data={"csrf_token": token}).status_code == 404
    assert db.session.scalars(select(DayOff)).all() != []


def test_connecting_testing_refreshing_and_disconnecting_a_caldav_calendar(
        client, member, radicale, login) -> None:
    calendar = radicale.new_calendar("sam", name="Arbete")
    from datetime import timedelta

    from portal.timeutil import utcnow
    calendar.save_event(dtstart=utcnow() + timedelta(days=2),
                        dtend=utcnow() + timedelta(days=2, hours=1), summary="Busy")
    token = csrf_from(client.get("/staff/availability").text)
    closed = f"http://127.0.0.1:{free_port()}/"
    for data, message in (
            ({"url": closed, "username": "sam", "password": "x"}, "could not be reached"),
            ({"url": radicale.url, "username": "sam", "password": "wrong"},
             "refused the user name or password"),
            ({"url": "not a url", "username": "", "password": ""}, "not allowed"),
            ({"url": radicale.url, "username": "sam", "password": radicale.users["sam"],
              "calendar": "No such"}, "No calendar of that name was found."),
            ({"url": "", "username": "", "password": ""}, "Enter the address")):
        answer = client.post("/staff/availability/calendars/caldav",
                             data={"csrf_token": token, **data})
        assert answer.status_code == 422, data
        assert message in answer.text, data
        assert radicale.users["sam"] not in answer.text
    assert db.session.scalars(select(CalendarConnection)).all() == []

    done = client.post("/staff/availability/calendars/caldav", data={
        "csrf_token": token, "url": radicale.url, "username": "sam",
        "password": radicale.users["sam"], "calendar": "arbete"}, follow_redirects=True)
    assert done.status_code == 200
    assert "Calendar connected: 1 busy times found" in done.text
    assert radicale.users["sam"] not in done.text and "Arbete · 127.0.0.1" in done.text
    [connection] = db.session.scalars(select(CalendarConnection)).all()

    refreshed = client.post(f"/staff/availability/calendars/{connection.id}/refresh",
                            data={"csrf_token": token}, follow_redirects=True)
    assert "Calendar read again." in refreshed.text

    # Someone else can neither refresh nor disconnect it; the admin sees its status.
    admin = UserFactory(role="admin", name="Ada Admin")
    db.session.commit()
    login(admin.email, PASSWORD)
    token = csrf_from(client.get("/staff/availability").text)
    for action in ("refresh", "disconnect"):
        assert client.post(f"/staff/availability/calendars/{connection.id}/{action}",
                           data={"csrf_token": token}).status_code == 404
    everyone = client.get("/staff/availability/everyone")
    assert everyone.status_code == 200
    assert "Ia Interviewer" in everyone.text and "Arbete · 127.0.0.1" in everyone.text
    assert radicale.users["sam"] not in everyone.text

    login(member.email, PASSWORD)
    token = csrf_from(client.get("/staff/availability").text)
    assert client.post(f"/staff/availability/calendars/{connection.id}/disconnect",
                       data={"csrf_token": token}).status_code == 303
    assert db.session.scalars(select(CalendarConnection)).all() == []


def test_an_account_with_several_calendars_asks_which(client, member, radicale) -> None:
    first = radicale.new_calendar("nina")
    radicale.new_calendar("nina")
    token = csrf_from(client.get("/staff/availability").text)
    answer = client.post("/staff/availability/calendars/caldav", data={
        "csrf_token": token, "url": radicale.url, "username": "nina",
        "password": radicale.users["nina"]})
    assert answer.status_code == 303 and "/choose" in answer.headers["Location"]
    # Until chosen, the member counts as busy, and the page says so.
    page = client.get("/staff/availability").text
    assert "choose one of the calendars found on the server" in page
    choose = client.get(answer.headers["Location"])
    assert choose.status_code == 200 and str(first.url) in choose.text
    assert client.post(answer.headers["Location"], data={
        "csrf_token": token, "calendar": "https://elsewhere.example/"}).status_code == 422
    done = client.post(answer.headers["Location"], data={
        "csrf_token": token, "calendar": str(first.url)})
    assert done.status_code == 303
    connection = db.session.scalars(select(CalendarConnection)).one()
    db.session.refresh(connection)
    assert connection.last_error == "" and connection.last_success_at is not None


def test_only_admins_see_everyone_and_the_page_speaks_swedish(client, member) -> None:
    assert client.get("/staff/availability/everyone").status_code == 404
    token = csrf_from(client.get("/staff/availability").text)
    client.post("/language", data={"lang": "sv", "csrf_token": token})
    page = client.get("/staff/availability")
    assert "Min tillgänglighet" in page.text and "Arbetstider" in page.text
