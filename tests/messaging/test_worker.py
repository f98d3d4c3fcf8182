"""The worker delivers the outbox to a real SMTP server on loopback, exactly once, retries
with backoff when the server is down, and sends reminders once."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.hiring import notify
from portal.messaging.models import OutboxMessage
from portal.messaging.worker import MAX_ATTEMPTS, backoff, run_once
from portal.timeutil import utcnow
from tests.conftest import csrf_from, free_port
from tests.factories import (
    PASSWORD,
    CandidateFactory,
    UserFactory,
    make_application,
    make_interview,
)


@pytest.fixture()
def invited(ctx, settings):
    recruiter = UserFactory(role="recruiter")
    panel = [UserFactory(role="interviewer", name="Maria Manager")]
    interview = make_interview(recruiter, make_application(
        recruiter, CandidateFactory(name="Anna Andersson", language="sv")), interviewers=panel)
    notify.send_invitation(ctx, settings, interview)
    ctx.commit()
    return interview


def test_worker_delivers_over_smtp_once_with_text_html_and_calendar(app, ctx, invited,
                                                                    smtp_server):
    report = run_once(app)
    assert report.sent == 2 and report.failed == 0
    assert len(smtp_server.messages) == 2
    to_candidate = next(m for m in smtp_server.messages if "Anna" in m["To"])
    assert to_candidate["Subject"].startswith("Inbjudan till intervju")
    kinds = [part.get_content_type() for part in to_candidate.walk()]
    assert "text/plain" in kinds and "text/html" in kinds and "text/calendar" in kinds
    calendar = next(p for p in to_candidate.walk() if p.get_content_type() == "text/calendar")
    assert calendar.get_param("method") == "REQUEST"
    assert invited.uid in calendar.get_content()
    body = to_candidate.get_body(("plain",)).get_content()
    assert "Hej Anna," in body and "/c/" in body
    # A second pass sends nothing again.
    assert run_once(app).sent == 0
    assert len(smtp_server.messages) == 2
    statuses = ctx.scalars(select(OutboxMessage.status)).all()
    assert statuses == ["sent", "sent"]


def test_smtp_down_means_retry_later_and_nothing_lost(app, ctx, invited):
    before = app.config["PORTAL"]
    app.config["PORTAL"] = replace(before, mail_backend="smtp", smtp_host="127.0.0.1",
                                   smtp_port=free_port(), smtp_timeout=2)
    try:
        report = run_once(app)
    finally:
        app.config["PORTAL"] = before
    assert report.sent == 0 and report.retried == 2
    ctx.expire_all()
    for message in ctx.scalars(select(OutboxMessage)):
        assert message.status == "pending" and message.attempts == 1
        assert message.next_attempt_at > utcnow() + timedelta(seconds=20)
        assert "ConnectionRefused" in message.last_error
    assert run_once(app).sent == 0  # not due yet: backoff holds


def test_after_max_attempts_a_message_fails_and_staff_can_retry(app, ctx, invited, client,
                                                                  login, smtp_server):
    message = ctx.scalar(select(OutboxMessage).order_by(OutboxMessage.id))
    message.status, message.attempts, message.last_error = "failed", MAX_ATTEMPTS, "boom"
    ctx.commit()
    UserFactory(email="rec@example.com", role="recruiter")
    ctx.commit()
    login("rec@example.com", PASSWORD)
    page = client.get("/staff/")
    assert "could not be delivered" in page.text
    failed = client.get("/staff/outbox/?status=failed")
    assert "boom" in failed.text
    response = client.post(f"/staff/outbox/{message.id}/retry",
                           data={"csrf_token": csrf_from(failed.text)})
    assert response.status_code == 303
    assert run_once(app).sent == 2
    assert len(smtp_server.messages) == 2


def test_backoff_grows_and_is_capped():
    assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert backoff(30).total_seconds() == 3600


def test_reminder_goes_out_once_24_hours_before(app, ctx, invited, smtp_server):
    run_once(app)
    smtp_server.messages.clear()
    invited = ctx.merge(invited)
    invited.invited_at = utcnow() - timedelta(days=3)
    invited.starts_at = utcnow() + timedelta(hours=30)
    ctx.commit()
    assert run_once(app).reminders == 0
    invited.starts_at = utcnow() + timedelta(hours=23)
    ctx.commit()
    report = run_once(app)
    assert report.reminders == 1 and report.sent == 1
    assert "Påminnelse" in smtp_server.messages[0]["Subject"]
    assert run_once(app).reminders == 0
    count = ctx.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.kind == "candidate_reminder"))
    assert count == 1


def test_cancelled_interviews_get_no_reminder(app, ctx, invited):
    invited = ctx.merge(invited)
    invited.invited_at = utcnow() - timedelta(days=3)
    invited.starts_at = utcnow() + timedelta(hours=5)
    invited.status = "cancelled"
    ctx.commit()
    assert run_once(app).reminders == 0


def test_worker_cli_once(app, ctx, invited, smtp_server):
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "sent 2" in result.output
    assert len(smtp_server.messages) == 2


def test_staff_see_sign_in_links_only_in_the_demo_mailbox(app, ctx, invited, client, login):
    UserFactory(email="rec@example.com", role="recruiter")
    ctx.commit()
    login("rec@example.com", PASSWORD)
    message = ctx.scalar(select(OutboxMessage).where(OutboxMessage.kind == "candidate_invitation"))
    token = message.text_body.split("/c/")[1].split()[0].split("?")[0]
    before = app.config["PORTAL"]
    app.config["PORTAL"] = replace(before, env="demo")
    try:
        assert token in client.get(f"/staff/outbox/{message.id}").text  # demo: clickable
    finally:
        app.config["PORTAL"] = before
    app.config["PORTAL"] = replace(before, mail_backend="smtp")
    try:
        for path in (f"/staff/outbox/{message.id}", f"/staff/outbox/{message.id}/html"):
            page = client.get(path).text
            assert token not in page and "/c/[…]" in page
    finally:
        app.config["PORTAL"] = before
