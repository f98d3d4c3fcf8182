"""Two-factor sign-in for staff: set up from the account page with a real authenticator
code (pyotp, from the secret the page shows), the second step of signing in, codes that
work once, recovery codes, the admins' rule for everyone, an admin's reset, and a
password reset that does not skip the second factor."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine
from sqlalchemy import func, select

from portal.accounts import twofactor
from portal.accounts.models import RecoveryCode, StaffSession, User
from portal.privacy.models import AuditEvent
from tests.conftest import csrf_from
from tests.factories import PASSWORD, UserFactory

SECRET_RE = re.compile(r'class="secret-2fa"><code>([A-Z2-7 ]+)</code>')
CODES_RE = re.compile(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>")
# A fixed moment in the middle of a 30-second step: nothing depends on the machine's speed.
T0 = datetime(2026, 12, 2, 9, 0, 10, tzinfo=UTC)


@pytest.fixture()
def people(ctx):
    admin = UserFactory(email="admin@example.com", name="Ada Admin", role="admin")
    rec = UserFactory(email="rec@example.com", name="Rut Recruiter", role="recruiter")
    ctx.commit()
    return admin, rec


def _post(client, url: str, data: dict, page_url: str | None = None):
    page = client.get(page_url or url)
    return client.post(url, data={**data, "csrf_token": csrf_from(page.text)})


def _code(secret: str, at: datetime) -> str:
    return pyotp.TOTP(secret).at(at)


def _enable(client, login, email: str, at: datetime = T0) -> tuple[str, list[str]]:
    """Sign in and turn two-factor on from the account page; the secret and the recovery
    codes as the pages show them."""
    with time_machine.travel(at, tick=False):
        assert login(email, PASSWORD).status_code == 303
        account = client.get("/staff/account")
        assert account.status_code == 200 and "Two-factor sign-in" in account.text
        page = client.get("/staff/account/two-factor")
        assert page.status_code == 200
        assert "<svg" in page.text and "otpauth" not in page.text  # a picture, not a link
        shown = SECRET_RE.search(page.text)
        assert shown, "the secret is shown as text to type"
        assert len(shown.group(1).split(" ")) == 8  # grouped by four for typing
        secret = shown.group(1).replace(" ", "")
        wrong = client.post("/staff/account/two-factor", data={
            "code": "000000" if _code(secret, at) != "000000" else "111111",
            "csrf_token": csrf_from(page.text)})
        assert wrong.status_code == 422 and "That code is not right" in wrong.text
        done = client.post("/staff/account/two-factor", data={
            "code": _code(secret, at), "csrf_token": csrf_from(page.text)})
        assert done.status_code == 200
        codes = CODES_RE.findall(done.text)
        assert len(codes) == twofactor.RECOVERY_CODES
        client.post("/staff/logout", data={"csrf_token": csrf_from(done.text)})
    return secret, codes


def _password_step(login, email: str) -> None:
    response = login(email, PASSWORD)
    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/login/code"


def _code_step(client, code: str):
    page = client.get("/staff/login/code")
    assert page.status_code == 200
    return client.post("/staff/login/code", data={"code": code,
                                                  "csrf_token": csrf_from(page.text)})


def test_enable_then_sign_in_with_a_real_code(client, login, people, ctx, settings):
    secret, codes = _enable(client, login, "rec@example.com")
    ctx.expire_all()
    user = ctx.scalar(select(User).where(User.email == "rec@example.com"))
    assert user.has_two_factor
    assert secret not in user.totp_secret  # encrypted at rest
    assert twofactor.unseal(settings, user.totp_secret) == secret
    hashes = ctx.scalars(select(RecoveryCode.code_hash).where(
        RecoveryCode.user_id == user.id)).all()
    assert len(hashes) == 10 and not any("-" in h for h in hashes)

    later = T0 + timedelta(minutes=5)
    with time_machine.travel(later, tick=False):
        _password_step(login, "rec@example.com")
        assert ctx.scalar(select(StaffSession.id).where(StaffSession.user_id == user.id)) is None
        wrong = _code_step(client, "000000" if _code(secret, later) != "000000" else "111111")
        assert wrong.status_code == 422 and "That code is not right" in wrong.text
        done = _code_step(client, _code(secret, later))
        assert done.status_code == 303 and done.headers["Location"] == "/staff/"
        assert client.get("/staff/").status_code == 200
    actions = ctx.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == user.id)).all()
    assert {"staff_2fa_enabled", "staff_2fa_failed", "staff_2fa_signed_in"} <= set(actions)
    # The recovery codes were shown once: never again on the account page.
    account = client.get("/staff/account")
    assert "10 unused recovery codes" in account.text
    assert not any(code in account.text for code in codes)


def test_audit_log_reads_two_factor_events(client, login, people):
    _enable(client, login, "rec@example.com")
    login("admin@example.com", PASSWORD)
    page = client.get("/staff/audit", headers={"Accept-Language": "sv"})
    assert "Rut Recruiter slog på tvåstegsinloggning" in page.text


def test_a_code_works_once_in_its_window(client, app, login, people, ctx):
    secret, _codes = _enable(client, login, "rec@example.com")
    later = T0 + timedelta(minutes=5)
    with time_machine.travel(later, tick=False):
        _password_step(login, "rec@example.com")
        assert _code_step(client, _code(secret, later)).status_code == 303
        client.post("/staff/logout", data={"csrf_token": csrf_from(
            client.get("/staff/").text)})
        # The same code again, still inside its 30 seconds, from another browser too.
        other = app.test_client()
        other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        for browser in (client, other):
            page = browser.get("/staff/login")
            assert browser.post("/staff/login", data={
                "email": "rec@example.com", "password": PASSWORD,
                "csrf_token": csrf_from(page.text)}).status_code == 303
            step = browser.get("/staff/login/code")
            refused = browser.post("/staff/login/code", data={
                "code": _code(secret, later), "csrf_token": csrf_from(step.text)})
            assert refused.status_code == 422
            assert browser.get("/staff/").status_code == 302
        # The code of the step before is refused too: the later one was already used.
        before = _code(secret, later - timedelta(seconds=30))
        assert _code_step(client, before).status_code == 422


def test_recovery_code_works_once(client, login, people, ctx):
    _secret, codes = _enable(client, login, "rec@example.com")
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        _password_step(login, "rec@example.com")
        used = _code_step(client, codes[3].upper().replace("-", " "))  # typed loosely
        assert used.status_code == 303
        assert "9 are left" in client.get("/staff/").text
        client.post("/staff/logout", data={"csrf_token": csrf_from(
            client.get("/staff/account").text)})
        _password_step(login, "rec@example.com")
        again = _code_step(client, codes[3])
        assert again.status_code == 422
        assert client.get("/staff/").status_code == 302
    assert "staff_2fa_recovery_used" in ctx.scalars(select(AuditEvent.action)).all()


def test_half_signed_in_user_gets_no_staff_page(client, login, people):
    _enable(client, login, "rec@example.com")
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        _password_step(login, "rec@example.com")
        for path in ("/staff/", "/staff/candidates", "/staff/account",
                     "/staff/account/two-factor", "/staff/week", "/staff/my-tech-check/"):
            response = client.get(path)
            assert response.status_code == 302, path
            assert response.headers["Location"].startswith("/staff/login"), path
        # A code step left too long must start again from the password.
    with time_machine.travel(T0 + timedelta(minutes=20), tick=False):
        stale = client.get("/staff/login/code")
        assert stale.status_code == 303 and stale.headers["Location"] == "/staff/login"


def test_turn_off_needs_password_and_code(client, login, people, ctx):
    secret, _codes = _enable(client, login, "rec@example.com")
    later = T0 + timedelta(minutes=5)
    with time_machine.travel(later, tick=False):
        _password_step(login, "rec@example.com")
        assert _code_step(client, _code(secret, later)).status_code == 303
    later = later + timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        bad = _post(client, "/staff/account/two-factor/off",
                    {"password": "wrong password", "code": _code(secret, later)},
                    page_url="/staff/account")
        assert bad.status_code == 422 and "Wrong password." in bad.text
        off = _post(client, "/staff/account/two-factor/off",
                    {"password": PASSWORD, "code": _code(secret, later)},
                    page_url="/staff/account")
        assert off.status_code == 303
    ctx.expire_all()
    user = ctx.scalar(select(User).where(User.email == "rec@example.com"))
    assert not user.has_two_factor and user.totp_secret is None
    assert ctx.scalar(select(RecoveryCode.id).where(RecoveryCode.user_id == user.id)) is None


def test_admin_requirement_forces_setup_before_anything_else(client, login, people, ctx):
    admin_secret, _ = _enable(client, login, "admin@example.com")
    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        _password_step(login, "admin@example.com")
        assert _code_step(client, _code(admin_secret, T0 + timedelta(minutes=2))
                          ).status_code == 303
        page = client.get("/staff/users")
        assert "Require two-factor sign-in" in page.text
        response = client.post("/staff/users/two-factor", data={
            "required": "yes", "csrf_token": csrf_from(page.text)})
        assert response.status_code == 303
        client.post("/staff/logout", data={"csrf_token": csrf_from(page.text)})

    at = T0 + timedelta(minutes=4)
    with time_machine.travel(at, tick=False):
        response = login("rec@example.com", PASSWORD)
        assert response.status_code == 303
        assert response.headers["Location"] == "/staff/login/two-factor"
        assert client.get("/staff/").status_code == 302  # nothing else until it is set up
        page = client.get("/staff/login/two-factor")
        assert page.status_code == 200
        secret = SECRET_RE.search(page.text).group(1).replace(" ", "")
        done = client.post("/staff/login/two-factor", data={
            "code": _code(secret, at), "csrf_token": csrf_from(page.text)})
        assert done.status_code == 200 and len(CODES_RE.findall(done.text)) == 10
        assert client.get("/staff/").status_code == 200
    assert {"staff_2fa_required", "staff_2fa_enabled"} <= set(
        ctx.scalars(select(AuditEvent.action)).all())


def test_while_required_it_cannot_be_turned_off(client, login, people, ctx):
    secret, _ = _enable(client, login, "rec@example.com")
    with time_machine.travel(T0, tick=False):
        ctx.expire_all()
        admin = ctx.get(User, people[0].id)
        admin.totp_secret, admin.totp_enabled_at = "x", T0  # as if set up
        ctx.commit()
        twofactor.set_requirement(ctx, admin, True)
        ctx.commit()
    at = T0 + timedelta(minutes=2)
    with time_machine.travel(at, tick=False):
        _password_step(login, "rec@example.com")
        assert _code_step(client, _code(secret, at)).status_code == 303
        page = client.get("/staff/account")
        assert "required for everyone here, so it cannot be turned off" in page.text
        refused = client.post("/staff/account/two-factor/off", data={
            "password": PASSWORD, "code": _code(secret, at + timedelta(seconds=30)),
            "csrf_token": csrf_from(page.text)}, follow_redirects=True)
        assert "cannot be turned off" in refused.text
    ctx.expire_all()
    assert ctx.get(User, people[1].id).has_two_factor


def test_requirement_catches_a_session_already_open(client, login, people, ctx):
    admin = people[0]
    with time_machine.travel(T0, tick=False):
        assert login("rec@example.com", PASSWORD).status_code == 303
        assert client.get("/staff/").status_code == 200
        ctx.expire_all()
        admin = ctx.get(User, admin.id)
        admin.totp_secret, admin.totp_enabled_at = "x", T0  # as if set up
        ctx.commit()
        twofactor.set_requirement(ctx, admin, True)
        ctx.commit()
        response = client.get("/staff/candidates")
        assert response.status_code == 303
        assert response.headers["Location"] == "/staff/account/two-factor"
        assert client.get("/staff/account/two-factor").status_code == 200


def test_requirement_needs_the_admin_to_have_it_first(client, login, people, ctx):
    login("admin@example.com", PASSWORD)
    page = client.get("/staff/users")
    response = client.post("/staff/users/two-factor", data={
        "required": "yes", "csrf_token": csrf_from(page.text)}, follow_redirects=True)
    assert "Turn on two-factor sign-in for your own account first." in response.text
    assert not twofactor.requires_two_factor(ctx)


def test_admin_resets_a_colleagues_two_factor(client, app, login, people, ctx):
    secret, _ = _enable(client, login, "rec@example.com")
    rec_browser = app.test_client()
    rec_browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    at = T0 + timedelta(minutes=3)
    with time_machine.travel(at, tick=False):
        page = rec_browser.get("/staff/login")
        rec_browser.post("/staff/login", data={"email": "rec@example.com", "password": PASSWORD,
                                               "csrf_token": csrf_from(page.text)})
        step = rec_browser.get("/staff/login/code")
        assert rec_browser.post("/staff/login/code", data={
            "code": _code(secret, at), "csrf_token": csrf_from(step.text)}).status_code == 303
        assert rec_browser.get("/staff/").status_code == 200

        login("admin@example.com", PASSWORD)
        users = client.get("/staff/users")
        rec_id = people[1].id
        assert f"/staff/users/{rec_id}/two-factor/reset" in users.text
        # Not without the CSRF token, and not by a recruiter.
        assert client.post(f"/staff/users/{rec_id}/two-factor/reset").status_code == 400
        done = client.post(f"/staff/users/{rec_id}/two-factor/reset",
                           data={"csrf_token": csrf_from(users.text)})
        assert done.status_code == 303
        assert rec_browser.get("/staff/").status_code == 302  # signed out everywhere
    ctx.expire_all()
    assert not ctx.get(User, rec_id).has_two_factor
    assert "staff_2fa_reset" in ctx.scalars(select(AuditEvent.action)).all()
    # Now the password alone signs in again (nothing is required here).
    client.post("/staff/logout", data={"csrf_token": csrf_from(users.text)})
    assert login("rec@example.com", PASSWORD).headers["Location"] == "/staff/"


def test_recruiter_cannot_reset_or_require(client, login, people):
    login("rec@example.com", PASSWORD)
    page = client.get("/staff/")
    token = csrf_from(page.text)
    assert client.post(f"/staff/users/{people[0].id}/two-factor/reset",
                       data={"csrf_token": token}).status_code == 403
    assert client.post("/staff/users/two-factor",
                       data={"required": "yes", "csrf_token": token}).status_code == 403


def test_password_reset_does_not_skip_the_second_factor(client, login, people, ctx):
    secret, _ = _enable(client, login, "rec@example.com")
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        _password_step(login, "rec@example.com")  # half signed in when the reset comes
        response = _post(client, "/staff/forgot", {"email": "rec@example.com"})
        assert response.status_code == 200
    from tests.accounts.test_people import NEW_PASSWORD, _link

    path = _link(ctx, "staff_password_reset", "rec@example.com")
    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        opened = client.get(path)
        assert opened.status_code == 303
        page = client.get("/staff/password")
        done = client.post("/staff/password", data={"password": NEW_PASSWORD,
                                                     "csrf_token": csrf_from(page.text)})
        assert done.status_code == 303 and done.headers["Location"] == "/staff/login"
        assert client.get("/staff/").status_code == 302
        # The half-finished sign-in from before the reset is dead.
        assert client.get("/staff/login/code").status_code == 303
        page = client.get("/staff/login")
        response = client.post("/staff/login", data={
            "email": "rec@example.com", "password": NEW_PASSWORD,
            "csrf_token": csrf_from(page.text)})
        assert response.headers["Location"] == "/staff/login/code"
        assert client.get("/staff/").status_code == 302
    ctx.expire_all()
    assert ctx.scalar(select(User).where(User.email == "rec@example.com")).has_two_factor


def test_code_step_is_rate_limited(client, login, people):
    _enable(client, login, "rec@example.com")
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        _password_step(login, "rec@example.com")
        statuses = [_code_step(client, "123456").status_code for _ in range(6)]
    assert statuses[:5] == [422] * 5 and statuses[5] == 429


def test_swedish_pages(client, login, people):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "sv"
    login("rec@example.com", PASSWORD)
    page = client.get("/staff/account")
    assert "Tvåstegsinloggning" in page.text
    setup = client.get("/staff/account/two-factor")
    assert "Skanna QR-koden" in setup.text


def test_one_code_sent_five_times_at_once_signs_in_once(client, app, login, people, ctx):
    """A double click, or a thief racing the owner: of five requests with one code at the
    same moment, exactly one passes (the time step is claimed by a conditional update)."""
    if ctx.get_bind().dialect.name != "postgresql":
        pytest.skip("a real race needs PostgreSQL's concurrent writers")
    from tests.concurrency.test_races import at_once, clones

    secret, _ = _enable(client, login, "rec@example.com")
    at = T0 + timedelta(minutes=5)
    with time_machine.travel(at, tick=False):
        _password_step(login, "rec@example.com")
        token = csrf_from(client.get("/staff/login/code").text)
        tabs = clones(app, client, 5)
        codes = at_once(5, lambda i: tabs[i].post("/staff/login/code", data={
            "code": _code(secret, at), "csrf_token": token}).status_code)
    assert sorted(codes) == [303, 422, 422, 422, 422]
    assert ctx.scalar(select(func.count(StaffSession.id))) == 1
