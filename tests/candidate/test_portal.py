"""The candidate's pages: their own data only, answers through htmx or plain forms,
calendar files, time zones and languages, and a bounded number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import event

from portal.extensions import db
from portal.links.services import issue_link
from portal.timeutil import utcnow
from tests.conftest import csrf_from
from tests.factories import CandidateFactory, UserFactory, make_application, make_interview, move_to


@pytest.fixture()
def world(ctx, settings):
    """Two candidates, each with an interview; the client is signed in as the first."""
    recruiter = UserFactory(role="recruiter")
    panel = [UserFactory(name="Maria Manager", role="interviewer")]
    mine = make_interview(recruiter, make_application(recruiter, CandidateFactory(
        name="Anna Andersson", timezone="Europe/Stockholm")), interviewers=panel)
    theirs = make_interview(recruiter, make_application(recruiter, CandidateFactory(
        name="Other Person")))
    _l, token = issue_link(ctx, settings, mine.application.candidate)
    ctx.commit()
    return {"recruiter": recruiter, "mine": mine, "theirs": theirs, "token": token}


@pytest.fixture()
def signed_in(client, world):
    assert client.get(f"/c/{world['token']}").status_code == 303
    return client


def test_overview_shows_applications_and_next_step(signed_in, world):
    page = signed_in.get("/portal/")
    assert page.status_code == 200
    assert "Hi Anna," in page.text
    assert world["mine"].application.opening.title in page.text
    assert f"/portal/interviews/{world['mine'].id}" in page.text
    assert "Let us know that you can come" in page.text


def test_another_candidates_objects_are_404(signed_in, world):
    other = world["theirs"]
    for path in (f"/portal/interviews/{other.id}", f"/portal/interviews/{other.id}/calendar.ics",
                 f"/portal/applications/{other.application.id}", "/portal/interviews/999999"):
        assert signed_in.get(path).status_code == 404, path
    page = signed_in.get("/portal/")
    response = signed_in.post(f"/portal/interviews/{other.id}/response",
                              data={"answer": "confirmed", "csrf_token": csrf_from(page.text)})
    assert response.status_code == 404


def test_staff_session_does_not_open_the_candidate_portal(client, world, login, ctx):
    UserFactory(email="boss@example.com", role="admin")
    ctx.commit()
    from tests.factories import PASSWORD

    login("boss@example.com", PASSWORD)
    response = client.get("/portal/")
    assert response.status_code == 302 and "/portal/link" in response.headers["Location"]


def test_interview_page_has_everything_a_candidate_needs(signed_in, world):
    interview = world["mine"]
    page = signed_in.get(f"/portal/interviews/{interview.id}").text
    assert "Maria Manager" in page
    assert "You meet the team." in page and "Think of a project you liked." in page
    assert interview.meeting_url in page
    google = signed_in.get(f"/portal/interviews/{interview.id}/calendar/google")
    assert google.status_code == 303
    assert google.headers["Location"].startswith("https://calendar.google.com/calendar/render?")
    assert interview.uid not in google.headers["Location"]
    outlook = signed_in.get(f"/portal/interviews/{interview.id}/calendar/outlook")
    assert outlook.headers["Location"].startswith("https://outlook.live.com/calendar/0/")
    assert signed_in.get(f"/portal/interviews/{interview.id}/calendar/yahoo").status_code == 404
    assert f"/portal/interviews/{interview.id}/calendar/google" in page
    assert f"/portal/interviews/{interview.id}/calendar.ics" in page
    assert "/portal/guides/zoom" in page
    assert "Stockholm time" in page
    assert "Starts in 2 days" in page


def test_join_button_is_prominent_only_from_15_minutes_before(signed_in, world, ctx):
    interview = world["mine"]
    page = signed_in.get(f"/portal/interviews/{interview.id}").text
    assert "join-button primary" not in page
    interview = ctx.merge(interview)
    interview.starts_at = utcnow() + timedelta(minutes=10)
    ctx.commit()
    page = signed_in.get(f"/portal/interviews/{interview.id}").text
    assert "join-button primary big" in page


def test_confirm_through_htmx_returns_the_partial(signed_in, world, ctx):
    interview = world["mine"]
    page = signed_in.get(f"/portal/interviews/{interview.id}")
    response = signed_in.post(
        f"/portal/interviews/{interview.id}/response",
        data={"answer": "confirmed"},
        headers={"HX-Request": "true", "HX-Target": "response",
                 "X-CSRFToken": csrf_from(page.text)})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="response"')
    assert "We have noted that you are coming" in response.text
    ctx.refresh(interview)
    assert interview.response == "confirmed" and interview.responded_at is not None


def test_reschedule_without_js_needs_a_message_and_loses_nothing(signed_in, world, ctx):
    interview = world["mine"]
    url = f"/portal/interviews/{interview.id}/response"
    page = signed_in.get(f"/portal/interviews/{interview.id}")
    token = csrf_from(page.text)
    empty = signed_in.post(url, data={"answer": "reschedule", "message": "  ", "csrf_token": token})
    assert empty.status_code == 422
    assert "Tell us which times suit you better" in empty.text
    assert "<html" in empty.text  # a whole page without JavaScript
    ok = signed_in.post(url, data={"answer": "reschedule", "csrf_token": token,
                                   "message": "Any morning next week <b>please</b>"})
    assert ok.status_code == 303
    page = signed_in.get(f"/portal/interviews/{interview.id}").text
    assert "Any morning next week &lt;b&gt;please&lt;/b&gt;" in page
    ctx.refresh(interview)
    assert interview.response == "reschedule"


def test_answer_without_csrf_is_refused(signed_in, world, ctx):
    interview = world["mine"]
    for headers in ({}, {"HX-Request": "true", "HX-Target": "response"}):
        response = signed_in.post(f"/portal/interviews/{interview.id}/response",
                                  data={"answer": "confirmed"}, headers=headers)
        assert response.status_code == 400
        assert "could not be sent" in response.text
    ctx.refresh(interview)
    assert interview.response == "none"


def test_bad_answers_get_messages_not_500(signed_in, world):
    interview = world["mine"]
    page = signed_in.get(f"/portal/interviews/{interview.id}")
    token = csrf_from(page.text)
    for data in ({"answer": "maybe"}, {}, {"answer": "reschedule", "message": "x" * 3000}):
        response = signed_in.post(f"/portal/interviews/{interview.id}/response",
                                  data={**data, "csrf_token": token})
        assert response.status_code == 422, data
        assert 'role="alert"' in response.text


def test_calendar_file_matches_the_invitation(signed_in, world):
    interview = world["mine"]
    response = signed_in.get(f"/portal/interviews/{interview.id}/calendar.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    event_ = Calendar.from_ical(response.data).walk("VEVENT")[0]
    assert str(event_["UID"]) == interview.uid
    assert int(event_["SEQUENCE"]) == interview.sequence
    assert event_.decoded("DTSTART") == interview.starts_at
    assert str(event_["LOCATION"]) == interview.meeting_url


def test_browser_zone_is_stored_unless_the_candidate_chose_one(signed_in, world, ctx):
    page = signed_in.get("/portal/")
    token = csrf_from(page.text)
    headers = {"HX-Request": "true", "X-CSRFToken": token}
    response = signed_in.post("/portal/timezone", data={"timezone": "America/New_York",
                                                        "source": "browser"}, headers=headers)
    # Nobody had set a zone: the device's is taken, said in one line, and nothing reloads.
    assert response.status_code == 200 and "HX-Refresh" not in response.headers
    assert "New York time" in response.text
    page = signed_in.get(f"/portal/interviews/{world['mine'].id}").text
    assert "New York time" in page
    chooser = signed_in.get("/portal/timezone?next=/portal/").text
    assert '<option value="Asia/Tokyo"' in chooser and 'value="/portal/"' in chooser
    signed_in.post("/portal/timezone", data={"timezone": "Asia/Tokyo", "source": "candidate",
                                             "csrf_token": token})
    signed_in.post("/portal/timezone", data={"timezone": "Europe/London", "source": "browser"},
                   headers=headers)
    candidate = ctx.merge(world["mine"].application.candidate)
    ctx.refresh(candidate)
    assert (candidate.timezone, candidate.timezone_source) == ("Asia/Tokyo", "candidate")
    bad = signed_in.post("/portal/timezone", data={"timezone": "Mars/Olympus",
                                                   "csrf_token": token})
    assert bad.status_code == 303


def test_language_switch_is_remembered_and_follows_to_email(signed_in, world, ctx):
    page = signed_in.get("/portal/")
    response = signed_in.post("/language", data={"lang": "sv", "next": "/portal/",
                                                 "csrf_token": csrf_from(page.text)})
    assert response.status_code == 303
    page = signed_in.get("/portal/").text
    assert 'lang="sv"' in page and "Hej Anna," in page
    candidate = ctx.merge(world["mine"].application.candidate)
    ctx.refresh(candidate)
    assert candidate.language == "sv"
    assert signed_in.post("/language", data={"lang": "de", "csrf_token": csrf_from(page)}
                          ).status_code == 400


def test_status_page_shows_the_outcome_of_a_finished_process(signed_in, world, ctx):
    application = ctx.merge(world["mine"].application)
    recruiter = ctx.merge(world["recruiter"])
    page = signed_in.get(f"/portal/applications/{application.id}").text
    assert "Application received" in page and "aria-current=\"step\"" in page
    assert "Hired" not in page and "Not selected" not in page
    stage = next(s for s in application.opening.stages if s.name == "Not selected")
    move_to(recruiter, application, stage)
    ctx.commit()
    page = signed_in.get(f"/portal/applications/{application.id}").text
    assert "Not selected" not in page  # not before the candidate has been told
    from portal.decisions import services as ds

    subject, body = ds.compose(ctx, application, "reject_interview", "You impressed us.")
    ds.schedule(ctx, recruiter, application, "reject_interview", subject, body, None)
    ctx.commit()
    page = signed_in.get(f"/portal/applications/{application.id}").text
    assert "Not selected" in page
    assert "we chose to go ahead with other candidates" in page
    assert "You impressed us." in page


def test_platform_guides_exist_for_every_platform(signed_in):
    for key in ("teams", "zoom", "meet", "jitsi", "whereby"):
        page = signed_in.get(f"/portal/guides/{key}")
        assert page.status_code == 200
        assert "Join from a phone" in page.text
    assert signed_in.get("/portal/guides/skype").status_code == 404


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


def test_overview_runs_a_bounded_number_of_queries(app, signed_in, world, ctx):
    assert world["mine"].id  # load before counting
    few = _count_queries(app, lambda: signed_in.get("/portal/"))
    recruiter = ctx.merge(world["recruiter"])
    candidate = ctx.merge(world["mine"].application.candidate)
    for n in range(6):
        application = make_application(recruiter, candidate)
        for days in (3, 4):
            make_interview(recruiter, application,
                           starts_at=utcnow() + timedelta(days=days + n),
                           interviewers=[UserFactory(role="interviewer")])
    ctx.commit()
    many = _count_queries(app, lambda: signed_in.get("/portal/"))
    assert many == few
    # applications (4), pool invites, stage history, referees, session, the brand
    assert few <= 9


def test_interview_page_runs_three_queries(app, signed_in, world):
    path = f"/portal/interviews/{world['mine'].id}"
    # the session, the interview with all it shows, and the brand (portal.branding)
    assert _count_queries(app, lambda: signed_in.get(path)) == 3
