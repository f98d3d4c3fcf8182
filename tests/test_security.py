"""Headers on every page, and no request answers 500 whatever it sends."""

from __future__ import annotations

import pytest

from portal.links.services import issue_link
from tests.conftest import csrf_from
from tests.factories import PASSWORD, UserFactory, make_interview


def test_security_headers_on_pages(client):
    response = client.get("/portal/about")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("style-src")[0]
    assert "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert "HX-Request" in response.headers["Vary"]


def test_document_headers_on_documents_only(client):
    """Stylesheets and scripts cannot run as documents: they carry nosniff but not the
    document-only headers. An SVG can, so it keeps them (as every page does)."""
    for name in ("css/portal.css", "js/portal.js"):
        response = client.get(f"/static/{name}")
        assert response.status_code == 200
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "Content-Security-Policy" not in response.headers
        assert "Permissions-Policy" not in response.headers
    svg = client.get("/static/img/favicon.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert "frame-ancestors 'none'" in svg.headers["Content-Security-Policy"]
    assert svg.headers["X-Frame-Options"] == "DENY"


def test_pages_carry_no_inline_script(client):
    html = client.get("/portal/about").text
    assert "<script>" not in html and " on" + "click=" not in html and "hx-on" not in html


def test_seed_demo_json_contract(app, client):
    import json

    result = app.test_cli_runner().invoke(args=["seed-demo", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data["staff"]) == {"email", "password"}
    assert len(data["candidates"]) >= 3
    for person in data["candidates"]:
        assert set(person) >= {"name", "email", "link"}
    path = data["candidates"][0]["link"].removeprefix(app.config["PORTAL"].base_url)
    assert client.get(path).headers["Location"] == "/portal/"
    page = client.get("/staff/login")
    response = client.post("/staff/login", data={**data["staff"],
                                                 "csrf_token": csrf_from(page.text)})
    assert response.status_code == 303
    again = json.loads(app.test_cli_runner().invoke(args=["seed-demo", "--json"]).output)
    assert len(again["candidates"]) == len(data["candidates"])  # idempotent


JUNK = ["", "0", "-1", "99999999999999999999", "abc", "<script>", "../../etc/passwd",
        "%00", "ä" * 300, "1 OR 1=1", "{}", "[]"]


@pytest.mark.parametrize("junk", JUNK)
def test_no_request_answers_500(app, client, ctx, settings, junk):
    recruiter = UserFactory(email="rec@example.com", role="admin")
    interview = make_interview(recruiter)
    _l, token = issue_link(ctx, settings, interview.application.candidate)
    ctx.commit()
    staff = app.test_client()
    page = staff.get("/staff/login")
    staff.post("/staff/login", data={"email": "rec@example.com", "password": PASSWORD,
                                     "csrf_token": csrf_from(page.text)})
    client.get(f"/c/{token}")
    staff_token = csrf_from(staff.get("/staff/").text)
    cand_token = csrf_from(client.get("/portal/").text)
    fields = {"title": junk, "name": junk, "email": junk, "timezone": junk, "language": junk,
              "stage_id": junk, "opening_id": junk, "date": junk, "time": junk,
              "duration_minutes": junk, "platform": junk, "meeting_url": junk,
              "round_name": junk, "interviewer_ids": junk, "answer": junk, "message": junk,
              "lang": junk, "next": junk, "next_step_by": junk, "role": junk,
              "password": junk, "source": junk, "q": junk}
    iid, aid, cid = interview.id, interview.application_id, interview.application.candidate_id
    staff_posts = ["/staff/openings/new", f"/staff/candidates/{cid}/edit", "/staff/candidates/new",
                   f"/staff/applications/{aid}/move", f"/staff/applications/{aid}/interviews/new",
                   f"/staff/interviews/{iid}/edit", f"/staff/candidates/{cid}/applications",
                   "/staff/users", "/language", f"/staff/stages/{junk or 0}"]
    for path in staff_posts:
        response = staff.post(path, data={**fields, "csrf_token": staff_token})
        assert response.status_code < 500, (path, response.status_code)
    for path in [f"/portal/interviews/{iid}/response", "/portal/timezone", "/portal/link",
                 "/language"]:
        response = client.post(path, data={**fields, "csrf_token": cand_token})
        assert response.status_code < 500, (path, response.status_code)
    for path in [f"/staff/candidates?q={junk}", f"/staff/outbox/?status={junk}",
                 f"/portal/link?reason={junk}", f"/portal/guides/{junk}",
                 f"/portal/timezone?next={junk}", f"/c/{junk}x", f"/staff/login?next={junk}"]:
        assert client.get(path).status_code < 500, path
        assert staff.get(path).status_code < 500, path
