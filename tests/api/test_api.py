"""The REST API: keys and scopes, problem details, paging, idempotent creates, and that
what the API creates is what the staff pages show."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from portal.api.models import ApiKey
from portal.extensions import db
from portal.hiring.models import Application, Candidate
from portal.privacy.models import AuditEvent
from portal.timeutil import utcnow
from tests.api.helpers import bearer, make_key
from tests.factories import PASSWORD, CandidateFactory, UserFactory, make_application, make_opening

PROBLEM = "application/problem+json"


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json(force=True)
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["type"]
    return body


def test_no_key_bad_key_and_revoked_key_are_401(client: Any, ctx: Any) -> None:
    admin, token = make_key()
    _problem(client.get("/api/v1/candidates"), 401)
    _problem(client.get("/api/v1/candidates", headers=bearer("pk_live_" + "x" * 43)), 401)
    _problem(client.get("/api/v1/candidates", headers=bearer(token[:-1] + "A"
                                                             if token[-1] != "A" else
                                                             token[:-1] + "B")), 401)
    assert client.get("/api/v1/candidates", headers=bearer(token)).status_code == 200
    key = db.session.scalar(select(ApiKey))
    from portal.api import keys

    keys.revoke(db.session, admin, key.id)
    db.session.commit()
    _problem(client.get("/api/v1/candidates", headers=bearer(token)), 401)


def test_wrong_scope_is_403(client: Any, ctx: Any) -> None:
    _admin, token = make_key(["candidates:read"])
    assert client.get("/api/v1/candidates", headers=bearer(token)).status_code == 200
    body = _problem(client.get("/api/v1/applications", headers=bearer(token)), 403)
    assert "applications:read" in body["detail"]
    _problem(client.post("/api/v1/candidates", headers=bearer(token),
                         json={"name": "A B", "email": "ab@example.com"}), 403)
    assert db.session.scalar(select(func.count()).select_from(Candidate)) == 0


def test_a_staff_cookie_does_not_sign_in_to_the_api(client: Any, ctx: Any, login: Any) -> None:
    admin = UserFactory(role="admin", email="admin@example.com")
    db.session.commit()
    assert login("admin@example.com", PASSWORD).status_code in (302, 303)
    assert client.get("/staff/").status_code == 200  # the session works on staff pages
    _problem(client.get("/api/v1/candidates"), 401)
    _problem(client.post("/api/v1/candidates", json={"name": "A", "email": "a@example.com"}),
             401)
    assert admin.id


def test_bad_input_is_a_problem_with_field_errors(client: Any, ctx: Any) -> None:
    _admin, token = make_key()
    body = _problem(client.post("/api/v1/candidates", headers=bearer(token),
                                json={"name": "", "email": "not an address"}), 422)
    fields = {e["field"] for e in body["errors"]}
    assert {"name", "email"} <= fields
    _problem(client.post("/api/v1/candidates", headers=bearer(token), data="{not json",
                         content_type="application/json"), 400)
    _problem(client.get("/api/v1/candidates?limit=0", headers=bearer(token)), 422)
    _problem(client.get("/api/v1/candidates?cursor=%%%", headers=bearer(token)), 422)
    _problem(client.get("/api/v1/candidates?updated_since=yesterday", headers=bearer(token)),
             422)
    _problem(client.get("/api/v1/candidates/99999", headers=bearer(token)), 404)
    _problem(client.get("/api/v1/nothing-here", headers=bearer(token)), 404)
    _problem(client.delete("/api/v1/candidates", headers=bearer(token)), 405)


def test_cursor_paging_over_many_rows_and_updated_since(client: Any, ctx: Any) -> None:
    _admin, token = make_key()
    start = utcnow() - timedelta(days=1)
    for n in range(57):
        # Many share a moment: the id breaks the tie, so no row is lost or repeated.
        CandidateFactory(created_at=start + timedelta(minutes=n // 5))
    db.session.commit()
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        url = "/api/v1/candidates?limit=10" + (f"&cursor={cursor}" if cursor else "")
        response = client.get(url, headers=bearer(token))
        assert response.status_code == 200
        body = response.get_json()
        seen += [c["id"] for c in body["data"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 6
    all_ids = list(db.session.scalars(select(Candidate.id).order_by(Candidate.created_at,
                                                                   Candidate.id)))
    assert seen == all_ids and len(set(seen)) == 57
    since = (start + timedelta(minutes=2)).isoformat()  # rows 10 and on
    recent = client.get("/api/v1/candidates", query_string={"updated_since": since,
                                                            "limit": 100},
                        headers=bearer(token)).get_json()["data"]
    assert len(recent) == 57 - 10


def test_create_application_is_idempotent_and_shows_on_the_staff_pages(
        client: Any, ctx: Any, login: Any) -> None:
    admin, token = make_key()
    admin.email = "boss@example.com"
    opening = make_opening(admin, title="Data engineer")
    db.session.commit()
    body = {"opening_id": opening.id,
            "candidate": {"name": "Astrid Api", "email": "astrid@example.com",
                          "language": "sv"}}
    headers = {**bearer(token), "Idempotency-Key": "order-1"}
    first = client.post("/api/v1/applications", json=body, headers=headers)
    assert first.status_code == 201, first.text
    again = client.post("/api/v1/applications", json=body, headers=headers)
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert db.session.scalar(select(func.count()).select_from(Application)) == 1
    other = dict(body, candidate={"name": "Someone Else", "email": "else@example.com"})
    conflict = _problem(client.post("/api/v1/applications", json=other, headers=headers), 422)
    assert conflict["errors"][0]["field"] == "Idempotency-Key"
    assert db.session.scalar(select(func.count()).select_from(Candidate)) == 1
    # Without a key, the same request is a second attempt: the lifecycle refuses it.
    twice = _problem(client.post("/api/v1/applications", json={
        "opening_id": opening.id, "candidate_id": first.get_json()["candidate_id"]},
        headers=bearer(token)), 409)
    assert twice["errors"][0]["field"] == "opening_id"
    # What the API made is what the staff see.
    db.session.commit()
    login("boss@example.com", PASSWORD)
    board = client.get(f"/staff/openings/{opening.id}")  # the opening's pipeline
    assert board.status_code == 200 and "Astrid Api" in board.text
    listed = client.get("/staff/candidates")
    assert listed.status_code == 200 and "Astrid Api" in listed.text
    # Every request is in the audit log, under the key.
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.actor_kind == "api_key")
                                ).all()
    assert len(events) == 4
    assert {e.action for e in events} == {"api_write"}


def test_stage_change_goes_through_the_lifecycle(client: Any, ctx: Any) -> None:
    admin, token = make_key()
    application = make_application(admin)
    stages = application.opening.stages
    db.session.commit()
    moved = client.post(f"/api/v1/applications/{application.id}/stage", headers=bearer(token),
                        json={"stage_id": stages[1].id, "expected_stage_id": stages[0].id})
    assert moved.status_code == 200, moved.text
    assert moved.get_json()["stage_id"] == stages[1].id
    stale = client.post(f"/api/v1/applications/{application.id}/stage", headers=bearer(token),
                        json={"stage_id": stages[2].id, "expected_stage_id": stages[0].id})
    _problem(stale, 409)
    rejected = client.post(f"/api/v1/applications/{application.id}/stage",
                           headers=bearer(token),
                           json={"stage_id": stages[-2].id, "reason": "Other candidate"})
    assert rejected.status_code == 200
    assert rejected.get_json()["closed_at"] is not None
    from portal.process.models import StageChange

    changes = db.session.scalars(select(StageChange).where(
        StageChange.application_id == application.id).order_by(StageChange.id)).all()
    assert [c.transition for c in changes] == ["apply", "move", "reject"]


def test_last_use_is_recorded_and_the_audit_names_the_key(client: Any, ctx: Any,
                                                          login: Any) -> None:
    admin, token = make_key(name="Payroll bridge")
    admin.email = "root@example.com"
    candidate = CandidateFactory()
    db.session.commit()
    assert client.get(f"/api/v1/candidates/{candidate.id}",
                      headers=bearer(token)).status_code == 200
    key = db.session.scalar(select(ApiKey))
    db.session.refresh(key)
    assert key.last_used_at is not None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.actor_kind == "api_key"))
    assert (event.action, event.candidate_id) == ("api_read", candidate.id)
    login("root@example.com", PASSWORD)
    assert "Payroll bridge" in client.get("/staff/audit").text


def test_openapi_document_and_reference_page(client: Any, ctx: Any) -> None:
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    doc = spec.get_json()
    assert doc["openapi"] == "3.1.0"
    assert "/api/v1/applications/{application_id}/stage" in doc["paths"]
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    assert "/api/v1/applications" in page.text
    assert "<script>" not in page.text and "cdn" not in page.text.lower()


def test_the_demo_key_works_in_demo_mode_only(app: Any, client: Any, ctx: Any) -> None:
    from dataclasses import replace

    from portal.api import keys
    from portal.demo import seed

    settings = app.config["PORTAL"]
    app.config["PORTAL"] = replace(settings, env="demo")
    try:
        data = seed(db.session, app.config["PORTAL"])
        db.session.commit()
        assert data["api_key"] == keys.DEMO_TOKEN
        assert seed(db.session, app.config["PORTAL"])["api_key"] == keys.DEMO_TOKEN  # again
        db.session.commit()
        answer = client.get("/api/v1/openings", headers=bearer(keys.DEMO_TOKEN))
        assert answer.status_code == 200 and answer.get_json()["data"]
        app.config["PORTAL"] = replace(settings, env="production")
        _problem(client.get("/api/v1/openings", headers=bearer(keys.DEMO_TOKEN)), 401)
        app.config["PORTAL"] = replace(settings, env="development")
        fresh = seed(db.session, app.config["PORTAL"])["api_key"]
        db.session.commit()
        assert fresh.startswith("pk_live_")
        assert client.get("/api/v1/openings", headers=bearer(fresh)).status_code == 200
    finally:
        app.config["PORTAL"] = settings


def test_each_key_has_its_own_rate_limit(app: Any, client: Any, ctx: Any) -> None:
    admin, busy = make_key(name="Busy")
    _admin, calm = make_key(name="Calm", admin=admin)
    app.config["API_RATE_LIMIT"] = "3 per minute"
    try:
        for _ in range(3):
            assert client.get("/api/v1/openings", headers=bearer(busy)).status_code == 200
        limited = _problem(client.get("/api/v1/openings", headers=bearer(busy)), 429)
        assert limited["type"].endswith("rate-limited")
        assert client.get("/api/v1/openings", headers=bearer(calm)).status_code == 200
    finally:
        app.config.pop("API_RATE_LIMIT")


def test_schedule_an_interview_through_the_lifecycle(client: Any, ctx: Any) -> None:
    from datetime import UTC, datetime

    from portal.booking.models import InterviewerHold
    from portal.hiring.models import Interview

    admin, token = make_key()
    anna = UserFactory(role="interviewer")
    application = make_application(admin)
    db.session.commit()
    when = (utcnow() + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
    body = {"application_id": application.id, "round_name": "Första intervjun",
            "starts_at": when.isoformat(), "platform": "jitsi", "interviewer_ids": [anna.id]}
    made = client.post("/api/v1/interviews", json=body, headers=bearer(token))
    assert made.status_code == 201, made.text
    interview = db.session.get(Interview, made.get_json()["id"])
    assert interview.meeting_url.startswith("https://meet.jit.si/Interview-")
    assert interview.starts_at == when.astimezone(UTC)
    db.session.refresh(application)
    assert application.stage.name == "Interview"  # scheduling moved it on
    assert db.session.scalar(select(func.count()).select_from(InterviewerHold)) == 1
    # Anna is taken then: the panel's time is held, so a second round at once is a 409.
    other = make_application(admin)
    db.session.commit()
    clash = client.post("/api/v1/interviews", headers=bearer(token),
                        json=dict(body, application_id=other.id))
    _problem(clash, 409)
    past = _problem(client.post("/api/v1/interviews", headers=bearer(token), json=dict(
        body, application_id=other.id, starts_at=datetime(2020, 1, 1, tzinfo=UTC).isoformat())),
        422)
    assert past["errors"][0]["field"] == "starts_at"
    bad_link = _problem(client.post("/api/v1/interviews", headers=bearer(token), json=dict(
        body, application_id=other.id, platform="zoom", meeting_url="https://evil.example/x")),
        422)
    assert bad_link["errors"][0]["field"] == "meeting_url"
