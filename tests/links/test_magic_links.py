"""Magic links: signed, salted, checked against their row, revocable, friendly when bad."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from portal.links.models import MagicLink
from portal.links.services import issue_link, revoke_all
from portal.messaging.models import OutboxMessage
from portal.timeutil import utcnow
from portal.web import RedactTokens
from tests.conftest import csrf_from
from tests.factories import CandidateFactory, UserFactory, make_application, move_to


@pytest.fixture()
def recruiter(ctx):
    return UserFactory(role="recruiter")


@pytest.fixture()
def candidate_link(ctx, settings, recruiter):
    """A candidate in an open process, with a fresh link path."""
    application = make_application(recruiter)
    _link, token = issue_link(ctx, settings, application.candidate)
    ctx.commit()
    return application.candidate, f"/c/{token}"


def test_link_sets_session_and_redirects_to_a_clean_url(client, candidate_link, ctx):
    candidate, path = candidate_link
    response = client.get(path)
    assert response.status_code == 303
    assert response.headers["Location"] == "/portal/"
    assert "/c/" not in response.headers["Location"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    page = client.get("/portal/")
    assert page.status_code == 200
    assert candidate.first_name in page.text
    link = ctx.scalar(select(MagicLink))
    ctx.refresh(link)
    assert link.use_count == 1 and link.last_used_at is not None


def test_a_mail_scanner_fetching_first_does_not_break_the_link(app, client, candidate_link):
    _candidate, path = candidate_link
    scanner = app.test_client()
    assert scanner.get(path).status_code == 303
    assert scanner.head(path).status_code in (303, 200)
    assert client.get(path).headers["Location"] == "/portal/"
    assert client.get("/portal/").status_code == 200


def test_link_can_point_into_the_portal_but_not_elsewhere(client, candidate_link):
    _candidate, path = candidate_link
    assert client.get(path + "?next=/portal/guides/zoom").headers["Location"] == (
        "/portal/guides/zoom")
    assert client.get(path + "?next=https://evil.example/").headers["Location"] == "/portal/"
    assert client.get(path + "?next=//evil.example/x").headers["Location"] == "/portal/"
    assert client.get(path + "?next=/staff/").headers["Location"] == "/portal/"


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-3] + ("aaa" if not t.endswith("aaa") else "bbb"),
    lambda t: t.split(".")[0] + ".AAAAAA.signature",
    lambda t: "not-a-token-at-all",
    lambda t: t + "x" * 3000,
])
def test_tampered_links_get_the_friendly_page(client, candidate_link, mangle):
    _candidate, path = candidate_link
    token = path.removeprefix("/c/")
    response = client.get(f"/c/{mangle(token)}", follow_redirects=True)
    assert response.status_code == 200
    assert "The link did not work" in response.text
    assert "Send me a new link" in response.text
    assert client.get("/portal/").status_code == 302


def test_a_token_signed_for_another_purpose_is_refused(client, candidate_link, settings, ctx):
    link = ctx.scalar(select(MagicLink))
    other = URLSafeTimedSerializer(settings.secret_key, salt="some-other-purpose").dumps(
        {"l": link.id, "n": link.nonce})
    response = client.get(f"/c/{other}", follow_redirects=True)
    assert "The link did not work" in response.text


def test_an_old_signature_past_max_age_is_expired(app, client, candidate_link):
    _candidate, path = candidate_link
    before = app.config["PORTAL"]
    app.config["PORTAL"] = replace(before, link_max_age_days=-1)
    try:
        response = client.get(path, follow_redirects=True)
    finally:
        app.config["PORTAL"] = before
    assert "This link has expired" in response.text


def test_links_work_30_days_after_the_process_closes_then_expire(client, candidate_link, ctx,
                                                                   recruiter):
    candidate, path = candidate_link
    application = candidate.applications[0]
    end = next(s for s in application.opening.stages if s.name == "Not selected")
    move_to(recruiter, application, end)
    ctx.commit()
    assert client.get(path).headers["Location"] == "/portal/"
    application.closed_at = utcnow() - timedelta(days=31)
    ctx.commit()
    response = client.get("/portal/", follow_redirects=True)
    assert "This link has expired" in response.text
    assert "This link has expired" in client.get(path, follow_redirects=True).text


def test_revoking_ends_the_open_session_at_once(client, candidate_link, ctx):
    candidate, path = candidate_link
    client.get(path)
    assert client.get("/portal/").status_code == 200
    assert revoke_all(ctx, candidate) == 1
    ctx.commit()
    response = client.get("/portal/", follow_redirects=True)
    assert "This link no longer works" in response.text
    assert "This link no longer works" in client.get(path, follow_redirects=True).text


def test_friendly_page_speaks_the_candidates_language(app, client, candidate_link, ctx):
    candidate, path = candidate_link
    candidate.language = "sv"
    revoke_all(ctx, candidate)
    ctx.commit()
    fresh = app.test_client()
    response = fresh.get(path, follow_redirects=True)
    assert 'lang="sv"' in response.text
    assert "Länken fungerar inte längre" in response.text


def _ask_for_link(client, email):
    page = client.get("/portal/link")
    return client.post("/portal/link", data={"email": email, "csrf_token": csrf_from(page.text)})


def test_new_link_answer_never_reveals_whether_an_address_is_known(client, candidate_link, ctx):
    candidate, _path = candidate_link
    known = _ask_for_link(client, candidate.email.upper())
    unknown = _ask_for_link(client, "stranger@example.com")
    assert known.status_code == unknown.status_code == 200
    strip = lambda html: html.replace(csrf_from(html), "")  # noqa: E731
    assert strip(known.text) == strip(unknown.text)
    sent = ctx.scalars(select(OutboxMessage).where(OutboxMessage.kind == "candidate_new_link"))
    assert [m.to_email for m in sent] == [candidate.email]


def test_new_link_requests_are_limited_per_address(client, candidate_link, ctx):
    candidate, _path = candidate_link
    for _ in range(4):
        assert _ask_for_link(client, candidate.email).status_code == 200
    count = ctx.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.kind == "candidate_new_link"))
    assert count == 3


def test_new_link_requests_are_rate_limited_per_client(client, candidate_link):
    codes = [_ask_for_link(client, f"x{i}@example.com").status_code for i in range(6)]
    assert codes[:5] == [200] * 5 and codes[5] == 429


def test_new_link_form_explains_a_bad_address_inline(client):
    response = _ask_for_link(client, "not an address")
    assert response.status_code == 422
    assert "Enter a valid email address" in response.text


def test_cli_prints_a_working_link(app, client, candidate_link):
    candidate, _path = candidate_link
    result = app.test_cli_runner().invoke(args=["magic-link", candidate.email])
    assert result.exit_code == 0, result.output
    url = result.output.strip()
    assert url.startswith(app.config["PORTAL"].base_url + "/c/")
    path = url.removeprefix(app.config["PORTAL"].base_url)
    assert client.get(path).headers["Location"] == "/portal/"
    missing = app.test_cli_runner().invoke(args=["magic-link", "nobody@example.com"])
    assert missing.exit_code != 0 and "No candidate" in missing.output


def test_rotated_secret_still_accepts_links_signed_with_the_old_key(app, ctx, recruiter):
    old = app.config["PORTAL"]
    application = make_application(recruiter, CandidateFactory())
    _link, token = issue_link(ctx, old, application.candidate)
    ctx.commit()
    app.config["PORTAL"] = replace(old, secret_key="n" * 40,
                                   secret_key_fallbacks=(old.secret_key,))
    try:
        response = app.test_client().get(f"/c/{token}")
    finally:
        app.config["PORTAL"] = old
    assert response.headers["Location"] == "/portal/"


def test_tokens_are_redacted_from_access_logs(candidate_link):
    _candidate, path = candidate_link
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1,
                               '%s - - "%s" %s', ("127.0.0.1", f"GET {path} HTTP/1.1", "303"),
                               None)
    RedactTokens().filter(record)
    line = record.getMessage()
    assert path.removeprefix("/c/") not in line
    assert "/c/[redacted]" in line


def test_gunicorn_access_log_redacts_tokens(candidate_link):
    from portal.gunicorn_logging import redact

    _candidate, path = candidate_link
    assert redact(f"GET {path}?next=/portal/ HTTP/1.1") == (
        "GET /c/[redacted]?next=/portal/ HTTP/1.1")


def test_token_never_reaches_db_logs_or_the_address_bar(client, candidate_link, caplog):
    _candidate, path = candidate_link
    with caplog.at_level(logging.DEBUG):
        client.get(path)
    assert path.removeprefix("/c/") not in caplog.text
