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
from portal.pool import consent as membership
from portal.privacy import services as privacy
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
    assert consent.expires_at == privacy.add_months(consent.given_at,
                                                    settings.talent_pool_months)
    assert "You are in our talent pool" in client.get("/portal/privacy").text
    enqueue(ctx, kind="pool_invitation", to_email=EMAIL, to_name=NAME, subject="s", text="t",
            html="h", candidate_id=application.candidate_id)
    ctx.commit()
    client.post("/portal/privacy", data={"csrf_token": token, "action": "extend", "agree": "y"})
    # Leaving deletes the profile: it asks first, says so, and changes nothing until confirmed.
    asked = client.post("/portal/privacy", data={"csrf_token": token, "action": "withdraw"})
    assert asked.status_code == 422 and "profile in the pool is deleted" in asked.text
    ctx.expire_all()
    assert ctx.scalar(select(TalentConsent).order_by(TalentConsent.id.desc())).active
    assert "profile in the pool is deleted" in client.get("/portal/privacy?leave=1").text
    client.post("/portal/privacy", data={"csrf_token": token, "action": "withdraw",
                                         "confirm": "y"})
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


def test_a_refused_join_keeps_what_was_typed(client, ctx, person):
    page = client.get("/portal/privacy")
    refused = client.post("/portal/privacy", data={
        "csrf_token": csrf_from(page.text), "action": "join", "roles": "Backend & <data>"})
    assert refused.status_code == 422 and "Tick the box" in refused.text
    assert 'name="roles" maxlength="500" value="Backend &amp; &lt;data&gt;"' in refused.text
    assert ctx.scalar(select(TalentConsent)) is None


def test_the_roles_are_one_field_shared_by_consent_and_profile(client, ctx, person):
    page = client.get("/portal/privacy")
    token = csrf_from(page.text)
    client.post("/portal/privacy", data={"csrf_token": token, "action": "join", "agree": "y",
                                         "roles": "Backend"})
    joined = client.get("/portal/privacy").text
    assert joined.count('name="roles"') == 1  # the profile's field, nothing hidden beside it
    saved = client.post("/portal/profile", data={"csrf_token": token, "roles": "Data engineering",
                                                 "skills": "SQL", "remote": ""})
    assert saved.status_code == 303
    assert "roles like: Data engineering" in client.get("/portal/privacy").text
    ctx.expire_all()
    assert ctx.scalar(select(TalentConsent)).roles == "Data engineering"
    client.post("/portal/privacy", data={"csrf_token": token, "action": "extend", "agree": "y"})
    ctx.expire_all()
    from portal.pool.models import TalentProfile

    assert ctx.scalar(select(TalentProfile.roles)) == "Data engineering"
    newest = ctx.scalars(select(TalentConsent).order_by(TalentConsent.id.desc())).first()
    assert newest.active and newest.roles == "Data engineering"
    assert "roles like: Data engineering" in client.get("/portal/privacy").text


@pytest.mark.parametrize(("start", "months", "end"), [
    ("2027-01-31T10:00:00", 12, "2028-01-31T10:00:00"),
    ("2027-01-31T10:00:00", 1, "2027-02-28T10:00:00"),
    ("2028-01-31T10:00:00", 1, "2028-02-29T10:00:00"),
    ("2028-02-29T10:00:00", 12, "2029-02-28T10:00:00"),
    ("2027-12-31T23:30:00", 2, "2028-02-29T23:30:00"),
    ("2027-03-15T08:00:00", 24, "2029-03-15T08:00:00"),
])
def test_months_of_consent_are_calendar_months(start, months, end):
    from datetime import UTC, datetime

    begin = datetime.fromisoformat(start).replace(tzinfo=UTC)
    assert privacy.add_months(begin, months) == datetime.fromisoformat(end).replace(tzinfo=UTC)


def test_twelve_months_of_consent_from_31_january_end_on_31_january(ctx, settings):
    from datetime import UTC, datetime

    import time_machine

    recruiter = UserFactory(role="recruiter")
    candidate = make_application(recruiter).candidate
    ctx.commit()
    assert settings.talent_pool_months == 12
    with time_machine.travel(datetime(2027, 1, 31, 9, 0, tzinfo=UTC), tick=False):
        consent = membership.give_consent(ctx, settings, candidate, "sv", "Backend")
        ctx.commit()
    assert consent.expires_at == datetime(2028, 1, 31, 9, 0, tzinfo=UTC)  # not 26 January
