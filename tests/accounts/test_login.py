"""Staff login: hashed passwords, rate limits, session rotation and real logout."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.accounts.models import StaffSession, User
from portal.extensions import db
from tests.conftest import csrf_from
from tests.factories import PASSWORD, CandidateFactory, UserFactory, make_application

STAFF_PAGES = ["/staff/", "/staff/openings", "/staff/candidates", "/staff/outbox/",
               "/staff/users", "/staff/candidates/1", "/staff/openings/1"]


@pytest.fixture()
def staff(ctx):
    user = UserFactory(email="rec@example.com", role="recruiter")
    ctx.commit()
    return user


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_every_staff_page_needs_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/staff/login" in response.headers["Location"]


def test_password_is_hashed_and_login_works(client, login, staff, ctx):
    stored = ctx.scalar(select(User.password_hash).where(User.email == "rec@example.com"))
    assert PASSWORD not in stored and stored.startswith(("scrypt:", "pbkdf2:"))
    response = login("REC@example.com ", PASSWORD)
    assert response.status_code == 303
    assert client.get("/staff/").status_code == 200


def test_wrong_password_says_so_inline_without_telling_which_part(client, login, staff):
    response = login("rec@example.com", "not the password")
    assert response.status_code == 422
    assert "Wrong email or password" in response.text
    response = login("nobody@example.com", PASSWORD)
    assert "Wrong email or password" in response.text


def test_login_form_validates_on_the_server(client):
    page = client.get("/staff/login")
    response = client.post("/staff/login", data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 422
    assert "Enter your email address." in response.text


def test_login_without_csrf_is_refused(client, staff):
    response = client.post("/staff/login", data={"email": "rec@example.com",
                                                 "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/staff/").status_code == 302


def test_login_is_rate_limited(client, login, staff):
    codes = [login("rec@example.com", "wrong").status_code for _ in range(11)]
    assert codes[:10] == [422] * 10
    assert codes[10] == 429


def test_session_is_rotated_at_login(client, login, staff):
    client.get("/staff/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    login("rec@example.com", PASSWORD)
    with client.session_transaction() as session:
        assert "planted" not in session


def test_logout_ends_the_session_even_for_a_copied_cookie(app, client, login, staff, ctx):
    login("rec@example.com", PASSWORD)
    stolen = client.get_cookie("portal_session").value
    page = client.get("/staff/")
    response = client.post("/staff/logout", data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 303
    assert ctx.scalar(select(StaffSession.id)) is None
    thief = app.test_client()
    thief.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    thief.set_cookie("portal_session", stolen)
    assert thief.get("/staff/").status_code == 302


def test_deactivated_user_is_signed_out_everywhere(app, client, login, staff, ctx):
    admin = UserFactory(email="admin@example.com", role="admin")
    ctx.commit()
    login("rec@example.com", PASSWORD)
    other = app.test_client()
    page = other.get("/staff/login")
    other.post("/staff/login", data={"email": "admin@example.com", "password": PASSWORD,
                                     "csrf_token": csrf_from(page.text)})
    users_page = other.get("/staff/users")
    assert users_page.status_code == 200
    other.post(f"/staff/users/{staff.id}/active", data={"csrf_token": csrf_from(users_page.text)})
    assert client.get("/staff/").status_code == 302
    assert admin.is_active


def test_interviewer_cannot_reach_recruiter_pages(client, login, ctx):
    UserFactory(email="iv@example.com", role="interviewer")
    make_application(UserFactory(role="recruiter"), CandidateFactory(name="Olivia Otherpanel"))
    ctx.commit()
    login("iv@example.com", PASSWORD)
    assert client.get("/staff/").status_code == 200
    for path in ("/staff/openings", "/staff/outbox/", "/staff/users"):
        assert client.get(path).status_code == 403, path
    # The candidate list opens, with only the candidates of their own panels (none here;
    # tests/hiring/test_find_anyone.py checks who they see).
    listing = client.get("/staff/candidates")
    assert listing.status_code == 200 and "Olivia Otherpanel" not in listing.text


def test_cli_create_user_reads_password_from_stdin(app, ctx):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "new@example.com", "--role", "admin"],
                           input="a long enough password\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "new@example.com"))
    assert user.role == "admin" and user.check_password("a long enough password")
    again = runner.invoke(args=["create-user", "new@example.com"], input="another password 1\n")
    assert again.exit_code != 0 and "already" in again.output
    short = runner.invoke(args=["create-user", "x@example.com"], input="short\n")
    assert short.exit_code != 0 and "at least 10" in short.output
