"""Consent reminders 30 and 7 days before expiry, with the clock moved by time-machine;
the extend link needs a press of the button; at expiry the candidate leaves the pool."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine
from sqlalchemy import select

from portal.messaging.worker import run_once
from portal.pool import consent as membership
from portal.privacy import services as privacy
from portal.privacy.models import TalentConsent
from portal.timeutil import utcnow
from tests.conftest import csrf_from
from tests.factories import CandidateFactory, UserFactory, make_application


def test_reminders_then_extension_then_expiry(app, ctx, settings, smtp_server):
    recruiter = UserFactory(role="recruiter")
    application = make_application(recruiter, CandidateFactory(name="Pia Pool", language="sv"))
    consent = membership.give_consent(ctx, settings, application.candidate, "sv", "Backend")
    ctx.commit()
    start = utcnow()
    expires = consent.expires_at
    with time_machine.travel(start + timedelta(days=100), tick=False):
        assert run_once(app).reminders == 0
    with time_machine.travel(expires - timedelta(days=29), tick=False):
        assert run_once(app).reminders == 1
        assert run_once(app).reminders == 0  # once
    with time_machine.travel(expires - timedelta(days=6), tick=False):
        assert run_once(app).reminders == 1
    subjects = [m["Subject"] for m in smtp_server.messages]
    assert subjects == ["Vill du vara kvar i vår talangpool?"] * 2
    body = smtp_server.messages[-1].get_body(("plain",)).get_content()
    path = re.search(r"/pool/\S+", body).group(0)

    with time_machine.travel(expires - timedelta(days=5), tick=False):
        scanner = app.test_client()
        page = scanner.get(path)  # a mail scanner's fetch changes nothing
        assert page.status_code == 200
        assert ctx.scalar(select(TalentConsent.id).order_by(TalentConsent.id.desc())) == (
            consent.id)
        pressed = scanner.post(path, data={"csrf_token": csrf_from(page.text)})
        assert pressed.status_code == 200 and "Tack!" in pressed.text
        ctx.expire_all()
        newest = ctx.scalars(select(TalentConsent).order_by(TalentConsent.id.desc())).first()
        assert newest.id != consent.id and newest.active and newest.roles == "Backend"
        assert scanner.get(path).status_code == 410  # the old consent's link is spent

    with time_machine.travel(newest.expires_at + timedelta(minutes=1), tick=False):
        assert privacy.current_consent(ctx, application.candidate_id) is None


def test_the_link_in_a_reminder_also_lets_them_leave(app, ctx, settings):
    recruiter = UserFactory(role="recruiter")
    application = make_application(recruiter, CandidateFactory(name="Lea Leave", language="en"))
    consent = membership.give_consent(ctx, settings, application.candidate, "en", "")
    ctx.commit()
    path = privacy.extend_link(settings, consent).removeprefix(settings.base_url)
    browser = app.test_client()
    page = browser.get(path)
    assert "Lämna talangpoolen" in page.text  # the browser asks for no language: Swedish
    left = browser.post(path, data={"csrf_token": csrf_from(page.text), "action": "withdraw"})
    assert left.status_code == 200 and "Du har lämnat vår talangpool" in left.text
    ctx.expire_all()
    assert privacy.current_consent(ctx, application.candidate_id) is None
    assert browser.get(path).status_code == 410


def test_every_email_with_a_sign_in_link_leads_to_the_data_page(app, ctx, settings):
    from portal.hiring import notify
    from portal.messaging.models import OutboxMessage
    from tests.factories import make_interview

    recruiter = UserFactory(role="recruiter")
    application = make_application(recruiter, CandidateFactory(language="en"))
    notify.send_invitation(ctx, settings, make_interview(recruiter, application))
    ctx.commit()
    mail = ctx.scalar(select(OutboxMessage).where(
        OutboxMessage.candidate_id == application.candidate_id))
    privacy_link = re.search(r"Your data and the talent pool: (\S+)", mail.text_body).group(1)
    assert privacy_link.endswith("?next=/portal/privacy") and "/c/" in privacy_link
    assert privacy_link in mail.html_body
    opened = app.test_client().get(privacy_link.removeprefix(settings.base_url))
    assert opened.status_code == 303 and opened.headers["Location"].endswith("/portal/privacy")
