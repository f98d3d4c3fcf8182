"""Talent-pool consent, the candidate's own data, erasure that leaves no trace, and the
audit log."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import String, Text, select

from portal.extensions import db
from portal.hiring import notify
from portal.links.services import issue_link
from portal.messaging.models import OutboxMessage
from portal.messaging.services import enqueue
from portal.privacy.models import AuditEvent, TalentConsent
from portal.techcheck import services as techcheck
from tests.conftest import csrf_from
from tests.factories import CandidateFactory, UserFactory, make_application, make_interview
from tests.feedback.test_views import client_for
from tests.techcheck.test_scoring import GOOD

NAME, EMAIL = "Zelda Zetterqvist", "zelda.unique@example.com"


@pytest.fixture()
def person(ctx, settings, client):
    recruiter = UserFactory(email="rec@example.com", role="admin")
    application = make_application(recruiter, CandidateFactory(name=NAME, email=EMAIL))
    interview = make_interview(recruiter, application)
    notify.send_invitation(ctx, settings, interview)
    interview.response, interview.response_message = "reschedule", f"{NAME} prefers Fridays"
    techcheck.record(ctx, application.candidate, {**GOOD, "interview_id": interview.id})
    _l, token = issue_link(ctx, settings, application.candidate)
    ctx.commit()
    client.get(f"/c/{token}")
    return application, token


def test_consent_is_recorded_extended_and_withdrawn(client, ctx, person, settings):
    application, _token = person
    page = client.get("/portal/privacy")
    assert "Join the talent pool" in page.text
    token = csrf_from(page.text)
    refused = client.post("/portal/privacy", data={"csrf_token": token, "action": "join"})
    assert refused.status_code == 422 and "Tick the box" in refused.text
    client.post("/portal/privacy", data={"csrf_token": token, "action": "join", "agree": "y",
                                         "roles": "Backend roles"})
    consent = ctx.scalar(select(TalentConsent))
    assert consent.active and consent.language == "en" and consent.text_version
    assert (consent.expires_at - consent.given_at).days == 30 * settings.talent_pool_months
    assert "You are in our talent pool" in client.get("/portal/privacy").text
    enqueue(ctx, kind="pool_invitation", to_email=EMAIL, to_name=NAME, subject="s", text="t",
            html="h", candidate_id=application.candidate_id)
    ctx.commit()
    client.post("/portal/privacy", data={"csrf_token": token, "action": "extend", "agree": "y"})
    client.post("/portal/privacy", data={"csrf_token": token, "action": "withdraw"})
    ctx.expire_all()
    assert all(not c.active for c in ctx.scalars(select(TalentConsent)))
    queued = ctx.scalar(select(OutboxMessage).where(OutboxMessage.kind == "pool_invitation"))
    assert queued.status == "failed" and queued.last_error == "consent withdrawn"
    actions = [e.action for e in ctx.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions == ["consent_given", "consent_extended", "consent_withdrawn"]


def test_export_holds_everything_about_them(client, ctx, person):
    data = json.loads(client.get("/portal/my-data.json").data)
    assert data["person"]["email"] == EMAIL
    assert data["applications"][0]["opening"] == person[0].opening.title
    assert data["interviews"][0]["your_message"] == f"{NAME} prefers Fridays"
    assert data["emails_to_you"] and data["tech_checks"][0]["verdict"] == "ready"
    page = client.get("/portal/my-data")
    assert page.status_code == 200 and EMAIL in page.text


def test_erasure_leaves_no_trace_of_name_or_email(app, client, ctx, person):
    application, token = person
    staff = client_for(app, "rec@example.com")
    staff.get(f"/staff/candidates/{application.candidate_id}")
    # In the pool with a CV, and named in staff's notes and saved searches.
    from tests.pool.helpers import join_pool, pdf_with, upload

    pool_token = join_pool(client, roles="Zelda-style roles")
    assert upload(client, pool_token, pdf_with(f"CV of {NAME}, {EMAIL}")).status_code == 303
    from portal.pool.models import TalentProfile

    profile_id = ctx.scalar(select(TalentProfile.id))
    staff_page = staff.get(f"/staff/pool/{profile_id}")
    staff.post(f"/staff/pool/{profile_id}", data={"csrf_token": csrf_from(staff_page.text),
                                                 "tags": "zelda", "notes": f"Met {NAME}"})
    staff.post("/staff/pool/saved", data={"csrf_token": csrf_from(staff_page.text),
                                          "name": "Zelda search", "query": "q=Zelda+python"})
    page = client.get("/portal/erase")
    unconfirmed = client.post("/portal/erase", data={"csrf_token": csrf_from(page.text)})
    assert unconfirmed.status_code == 422
    done = client.post("/portal/erase", data={"csrf_token": csrf_from(page.text),
                                              "confirm": "y"})
    assert done.status_code == 200 and "Your data is erased" in done.text
    ctx.expire_all()
    for table in db.metadata.sorted_tables:
        text_columns = [c for c in table.columns if isinstance(c.type, (String, Text))]
        if not text_columns:
            continue
        for row in ctx.execute(select(*text_columns)).all():
            for value in row:
                if isinstance(value, str):
                    for secret in (NAME, "Zelda", EMAIL):
                        assert secret not in value, (table.name, value[:80])
    # The full-text index beside the tables keeps nothing of them either.
    from sqlalchemy import text

    query = ("SELECT doc::text FROM pool_search" if ctx.get_bind().dialect.name == "postgresql"
             else "SELECT name || skills || tags || roles || notes || cv FROM pool_search")
    for (indexed,) in ctx.execute(text(query)).all():
        assert "zelda" not in indexed.lower()
    assert app.test_client().get(f"/c/{token}").status_code == 303
    assert "/portal/link" in app.test_client().get(f"/c/{token}").headers["Location"]
    actions = [e.action for e in ctx.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions[0] == "viewed" and actions[-1] == "erased"
    log = staff.get(f"/staff/audit?candidate={application.candidate_id}")
    assert log.status_code == 200 and "erased" in log.text
    csv_text = staff.get(f"/staff/audit?candidate={application.candidate_id}&format=csv").text
    assert csv_text.startswith("at,actor_kind,actor_id,action,candidate_id")
    assert NAME not in csv_text and EMAIL not in csv_text


def test_only_admins_read_the_audit_log(app, ctx, person):
    UserFactory(email="plain@example.com", role="recruiter")
    ctx.commit()
    assert client_for(app, "plain@example.com").get("/staff/audit").status_code == 403
