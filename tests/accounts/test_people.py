"""People: invitations and password resets by single-use emailed links, role changes and
deactivation with the last-admin guard."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from portal.accounts.models import StaffSession, StaffToken, User
from portal.messaging.models import OutboxMessage
from portal.privacy.models import AuditEvent
from portal.timeutil import utcnow
from tests.conftest import csrf_from
from tests.factories import PASSWORD, UserFactory

LINK_RE = re.compile(r"https?://\S+/staff/password/([A-Za-z0-9_\-]+)")
NEW_PASSWORD = "a much longer new password"


def _link(ctx, kind: str, to: str) -> str:
    ctx.expire_all()
    bodies = ctx.scalars(select(OutboxMessage.text_body).where(
        OutboxMessage.kind == kind, OutboxMessage.to_email == to)
        .order_by(OutboxMessage.id)).all()
    assert bodies, f"no {kind} email to {to}"
    match = LINK_RE.search(bodies[-1])
    assert match
    return "/staff/password/" + match.group(1)


def _post(client, url: str, data: dict) -> object:
    page = client.get(url)
    return client.post(url, data={**data, "csrf_token": csrf_from(page.text)})


def _set_password(client, path: str, password: str = NEW_PASSWORD) -> object:
    opened = client.get(path)  # the link sets the session and leaves for a clean address
    assert opened.status_code == 303 and opened.headers["Location"] == "/staff/password"
    page = client.get("/staff/password")
    assert page.status_code == 200
    return client.post("/staff/password",
                       data={"password": password, "csrf_token": csrf_from(page.text)})


def test_invite_set_password_link_dies_then_login(client, login, ctx):
    admin = UserFactory(email="admin@example.com", role="admin")
    ctx.commit()
    login("admin@example.com", PASSWORD)
    page = client.get("/staff/users")
    response = client.post("/staff/users/invite", data={
        "name": "Karin Berg", "email": "Karin@Example.com", "role": "interviewer",
        "language": "sv", "csrf_token": csrf_from(page.text)})
    assert response.status_code == 303
    ctx.expire_all()
    karin = ctx.scalar(select(User).where(User.email == "karin@example.com"))
    assert karin.role == "interviewer" and karin.language == "sv"
    subject = ctx.scalar(select(OutboxMessage.subject).where(
        OutboxMessage.kind == "staff_invitation"))
    assert "inbjuden" in subject.lower()  # written in the invitee's language
    assert ctx.scalar(select(AuditEvent.actor_id).where(
        AuditEvent.action == "staff_invited")) == admin.id
    path = _link(ctx, "staff_invitation", "karin@example.com")
    token = path.rsplit("/", 1)[1]
    stored = ctx.scalar(select(StaffToken.token_hash).where(StaffToken.user_id == karin.id))
    assert token not in stored  # only a hash is kept
    # No password works before one is set.
    client.post("/staff/logout", data={"csrf_token": csrf_from(client.get("/staff/").text)})
    assert login("karin@example.com", "").status_code == 422

    assert _set_password(client, path, "short").status_code == 422
    response = _set_password(client, path)
    assert response.status_code == 303 and "/staff/login" in response.headers["Location"]
    assert client.get(path).status_code == 410  # dead on second use
    assert login("karin@example.com", NEW_PASSWORD).status_code == 303


def test_inviting_again_kills_the_old_link(client, login, ctx):
    UserFactory(email="admin@example.com", role="admin")
    ctx.commit()
    login("admin@example.com", PASSWORD)
    for _ in range(2):
        page = client.get("/staff/users")
        assert client.post("/staff/users/invite", data={
            "name": "Ola", "email": "ola@example.com", "role": "recruiter", "language": "en",
            "csrf_token": csrf_from(page.text)}).status_code == 303
        if _ == 0:
            first = _link(ctx, "staff_invitation", "ola@example.com")
    second = _link(ctx, "staff_invitation", "ola@example.com")
    assert first != second
    assert client.get(first).status_code == 410
    assert client.get(second).status_code == 303
    assert client.get("/staff/password").status_code == 200


def test_expired_link_is_dead(client, ctx):
    UserFactory(email="rec@example.com")
    ctx.commit()
    _post(client, "/staff/forgot", {"email": "rec@example.com"})
    path = _link(ctx, "staff_password_reset", "rec@example.com")
    ctx.execute(update(StaffToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    ctx.commit()
    assert client.get(path).status_code == 410


def test_forgot_password_same_answer_and_reset_ends_other_sessions(app, client, login, ctx):
    user = UserFactory(email="rec@example.com")
    ctx.commit()
    assert "Forgot your password?" in client.get("/staff/login").text
    other = app.test_client()
    page = other.get("/staff/login")
    other.post("/staff/login", data={"email": "rec@example.com", "password": PASSWORD,
                                     "csrf_token": csrf_from(page.text)})
    assert other.get("/staff/").status_code == 200

    known = _post(client, "/staff/forgot", {"email": "rec@example.com"})
    unknown = _post(client, "/staff/forgot", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 200
    strip = re.compile(r'value="[^"]+"')
    assert strip.sub("", known.text) == strip.sub("", unknown.text)
    ctx.expire_all()
    assert ctx.scalars(select(OutboxMessage.to_email)).all() == ["rec@example.com"]

    path = _link(ctx, "staff_password_reset", "rec@example.com")
    assert _set_password(client, path).status_code == 303
    ctx.expire_all()
    assert ctx.scalars(select(StaffSession).where(StaffSession.user_id == user.id)).all() == []
    assert other.get("/staff/").status_code == 302  # signed out
    assert login("rec@example.com", PASSWORD).status_code == 422
    assert login("rec@example.com", NEW_PASSWORD).status_code == 303


def test_forgot_password_is_rate_limited(client, ctx):
    statuses = [_post(client, "/staff/forgot", {"email": "x@example.com"}).status_code
                for _ in range(7)]
    assert 429 in statuses


def test_role_change_and_last_admin_guard(client, login, ctx):
    admin = UserFactory(email="admin@example.com", role="admin")
    rec = UserFactory(email="rec@example.com", role="recruiter")
    ctx.commit()
    login("admin@example.com", PASSWORD)

    def post(url: str, **data: str) -> object:
        page = client.get("/staff/users")
        return client.post(url, data={**data, "csrf_token": csrf_from(page.text)})

    post(f"/staff/users/{rec.id}/role", role="admin")
    ctx.expire_all()
    assert ctx.get(User, rec.id).role == "admin"
    assert ctx.scalar(select(AuditEvent.action).where(
        AuditEvent.action == "staff_role_changed")) is not None
    # Back to recruiter, then the only admin cannot lose the role or be deactivated.
    post(f"/staff/users/{rec.id}/role", role="recruiter")
    response = post(f"/staff/users/{admin.id}/role", role="recruiter")
    assert response.status_code == 303
    ctx.expire_all()
    assert ctx.get(User, admin.id).role == "admin"
    assert "You cannot remove your own admin role." in client.get("/staff/users").text
    post(f"/staff/users/{admin.id}/active")
    ctx.expire_all()
    assert ctx.get(User, admin.id).active


def test_deactivating_ends_sessions(app, client, login, ctx):
    UserFactory(email="admin@example.com", role="admin")
    rec = UserFactory(email="rec@example.com", role="recruiter")
    ctx.commit()
    other = app.test_client()
    page = other.get("/staff/login")
    other.post("/staff/login", data={"email": "rec@example.com", "password": PASSWORD,
                                     "csrf_token": csrf_from(page.text)})
    assert other.get("/staff/").status_code == 200
    login("admin@example.com", PASSWORD)
    page = client.get("/staff/users")
    client.post(f"/staff/users/{rec.id}/active", data={"csrf_token": csrf_from(page.text)})
    assert other.get("/staff/").status_code == 302
    ctx.expire_all()
    assert ctx.scalar(select(AuditEvent.action).where(
        AuditEvent.action == "staff_deactivated")) is not None


def test_only_admins_invite(client, login, ctx):
    UserFactory(email="rec@example.com", role="recruiter")
    ctx.commit()
    login("rec@example.com", PASSWORD)
    page = client.get("/staff/")
    assert client.post("/staff/users/invite", data={
        "name": "X", "email": "x@example.com", "role": "admin", "language": "en",
        "csrf_token": csrf_from(page.text)}).status_code == 403
