"""One anonymous question after each interview; staff see totals only, from three answers."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select

from portal.decisions.models import ExperienceAnswer
from portal.links.services import issue_link
from portal.timeutil import utcnow
from tests.conftest import csrf_from
from tests.factories import CandidateFactory, UserFactory, make_application, make_interview
from tests.feedback.test_views import client_for


def test_candidates_answer_once_and_staff_see_totals_only(app, ctx, settings):
    recruiter = UserFactory(email="rec@example.com", role="recruiter")
    first = make_application(recruiter, CandidateFactory(name="Ada"))
    clients, interviews = [], []
    for n, application in enumerate([first, *(make_application(
            recruiter, CandidateFactory(name=f"P{n}"), first.opening) for n in range(2))]):
        interview = make_interview(recruiter, application)
        interview.starts_at = utcnow() - timedelta(hours=2 + n)
        _l, token = issue_link(ctx, settings, application.candidate)
        interviews.append(interview)
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        clients.append((client, token))
    ctx.commit()
    staff = client_for(app, "rec@example.com")
    for index, ((client, token), interview) in enumerate(zip(clients, interviews, strict=True)):
        client.get(f"/c/{token}")
        page = client.get(f"/portal/interviews/{interview.id}")
        assert "How was your interview?" in page.text
        answer = client.post(f"/portal/interviews/{interview.id}/experience",
                             data={"rating": str(3 + index % 3), "comment": f"Comment {index}"},
                             headers={"HX-Request": "true", "HX-Target": "experience",
                                      "X-CSRFToken": csrf_from(page.text)})
        assert answer.status_code == 200 and "Thank you!" in answer.text
        again = client.post(f"/portal/interviews/{interview.id}/experience",
                            data={"rating": "1"}, headers={
                                "HX-Request": "true", "HX-Target": "experience",
                                "X-CSRFToken": csrf_from(page.text)})
        assert again.status_code == 422
        assert "How was your interview?" not in client.get(
            f"/portal/interviews/{interview.id}").text
        compare = staff.get(f"/staff/openings/{first.opening_id}/compare").text
        if index < 2:
            assert "Totals show from 3 answers" in compare and "Comment 0" not in compare
    compare = staff.get(f"/staff/openings/{first.opening_id}/compare").text
    assert "Average 4.0 of 5 from 3 answers." in compare and "Comment 2" in compare
    columns = {c.key for c in sa_inspect(ExperienceAnswer).columns}
    assert not columns & {"candidate_id", "interview_id", "application_id"}
    assert ctx.scalar(select(ExperienceAnswer.answered_on)).hour == 0  # the day, not the time
