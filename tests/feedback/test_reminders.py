"""Interviewers without a submitted scorecard a day after the interview get a reminder over
SMTP, once a day; the recruiter sees who is missing."""

from __future__ import annotations

from datetime import timedelta

from portal.feedback import services as fb
from portal.messaging.worker import run_once
from portal.timeutil import utcnow
from tests.factories import CandidateFactory, UserFactory, make_application, make_interview
from tests.feedback.test_views import client_for


def test_missing_scorecards_are_reminded_once_a_day(app, ctx, smtp_server):
    recruiter = UserFactory(email="rec@example.com", role="recruiter")
    anna = UserFactory(email="anna@example.com", role="interviewer", name="Anna")
    bo = UserFactory(email="bo@example.com", role="interviewer", name="Bo", language="sv")
    application = make_application(recruiter, CandidateFactory(name="Kim Kandidat"))
    kit = fb.create_starter_kit(ctx, recruiter, application.opening)
    interview = make_interview(recruiter, application, interviewers=[anna, bo])
    interview.kit_id = kit.id
    interview.starts_at = utcnow() - timedelta(hours=10)
    card = fb.my_scorecard(ctx, anna, interview)
    fb.submit(ctx, anna, card, fb.ScorecardData(
        ratings={c.id: 3 for c in kit.competencies}, notes={}, recommendation="yes",
        overall=""))
    ctx.commit()
    assert run_once(app).reminders == 0  # not yet a day after
    assert fb.missing_scorecards(ctx) == []

    interview.starts_at = utcnow() - timedelta(days=2)
    ctx.commit()
    assert [(i.id, u.email) for i, u in fb.missing_scorecards(ctx)] == [
        (interview.id, "bo@example.com")]
    report = run_once(app)
    assert report.reminders == 1 and report.sent == 1
    message = smtp_server.messages[0]
    assert message["To"].endswith("<bo@example.com>")
    assert "Bedömningsformulär saknas" in message["Subject"] or "Kim Kandidat" in message["Subject"]
    assert f"/staff/interviews/{interview.id}/scorecard" in message.get_body(
        ("plain",)).get_content()
    assert run_once(app).reminders == 0  # once a day

    dashboard = client_for(app, "rec@example.com").get("/staff/").text
    assert "Scorecards missing" in dashboard and "Bo" in dashboard
