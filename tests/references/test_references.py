"""References: named with consent at the right stage, asked through a link scoped to one
request, answered in the referee's language, reminded once, read by staff."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.links.services import issue_link
from portal.messaging.models import OutboxMessage
from portal.messaging.worker import run_once
from portal.references.models import Referee, ReferenceRequest
from portal.timeutil import utcnow
from tests.conftest import csrf_from
from tests.factories import CandidateFactory, UserFactory, make_application, move_to
from tests.feedback.test_views import client_for


@pytest.fixture()
def case(ctx, settings, client):
    recruiter = UserFactory(email="rec@example.com", role="recruiter")
    application = make_application(recruiter, CandidateFactory(name="Sara Svensson"))
    _l, token = issue_link(ctx, settings, application.candidate)
    ctx.commit()
    client.get(f"/c/{token}")
    return recruiter, application


def _add(client, application, **overrides):
    page = client.get(f"/portal/applications/{application.id}")
    data = {"csrf_token": csrf_from(page.text), "name": "Maja Manager",
            "relation": "My manager at Acme", "email": "maja@example.com", "phone": "",
            "language": "sv", "consent": "y", **overrides}
    return client.post(f"/portal/applications/{application.id}/referees", data=data)


def _to_references(ctx, recruiter, application):
    stage = next(s for s in application.opening.stages if s.name == "References")
    move_to(recruiter, application, stage)
    ctx.commit()


def test_referees_are_named_with_consent_at_the_reference_stage(ctx, client, case):
    recruiter, application = case
    early = _add(client, application)
    assert early.status_code == 422 and "later in the process" in early.text
    _to_references(ctx, recruiter, application)
    assert "Name a reference" in client.get(f"/portal/applications/{application.id}").text
    no_consent = _add(client, application, consent="")
    assert no_consent.status_code == 422 and "agree that we may contact" in no_consent.text
    assert 'value="Maja Manager"' in no_consent.text  # nothing lost
    assert _add(client, application).status_code == 303
    assert ctx.scalar(select(Referee.email)) == "maja@example.com"


def test_request_answer_and_staff_read_it(app, ctx, client, case):
    recruiter, application = case
    _to_references(ctx, recruiter, application)
    _add(client, application)
    staff = client_for(app, "rec@example.com")
    page = staff.get(f"/staff/candidates/{application.candidate_id}")
    referee_id = ctx.scalar(select(Referee.id))
    assert staff.post(f"/staff/referees/{referee_id}/request",
                      data={"csrf_token": csrf_from(page.text)}).status_code == 303
    email = ctx.scalar(select(OutboxMessage).where(OutboxMessage.kind == "referee_request"))
    assert email.to_email == "maja@example.com" and "Referens för Sara Svensson" in email.subject
    path = re.search(r"/r/\S+", email.text_body).group(0)

    referee = app.test_client()
    opened = referee.get(path)
    assert opened.status_code == 303 and opened.headers["Location"] == "/referee/"
    form = referee.get("/referee/")
    assert form.status_code == 200 and "I vilken roll" in form.text
    token = csrf_from(form.text)
    assert referee.get("/portal/").status_code == 302  # nothing but its own form
    assert referee.get("/staff/").status_code == 302
    draft = referee.post("/referee/", data={"csrf_token": token, "action": "draft",
                                            "answer-0": "Två år som chef"})
    assert draft.status_code == 303
    incomplete = referee.post("/referee/", data={"csrf_token": token, "action": "send",
                                                 "answer-0": "Två år som chef"})
    assert incomplete.status_code == 422 and "Två år som chef" in incomplete.text
    answers = {f"answer-{i}": f"Svar {i}" for i in range(5)}
    done = referee.post("/referee/", data={"csrf_token": token, "action": "send", **answers})
    assert done.status_code == 200 and "Tack" in done.text
    assert referee.get(path).status_code == 410  # dead once answered
    staff_page = staff.get(f"/staff/candidates/{application.candidate_id}").text
    assert "Svar 4" in staff_page
    withdraw = client.post(f"/portal/referees/{referee_id}/withdraw",
                           data={"csrf_token": csrf_from(client.get("/portal/").text)},
                           follow_redirects=True)
    assert "already answered" in withdraw.text


def test_withdrawn_consent_closes_the_link_and_blocks_requests(app, ctx, client, case):
    recruiter, application = case
    _to_references(ctx, recruiter, application)
    _add(client, application)
    staff = client_for(app, "rec@example.com")
    referee_id = ctx.scalar(select(Referee.id))
    token = csrf_from(staff.get(f"/staff/candidates/{application.candidate_id}").text)
    staff.post(f"/staff/referees/{referee_id}/request", data={"csrf_token": token})
    path = re.search(r"/r/\S+", ctx.scalar(select(OutboxMessage.text_body).where(
        OutboxMessage.kind == "referee_request"))).group(0)
    client.post(f"/portal/referees/{referee_id}/withdraw",
                data={"csrf_token": csrf_from(client.get("/portal/").text), "confirm": "y"})
    assert app.test_client().get(path).status_code == 410
    again = staff.post(f"/staff/referees/{referee_id}/request", data={"csrf_token": token},
                       follow_redirects=True)
    assert "withdrawn consent" in again.text


def test_links_of_other_purposes_do_not_open_reference_forms(app, ctx, case, settings):
    _recruiter, application = case
    _l, candidate_token = issue_link(ctx, settings, application.candidate)
    ctx.commit()
    assert app.test_client().get(f"/r/{candidate_token}").status_code == 410
    assert app.test_client().get("/r/garbage-garbage-garbage").status_code == 410
    assert app.test_client().get("/referee/").status_code == 404


def test_reminder_after_three_days_once(app, ctx, client, case, smtp_server):
    recruiter, application = case
    _to_references(ctx, recruiter, application)
    _add(client, application, language="en")
    staff = client_for(app, "rec@example.com")
    token = csrf_from(staff.get(f"/staff/candidates/{application.candidate_id}").text)
    staff.post(f"/staff/referees/{ctx.scalar(select(Referee.id))}/request",
               data={"csrf_token": token})
    run_once(app)

    def to_referee():  # the candidate also hears from us (asked to name referees)
        return [m["Subject"] for m in smtp_server.messages if "maja@" in m["To"]]

    assert to_referee() == ["Reference for Sara Svensson"]
    request = ctx.scalar(select(ReferenceRequest))
    request.sent_at = utcnow() - timedelta(days=3, minutes=1)
    ctx.commit()
    run_once(app)
    run_once(app)
    assert to_referee() == ["Reference for Sara Svensson", "Reminder: reference for Sara Svensson"]
