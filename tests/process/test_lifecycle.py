"""The lifecycle: every change of an application's state has all its consequences, and what
the candidate sees follows from it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.decisions import services as ds
from portal.errors import DomainError
from portal.hiring.models import Response
from portal.hiring.services import InterviewData
from portal.links.services import issue_link
from portal.messaging.models import OutboxMessage
from portal.process import lifecycle
from portal.process.models import StageChange
from portal.timeutil import utcnow
from tests.conftest import csrf_from
from tests.factories import (
    CandidateFactory,
    UserFactory,
    make_application,
    make_interview,
)


def _kinds(ctx, **where) -> list[str]:
    query = select(OutboxMessage.kind).order_by(OutboxMessage.id)
    for key, value in where.items():
        query = query.where(getattr(OutboxMessage, key) == value)
    return list(ctx.scalars(query))


def _data(interview, **changes) -> InterviewData:
    values = dict(round_name=interview.round_name, starts_at=interview.starts_at,
                  duration_minutes=interview.duration_minutes, platform=interview.platform,
                  meeting_url=interview.meeting_url, what_to_expect=interview.what_to_expect,
                  preparation=interview.preparation,
                  interviewer_ids=[u.id for u in interview.interviewers],
                  kit_id=interview.kit_id)
    values.update(changes)
    return InterviewData(**values)


@pytest.fixture()
def booked(ctx, settings):
    """A candidate with an interview sent to them and a panel of one, signed in."""
    recruiter = UserFactory(role="recruiter")
    panel = UserFactory(name="Maria Manager", role="interviewer", email="maria@example.com")
    application = make_application(recruiter, CandidateFactory(name="Anna Andersson",
                                                               language="sv"))
    interview = make_interview(recruiter, application, interviewers=[panel],
                               starts_at=(utcnow() + timedelta(days=3)).replace(microsecond=0))
    from portal.hiring import notify

    notify.send_invitation(ctx, settings, interview)
    _link, token = issue_link(ctx, settings, application.candidate)
    ctx.commit()
    return {"recruiter": recruiter, "panel": panel, "application": application,
            "interview": interview, "token": token}


def _sign_in(client, token):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "sv"
    assert client.get(f"/c/{token}").status_code == 303
    return client


def test_scheduling_moves_to_the_interview_stage_and_the_promise_follows(ctx, settings, booked):
    application, interview = booked["application"], booked["interview"]
    assert application.stage.name == "Interview"
    end_local = interview.ends_at.date()
    assert application.next_step_by > end_local
    assert application.next_step_by == lifecycle.promise_floor(application)
    changes = ctx.scalars(select(StageChange).where(
        StageChange.application_id == application.id).order_by(StageChange.id)).all()
    assert [(c.transition, c.to_stage.name) for c in changes] == [
        ("apply", "Applied"), ("schedule", "Interview")]
    # "Advance" goes to the stage after the one the interview belongs to.
    assert lifecycle.advance_target(application).name == "Final interview"
    with pytest.raises(DomainError):
        lifecycle.set_promise(ctx, booked["recruiter"], application,
                              utcnow().date() + timedelta(days=1))


def test_rejecting_with_an_interview_booked_cancels_it_everywhere(app, ctx, settings, booked,
                                                                  client):
    application, interview = booked["application"], booked["interview"]
    lifecycle.decide(ctx, settings, booked["recruiter"], application, "reject",
                     ds.reasons(ctx)[0].label)
    ctx.commit()
    assert interview.is_cancelled and interview.sequence == 1
    assert _kinds(ctx, to_email="maria@example.com")[-1] == "interviewer_cancellation"
    assert _kinds(ctx, to_email=application.candidate.email)[-1] == "candidate_cancellation"
    assert application.next_step_by is None
    # Told the outcome: the overview, the interview page and the answer form agree.
    subject, body = ds.compose(ctx, application, "reject_interview", "")
    ds.schedule(ctx, booked["recruiter"], application, "reject_interview", subject, body, None,
                settings)
    ctx.commit()
    _sign_in(client, booked["token"])
    overview = client.get("/portal/").text
    assert "Inte gått vidare" in overview
    assert "Bekräfta" not in overview and "Låt oss veta att du kan komma" not in overview
    page = client.get(f"/portal/interviews/{interview.id}").text
    assert "Anslut" not in page and "Ja, jag kommer" not in page
    assert interview.meeting_url not in page
    answer = client.post(f"/portal/interviews/{interview.id}/response",
                         data={"answer": "confirmed", "csrf_token": csrf_from(overview)})
    assert answer.status_code == 422
    ctx.refresh(interview)
    assert interview.response == Response.NONE


def test_the_timeline_shows_only_stages_passed(ctx, settings, client):
    recruiter = UserFactory(role="recruiter")
    application = make_application(recruiter, CandidateFactory(language="sv"))
    lifecycle.decide(ctx, settings, recruiter, application, "reject", ds.reasons(ctx)[0].label)
    ds.record_no_message(ctx, recruiter, application, "Told by phone")
    _link, token = issue_link(ctx, settings, application.candidate)
    ctx.commit()
    _sign_in(client, token)
    page = client.get(f"/portal/applications/{application.id}").text
    steps = page[page.index('<ol class="timeline">'):page.index("</ol>")]
    assert "Ansökan mottagen" in steps and "Inte gått vidare" in steps
    for never in ("Urval", "Intervju", "Slutintervju", "Referenstagning", "Erbjudande"):
        assert never not in steps, never


def test_a_withdrawal_is_shown_at_once_and_revokes_referee_links(ctx, settings, booked, client):
    from portal.references import services as refs
    from portal.references.models import ReferenceRequest

    recruiter, application = booked["recruiter"], booked["application"]
    stage = next(s for s in application.opening.stages if s.name == "References")
    lifecycle.move(ctx, settings, recruiter, application, stage)
    prompt = _kinds(ctx, candidate_id=application.candidate_id)
    assert prompt.count("candidate_references") == 1
    referee = refs.add_referee(ctx, application.candidate, application, refs.RefereeData(
        name="Ref Eree", relation="Chef", email="ref@example.com", phone="", language="sv",
        consent=True))
    refs.send_request(ctx, settings, recruiter, referee)
    lifecycle.withdraw(ctx, settings, recruiter, application, "Accepted an offer elsewhere")
    ctx.commit()
    request = ctx.scalar(select(ReferenceRequest).where(ReferenceRequest.referee_id == referee.id))
    with pytest.raises(DomainError):
        refs.usable(request)
    assert booked["interview"].is_cancelled
    _sign_in(client, booked["token"])
    page = client.get(f"/portal/applications/{application.id}").text
    assert "Ansökan tillbakadragen" in page


def test_a_panel_change_tells_the_panel_not_the_candidate(ctx, settings, booked):
    interview = booked["interview"]
    interview.response = Response.CONFIRMED.value
    ctx.commit()
    newcomer = UserFactory(name="Nils Ny", role="interviewer", email="nils@example.com")
    before = _kinds(ctx, to_email=booked["application"].candidate.email)
    told = lifecycle.reschedule(ctx, settings, booked["recruiter"], interview, _data(
        interview, interviewer_ids=[booked["panel"].id, newcomer.id]))
    ctx.commit()
    assert told is False
    assert _kinds(ctx, to_email=booked["application"].candidate.email) == before
    assert interview.response == Response.CONFIRMED
    assert _kinds(ctx, to_email="nils@example.com") == ["interviewer_invitation"]
    assert _kinds(ctx, to_email="maria@example.com")[-1] == "interviewer_update"
    # A new time is news to the candidate, and asks them again.
    told = lifecycle.reschedule(ctx, settings, booked["recruiter"], interview, _data(
        interview, starts_at=interview.starts_at + timedelta(hours=2),
        interviewer_ids=[booked["panel"].id, newcomer.id]))
    assert told is True and interview.response == Response.NONE
    assert _kinds(ctx, to_email=booked["application"].candidate.email)[-1] == "candidate_update"


def test_a_closed_process_takes_no_interviews_until_reopened(ctx, settings, booked):
    recruiter, application = booked["recruiter"], booked["application"]
    lifecycle.reject(ctx, settings, recruiter, application, ds.reasons(ctx)[0].label)
    with pytest.raises(DomainError):
        lifecycle.reject(ctx, settings, recruiter, application, ds.reasons(ctx)[0].label)
    with pytest.raises(DomainError):
        make_interview(recruiter, application)
    with pytest.raises(DomainError):
        lifecycle.reschedule(ctx, settings, recruiter, booked["interview"],
                             _data(booked["interview"]))
    lifecycle.reopen(ctx, settings, recruiter, application)
    assert application.stage.name == "Interview" and not application.is_closed
    make_interview(recruiter, application)


def test_the_device_zone_never_overrides_one_a_person_set(ctx, settings, client):
    recruiter = UserFactory(role="recruiter")
    from portal.hiring import services

    candidate = services.create_candidate(ctx, recruiter, services.CandidateData(
        name="Chen Li", email="chen@example.com", phone="", language="en",
        timezone="Asia/Shanghai", default_timezone=settings.default_timezone))
    make_application(recruiter, candidate)
    _link, token = issue_link(ctx, settings, candidate)
    ctx.commit()
    assert client.get(f"/c/{token}").status_code == 303
    page = client.get("/portal/")
    offer = client.post("/portal/timezone", data={"timezone": "UTC", "source": "browser"},
                        headers={"HX-Request": "true", "X-CSRFToken": csrf_from(page.text)})
    assert offer.status_code == 200 and "HX-Refresh" not in offer.headers
    assert 'name="source" value="candidate"' in offer.text  # an offer, not a change
    ctx.refresh(candidate)
    assert (candidate.timezone, candidate.timezone_source) == ("Asia/Shanghai", "recruiter")



def test_closing_from_the_board_asks_first_when_interviews_are_booked(ctx, booked, client,
                                                                      login):
    from tests.factories import PASSWORD

    application, interview = booked["application"], booked["interview"]
    rejected = next(s for s in application.opening.stages if s.kind == "not_selected")
    booked["recruiter"].email = "rec@example.com"
    ctx.commit()
    login("rec@example.com", PASSWORD)
    page = client.get(f"/staff/candidates/{application.candidate_id}")
    token = csrf_from(page.text)
    url = f"/staff/applications/{application.id}/move"
    asked = client.post(url, data={"csrf_token": token, "stage_id": rejected.id,
                                   "back": "candidate"})
    assert asked.status_code == 422 and interview.round_name in asked.text
    ctx.expire_all()
    assert not application.is_closed and not interview.is_cancelled
    # From the board (htmx) the confirm page opens instead of a silent move.
    moved = client.post(url, data={"csrf_token": token, "stage_id": rejected.id},
                        headers={"HX-Request": "true", "HX-Target": "pipeline"})
    assert moved.status_code == 204 and "/move?stage_id=" in moved.headers["HX-Redirect"]
    assert client.get(moved.headers["HX-Redirect"]).status_code == 200
    done = client.post(url, data={"csrf_token": token, "stage_id": rejected.id,
                                  "back": "candidate", "confirm": "y"})
    assert done.status_code == 303
    ctx.expire_all()
    assert application.is_closed and interview.is_cancelled
