"""No double booking, ever: fifty candidates book at once from ten free times of one
interviewer, each through their own signed-in client and the real app (HTTP through Flask's
test client, one app context and database session per request), on SQLite and on
PostgreSQL. Exactly ten bookings; forty "That time was just taken" answers that show the
times still free; no two interviews of the interviewer overlap; never a 500.

Every thread picks one of the ten times (five threads per time), so each time is fought
over, and the threads are released together by a barrier."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from portal.booking.models import BookingOffer, InterviewerHold
from portal.hiring.models import Interview, InterviewStatus
from portal.timeutil import zone
from tests.booking.helpers import (
    candidate_client,
    offer_round,
    slots_on,
    weekday_ahead,
    working_hours,
)
from tests.conftest import csrf_from
from tests.factories import CandidateFactory, UserFactory, make_application, make_opening

CANDIDATES = 50
FREE = 10


def at_once(count: int, act: Callable[[int], Any]) -> list[Any]:
    """Run ``act(i)`` in ``count`` threads released together; their results in thread
    order. An exception in a thread fails the test."""
    start = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = act(i)
        except BaseException as exc:  # noqa: BLE001 - raised below, in the test's thread
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


def test_fifty_candidates_book_ten_times_at_once(app, ctx):
    recruiter = UserFactory(email="rec@example.com", role="recruiter")
    maria = UserFactory(email="maria@example.com", role="interviewer", name="Maria M")
    day = weekday_ahead(3)
    # Maria works 09:00-14:00 that day: ten half-hour interviews fit, and no more.
    working_hours(maria, day, 9, 14)
    opening = make_opening(recruiter)
    applications = [make_application(recruiter, CandidateFactory(), opening)
                    for _ in range(CANDIDATES)]
    created = offer_round(recruiter, applications, [maria], first=day, duration_minutes=30,
                          notice_hours=0)
    ctx.commit()
    offer_ids = [o.id for o in created.offers]
    clients = [candidate_client(app, a.candidate) for a in applications]
    pages = [client.get(f"/portal/booking/{offer_id}")
             for client, offer_id in zip(clients, offer_ids, strict=True)]
    starts = slots_on(pages[0].text)
    assert len(starts) == FREE
    assert all(slots_on(page.text) == starts for page in pages)
    tokens = [csrf_from(page.text) for page in pages]

    def book(i: int) -> Any:
        return clients[i].post(f"/portal/booking/{offer_ids[i]}", data={
            "start": starts[i % FREE], "longer": "0", "csrf_token": tokens[i]})

    responses = at_once(CANDIDATES, book)

    codes = [r.status_code for r in responses]
    assert sorted(set(codes)) == [303, 409], codes
    assert codes.count(303) == FREE and codes.count(409) == CANDIDATES - FREE
    for i, response in enumerate(responses):
        if response.status_code == 409:
            assert "That time was just taken" in response.text
            # The answer shows the times still free, and the one just lost is not one.
            assert 'class="slot-form"' in response.text or "No free times" in response.text
            assert starts[i % FREE] not in slots_on(response.text)

    ctx.expire_all()
    interviews = ctx.scalars(select(Interview).where(
        Interview.status == InterviewStatus.SCHEDULED).order_by(Interview.starts_at)).all()
    assert len(interviews) == FREE
    assert [i.starts_at.strftime("%Y-%m-%dT%H:%MZ") for i in interviews] == starts
    for before, after in zip(interviews, interviews[1:], strict=False):
        assert before.ends_at <= after.starts_at  # Maria is never in two at once
    holds = ctx.scalars(select(InterviewerHold).order_by(InterviewerHold.starts_at)).all()
    assert [(h.interviewer_id, h.starts_at) for h in holds] == [
        (maria.id, i.starts_at) for i in interviews]
    booked = ctx.scalars(select(BookingOffer).where(BookingOffer.status == "booked")).all()
    assert len(booked) == FREE
    assert {o.interview_id for o in booked} == {i.id for i in interviews}
    # Everyone who lost can still book; nothing is left to book that day.
    loser = codes.index(409)
    again = clients[loser].get(f"/portal/booking/{offer_ids[loser]}")
    assert again.status_code == 200 and slots_on(again.text) == []
    local = interviews[-1].ends_at.astimezone(zone("Europe/Stockholm"))
    assert (local.hour, local.minute) == (14, 0)
    assert interviews[0].starts_at + timedelta(minutes=30 * FREE) == interviews[-1].ends_at


def test_workers_at_once_remind_each_candidate_once(app, ctx, settings):
    """Four workers run the reminder duty at the same moment: each unbooked candidate gets
    one reminder (SKIP LOCKED on PostgreSQL, the claim's conditional update on both)."""
    from sqlalchemy import func, update

    from portal.booking import services
    from portal.extensions import db
    from portal.messaging.models import OutboxMessage
    from portal.timeutil import utcnow

    recruiter = UserFactory(email="rec@example.com", role="recruiter")
    maria = UserFactory(email="maria@example.com", role="interviewer")
    opening = make_opening(recruiter)
    applications = [make_application(recruiter, CandidateFactory(), opening) for _ in range(12)]
    offer_round(recruiter, applications, [maria], first=weekday_ahead(5))
    ctx.execute(update(BookingOffer).values(sent_at=utcnow() - timedelta(hours=49)))
    ctx.commit()

    def duty(_i: int) -> int:
        with app.app_context():
            sent = services.queue_booking_reminders(db.session, settings)
            db.session.commit()
            db.session.remove()
            return sent

    assert sum(at_once(4, duty)) == 12
    assert ctx.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.kind == "candidate_booking_reminder")) == 12


def test_a_recruiter_and_a_candidate_take_the_same_time_at_once(app, ctx):
    """A recruiter schedules Maria by hand on the staff form while a candidate books the
    same time on their booking page, released together, four times over: each time
    exactly one wins, and the other gets a clear answer (the recruiter the form again,
    naming Maria and the interview she has; the candidate "That time was just taken"),
    never a 500; Maria's time is held once, and no two of her interviews overlap."""
    from portal.booking.models import InterviewerHold
    from tests.feedback.test_views import client_for

    rounds = 4
    recruiter = UserFactory(email="rec@example.com", role="recruiter")
    maria = UserFactory(email="maria@example.com", role="interviewer", name="Maria M")
    day = weekday_ahead(3)
    working_hours(maria, day, 9, 14)
    opening = make_opening(recruiter)
    booking = [make_application(recruiter, CandidateFactory(), opening) for _ in range(rounds)]
    by_hand = [make_application(recruiter, CandidateFactory(), opening) for _ in range(rounds)]
    created = offer_round(recruiter, booking, [maria], first=day, duration_minutes=45)
    ctx.commit()
    candidates = [candidate_client(app, a.candidate) for a in booking]
    pages = [c.get(f"/portal/booking/{o.id}") for c, o in zip(candidates, created.offers,
                                                             strict=True)]
    starts = slots_on(pages[0].text)[::2][:rounds]  # 09:00, 10:00, ...: apart from each other
    assert len(starts) == rounds
    staff = [client_for(app, "rec@example.com") for _ in range(rounds)]
    forms = [s.get(f"/staff/applications/{a.id}/interviews/new") for s, a in zip(
        staff, by_hand, strict=True)]
    offer_ids = [o.id for o in created.offers]
    by_hand_ids = [a.id for a in by_hand]
    booking_ids = {a.id for a in booking}
    maria_id = maria.id
    outcomes = []
    for i, start in enumerate(starts):
        local = datetime.fromisoformat(start).astimezone(zone("Europe/Stockholm"))

        def act(who: int, i: int = i, start: str = start, local: datetime = local) -> Any:
            if who == 0:
                return candidates[i].post(f"/portal/booking/{offer_ids[i]}", data={
                    "start": start, "longer": "0", "csrf_token": csrf_from(pages[i].text)})
            return staff[i].post(f"/staff/applications/{by_hand_ids[i]}/interviews/new", data={
                "csrf_token": csrf_from(forms[i].text), "round_name": "First interview",
                "date": local.strftime("%Y-%m-%d"), "time": local.strftime("%H:%M"),
                "timezone": "Europe/Stockholm", "duration_minutes": "45",
                "platform": "zoom", "meeting_url": "https://zoom.us/j/98765432101",
                "what_to_expect": "", "preparation": "", "interviewer_ids": [str(maria_id)]})

        booked, scheduled = at_once(2, act)
        codes = (booked.status_code, scheduled.status_code)
        assert codes in ((303, 422), (409, 303)), (codes, booked.text, scheduled.text)
        if codes == (303, 422):
            assert "Maria M already has an interview at that time" in scheduled.text
            outcomes.append("candidate")
        else:
            assert "That time was just taken" in booked.text
            assert start not in slots_on(booked.text)
            outcomes.append("recruiter")

    ctx.expire_all()
    interviews = ctx.scalars(select(Interview).where(
        Interview.status == InterviewStatus.SCHEDULED).order_by(Interview.starts_at)).all()
    assert [i.starts_at.strftime("%Y-%m-%dT%H:%MZ") for i in interviews] == starts
    assert [i.application_id in booking_ids for i in interviews] == [
        who == "candidate" for who in outcomes]
    for before, after in zip(interviews, interviews[1:], strict=False):
        assert before.ends_at <= after.starts_at
    held = ctx.execute(select(InterviewerHold.interviewer_id, InterviewerHold.interview_id)
                       .order_by(InterviewerHold.starts_at)).all()
    assert [tuple(h) for h in held] == [(maria.id, i.id) for i in interviews]
