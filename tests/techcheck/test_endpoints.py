"""The tech-check endpoints: candidates only, bounded sizes, clear 4xx for bad results."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from portal.links.services import issue_link
from portal.techcheck.models import TechCheckResult
from tests.conftest import csrf_from
from tests.factories import CandidateFactory, UserFactory, make_application, make_interview
from tests.techcheck.test_scoring import GOOD


@pytest.fixture()
def signed(client, ctx, settings):
    recruiter = UserFactory(role="recruiter")
    interview = make_interview(recruiter, make_application(recruiter, CandidateFactory()),
                               platform="teams", url="https://teams.microsoft.com/meet/123456789?p=x")
    other = make_interview(recruiter, make_application(recruiter, CandidateFactory()))
    _l, token = issue_link(ctx, settings, interview.application.candidate)
    ctx.commit()
    client.get(f"/c/{token}")
    page = client.get(f"/portal/tech-check/?interview={interview.id}")
    assert page.status_code == 200
    return {"token": csrf_from(page.text), "interview": interview, "other": other}


def _post(client, token, payload, raw=None):
    body = raw if raw is not None else json.dumps(payload)
    return client.post("/portal/tech-check/results", data=body,
                       headers={"Content-Type": "application/json", "X-CSRFToken": token})


def test_endpoints_need_a_candidate(client):
    for path in ("/portal/tech-check/", "/portal/tech-check/ping",
                 "/portal/tech-check/download?size=10"):
        assert client.get(path).status_code == 302


def test_ping_reports_server_time_and_is_never_cached(client, signed):
    response = client.get("/portal/tech-check/ping")
    assert response.status_code == 200
    assert response.headers["Server-Timing"].startswith("app;dur=")
    assert response.headers["Cache-Control"] == "no-store"


def test_download_sends_exactly_the_random_bytes_asked_for(client, signed):
    response = client.get("/portal/tech-check/download?size=300000",
                          headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert len(response.data) == 300000 and "Content-Encoding" not in response.headers
    import zlib

    assert len(zlib.compress(response.data)) > 290000  # incompressible
    for size in ("0", "-5", "abc", str(9 * 1024 * 1024)):
        assert client.get(f"/portal/tech-check/download?size={size}").status_code == 400


def test_upload_counts_what_arrived_and_needs_csrf(client, signed):
    body = b"\x01" * 3_000_000
    ok = client.post("/portal/tech-check/upload", data=body, headers={
        "X-CSRFToken": signed["token"], "Content-Type": "application/octet-stream"})
    assert ok.status_code == 200 and ok.json["received"] == 3_000_000
    assert client.post("/portal/tech-check/upload", data=body, headers={
        "Content-Type": "application/octet-stream"}).status_code == 400
    too_big = client.post("/portal/tech-check/upload", data=b"x" * (9 * 1024 * 1024), headers={
        "X-CSRFToken": signed["token"], "Content-Type": "application/octet-stream"})
    assert too_big.status_code == 413


def test_a_result_is_scored_stored_and_shown(client, ctx, signed):
    payload = {**GOOD, "interview_id": signed["interview"].id,
               "browser": {**GOOD["browser"], "name": "firefox"}}
    response = _post(client, signed["token"], payload)
    assert response.status_code == 201
    assert "You are ready, but look at the points marked below." in response.text
    row = ctx.scalar(select(TechCheckResult))
    assert row.verdict == "warnings"  # Teams in Firefox: no video
    assert row.thresholds_version and row.browser == "Firefox 156"


@pytest.mark.parametrize("bad", [
    {"schema": 1}, {**GOOD, "schema": 99}, {**GOOD, "camera": {"error": "Boom"}},
    {**GOOD, "network": {"rtt_ms": "slow"}}, [1, 2, 3],
])
def test_bad_results_get_a_clear_422(client, ctx, signed, bad):
    response = _post(client, signed["token"], bad)
    assert response.status_code == 422
    assert response.json["error"] == "invalid result" and response.json["problems"]
    assert ctx.scalar(select(TechCheckResult)) is None


def test_not_json_oversized_foreign_interview_and_no_csrf(client, ctx, signed):
    assert _post(client, signed["token"], None, raw="{nope").status_code == 400
    huge = {**GOOD, "browser": {**GOOD["browser"], "name": "x" * 20000}}
    assert _post(client, signed["token"], huge).status_code == 413
    foreign = {**GOOD, "interview_id": signed["other"].id}
    assert _post(client, signed["token"], foreign).status_code == 404
    assert client.post("/portal/tech-check/results", data=json.dumps(GOOD),
                       headers={"Content-Type": "application/json"}).status_code == 400
    assert client.get(f"/portal/tech-check/?interview={signed['other'].id}").status_code == 404
