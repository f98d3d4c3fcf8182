"""Re-contact from the pool, retention rules with holds, and erasure of staff's notes."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from sqlalchemy import select

from portal.hiring.models import Application, Candidate
from portal.messaging.models import OutboxMessage
from portal.messaging.worker import run_once
from portal.pool import retention, search
from portal.pool.models import PoolInvite, TalentProfile
from portal.privacy.models import AuditEvent
from portal.privacy.services import current_consent
from portal.process import lifecycle
from portal.timeutil import utcnow
from tests.conftest import csrf_from
from tests.factories import CandidateFactory, UserFactory, make_application, make_opening, move_to
from tests.feedback.test_views import client_for
from tests.pool.helpers import join_pool, sign_in


@pytest.fixture()
def pool_member(ctx, settings, client):
    recruiter = UserFactory(email="rec@example.com", role="recruiter")
    application = make_application(recruiter, CandidateFactory(name="Sven Svensson",
                                                               language="sv"))
    closed = [s for s in application.opening.stages if s.kind == "not_selected"][0]
    move_to(recruiter, application, closed)
    new_opening = make_opening(recruiter, title="Data engineer")
    sign_in(client, ctx, settings, application.candidate)
    join_pool(client)
    return recruiter, application.candidate_id, new_opening.id


def _invite(app, ctx, opening_id):
    staff = client_for(app, "rec@example.com")
    page = staff.get("/staff/pool/")
    profile_id = ctx.scalar(select(TalentProfile.id))
    return staff, staff.post("/staff/pool/invite", data={
        "csrf_token": csrf_from(page.text), "profile": [str(profile_id)],
        "opening_id": str(opening_id)})


def test_an_invited_member_answers_interested_and_sees_the_application(app, ctx, client,
                                                                      pool_member):
    _rec, candidate_id, opening_id = pool_member
    staff, sent = _invite(app, ctx, opening_id)
    assert sent.status_code == 303
    mail = ctx.scalar(select(OutboxMessage).where(OutboxMessage.kind == "pool_invite"))
    assert mail.to_email and "Data engineer" in mail.subject and "talangpool" in mail.text_body
    link = urlsplit(re.search(r"http://\S+/c/\S+", mail.text_body).group(0))
    fresh = app.test_client()
    opened = fresh.get(f"{link.path}?{link.query}")
    assert opened.status_code == 303 and "/portal/invites/" in opened.headers["Location"]
    page = fresh.get(opened.headers["Location"])
    assert "Data engineer" in page.text
    answered = fresh.post(opened.headers["Location"], data={
        "csrf_token": csrf_from(page.text), "answer": "interested"})
    assert answered.status_code == 303
    application = ctx.scalar(select(Application).where(Application.opening_id == opening_id))
    assert application.candidate_id == candidate_id and application.stage.position == 0
    assert "Data engineer" in fresh.get("/portal/").text
    listing = staff.get(f"/staff/pool/invites?opening={opening_id}")
    assert "Sven Svensson" in listing.text and "Interested" in listing.text
    # Inviting again to the same opening skips them.
    _staff, again = _invite(app, ctx, opening_id)
    assert again.status_code == 303
    assert ctx.scalar(select(PoolInvite).where(PoolInvite.opening_id == opening_id)) is not None
    assert len(ctx.scalars(select(PoolInvite)).all()) == 1
    actions = [e.action for e in ctx.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert "pool_invited" in actions and "invite_interested" in actions


def test_never_again_withdraws_consent_and_not_now_keeps_it(app, ctx, client, pool_member):
    _rec, candidate_id, opening_id = pool_member
    _invite(app, ctx, opening_id)
    item = ctx.scalar(select(PoolInvite))
    page = client.get(f"/portal/invites/{item.id}")
    token = csrf_from(page.text)
    client.post(f"/portal/invites/{item.id}", data={"csrf_token": token, "answer": "not_now"})
    assert current_consent(ctx, candidate_id) is not None
    bad = client.post(f"/portal/invites/{item.id}", data={"csrf_token": token,
                                                          "answer": "maybe"})
    assert bad.status_code == 422
    client.post(f"/portal/invites/{item.id}", data={"csrf_token": token, "answer": "never",
                                                    "confirm": "y"})
    ctx.expire_all()
    assert current_consent(ctx, candidate_id) is None
    assert ctx.scalar(select(TalentProfile)) is None
    assert ctx.scalar(select(PoolInvite.answer)) == "never"
    # Another candidate's invitation is not theirs to see.
    other = CandidateFactory()
    ctx.commit()
    foreign = PoolInvite(candidate_id=other.id, opening_id=opening_id)
    ctx.add(foreign)
    ctx.commit()
    assert client.get(f"/portal/invites/{foreign.id}").status_code == 404


def test_members_who_left_are_not_invited(app, ctx, client, pool_member):
    _rec, _cid, opening_id = pool_member
    token = csrf_from(client.get("/portal/privacy").text)
    profile_id = ctx.scalar(select(TalentProfile.id))
    client.post("/portal/privacy", data={"csrf_token": token, "action": "withdraw",
                                         "confirm": "y"})
    staff = client_for(app, "rec@example.com")
    staff.post("/staff/pool/invite", data={
        "csrf_token": csrf_from(staff.get("/staff/pool/").text), "profile": [str(profile_id)],
        "opening_id": str(opening_id)})
    assert ctx.scalar(select(PoolInvite)) is None


def test_retention_erases_after_the_period_unless_in_the_pool_or_held(app, ctx, settings):
    recruiter = UserFactory(role="recruiter")
    old = make_application(recruiter, CandidateFactory(name="Olof Gammal"))
    held = make_application(recruiter, CandidateFactory(name="Hedda Hold"))
    member = make_application(recruiter, CandidateFactory(name="Pia Pool"))
    recent = make_application(recruiter, CandidateFactory(name="Nils Ny"))
    ctx.commit()
    for application in (old, held, member):
        end = [s for s in application.opening.stages if s.kind == "not_selected"][0]
        move_to(recruiter, application, end)
    ctx.commit()
    from portal.pool.consent import give_consent

    consent = give_consent(ctx, settings, member.candidate, "sv", "")
    period = retention.retention_period(settings)
    consent.expires_at = utcnow() + period + timedelta(days=60)  # extended over the years
    retention.place_hold(ctx, recruiter, held.candidate, "Tvist om urvalet pågår", None)
    ctx.commit()
    with time_machine.travel(utcnow() + period - timedelta(days=10), tick=False):
        preview = retention.due_for_erasure(ctx, settings, within_days=30)
        assert {d.candidate.name for d in preview} == {"Olof Gammal", "Hedda Hold"}
        assert [d.hold is not None for d in preview if d.candidate.name == "Hedda Hold"] == [
            True]
        staff_page = client_for(app, recruiter.email).get("/staff/retention")
        assert "Olof Gammal" in staff_page.text and "Tvist om urvalet" in staff_page.text
        assert retention.apply(ctx, settings).candidates_erased == 0
    with time_machine.travel(utcnow() + period + timedelta(days=1), tick=False):
        # The member's consent ran out long ago: their profile goes, then they do.
        report = retention.apply(ctx, settings)
        ctx.commit()
        assert report.candidates_erased == 1 and report.held == 1
        names = set(ctx.scalars(select(Candidate.name)))
        assert names == {"–", "Hedda Hold", "Pia Pool", "Nils Ny"}
        assert ctx.scalar(select(TalentProfile)) is not None  # consent still runs
    with time_machine.travel(utcnow() + period + timedelta(days=61), tick=False):
        # Her consent has run out: the profile goes, and so does she.
        report = retention.apply(ctx, settings)
        ctx.commit()
        assert report.profiles_removed == 1 and report.candidates_erased == 1
        assert ctx.scalar(select(TalentProfile)) is None
        assert "Pia Pool" not in set(ctx.scalars(select(Candidate.name)))
    erased = [e for e in ctx.scalars(select(AuditEvent).where(AuditEvent.action == "erased"))]
    assert {e.actor_kind for e in erased} == {"system"} and len(erased) == 2
    assert recent.candidate.name == "Nils Ny"


def test_a_released_hold_lets_the_rule_run_and_the_worker_runs_it_daily(app, ctx, settings):
    recruiter = UserFactory(role="recruiter", email="rec@example.com")
    application = make_application(recruiter, CandidateFactory(name="Rut Release"))
    end = [s for s in application.opening.stages if s.kind == "not_selected"][0]
    move_to(recruiter, application, end)
    ctx.commit()
    staff = client_for(app, "rec@example.com")
    page = staff.get(f"/staff/candidates/{application.candidate_id}")
    token = csrf_from(page.text)
    short = staff.post(f"/staff/candidates/{application.candidate_id}/hold",
                       data={"csrf_token": token, "reason": "x"}, follow_redirects=True)
    assert "at least a few words" in short.text
    baddate = staff.post(f"/staff/candidates/{application.candidate_id}/hold",
                         data={"csrf_token": token, "reason": "Pågående tvist",
                               "until": "31/12"}, follow_redirects=True)
    assert "YYYY-MM-DD" in baddate.text
    staff.post(f"/staff/candidates/{application.candidate_id}/hold",
               data={"csrf_token": token, "reason": "Pågående tvist"})
    hold = retention.active_hold(ctx, application.candidate_id)
    assert hold is not None
    staff.post(f"/staff/holds/{hold.id}/release", data={"csrf_token": token})
    ctx.expire_all()
    assert retention.active_hold(ctx, application.candidate_id) is None
    retention._last_daily_run.clear()
    with time_machine.travel(utcnow() + retention.retention_period(settings)
                             + timedelta(days=2), tick=False):
        run_once(app)
        run_once(app)  # once a day: the second pass does not run the rules again
    ctx.expire_all()
    assert ctx.get(Candidate, application.candidate_id).name == "–"
    assert len(ctx.scalars(select(AuditEvent).where(AuditEvent.action == "erased")).all()) == 1


def test_erasure_takes_the_name_out_of_staff_notes(app, ctx, client, settings, pool_member):
    from portal.feedback.models import Scorecard
    from portal.feedback.services import create_starter_kit
    from tests.factories import make_interview

    recruiter, candidate_id, _opening_id = pool_member
    application = make_application(recruiter, ctx.get(Candidate, candidate_id),
                                   make_opening(recruiter, title="Platform engineer"))
    kit = create_starter_kit(ctx, recruiter, application.opening, "general")
    interview = make_interview(recruiter, application)
    ctx.add(Scorecard(interview_id=interview.id, interviewer_id=recruiter.id, kit_id=kit.id,
                      notes="Sven verkar stabil; svensson@example.com nämnde Kafka"))
    profile = ctx.scalar(select(TalentProfile))
    from portal.pool.services import update_staff_part

    update_staff_part(ctx, recruiter, profile, "guld", "Sven Svensson var bäst i finalen")
    ctx.commit()
    staff = client_for(app, "rec@example.com")
    token = csrf_from(staff.get("/staff/pool/").text)
    staff.post("/staff/pool/saved", data={"csrf_token": token, "name": "Sven-liknande",
                                          "query": "q=Sven+kafka"})
    assert search.search(ctx, search.Filters(q="finalen"))
    page = client.get("/portal/erase")
    client.post("/portal/erase", data={"csrf_token": csrf_from(page.text), "confirm": "y"})
    ctx.expire_all()
    notes = ctx.scalar(select(Scorecard.notes))
    assert "Sven" not in notes and "Kafka" in notes
    from portal.pool.models import SavedSearch

    saved = ctx.scalar(select(SavedSearch))
    assert "Sven" not in saved.name and "Sven" not in saved.query and "kafka" in saved.query
    assert search.search(ctx, search.Filters(q="finalen", consent_valid=False)) == []
    assert search.search(ctx, search.Filters(q="sven", consent_valid=False)) == []


def test_staff_erase_on_request_and_every_staff_step_is_audited(app, ctx, pool_member):
    recruiter, candidate_id, _opening_id = pool_member
    UserFactory(email="int@example.com", role="interviewer")
    ctx.commit()
    staff = client_for(app, "rec@example.com")
    page = staff.get(f"/staff/candidates/{candidate_id}")
    token = csrf_from(page.text)
    interviewer = client_for(app, "int@example.com")
    assert interviewer.post(f"/staff/candidates/{candidate_id}/erase", data={
        "csrf_token": csrf_from(interviewer.get("/staff/").text),
        "confirm": "y"}).status_code in (403, 404)
    unconfirmed = staff.post(f"/staff/candidates/{candidate_id}/erase",
                             data={"csrf_token": token}, follow_redirects=True)
    assert "Tick the box" in unconfirmed.text
    assert ctx.get(Candidate, candidate_id).name == "Sven Svensson"
    edit = staff.get(f"/staff/candidates/{candidate_id}/edit")
    staff.post(f"/staff/candidates/{candidate_id}/edit", data={
        "csrf_token": csrf_from(edit.text), "name": "Sven Svensson", "email": "sven@example.com",
        "phone": "", "language": "sv", "timezone": "Europe/Stockholm"})
    done = staff.post(f"/staff/candidates/{candidate_id}/erase",
                      data={"csrf_token": token, "confirm": "y"})
    assert done.status_code == 303
    ctx.expire_all()
    assert ctx.get(Candidate, candidate_id).name == "–"
    assert ctx.scalar(select(TalentProfile)) is None
    events = {(e.action, e.actor_kind, e.actor_id) for e in ctx.scalars(select(AuditEvent))}
    assert ("viewed", "staff", recruiter.id) in events
    assert ("changed", "staff", recruiter.id) in events
    assert ("erased", "staff", recruiter.id) in events


def test_the_daily_pass_brings_how_far_they_got_up_to_date(ctx, settings, pool_member):
    recruiter, candidate_id, opening_id = pool_member
    profile = ctx.scalar(select(TalentProfile))
    assert profile.stage_reached == 0  # rejected at the first stage
    from portal.hiring.models import Opening

    application = lifecycle.apply(ctx, recruiter, ctx.get(Candidate, candidate_id),
                                         ctx.get(Opening, opening_id))
    final = next(s for s in application.opening.stages if s.name == "Final interview")
    with time_machine.travel(utcnow() + timedelta(minutes=5)):
        move_to(recruiter, application, final)
        ctx.commit()
        retention.apply(ctx, settings)
        ctx.commit()
    ctx.expire_all()
    profile = ctx.scalar(select(TalentProfile))
    assert (profile.stage_reached, profile.stage_name) == (final.position, "Final interview")
