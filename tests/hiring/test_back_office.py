"""The back office: openings, candidates, scheduling with validated links, invitations,
updates and cancellations through the outbox, pipeline moves, permissions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from portal.hiring.models import Application, Candidate, Interview, Opening
from portal.messaging.models import OutboxMessage
from portal.timeutil import utcnow
from tests.conftest import csrf_from
from tests.factories import PASSWORD, CandidateFactory, UserFactory, make_application


@pytest.fixture()
def recruiter(ctx, client, login):
    user = UserFactory(email="rec@example.com", role="recruiter", name="Rebecka Rekryterare")
    ctx.commit()
    login("rec@example.com", PASSWORD)
    return user


def _token(client, path="/staff/"):
    return csrf_from(client.get(path).text)


def test_create_opening_gets_default_stages(client, recruiter, ctx):
    token = _token(client, "/staff/openings/new")
    bad = client.post("/staff/openings/new", data={"csrf_token": token, "title": "",
                                                   "language": "sv"})
    assert bad.status_code == 422 and "Give the opening a title." in bad.text
    response = client.post("/staff/openings/new", data={
        "csrf_token": token, "title": "Data engineer", "team": "Data", "language": "sv"})
    assert response.status_code == 303
    opening = ctx.scalar(select(Opening))
    assert [s.name for s in opening.stages] == [
        "Applied", "Screening", "Interview", "Final interview", "References", "Offer",
        "Hired", "Not selected", "Withdrawn"]
    assert [s.public_name_sv for s in opening.stages][-2] == "Inte gått vidare"
    board = client.get(response.headers["Location"])
    assert board.status_code == 200 and "Data engineer" in board.text


def test_add_candidate_validates_inline_and_keeps_input(client, recruiter, ctx):
    token = _token(client, "/staff/candidates/new")
    response = client.post("/staff/candidates/new", data={
        "csrf_token": token, "name": "Sara Svensson", "email": "not-an-email",
        "language": "sv", "timezone": "Europe/Stockholm"})
    assert response.status_code == 422
    assert "Enter a valid email address." in response.text
    assert 'value="Sara Svensson"' in response.text
    response = client.post("/staff/candidates/new", data={
        "csrf_token": token, "name": "Sara Svensson", "email": "sara@example.com",
        "language": "sv", "timezone": "Mars/Base"})
    assert response.status_code == 422 and "Choose a time zone from the list." in response.text
    ok = client.post("/staff/candidates/new", data={
        "csrf_token": token, "name": "Sara Svensson", "email": "Sara@Example.com",
        "language": "sv", "timezone": "Europe/Stockholm"})
    assert ok.status_code == 303
    dup = client.post("/staff/candidates/new", data={
        "csrf_token": token, "name": "Sara Again", "email": "sara@example.com",
        "language": "sv", "timezone": "Europe/Stockholm"})
    assert dup.status_code == 422 and "already exists" in dup.text
    assert ctx.scalar(select(Candidate.email)) == "sara@example.com"


def _schedule(client, application_id, **overrides):
    token = _token(client, f"/staff/applications/{application_id}/interviews/new")
    when = (utcnow() + timedelta(days=3)).astimezone()
    data = {"csrf_token": token, "round_name": "First interview",
            "date": when.strftime("%Y-%m-%d"), "time": "14:00", "timezone": "Europe/Stockholm",
            "duration_minutes": "45", "platform": "zoom",
            "meeting_url": "https://zoom.us/j/98765432101?pwd=abc",
            "what_to_expect": "Meet the team", "preparation": "Bring questions", "send": "1"}
    data.update(overrides)
    return client.post(f"/staff/applications/{application_id}/interviews/new", data=data)


def test_meeting_link_must_fit_the_platform(client, recruiter, ctx):
    application = make_application(recruiter)
    ctx.commit()
    response = _schedule(client, application.id, platform="teams",
                         meeting_url="https://zoom.us/j/98765432101")
    assert response.status_code == 422
    assert "Teams" in response.text
    assert 'value="https://zoom.us/j/98765432101"' in response.text  # nothing lost
    response = _schedule(client, application.id, meeting_url="http://zoom.us/j/98765432101")
    assert response.status_code == 422
    assert ctx.scalar(select(Interview.id)) is None


def test_jitsi_room_is_created_when_asked(client, recruiter, ctx):
    application = make_application(recruiter)
    ctx.commit()
    response = _schedule(client, application.id, platform="jitsi", meeting_url="",
                         create_jitsi_room="y", send="0")
    assert response.status_code == 303
    url = ctx.scalar(select(Interview.meeting_url))
    assert url.startswith("https://meet.jit.si/") and len(url) > 40


def test_past_times_and_bad_dates_are_refused_inline(client, recruiter, ctx):
    application = make_application(recruiter)
    ctx.commit()
    past = _schedule(client, application.id, date="2020-01-01")
    assert past.status_code == 422 and "Choose a time in the future." in past.text
    junk = _schedule(client, application.id, date="31/31/2026", time="25:99",
                     duration_minutes="lots")
    assert junk.status_code == 422
    assert "Not a valid" in junk.text or "Choose a date." in junk.text


def test_invitation_goes_to_candidate_and_interviewers_with_calendar(client, recruiter, ctx):
    panel = [UserFactory(name="Maria Manager", role="interviewer", language="sv"),
             UserFactory(name="Johan Dev", role="interviewer")]
    application = make_application(recruiter, CandidateFactory(language="sv"))
    ctx.commit()
    response = _schedule(client, application.id, interviewer_ids=[str(u.id) for u in panel])
    assert response.status_code == 303
    interview = ctx.scalar(select(Interview))
    assert interview.invited_at is not None
    messages = ctx.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [m.kind for m in messages] == [
        "candidate_invitation", "interviewer_invitation", "interviewer_invitation"]
    to_candidate = messages[0]
    assert to_candidate.to_email == application.candidate.email
    assert "Inbjudan till intervju" in to_candidate.subject
    assert "/c/" in to_candidate.text_body and "kl. 14.00–14.45 (svensk tid)" in (
        to_candidate.text_body)
    assert f"/staff/candidates/{application.candidate_id}" in messages[2].text_body
    event = Calendar.from_ical(to_candidate.ics).walk("VEVENT")[0]
    assert str(event["UID"]) == interview.uid and int(event["SEQUENCE"]) == 0
    attendees = {str(a).removeprefix("mailto:") for a in event.get("ATTENDEE")}
    assert attendees == {application.candidate.email, *(u.email for u in panel)}


def test_change_sends_update_with_same_uid_and_higher_sequence(client, recruiter, ctx):
    keep, drop = UserFactory(role="interviewer"), UserFactory(role="interviewer")
    application = make_application(recruiter)
    ctx.commit()
    _schedule(client, application.id, interviewer_ids=[str(keep.id), str(drop.id)])
    interview = ctx.scalar(select(Interview))
    uid = interview.uid
    page = client.get(f"/staff/interviews/{interview.id}/edit")
    assert page.status_code == 200 and 'value="First interview"' in page.text
    when = (utcnow() + timedelta(days=4)).astimezone()
    response = client.post(f"/staff/interviews/{interview.id}/edit", data={
        "csrf_token": csrf_from(page.text), "round_name": "First interview",
        "date": when.strftime("%Y-%m-%d"), "time": "09:30", "timezone": "Europe/Stockholm",
        "duration_minutes": "60", "platform": "zoom",
        "meeting_url": "https://zoom.us/j/98765432101", "interviewer_ids": [str(keep.id)]})
    assert response.status_code == 303
    ctx.expire_all()
    interview = ctx.get(Interview, interview.id)
    assert interview.sequence == 1 and interview.uid == uid
    updates = ctx.scalars(select(OutboxMessage).where(OutboxMessage.kind.like("%update"))).all()
    assert sorted(m.to_email for m in updates) == sorted(
        [application.candidate.email, keep.email])
    for message in updates:
        event = Calendar.from_ical(message.ics).walk("VEVENT")[0]
        assert str(event["UID"]) == uid and int(event["SEQUENCE"]) == 1
    removed = ctx.scalar(select(OutboxMessage).where(
        OutboxMessage.kind == "interviewer_cancellation"))
    assert removed.to_email == drop.email and removed.ics_method == "CANCEL"


def test_cancel_sends_cancellations_to_everyone(client, recruiter, ctx):
    person = UserFactory(role="interviewer")
    application = make_application(recruiter)
    ctx.commit()
    _schedule(client, application.id, interviewer_ids=[str(person.id)])
    interview = ctx.scalar(select(Interview))
    page = client.get(f"/staff/candidates/{application.candidate_id}")
    response = client.post(f"/staff/interviews/{interview.id}/cancel",
                           data={"csrf_token": csrf_from(page.text), "confirm": "y"})
    assert response.status_code == 303
    cancels = ctx.scalars(select(OutboxMessage).where(
        OutboxMessage.kind.like("%cancellation"))).all()
    assert {m.to_email for m in cancels} == {application.candidate.email, person.email}
    for message in cancels:
        cal = Calendar.from_ical(message.ics)
        assert str(cal["METHOD"]) == "CANCEL"
        assert int(cal.walk("VEVENT")[0]["SEQUENCE"]) == 1
    again = client.post(f"/staff/interviews/{interview.id}/cancel",
                        data={"csrf_token": csrf_from(page.text)}, follow_redirects=True)
    assert "already cancelled" in again.text


def test_pipeline_move_in_place_through_htmx(client, recruiter, ctx):
    application = make_application(recruiter)
    ctx.commit()
    opening_id = application.opening_id
    target = next(s for s in application.opening.stages if s.name == "Screening")
    page = client.get(f"/staff/openings/{opening_id}")
    response = client.post(f"/staff/applications/{application.id}/move",
                           data={"stage_id": str(target.id)},
                           headers={"HX-Request": "true", "HX-Target": f"app-{application.id}",
                                    "X-CSRFToken": csrf_from(page.text)})
    assert response.status_code == 200
    assert f'<div class="cards" id="cards-{target.id}" hx-swap-oob="afterbegin">' in response.text
    assert '<div id="pipeline"' not in response.text  # only what changed
    assert "HX-Request" in response.headers["Vary"]
    ctx.expire_all()
    assert ctx.get(Application, application.id).stage_id == target.id
    foreign = make_application(recruiter).opening.stages[1]
    ctx.commit()
    assert client.post(f"/staff/applications/{application.id}/move",
                       data={"stage_id": str(foreign.id), "csrf_token": csrf_from(page.text)}
                       ).status_code == 404
    assert client.post(f"/staff/applications/{application.id}/move",
                       data={"stage_id": "abc", "csrf_token": csrf_from(page.text)}
                       ).status_code == 400


def test_moving_without_csrf_is_refused(client, recruiter, ctx):
    application = make_application(recruiter)
    ctx.commit()
    stage = application.opening.stages[2]
    response = client.post(f"/staff/applications/{application.id}/move",
                           data={"stage_id": str(stage.id)},
                           headers={"HX-Request": "true", "HX-Target": "pipeline"})
    assert response.status_code == 400


def test_dashboard_shows_portal_opened_confirmed_and_reschedule_message(client, recruiter, ctx):
    application = make_application(recruiter, CandidateFactory(name="Resa Requester"))
    ctx.commit()
    _schedule(client, application.id)
    interview = ctx.scalar(select(Interview))
    interview.response, interview.response_message = "reschedule", "Tuesdays are better"
    application.candidate.first_seen_at = utcnow()
    ctx.commit()
    page = client.get("/staff/").text
    assert "Needs your attention" in page
    assert "Resa Requester" in page and "Tuesdays are better" in page
    assert "Opened portal" in page and "Asks to reschedule" in page


def test_interviewer_sees_only_their_interviews(app, ctx, recruiter):
    mine = UserFactory(email="iv@example.com", role="interviewer")
    from tests.factories import make_interview

    shared = make_interview(recruiter, interviewers=[mine])
    other = make_interview(recruiter)
    ctx.commit()
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get("/staff/login")
    client.post("/staff/login", data={"email": "iv@example.com", "password": PASSWORD,
                                      "csrf_token": csrf_from(page.text)})
    assert client.get(f"/staff/candidates/{shared.application.candidate_id}").status_code == 200
    assert client.get(f"/staff/candidates/{other.application.candidate_id}").status_code == 404
    dashboard = client.get("/staff/").text
    assert shared.application.candidate.name in dashboard
    assert other.application.candidate.name not in dashboard
    token = csrf_from(dashboard)
    assert client.post(f"/staff/interviews/{shared.id}/cancel",
                       data={"csrf_token": token}).status_code == 403


@pytest.mark.parametrize("path", [
    "/staff/candidates/abc", "/staff/candidates/99999", "/staff/openings/99999",
    "/staff/interviews/99999/edit", "/staff/applications/99999/interviews/new",
    "/staff/outbox/99999", "/staff/stages/99999", "/staff/candidates?q=%00%27%22",
    "/staff/candidates/99999999999999999999", "/portal/interviews/99999999999999999999",
])
def test_unknown_ids_and_junk_never_500(client, recruiter, path):
    assert client.get(path).status_code in (200, 400, 404)


def test_revoke_and_resend_links_from_the_back_office(client, recruiter, ctx):
    application = make_application(recruiter)
    ctx.commit()
    page = client.get(f"/staff/candidates/{application.candidate_id}")
    token = csrf_from(page.text)
    client.post(f"/staff/candidates/{application.candidate_id}/links",
                data={"csrf_token": token})
    message = ctx.scalar(select(OutboxMessage).where(OutboxMessage.kind == "candidate_new_link"))
    path = "/c/" + message.text_body.split("/c/")[1].split()[0]
    from portal.extensions import db

    candidate_client = client.application.test_client()
    assert candidate_client.get(path).headers["Location"] == "/portal/"
    response = client.post(f"/staff/candidates/{application.candidate_id}/links/revoke",
                           data={"csrf_token": token}, follow_redirects=True)
    assert "1 links revoked" in response.text
    assert candidate_client.get("/portal/").status_code == 302
    assert db
