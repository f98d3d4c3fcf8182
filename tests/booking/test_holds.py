"""Every scheduled interview holds its panel's time, whoever scheduled it: a recruiter's
interview scheduled by hand, moved, re-staffed, cancelled or ended with its process keeps
``interviewer_hold`` in step, and a change that would put an interviewer in two interviews
at once is refused on the staff form in words (who, and the interview they already have,
in the staff member's language), never with a 500."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.booking import holds
from portal.booking.models import InterviewerHold
from portal.hiring.models import Interview, InterviewStatus
from portal.hiring.services import InterviewData
from portal.process import lifecycle
from portal.timeutil import zone
from tests.booking.helpers import candidate_client, offer_round, slots_on, weekday_ahead
from tests.booking.test_flow import _book
from tests.conftest import csrf_from
from tests.factories import CandidateFactory, UserFactory, make_application, make_interview
from tests.feedback.test_views import client_for

STOCKHOLM = zone("Europe/Stockholm")


def _at(hour: int, minute: int = 0, days: int = 4) -> datetime:
    return datetime.combine(weekday_ahead(days), time(hour, minute), tzinfo=STOCKHOLM)


def _held(ctx) -> list[tuple[int, int, datetime, datetime]]:
    """(interviewer, interview, start, end) of every hold, in order."""
    ctx.expire_all()
    return [tuple(r) for r in ctx.execute(select(
        InterviewerHold.interviewer_id, InterviewerHold.interview_id,
        InterviewerHold.starts_at, InterviewerHold.ends_at).order_by(
        InterviewerHold.starts_at, InterviewerHold.interviewer_id))]


def _data(interview: Interview, when: datetime, panel: list) -> InterviewData:
    return InterviewData(
        round_name=interview.round_name, starts_at=when,
        duration_minutes=interview.duration_minutes, platform=interview.platform,
        meeting_url=interview.meeting_url, what_to_expect=interview.what_to_expect,
        preparation=interview.preparation, interviewer_ids=[u.id for u in panel])


def _form(client, path: str, when: datetime, panel: list, **extra) -> dict:
    page = client.get(path)
    assert page.status_code == 200
    return {"csrf_token": csrf_from(page.text), "round_name": "Second interview",
            "date": when.strftime("%Y-%m-%d"), "time": when.strftime("%H:%M"),
            "timezone": "Europe/Stockholm", "duration_minutes": "45", "platform": "zoom",
            "meeting_url": "https://zoom.us/j/98765432101", "what_to_expect": "",
            "preparation": "", "interviewer_ids": [str(u.id) for u in panel], **extra}


@pytest.fixture()
def people(ctx):
    recruiter = UserFactory(email="rec@example.com", role="recruiter", name="Rebecka R")
    svensk = UserFactory(email="sven@example.com", role="recruiter", name="Sven S",
                         language="sv")
    maria = UserFactory(email="maria@example.com", role="interviewer", name="Maria M")
    bo = UserFactory(email="bo@example.com", role="interviewer", name="Bo B")
    return recruiter, svensk, maria, bo


def test_a_recruiters_interview_holds_its_panels_time(app, ctx, people):
    recruiter, _sv, maria, bo = people
    interview = make_interview(recruiter, starts_at=_at(14), interviewers=[maria, bo])
    ctx.commit()
    assert _held(ctx) == [(maria.id, interview.id, _at(14), _at(14, 45)),
                          (bo.id, interview.id, _at(14), _at(14, 45))]


def test_the_staff_form_refuses_a_clash_in_words_and_keeps_nothing(app, ctx, people):
    recruiter, _sv, maria, bo = people
    first = make_interview(recruiter, starts_at=_at(14), interviewers=[maria])
    application = make_application(recruiter, CandidateFactory(), first.application.opening)
    ctx.commit()
    before = _held(ctx)
    staff = client_for(app, "rec@example.com")
    path = f"/staff/applications/{application.id}/interviews/new"
    refused = staff.post(path, data=_form(staff, path, _at(14, 30), [bo, maria]))
    assert refused.status_code == 422
    day = _at(14).strftime("%A %-d %B %Y")
    assert (f"Maria M already has an interview at that time: {day} 14:00–14:45 "
            "(Stockholm time). Choose another time or another panel.") in refused.text
    assert 'value="Second interview"' in refused.text  # what was typed stays
    ctx.expire_all()
    assert ctx.scalars(select(Interview.id)).all() == [first.id]
    assert _held(ctx) == before
    # Right after the first one ends is free.
    done = staff.post(path, data=_form(staff, path, _at(14, 45), [bo, maria]))
    assert done.status_code == 303, done.text
    second = ctx.scalar(select(Interview).where(Interview.application_id == application.id))
    assert [(h[0], h[1]) for h in _held(ctx)] == [
        (maria.id, first.id), (maria.id, second.id), (bo.id, second.id)]


def test_a_swedish_recruiter_reads_the_refusal_in_swedish(app, ctx, people):
    recruiter, _sv, maria, _bo = people
    first = make_interview(recruiter, starts_at=_at(9), interviewers=[maria])
    application = make_application(recruiter, CandidateFactory(), first.application.opening)
    ctx.commit()
    staff = client_for(app, "sven@example.com")
    staff.environ_base["HTTP_ACCEPT_LANGUAGE"] = "sv"
    path = f"/staff/applications/{application.id}/interviews/new"
    refused = staff.post(path, data=_form(staff, path, _at(9), [maria]))
    assert refused.status_code == 422
    assert "Maria M har redan en intervju vid den tiden:" in refused.text
    assert "kl. 09.00–09.45 (svensk tid)" in refused.text


def test_moving_or_restaffing_onto_someone_elses_interview_is_refused(app, ctx, people):
    recruiter, _sv, maria, bo = people
    mine = make_interview(recruiter, starts_at=_at(10), interviewers=[bo])
    theirs = make_interview(recruiter, starts_at=_at(13), interviewers=[maria])
    ctx.commit()
    staff = client_for(app, "rec@example.com")
    path = f"/staff/interviews/{mine.id}/edit"
    # Onto Maria's time with Maria on the panel: refused, and nothing changed.
    refused = staff.post(path, data=_form(staff, path, _at(13, 15), [bo, maria]))
    assert refused.status_code == 422
    assert "Maria M already has an interview at that time" in refused.text
    ctx.expire_all()
    assert ctx.get(Interview, mine.id).starts_at == _at(10)
    assert [(h[0], h[1], h[2]) for h in _held(ctx)] == [
        (bo.id, mine.id, _at(10)), (maria.id, theirs.id, _at(13))]
    # The same time without Maria is fine: only Bo's hold moves.
    moved = staff.post(path, data=_form(staff, path, _at(13, 15), [bo]))
    assert moved.status_code == 303, moved.text
    assert [(h[0], h[1], h[2]) for h in _held(ctx)] == [
        (maria.id, theirs.id, _at(13)), (bo.id, mine.id, _at(13, 15))]


def test_every_change_in_the_lifecycle_keeps_the_holds_in_step(app, ctx, people, settings):
    recruiter, _sv, maria, bo = people
    carl = UserFactory(email="carl@example.com", role="interviewer", name="Carl C")
    interview = make_interview(recruiter, starts_at=_at(10), interviewers=[maria, bo])
    ctx.commit()
    # Moved: the holds follow.
    lifecycle.reschedule(ctx, settings, recruiter, interview,
                         _data(interview, _at(11), [maria, bo]))
    ctx.commit()
    assert {(h[0], h[2], h[3]) for h in _held(ctx)} == {
        (maria.id, _at(11), _at(11, 45)), (bo.id, _at(11), _at(11, 45))}
    # Longer: so are the holds.
    longer = _data(interview, _at(11), [maria, bo])
    longer.duration_minutes = 90
    lifecycle.reschedule(ctx, settings, recruiter, interview, longer)
    ctx.commit()
    assert {h[3] for h in _held(ctx)} == {_at(12, 30)}
    # Bo leaves the panel and Carl joins: Bo's time is free, Carl's held.
    restaffed = _data(interview, _at(11), [maria, carl])
    restaffed.duration_minutes = 90
    lifecycle.reschedule(ctx, settings, recruiter, interview, restaffed)
    ctx.commit()
    assert {h[0] for h in _held(ctx)} == {maria.id, carl.id}
    # Cancelled: nothing is held, and the time can be used again.
    lifecycle.cancel_interview(ctx, settings, recruiter, interview)
    ctx.commit()
    assert _held(ctx) == []
    again = make_interview(recruiter, interview.application, starts_at=_at(11),
                           interviewers=[maria, carl])
    ctx.commit()
    assert {h[1] for h in _held(ctx)} == {again.id}
    # Rejecting the application cancels the interview still to come: its time is free.
    lifecycle.reject(ctx, settings, recruiter, again.application, "Not this time")
    ctx.commit()
    assert _held(ctx) == []
    # Erasing a candidate ends their process: the same.
    erased = make_interview(recruiter, starts_at=_at(15), interviewers=[bo])
    ctx.commit()
    assert [h[1] for h in _held(ctx)] == [erased.id]
    lifecycle.erase(ctx, settings, erased.application.candidate, actor_kind="staff",
                    actor_id=recruiter.id)
    ctx.commit()
    assert ctx.get(Interview, erased.id).status == InterviewStatus.CANCELLED
    assert _held(ctx) == []


def test_an_edit_that_leaves_time_and_panel_alone_does_not_touch_the_holds(app, ctx, people,
                                                                          settings):
    recruiter, _sv, maria, _bo = people
    interview = make_interview(recruiter, starts_at=_at(10), interviewers=[maria])
    ctx.commit()
    ids = ctx.scalars(select(InterviewerHold.id)).all()
    words = _data(interview, _at(10), [maria])
    words.preparation = "Read the case beforehand."
    lifecycle.reschedule(ctx, settings, recruiter, interview, words)
    ctx.commit()
    ctx.expire_all()
    assert ctx.scalars(select(InterviewerHold.id)).all() == ids


def test_the_database_refuses_an_overlap_that_skipped_the_check(app, ctx, people):
    """The last net: a hold written without ``hold_panel``'s check is refused by the
    exclusion constraint (PostgreSQL) or the trigger (SQLite)."""
    recruiter, _sv, maria, _bo = people
    first = make_interview(recruiter, starts_at=_at(10), interviewers=[maria])
    second = make_interview(recruiter, starts_at=_at(12), interviewers=[maria])
    ctx.commit()
    second.starts_at = _at(10, 30)
    holds.release(ctx, second)
    with pytest.raises(IntegrityError):
        holds.hold(ctx, second)
    ctx.rollback()
    assert {(h[1], h[2]) for h in _held(ctx)} == {(first.id, _at(10)), (second.id, _at(12))}


def test_a_recruiter_cannot_book_a_candidates_self_booked_time(app, ctx, people, settings):
    """A time a candidate booked holds the panel like any other: scheduling by hand over
    it is refused (the reverse, a candidate booking over a recruiter's interview, is
    ``test_flow.test_a_time_taken_since_the_page_loaded_is_refused_with_fresh_times``)."""
    recruiter, _sv, maria, _bo = people
    application = make_application(recruiter, CandidateFactory())
    offer = offer_round(recruiter, [application], [maria], first=weekday_ahead(4)).offers[0]
    ctx.commit()
    client = candidate_client(app, application.candidate)
    start = slots_on(client.get(f"/portal/booking/{offer.id}").text)[0]
    assert _book(client, offer.id, start).status_code == 303
    other = make_application(recruiter, CandidateFactory(), application.opening)
    with pytest.raises(holds.HoldClash, match="Maria M already has an interview"):
        make_interview(recruiter, other, starts_at=datetime.fromisoformat(start)
                       + timedelta(minutes=15), interviewers=[maria])
    ctx.rollback()
