"""What the API lets a key read: scorecards only as the independence rule allows, the
talent pool only for people whose consent is valid, interviews, decisions, booking
requests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from portal.extensions import db
from portal.feedback import services as fb
from portal.pool import consent as pool_consent
from portal.pool import services as pool
from portal.process import lifecycle
from portal.timeutil import utcnow
from tests.api.helpers import bearer, make_key
from tests.factories import CandidateFactory, UserFactory, make_application, make_interview


def test_a_scorecard_shows_its_contents_only_once_submitted(client: Any, ctx: Any) -> None:
    admin, token = make_key(["scorecards:read", "interviews:read"])
    anna = UserFactory(role="interviewer", name="Anna")
    application = make_application(admin)
    kit = fb.create_starter_kit(db.session, admin, application.opening)
    interview = make_interview(admin, application, interviewers=[anna])
    interview.kit_id = kit.id
    interview.starts_at = utcnow() - timedelta(hours=2)  # held: a scorecard can be submitted
    card = fb.my_scorecard(db.session, anna, interview)
    data = fb.ScorecardData(ratings={c.id: 3 for c in kit.competencies},
                            notes={c.id: "secret note" for c in kit.competencies},
                            recommendation="yes", overall="draft thoughts")
    fb.save_draft(db.session, anna, card, data)
    db.session.commit()
    listed = client.get("/api/v1/scorecards", headers=bearer(token)).get_json()["data"]
    assert [(c["id"], c["submitted"], c["content"]) for c in listed] == [(card.id, False, None)]
    one = client.get(f"/api/v1/scorecards/{card.id}", headers=bearer(token))
    assert one.get_json()["content"] is None
    assert "secret note" not in one.text and "draft thoughts" not in one.text
    fb.submit(db.session, anna, db.session.get(type(card), card.id), data)
    db.session.commit()
    shown = client.get(f"/api/v1/scorecards/{card.id}", headers=bearer(token)).get_json()
    assert shown["submitted"] is True
    assert shown["content"]["recommendation"] == "yes"
    assert {r["rating"] for r in shown["content"]["ratings"]} == {3}
    interviews = client.get("/api/v1/interviews", headers=bearer(token)).get_json()["data"]
    assert interviews[0]["interviewer_ids"] == [anna.id]


def test_the_pool_shows_only_people_with_a_valid_consent(client: Any, ctx: Any,
                                                         settings: Any) -> None:
    _admin, token = make_key(["pool:read"])
    inside, gone = CandidateFactory(name="Ida Inne"), CandidateFactory(name="Ola Ute")
    for person in (inside, gone):
        pool_consent.give_consent(db.session, settings, person, "sv", "Backend")
        profile = pool.profile_of(db.session, person.id)
        pool.update_candidate_part(db.session, profile, pool.CandidatePart(
            summary="", skills="Python, Postgres", location="Umeå", remote="remote",
            languages="sv", roles="Backend"))
    pool_consent.withdraw_consent(db.session, settings, gone)
    db.session.commit()
    found = client.get("/api/v1/pool/profiles?q=python", headers=bearer(token)).get_json()
    assert [p["name"] for p in found["data"]] == ["Ida Inne"]
    everyone = client.get("/api/v1/pool/profiles", headers=bearer(token)).get_json()["data"]
    assert [p["candidate_id"] for p in everyone] == [inside.id]


def test_decisions_and_updated_since_on_applications(client: Any, ctx: Any,
                                                     settings: Any) -> None:
    admin, token = make_key()
    old, fresh = make_application(admin), make_application(admin)
    db.session.commit()
    mark = utcnow()
    lifecycle.decide(db.session, settings, admin, fresh, "advance")
    db.session.commit()
    changed = client.get("/api/v1/applications", query_string={
        "updated_since": mark.isoformat()}, headers=bearer(token)).get_json()["data"]
    assert [a["id"] for a in changed] == [fresh.id]
    decisions = client.get(f"/api/v1/decisions?application_id={fresh.id}",
                           headers=bearer(token)).get_json()["data"]
    assert [d["kind"] for d in decisions] == ["advance"]
    assert client.get(f"/api/v1/applications/{old.id}",
                      headers=bearer(token)).get_json()["stage_name"] == "Applied"
