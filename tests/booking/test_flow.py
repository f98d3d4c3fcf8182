"""Self-scheduling from end to end through the app: a recruiter offers a round, the email
carries the link, the candidate picks a time and confirms it, and the interview exists
with its invitation in the outbox; moving and cancelling before and after the cut-off;
withdrawing; a process that closes; adjustments and their erasure."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.booking import holds, services
from portal.booking.models import Adjustment, BookingOffer, InterviewerHold
from portal.hiring.models import Interview
from portal.hiring.services import InterviewData
from portal.messaging.models import OutboxMessage
from portal.process import lifecycle
from portal.timeutil import utcnow, zone
from tests.booking.helpers import (
    candidate_client,
    offer_of,
    offer_round,
    slots_on,
    weekday_ahead,
)
from tests.conftest import csrf_from
from tests.factories import CandidateFactory, UserFactory, make_application, make_interview
from tests.feedback.test_views import client_for

LINK = re.compile(r"http://[^/\s]+(/c/\S+)")


def _world(ctx, *, language="en", timezone="America/New_York", **overrides):
    recruiter = UserFactory(email="rec@example.com", role="recruiter", name="Rebecka R")
    maria = UserFactory(email="maria@example.com", role="interviewer", name="Maria M")
    application = make_application(recruiter, CandidateFactory(
        name="Anna Andersson", email="anna@example.com", language=language,
        timezone=timezone))
    day = weekday_ahead(5)
    created = offer_round(recruiter, [application], [maria], first=day, **overrides)
    ctx.commit()
    return recruiter, maria, application, created.offers[0], day


def _book(client, offer_id, start, **extra):
    page = client.get(f"/portal/booking/{offer_id}/confirm?start={start}")
    assert page.status_code == 200, page.text
    return client.post(f"/portal/booking/{offer_id}", data={
        "start": start, "longer": "0", "csrf_token": csrf_from(page.text), **extra})


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def test_request_email_page_book_and_the_invitation_goes_out(app, ctx):
    _recruiter, maria, application, offer, _day = _world(ctx)
    email = ctx.scalar(select(OutboxMessage).where(
        OutboxMessage.kind == "candidate_booking_request"))
    assert email.to_email == "anna@example.com"
    assert email.subject == "Choose a time for your interview: Backend developer"
    path = LINK.search(email.text_body).group(1)
    assert path.endswith(f"?next=/portal/booking/{offer.id}")

    # The link from the email signs the candidate in and lands on the booking page.
    client = app.test_client()
    landing = client.get(path)
    overview = client.get("/portal/").text
    assert "Next thing to do" in overview
    assert f'href="/portal/booking/{offer.id}">Choose a time</a>' in overview
    assert landing.status_code == 303
    assert landing.headers["Location"].endswith(f"/portal/booking/{offer.id}")
    page = client.get(f"/portal/booking/{offer.id}")
    assert page.status_code == 200
    assert "New York time" in page.text
    starts = slots_on(page.text)
    assert starts, "the panel is free on a working day"
    # Maria works 09:00-17:00 in Stockholm: the first time is 09:00 there, 03:00 in New York.
    assert '">03:00</button>' in page.text

    response = _book(client, offer.id, starts[0])
    assert response.status_code == 303
    ctx.expire_all()
    interview = ctx.scalar(select(Interview).where(Interview.application_id == application.id))
    assert response.headers["Location"].endswith(f"/portal/interviews/{interview.id}")
    assert interview.starts_at == _at(starts[0])
    assert [u.id for u in interview.interviewers] == [maria.id]
    assert interview.response == "confirmed"
    assert interview.meeting_url.startswith("https://meet.jit.si/")
    assert ctx.get(BookingOffer, offer.id).status == "booked"
    holds = ctx.scalars(select(InterviewerHold)).all()
    assert [(h.interviewer_id, h.starts_at, h.ends_at) for h in holds] == [
        (maria.id, interview.starts_at, interview.ends_at)]
    # The invitation goes out as if a recruiter had scheduled it: calendar files included.
    kinds = {m.kind: m for m in ctx.scalars(select(OutboxMessage).where(
        OutboxMessage.interview_id == interview.id))}
    assert set(kinds) == {"candidate_invitation", "interviewer_invitation"}
    assert "BEGIN:VEVENT" in kinds["candidate_invitation"].ics
    assert interview.uid in kinds["interviewer_invitation"].ics
    shown = client.get(f"/portal/interviews/{interview.id}")
    assert "Booked." in shown.text and "Pick another time" in shown.text
    # The page of a booked offer leads to its interview.
    assert client.get(f"/portal/booking/{offer.id}").headers["Location"].endswith(
        f"/portal/interviews/{interview.id}")


def test_the_email_and_page_speak_swedish_to_a_swedish_candidate(app, ctx):
    _r, _m, application, offer, _day = _world(ctx, language="sv", timezone="Europe/Stockholm")
    email = ctx.scalar(select(OutboxMessage).where(
        OutboxMessage.kind == "candidate_booking_request"))
    assert email.subject == "Välj en tid för din intervju: Backend developer"
    client = candidate_client(app, application.candidate)
    page = client.get(f"/portal/booking/{offer.id}")
    assert "Välj en tid" in page.text and '">09.00</button>' in page.text


def test_more_time_books_a_longer_slot_and_is_remembered(app, ctx):
    _r, _m, application, offer, _day = _world(ctx, duration_minutes=40)
    client = candidate_client(app, application.candidate)
    page = client.get(f"/portal/booking/{offer.id}?longer=1")
    assert "60-minute interview" in page.text  # 40 + 50%, rounded up to 5 minutes
    start = slots_on(page.text)[-1]
    # The last longer time ends when Maria's working day does (17:00 in Stockholm).
    assert (_at(start) + timedelta(minutes=60)).astimezone(zone("Europe/Stockholm")).hour == 17
    confirm = client.get(f"/portal/booking/{offer.id}/confirm?start={start}&longer=1")
    response = client.post(f"/portal/booking/{offer.id}", data={
        "start": start, "longer": "1", "adjustments": ["captions"],
        "note": "Swedish sign language, please", "csrf_token": csrf_from(confirm.text)})
    assert response.status_code == 303
    ctx.expire_all()
    interview = ctx.scalar(select(Interview).where(Interview.application_id == application.id))
    assert interview.duration_minutes == 60
    row = ctx.scalar(select(Adjustment).where(Adjustment.application_id == application.id))
    assert row.kind_list == ["more_time", "captions"]
    assert row.note == "Swedish sign language, please"
    # Staff (and the panel) see it on the interview.
    staff = client_for(app, "rec@example.com")
    shown = staff.get(f"/staff/candidates/{application.candidate_id}").text
    assert "Adjustments asked for:" in shown and "Captions" in shown
    assert "Swedish sign language, please" in shown
    panel = client_for(app, "maria@example.com")
    assert "Swedish sign language, please" in panel.get(
        f"/staff/candidates/{application.candidate_id}").text


def test_a_time_taken_since_the_page_loaded_is_refused_with_fresh_times(app, ctx):
    recruiter, maria, application, offer, _day = _world(ctx)
    client = candidate_client(app, application.candidate)
    start = slots_on(client.get(f"/portal/booking/{offer.id}").text)[0]
    confirm = client.get(f"/portal/booking/{offer.id}/confirm?start={start}")
    # Meanwhile a recruiter puts Maria in another interview at that very time.
    by_hand = make_interview(recruiter, make_application(recruiter, CandidateFactory()),
                             starts_at=_at(start), interviewers=[maria])
    ctx.commit()
    response = client.post(f"/portal/booking/{offer.id}", data={
        "start": start, "longer": "0", "csrf_token": csrf_from(confirm.text)})
    assert response.status_code == 409
    assert "That time was just taken" in response.text
    fresh = slots_on(response.text)
    assert fresh and start not in fresh
    ctx.expire_all()
    assert ctx.get(BookingOffer, offer.id).status == "open"
    # Maria's time is held by the recruiter's interview alone.
    assert ctx.scalars(select(InterviewerHold.interview_id)).all() == [by_hand.id]


def test_move_and_cancel_before_the_cut_off(app, ctx):
    _r, maria, application, offer, _day = _world(ctx, cutoff_hours=24)
    client = candidate_client(app, application.candidate)
    starts = slots_on(client.get(f"/portal/booking/{offer.id}").text)
    assert _book(client, offer.id, starts[0]).status_code == 303
    ctx.expire_all()
    interview = ctx.scalar(select(Interview).where(Interview.application_id == application.id))
    sequence = interview.sequence

    # Pick another time: the same offered times, the booked one not in the way of itself.
    moving = client.get(f"/portal/interviews/{interview.id}/move")
    assert moving.status_code == 200
    assert starts[0] in slots_on(moving.text)
    target = starts[3]
    confirm = client.get(f"/portal/interviews/{interview.id}/move/confirm?start={target}")
    moved = client.post(f"/portal/interviews/{interview.id}/move", data={
        "start": target, "longer": "0", "csrf_token": csrf_from(confirm.text)})
    assert moved.status_code == 303
    ctx.expire_all()
    interview = ctx.get(Interview, interview.id)
    assert interview.starts_at == _at(target) and interview.sequence > sequence
    assert interview.response == "confirmed"
    assert [(h.interviewer_id, h.starts_at) for h in ctx.scalars(select(InterviewerHold))] == [
        (maria.id, _at(target))]
    updates = ctx.scalars(select(OutboxMessage.kind).where(
        OutboxMessage.interview_id == interview.id)).all()
    assert "candidate_update" in updates and "interviewer_update" in updates

    # Cancel: everyone is told, the time is free again, the offer opens again.
    page = client.get(f"/portal/interviews/{interview.id}/cancel-booking")
    assert page.status_code == 200 and "Cancel your interview?" in page.text
    done = client.post(f"/portal/interviews/{interview.id}/cancel-booking",
                       data={"confirm": "y", "csrf_token": csrf_from(page.text)})
    assert done.status_code == 303
    assert done.headers["Location"].endswith(f"/portal/booking/{offer.id}")
    ctx.expire_all()
    assert ctx.get(Interview, interview.id).is_cancelled
    assert ctx.scalar(select(func.count(InterviewerHold.id))) == 0
    assert ctx.get(BookingOffer, offer.id).status == "open"
    assert "candidate_cancellation" in ctx.scalars(select(OutboxMessage.kind).where(
        OutboxMessage.interview_id == interview.id)).all()
    assert target in slots_on(client.get(f"/portal/booking/{offer.id}").text)


def test_after_the_cut_off_only_the_free_text_request_remains(app, ctx):
    # The cut-off is two weeks, so an interview five days ahead is past it at once.
    _r, _m, application, offer, _day = _world(ctx, cutoff_hours=24 * 14)
    client = candidate_client(app, application.candidate)
    start = slots_on(client.get(f"/portal/booking/{offer.id}").text)[0]
    assert _book(client, offer.id, start).status_code == 303
    ctx.expire_all()
    interview = ctx.scalar(select(Interview).where(Interview.application_id == application.id))
    page = client.get(f"/portal/interviews/{interview.id}").text
    assert "Pick another time" not in page and "I need another time" in page
    assert client.get(f"/portal/interviews/{interview.id}/move").status_code == 303
    token = csrf_from(page)
    refused = client.post(f"/portal/interviews/{interview.id}/cancel-booking",
                          data={"confirm": "y", "csrf_token": token})
    assert refused.status_code == 303
    ctx.expire_all()
    assert not ctx.get(Interview, interview.id).is_cancelled
    # The words still reach staff.
    asked = client.post(f"/portal/interviews/{interview.id}/response", data={
        "answer": "reschedule", "message": "Any morning next week", "csrf_token": token})
    assert asked.status_code == 303
    ctx.expire_all()
    assert ctx.get(Interview, interview.id).response == "reschedule"


def test_a_withdrawn_request_can_no_longer_be_booked(app, ctx):
    _r, _m, application, offer, _day = _world(ctx)
    client = candidate_client(app, application.candidate)
    start = slots_on(client.get(f"/portal/booking/{offer.id}").text)[0]
    confirm = client.get(f"/portal/booking/{offer.id}/confirm?start={start}")
    staff = client_for(app, "rec@example.com")
    listing = staff.get(f"/staff/openings/{application.opening_id}/booking")
    assert "Not booked yet" in listing.text and "Anna Andersson" in listing.text
    ask = staff.get(f"/staff/booking/{offer.request_id}/withdraw")
    assert ask.status_code == 200 and "Anna Andersson" in ask.text
    assert staff.post(f"/staff/booking/{offer.request_id}/withdraw", data={
        "confirm": "y", "csrf_token": csrf_from(ask.text)}).status_code == 303
    ctx.expire_all()
    assert ctx.get(BookingOffer, offer.id).status == "withdrawn"
    refused = client.post(f"/portal/booking/{offer.id}", data={
        "start": start, "longer": "0", "csrf_token": csrf_from(confirm.text)})
    assert refused.status_code == 422 and "has been withdrawn" in refused.text
    assert "has been withdrawn" in client.get(f"/portal/booking/{offer.id}").text
    assert ctx.scalar(select(func.count(Interview.id))) == 0


def test_rejecting_the_application_closes_its_offer(app, ctx, settings):
    recruiter, _m, application, offer, _day = _world(ctx)
    lifecycle.reject(ctx, settings, recruiter, application, "Other candidates")
    ctx.commit()
    assert ctx.get(BookingOffer, offer.id).status == "closed"
    client = candidate_client(app, application.candidate)
    assert "This process has ended" in client.get(f"/portal/booking/{offer.id}").text


def test_erasure_removes_the_adjustments_and_the_export_carries_them(app, ctx, settings):
    _r, _m, application, offer, _day = _world(ctx)
    client = candidate_client(app, application.candidate)
    start = slots_on(client.get(f"/portal/booking/{offer.id}").text)[0]
    assert _book(client, offer.id, start, adjustments=["interpreter"],
                 note="Arabic interpreter").status_code == 303
    ctx.expire_all()
    candidate = application.candidate
    exported = lifecycle.export(ctx, candidate)
    assert exported["adjustments_you_asked_for"][0]["note"] == "Arabic interpreter"
    lifecycle.erase(ctx, settings, candidate)
    ctx.commit()
    assert ctx.scalar(select(func.count(Adjustment.id))) == 0
    assert ctx.scalar(select(func.count(InterviewerHold.id))) == 0  # its interview is off


def test_one_reminder_after_48_hours_claimed_once(app, ctx, settings):
    _r, _m, application, offer, _day = _world(ctx)
    assert services.queue_booking_reminders(ctx, settings) == 0  # too early
    offer.sent_at = utcnow() - timedelta(hours=49)
    ctx.commit()
    assert services.queue_booking_reminders(ctx, settings) == 1
    ctx.commit()
    assert services.queue_booking_reminders(ctx, settings) == 0
    ctx.commit()
    reminder = ctx.scalar(select(OutboxMessage).where(
        OutboxMessage.kind == "candidate_booking_reminder"))
    assert reminder.subject == "Reminder: choose a time for your interview, Backend developer"
    assert f"next=/portal/booking/{offer.id}" in reminder.text_body


def test_staff_offer_a_stage_from_the_board_and_see_who_has_not_booked(app, ctx):
    recruiter = UserFactory(email="rec@example.com", role="recruiter")
    maria = UserFactory(email="maria@example.com", role="interviewer", name="Maria M")
    first = make_application(recruiter, CandidateFactory(name="Anna A"))
    second = make_application(recruiter, CandidateFactory(name="Bo B"), first.opening)
    ctx.commit()
    stage = first.stage
    staff = client_for(app, "rec@example.com")
    board = staff.get(f"/staff/openings/{first.opening_id}").text
    url = f"/staff/openings/{first.opening_id}/stages/{stage.id}/booking/new"
    assert url in board
    form = staff.get(url)
    assert form.status_code == 200 and "Anna A" in form.text and "Bo B" in form.text
    day = weekday_ahead(4)
    sent = staff.post(url, data={
        "csrf_token": csrf_from(form.text), "round_name": "First interview",
        "duration_minutes": "45", "interviewer_ids": [str(maria.id)], "panel": "all",
        "required": "1", "window_from": day.isoformat(), "window_to": day.isoformat(),
        "notice_hours": "24", "buffer_before_minutes": "0", "buffer_after_minutes": "15",
        "per_day_limit": "3", "platform": "jitsi", "create_jitsi_room": "y",
        "meeting_url": "", "cutoff_hours": "24", "kit_id": "",
        "application_ids": [str(first.id), str(second.id)]})
    assert sent.status_code == 303, sent.text
    assert ctx.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.kind == "candidate_booking_request")) == 2
    listing = staff.get(sent.headers["Location"].split("#")[0]).text
    assert "0 of 2 booked" in listing and "Anna A" in listing and "Bo B" in listing
    # A fixed link must fit its platform.
    refused = staff.post(f"/staff/applications/{first.id}/booking/new", data={
        "csrf_token": csrf_from(form.text), "round_name": "Second", "duration_minutes": "45",
        "interviewer_ids": [str(maria.id)], "panel": "all", "window_from": day.isoformat(),
        "window_to": day.isoformat(), "notice_hours": "0", "buffer_before_minutes": "0",
        "buffer_after_minutes": "0", "platform": "zoom", "meeting_url": "https://example.com/x",
        "cutoff_hours": "24", "application_ids": [str(first.id)]})
    assert refused.status_code == 422
    assert offer_of(first).request.round_name == "First interview"


def test_a_second_tap_after_booking_shows_the_interview(app, ctx):
    _r, _m, application, offer, _day = _world(ctx)
    client = candidate_client(app, application.candidate)
    starts = slots_on(client.get(f"/portal/booking/{offer.id}").text)
    confirm = client.get(f"/portal/booking/{offer.id}/confirm?start={starts[1]}")
    data = {"start": starts[1], "longer": "0", "csrf_token": csrf_from(confirm.text)}
    first = client.post(f"/portal/booking/{offer.id}", data=data)
    again = client.post(f"/portal/booking/{offer.id}", data=data)
    assert first.status_code == again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]
    assert ctx.scalar(select(func.count(Interview.id))) == 1


def test_staff_changes_to_a_booked_interview_move_its_held_time(app, ctx, settings):
    recruiter, maria, application, offer, _day = _world(ctx)
    other = make_application(recruiter, CandidateFactory(), application.opening)
    second = offer_round(recruiter, [other], [maria], first=_day).offers[0]
    ctx.commit()
    starts = slots_on(candidate_client(app, application.candidate).get(
        f"/portal/booking/{offer.id}").text)
    assert _book(candidate_client(app, application.candidate), offer.id,
                 starts[0]).status_code == 303
    assert _book(candidate_client(app, other.candidate), second.id,
                 starts[4]).status_code == 303
    ctx.expire_all()
    mine, theirs = ctx.scalars(select(Interview).order_by(Interview.starts_at)).all()
    # A recruiter moves it an hour later: its held time follows.
    lifecycle.reschedule(ctx, settings, recruiter, mine,
                         _data(mine, mine.starts_at + timedelta(hours=1)))
    ctx.commit()
    assert ctx.scalar(select(InterviewerHold.starts_at).where(
        InterviewerHold.interview_id == mine.id)) == mine.starts_at
    # Onto the other booked interview's time: refused, in words.
    with pytest.raises(holds.HoldClash, match="Maria M already has an interview at that time"):
        lifecycle.reschedule(ctx, settings, recruiter, mine, _data(mine, theirs.starts_at))
    ctx.rollback()


def _data(interview, when):
    return InterviewData(
        round_name=interview.round_name, starts_at=when,
        duration_minutes=interview.duration_minutes, platform=interview.platform,
        meeting_url=interview.meeting_url, what_to_expect="", preparation="",
        interviewer_ids=[u.id for u in interview.interviewers])
