"""What the panel and the back office see of self-scheduling: the adjustments a candidate
asked for reach the panel's invitation and its calendar file (never the candidate's), a
later change reaches each interviewer once by email, read here from a real SMTP server on
loopback after the worker delivered the outbox; the board and the candidate list show a
time offered and not booked yet, and since when."""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar
from sqlalchemy import update

from portal.booking.models import BookingOffer
from portal.hiring import notify
from portal.messaging.worker import run_once
from portal.timeutil import utcnow, zone
from tests.booking.helpers import candidate_client, offer_round, slots_on, weekday_ahead
from tests.booking.test_flow import _book
from tests.conftest import csrf_from
from tests.factories import CandidateFactory, UserFactory, make_application, make_interview
from tests.feedback.test_views import client_for

ASKED_EN = "Adjustments the candidate asked for:"
ASKED_SV = "Anpassningar som kandidaten har bett om:"


def _to(inbox, address: str) -> list:
    return [m for m in inbox.messages if address in m["To"]]


def _text(message) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def _description(message) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    event = next(c for c in Calendar.from_ical(part.get_payload(decode=True)).walk()
                 if c.name == "VEVENT")
    return str(event.get("description"))


def _world(ctx):
    recruiter = UserFactory(email="rec@example.com", role="recruiter", name="Rebecka R")
    maria = UserFactory(email="maria@example.com", role="interviewer", name="Maria M")
    bo = UserFactory(email="bo@example.com", role="interviewer", name="Bo B", language="sv")
    application = make_application(recruiter, CandidateFactory(
        name="Anna Andersson", email="anna@example.com"))
    offer = offer_round(recruiter, [application], [maria, bo],
                        first=weekday_ahead(5)).offers[0]
    ctx.commit()
    return recruiter, maria, bo, application, offer


def test_the_panels_invitation_and_calendar_carry_the_adjustments(app, ctx, smtp_server):
    _r, _maria, _bo, application, offer = _world(ctx)
    client = candidate_client(app, application.candidate)
    start = slots_on(client.get(f"/portal/booking/{offer.id}").text)[0]
    assert _book(client, offer.id, start, adjustments=["captions", "interpreter"],
                 note="Arabic, please").status_code == 303
    run_once(app)

    maria = _to(smtp_server, "maria@example.com")
    assert [m["Subject"] for m in maria] == ["Interview with Anna Andersson: First interview"]
    body = _text(maria[0])
    assert (f"{ASKED_EN}\n- Captions (subtitles) during the call\n- An interpreter\n"
            '"Arabic, please"\n') in body
    description = _description(maria[0])
    assert ASKED_EN in description and "- An interpreter" in description
    assert '"Arabic, please"' in description
    # Bo reads Swedish.
    bo = _to(smtp_server, "bo@example.com")
    assert ASKED_SV in _text(bo[0]) and "- Tolk" in _text(bo[0])
    assert ASKED_SV in _description(bo[0])
    # The candidate's own invitation and calendar file say nothing of it to them.
    anna = [m for m in _to(smtp_server, "anna@example.com")
            if m["Subject"] == "Invitation to interview: Backend developer"]
    assert len(anna) == 1
    assert "Adjustments" not in _text(anna[0]) and "Arabic" not in _text(anna[0])
    assert "interpreter" not in _description(anna[0])
    assert "Arabic" not in _description(anna[0])


def test_nothing_asked_nothing_said(app, ctx, smtp_server):
    _r, _maria, _bo, application, offer = _world(ctx)
    client = candidate_client(app, application.candidate)
    start = slots_on(client.get(f"/portal/booking/{offer.id}").text)[0]
    assert _book(client, offer.id, start).status_code == 303
    run_once(app)
    maria = _to(smtp_server, "maria@example.com")[0]
    assert "Adjustments" not in _text(maria) and "Adjustments" not in _description(maria)


def test_a_later_request_tells_each_interviewer_once(app, ctx, smtp_server, settings):
    recruiter, maria, bo, application, offer = _world(ctx)
    client = candidate_client(app, application.candidate)
    start = slots_on(client.get(f"/portal/booking/{offer.id}").text)[0]
    assert _book(client, offer.id, start).status_code == 303
    # A second interview of the same process with Maria, sent; and one not sent yet.
    second = make_interview(recruiter, application, interviewers=[maria],
                            starts_at=utcnow() + timedelta(days=9), round_name="Final")
    notify.send_invitation(ctx, settings, second)
    make_interview(recruiter, application, interviewers=[bo],
                   starts_at=utcnow() + timedelta(days=10), round_name="Not sent")
    ctx.commit()
    run_once(app)
    before = len(smtp_server.messages)

    path = f"/portal/applications/{application.id}/adjustments"

    def ask(kinds: list[str], note: str) -> None:
        page = client.get(path)
        response = client.post(path, data={"csrf_token": csrf_from(page.text),
                                           "adjustments": kinds, "note": note})
        assert response.status_code == 303, response.text
        run_once(app)

    ask(["break"], "A short pause after 30 minutes")
    new = smtp_server.messages[before:]
    assert sorted(m["To"] for m in new) == ["Bo B <bo@example.com>",
                                            "Maria M <maria@example.com>"]
    to_maria = next(m for m in new if "maria" in m["To"])
    assert to_maria["Subject"] == "Adjustments for the interview with Anna Andersson"
    body = _text(to_maria)
    assert "- A short break during the interview" in body
    assert '"A short pause after 30 minutes"' in body
    # One email, naming both of her interviews still to come; not the one not sent.
    assert "First interview, Backend developer" in body and "Final, Backend developer" in body
    to_bo = next(m for m in new if "bo@" in m["To"])
    assert to_bo["Subject"] == "Anpassningar för intervjun med Anna Andersson"
    assert "Not sent" not in _text(to_bo)

    # The same again (a second tap): nobody is told twice.
    count = len(smtp_server.messages)
    ask(["break"], "A short pause after 30 minutes")
    assert len(smtp_server.messages) == count
    # Taking it back is news too.
    ask([], "")
    last = smtp_server.messages[count:]
    assert len(last) == 2
    assert "Anna Andersson no longer asks for any adjustments" in _text(
        next(m for m in last if "maria" in m["To"]))
    assert not [m for m in smtp_server.messages[before:] if "anna@" in m["To"]]


def test_the_board_and_the_list_show_a_time_waiting_to_be_booked(app, ctx):
    _r, _maria, _bo, application, offer = _world(ctx)
    other = make_application(_r, CandidateFactory(name="Bo Booked"), application.opening)
    ctx.commit()
    sent = utcnow() - timedelta(days=3)
    ctx.execute(update(BookingOffer).where(BookingOffer.id == offer.id).values(sent_at=sent))
    ctx.commit()
    staff = client_for(app, "rec@example.com")
    since = sent.astimezone(zone("Europe/Stockholm"))
    shown = f"Waiting to book since {since:%Y-%m-%d %H:%M}"
    board = staff.get(f"/staff/openings/{application.opening_id}").text
    card = board.split(f'id="app-{application.id}"')[1].split("</article>")[0]
    assert shown in card and "3 days" in card
    assert "Waiting to book" not in board.split(f'id="app-{other.id}"')[1].split(
        "</article>")[0]
    listing = staff.get("/staff/candidates").text
    assert shown in listing and listing.count("Waiting to book since") == 1
    # htmx asks for the rows alone: the same.
    rows = staff.get("/staff/candidates?q=Anna", headers={"HX-Request": "true",
                                                         "HX-Target": "candidate-rows"})
    assert shown in rows.text

    # Booked: nothing is waiting any more.
    client = candidate_client(app, application.candidate)
    start = slots_on(client.get(f"/portal/booking/{offer.id}").text)[0]
    assert _book(client, offer.id, start).status_code == 303
    assert "Waiting to book" not in staff.get(
        f"/staff/openings/{application.opening_id}").text
    assert "Waiting to book" not in staff.get("/staff/candidates").text
