"""Kits, scorecards and the comparison through the back office."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.feedback import services as fb
from portal.feedback.models import InterviewKit, Scorecard
from portal.timeutil import utcnow
from tests.conftest import csrf_from
from tests.factories import (
    PASSWORD,
    CandidateFactory,
    UserFactory,
    make_application,
    make_interview,
    make_opening,
)


@pytest.fixture()
def world(app, ctx):
    recruiter = UserFactory(email="rec@example.com", role="recruiter")
    anna = UserFactory(email="anna@example.com", role="interviewer", name="Anna")
    bo = UserFactory(email="bo@example.com", role="interviewer", name="Bo")
    cia = UserFactory(email="cia@example.com", role="interviewer", name="Cia")
    application = make_application(recruiter, CandidateFactory(name="Kim Kandidat"))
    kit = fb.create_starter_kit(ctx, recruiter, application.opening)
    interview = make_interview(recruiter, application, interviewers=[anna, bo])
    interview.kit_id = kit.id
    interview.starts_at = utcnow() - timedelta(hours=2)  # held: scorecards can be submitted
    ctx.commit()
    return {"kit": kit, "interview": interview, "opening": application.opening, "cia": cia}


def client_for(app, email):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get("/staff/login")
    assert client.post("/staff/login", data={"email": email, "password": PASSWORD,
                                             "csrf_token": csrf_from(page.text)}).status_code == 303
    return client


def _form(kit, rating, token, action, rec="yes"):
    data = {f"rating-{c.id}": str(rating) for c in kit.competencies}
    data.update({f"notes-{c.id}": f"notes {rating}" for c in kit.competencies})
    data.update({"recommendation": rec, "overall": "overall", "action": action,
                 "csrf_token": token})
    return data


def test_drafts_save_through_htmx_and_submitting_locks(app, ctx, world):
    kit, interview = world["kit"], world["interview"]
    anna = client_for(app, "anna@example.com")
    url = f"/staff/interviews/{interview.id}/scorecard"
    page = anna.get(url)
    assert page.status_code == 200 and "Problem solving" in page.text
    token = csrf_from(page.text)
    draft = anna.post(url, data=_form(kit, 3, token, "draft"),
                      headers={"HX-Request": "true", "HX-Target": "save-status"})
    assert draft.status_code == 200 and "Draft saved" in draft.text
    card = ctx.scalar(select(Scorecard))
    assert {r.rating for r in card.ratings} == {3} and card.submitted_at is None
    missing = anna.post(url, data={**_form(kit, 3, token, "submit"), "recommendation": ""})
    assert missing.status_code == 422 and "overall recommendation" in missing.text
    assert anna.post(url, data=_form(kit, 4, token, "submit")).status_code == 303
    replay = anna.post(url, data=_form(kit, 1, token, "draft"),
                       headers={"HX-Request": "true", "HX-Target": "save-status"})
    assert replay.status_code == 422
    ctx.expire_all()
    assert {r.rating for r in ctx.scalar(select(Scorecard)).ratings} == {4}


def test_independence_and_unassigned_interviewers(app, ctx, world):
    kit, interview = world["kit"], world["interview"]
    url = f"/staff/interviews/{interview.id}/scorecard"
    anna, bo = client_for(app, "anna@example.com"), client_for(app, "bo@example.com")
    anna.post(url, data=_form(kit, 4, csrf_from(anna.get(url).text), "submit"))
    before = bo.get(url).text
    assert "notes 4" not in before and "once you have submitted yours" in before
    candidate_page = bo.get(f"/staff/candidates/{interview.application.candidate_id}").text
    assert "notes 4" not in candidate_page
    bo.post(url, data=_form(kit, 1, csrf_from(before), "submit", rec="no"))
    assert "notes 4" in bo.get(url).text
    cia = client_for(app, "cia@example.com")
    assert cia.get(url).status_code == 404
    assert cia.get(f"/staff/candidates/{interview.application.candidate_id}").status_code == 404
    assert cia.get(f"/staff/openings/{world['opening'].id}/compare").status_code == 403


def test_recruiter_compares_and_exports(app, ctx, world):
    kit, interview = world["kit"], world["interview"]
    url = f"/staff/interviews/{interview.id}/scorecard"
    for email, rating, rec in (("anna@example.com", 4, "strong_yes"), ("bo@example.com", 2, "no")):
        client = client_for(app, email)
        client.post(url, data=_form(kit, rating, csrf_from(client.get(url).text), "submit", rec))
    rec = client_for(app, "rec@example.com")
    page = rec.get(f"/staff/openings/{world['opening'].id}/compare?who=1")
    assert page.status_code == 200
    assert "Kim Kandidat" in page.text and "Raters disagree" in page.text
    assert "Anna: 4" in page.text and "spread 2" in page.text
    csv_text = rec.get(f"/staff/openings/{world['opening'].id}/compare.csv").text
    assert csv_text.splitlines()[0].startswith("candidate,weighted_mean,Problem solving")
    assert "Kim Kandidat,3.0" in csv_text and "yes" in csv_text.splitlines()[1]


def test_kit_editing_through_the_page_versions_a_used_kit(app, ctx, world):
    kit = world["kit"]
    rec = client_for(app, "rec@example.com")
    page = rec.get(f"/staff/kits/{kit.id}")
    token = csrf_from(page.text)
    bad = rec.post(f"/staff/kits/{kit.id}/competencies", data={
        "csrf_token": token, "name": "Grit", "weight": "9", "anchor": ["a", "b", "c", "d"]})
    assert bad.status_code == 422 and "between 1 and 5" in bad.text and 'value="Grit"' in bad.text
    fb.my_scorecard(ctx, ctx.merge(world["interview"]).interviewers[0], world["interview"])
    ctx.commit()
    ok = rec.post(f"/staff/kits/{kit.id}/competencies/0", data={
        "csrf_token": token, "name": "Analysis", "weight": "2", "description": "",
        "anchor": ["1", "2", "3", "4"], "questions": "Why?"})
    assert ok.status_code == 303
    ctx.expire_all()
    versions = ctx.scalars(select(InterviewKit).order_by(InterviewKit.version)).all()
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].competencies[0].name == "Problem solving"
    assert versions[1].competencies[0].name == "Analysis"
    kits_page = rec.get(f"/staff/openings/{world['opening'].id}/kits").text
    assert "version 2" in kits_page


def test_comparison_sorts_and_filters(app, ctx, world):
    kit, interview = world["kit"], world["interview"]
    url = f"/staff/interviews/{interview.id}/scorecard"
    for email, rating in (("anna@example.com", 4), ("bo@example.com", 1)):
        client = client_for(app, email)
        client.post(url, data=_form(kit, rating, csrf_from(client.get(url).text), "submit"))
    rec = client_for(app, "rec@example.com")
    base = f"/staff/openings/{world['opening'].id}/compare"
    assert "Kim Kandidat" in rec.get(base + "?flagged=1").text
    first = kit.competencies[0].id
    assert rec.get(f"{base}?sort={first}").status_code == 200
    assert rec.get(f"{base}?sort=name").status_code == 200
    assert rec.get(f"{base}?sort=99999").status_code == 200


def test_notes_per_question_are_kept_and_shown_after_submitting(app, ctx, world):
    kit, interview = world["kit"], world["interview"]
    url = f"/staff/interviews/{interview.id}/scorecard"
    anna = client_for(app, "anna@example.com")
    first = kit.competencies[0]
    form = _form(kit, 3, csrf_from(anna.get(url).text), "submit")
    form[f"qnotes-{first.id}-1"] = "Would refactor the cache layer"
    assert anna.post(url, data=form).status_code == 303
    assert "Would refactor the cache layer" in anna.get(url).text
    bo = client_for(app, "bo@example.com")
    bo.post(url, data=_form(kit, 2, csrf_from(bo.get(url).text), "submit"))
    assert "Would refactor the cache layer" in bo.get(url).text


def test_the_technical_starter_kit_and_rejection_reasons(app, ctx, world):
    rec = client_for(app, "rec@example.com")
    opening_id = world["opening"].id
    page = rec.get(f"/staff/openings/{opening_id}/kits")
    token = csrf_from(page.text)
    made = rec.post(f"/staff/openings/{opening_id}/kits",
                    data={"csrf_token": token, "starter": "technical"})
    assert made.status_code == 303
    assert "Technical depth" in rec.get(made.headers["Location"]).text
    assert rec.post(f"/staff/openings/{opening_id}/kits",
                    data={"csrf_token": token, "starter": "nope"}).status_code == 400
    templates = rec.get("/staff/templates")
    assert templates.status_code == 200
    rec.post("/staff/templates/reasons", data={"csrf_token": token, "label": "Chose internal"})
    from portal.decisions.services import reasons

    labels = [r.label for r in reasons(ctx)]
    assert "Chose internal" in labels
    first = reasons(ctx)[0]
    rec.post(f"/staff/templates/reasons/{first.id}/remove", data={"csrf_token": token})
    ctx.expire_all()
    assert first.label not in [r.label for r in reasons(ctx)]
    assert "Chose internal" in rec.get("/staff/templates").text


def test_a_new_opening_shows_its_kits_page_and_copies_a_kit(app, ctx, world):
    """A fresh opening has no kit of its own, so the page lists the other openings' kits to
    copy, named by their opening: that page answered 500."""
    recruiter = ctx.scalar(select(User).where(User.email == "rec@example.com"))
    fresh = make_opening(recruiter, title="Data engineer")
    ctx.commit()
    rec = client_for(app, "rec@example.com")
    page = rec.get(f"/staff/openings/{fresh.id}/kits")
    assert page.status_code == 200
    assert "No kits yet" in page.text
    assert f'<option value="{world["kit"].id}">Backend developer: ' in page.text
    token = csrf_from(page.text)
    copied = rec.post(f"/staff/openings/{fresh.id}/kits",
                      data={"csrf_token": token, "copy_from": str(world["kit"].id)})
    assert copied.status_code == 303
    made = rec.post(f"/staff/openings/{fresh.id}/kits",
                    data={"csrf_token": token, "starter": "general"})
    assert made.status_code == 303
    assert rec.get(made.headers["Location"]).status_code == 200
    ctx.expire_all()
    own = ctx.scalars(select(InterviewKit).where(InterviewKit.opening_id == fresh.id)).all()
    assert len(own) == 2
    again = rec.get(f"/staff/openings/{fresh.id}/kits")
    assert again.status_code == 200 and "No kits yet" not in again.text
    assert rec.get(f"/staff/openings/{world['opening'].id}/kits").status_code == 200


@pytest.mark.parametrize(("language", "message"), [
    ("en", "You can submit the scorecard once the interview is over."),
    ("sv", "Du kan skicka in bedömningsformuläret när intervjun är över."),
])
def test_submitting_before_the_interview_ends_is_refused_inline(app, ctx, world, language,
                                                                 message):
    kit, interview = world["kit"], world["interview"]
    interview.starts_at = utcnow() + timedelta(days=1)
    ctx.commit()
    anna = client_for(app, "anna@example.com")
    anna.environ_base["HTTP_ACCEPT_LANGUAGE"] = language  # the back office follows the browser
    url = f"/staff/interviews/{interview.id}/scorecard"
    page = anna.get(url)
    token = csrf_from(page.text)
    refused = anna.post(url, data=_form(kit, 3, token, "submit"))
    assert refused.status_code == 422
    assert message in refused.text
    assert 'value="3" checked' in refused.text and "notes 3</textarea>" in refused.text
    ctx.expire_all()
    assert ctx.scalar(select(Scorecard)).submitted_at is None
    draft = anna.post(url, data=_form(kit, 3, token, "draft"),
                      headers={"HX-Request": "true", "HX-Target": "save-status"})
    assert draft.status_code == 200


def test_a_submitted_scorecard_is_read_only_with_an_amendment_path(app, ctx, world):
    kit, interview = world["kit"], world["interview"]
    anna = client_for(app, "anna@example.com")
    url = f"/staff/interviews/{interview.id}/scorecard"
    token = csrf_from(anna.get(url).text)
    assert anna.post(url, data=_form(kit, 4, token, "submit")).status_code == 303
    page = anna.get(url).text
    assert "Submitted " in page and "locked" not in page and "notes 4" in page
    form = page.split('<main', 1)[1]
    for field in ("<textarea", "<select", 'type="radio"', 'value="draft"', 'value="submit"',
                  'value="amend"'):
        assert field not in form, field
    assert f'href="{url}?amend=1"' in page
    amend_page = anna.get(url + "?amend=1").text
    assert 'name="reason"' in amend_page and 'value="amend"' in amend_page
    assert 'value="submit"' not in amend_page and "hx-post" not in amend_page
    no_reason = anna.post(url, data={**_form(kit, 2, token, "amend"), "reason": ""})
    assert no_reason.status_code == 422 and 'name="reason"' in no_reason.text
    amended = anna.post(url, data={**_form(kit, 2, token, "amend"), "reason": "Typo"})
    assert amended.status_code == 303
    ctx.expire_all()
    assert {r.rating for r in ctx.scalar(select(Scorecard)).ratings} == {2}
    anna.environ_base["HTTP_ACCEPT_LANGUAGE"] = "sv"
    text = anna.get(url).text
    assert "Inskickat" in text and "Det är låst" not in text
