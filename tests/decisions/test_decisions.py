"""Decisions move the stage; candidates are told from templates, now or later; the
portal shows an outcome only once it is told; nobody is left waiting unnoticed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.decisions import services as ds
from portal.decisions.models import Decision, OutcomeMessage
from portal.errors import DomainError
from portal.messaging.models import OutboxMessage
from portal.messaging.worker import run_once
from portal.process import lifecycle
from portal.timeutil import utcnow
from tests.conftest import csrf_from
from tests.factories import CandidateFactory, UserFactory, make_application, make_interview
from tests.feedback.test_views import client_for


@pytest.fixture()
def case(ctx):
    recruiter = UserFactory(email="rec@example.com", role="recruiter")
    application = make_application(recruiter, CandidateFactory(name="Sara Svensson",
                                                               language="sv"))
    ctx.commit()
    return recruiter, application


def test_templates_fill_fields_in_the_candidates_language(ctx, case):
    _recruiter, application = case
    subject, body = ds.compose(ctx, application, "reject_screening", "Tack för ett fint brev.")
    assert subject == f"Din ansökan till tjänsten som {application.opening.title}"
    assert body.startswith("Hej Sara,") and "Tack för ett fint brev." in body
    _s, plain = ds.compose(ctx, application, "reject_screening", "")
    assert "\n\n\n" not in plain


def test_template_fields_are_checked(ctx, case):
    recruiter, _application = case
    row = ds.template(ctx, "offer", "en")
    for bad in ("Hi {nmae}", "Hi {name", "Hi {0}"):
        with pytest.raises(DomainError):
            ds.save_template(ctx, recruiter, row, "Offer", bad)
    ds.save_template(ctx, recruiter, row, "Offer for {role}", "Hi {name}! {personal_line}")


def test_decisions_move_the_stage_and_are_recorded(ctx, settings, case):
    recruiter, application = case
    lifecycle.decide(ctx, settings, recruiter, application, "advance")
    assert application.stage.name == "Screening"
    with pytest.raises(DomainError, match="reason"):
        lifecycle.decide(ctx, settings, recruiter, application, "reject", "because")
    lifecycle.decide(ctx, settings, recruiter, application, "reject", ds.reasons(ctx)[0].label)
    assert application.stage.name == "Not selected" and application.is_closed
    assert application.shown_stage.name == "Screening"  # not told yet
    with pytest.raises(DomainError, match="closed"):  # a closed process is reopened first
        lifecycle.decide(ctx, settings, recruiter, application, "offer")
    lifecycle.reopen(ctx, settings, recruiter, application)
    assert application.stage.name == "Screening" and not application.is_closed
    lifecycle.decide(ctx, settings, recruiter, application, "offer")
    assert application.stage.name == "Offer" and not application.is_closed
    assert [d.kind for d in ctx.scalars(select(Decision).order_by(Decision.id))] == [
        "advance", "reject", "offer"]


def test_a_message_at_a_set_time_goes_out_then_and_not_before(app, ctx, settings, case,
                                                              smtp_server):
    recruiter, application = case
    lifecycle.decide(ctx, settings, recruiter, application, "reject", ds.reasons(ctx)[0].label)
    subject, body = ds.compose(ctx, application, "reject_screening", "")
    message = ds.schedule(ctx, recruiter, application, "reject_screening", subject, body,
                          utcnow() + timedelta(hours=2))
    ctx.commit()
    run_once(app)
    assert smtp_server.messages == [] and application.outcome_published_at is None
    message.send_at = utcnow() - timedelta(seconds=1)
    ctx.commit()
    run_once(app)
    run_once(app)
    assert len(smtp_server.messages) == 1
    assert smtp_server.messages[0]["Subject"] == subject
    ctx.expire_all()
    assert ctx.get(OutcomeMessage, message.id).sent_at is not None
    with pytest.raises(DomainError):
        ds.schedule(ctx, recruiter, application, "offer", "s", "b", utcnow() - timedelta(days=1))


def test_waiting_list_counts_working_days_and_closed_but_untold(ctx, settings, case):
    recruiter, application = case
    assert ds.add_working_days(date(2026, 11, 27), 5) == date(2026, 12, 4)  # Fri + 5
    interview = make_interview(recruiter, application)
    interview.starts_at = utcnow() - timedelta(days=10)
    other = make_application(recruiter, CandidateFactory(name="Tyst Kandidat"))
    lifecycle.decide(ctx, settings, recruiter, other, "reject", ds.reasons(ctx)[0].label)
    ctx.commit()
    waiting = {w.application.candidate.name: w for w in ds.waiting_for_answer(ctx)}
    assert waiting["Sara Svensson"].overdue
    assert waiting["Tyst Kandidat"].application.is_closed
    subject, body = ds.compose(ctx, application, "next_round", "")
    ds.schedule(ctx, recruiter, application, "next_round", subject, body, None)
    ds.record_no_message(ctx, recruiter, other, "Told by phone on Monday")
    ctx.commit()
    assert ds.waiting_for_answer(ctx) == []
    assert other.outcome_published_at is not None


def test_decide_page_previews_and_sends(app, ctx, case):
    _recruiter, application = case
    client = client_for(app, "rec@example.com")
    url = f"/staff/applications/{application.id}/decide?decision=reject"
    page = client.get(url)
    assert page.status_code == 200 and "Hej Sara," in page.text
    token = csrf_from(page.text)
    preview = client.post(url, data={"csrf_token": token, "action": "preview",
                                     "personal_line": "Du var nära!", "decision": "reject"},
                          headers={"HX-Request": "true", "HX-Target": "message-fields"})
    assert preview.status_code == 200 and "Du var nära!" in preview.text
    assert preview.text.lstrip().startswith('<div id="message-fields">')
    missing = client.post(url, data={"csrf_token": token, "action": "send",
                                     "decision": "reject", "reason": ""})
    assert missing.status_code == 422 and "reason" in missing.text
    reason = ds.reasons(ctx)[1].label
    sent = client.post(url, data={"csrf_token": token, "action": "send", "decision": "reject",
                                  "reason": reason, "kind": "reject_screening",
                                  "personal_line": "Du var nära!", "when": "now"})
    assert sent.status_code == 303
    outbox = ctx.scalar(select(OutboxMessage).where(
        OutboxMessage.kind == "outcome_reject_screening"))
    assert "Du var nära!" in outbox.text_body and outbox.to_email == application.candidate.email
    assert "talangpool" in outbox.text_body and "/c/" in outbox.text_body
    assert "next=/portal/privacy" in outbox.text_body
    bad_time = client.post(f"/staff/applications/{application.id}/decide?decision=offer",
                           data={"csrf_token": token, "action": "send", "decision": "offer",
                                 "when": "later", "send_date": "soon"})
    assert bad_time.status_code == 422 and "date and time" in bad_time.text
