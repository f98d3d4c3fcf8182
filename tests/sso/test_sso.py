"""Single sign-on for staff against a real OpenID Connect provider on loopback
(tests/sso/oidc_provider.py, Authlib's server parts): the browser's trip to the provider
goes through httpx, the callback through the test client, and the portal exchanges the
code and fetches the keys over real HTTP. Linking by subject and by verified email, new
accounts, refusals, required single sign-on and its break-glass, tampered ID tokens, a
wrong state, and logout."""

from __future__ import annotations

import re
import threading
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from portal.accounts import sso, twofactor
from portal.accounts.models import SsoProvider, StaffSession, User
from portal.privacy.models import AuditEvent
from tests.conftest import csrf_from
from tests.factories import PASSWORD, UserFactory
from tests.sso.oidc_provider import Provider, new_key

LABEL = "Logga in med Contoso"


@pytest.fixture(scope="module")
def idp() -> Any:
    provider = Provider()
    provider.start()
    yield provider
    provider.stop()


@pytest.fixture()
def provider(idp: Provider, app: Any) -> Provider:
    idp.reset()
    idp.client.redirect_uris = [app.config["PORTAL"].base_url + "/staff/sso/callback"]
    return idp


def configure(ctx: Any, settings: Any, provider: Provider, *, default_role: str | None = None,
              domains: str = "", required: bool = False) -> None:
    """Set the provider up through the service the admin page calls."""
    admin = UserFactory(email="boss@example.com", role="admin")
    if required:  # the rule: an admin has signed in with it before requiring it
        admin.sso_issuer, admin.sso_subject = provider.issuer, "boss"
    sso.save_provider(ctx, settings, admin, sso.ProviderInput(
        issuer=provider.issuer, client_id=provider.client.client_id,
        client_secret=provider.client.client_secret, button_label=LABEL,
        default_role=default_role, allowed_domains=domains, required=required))
    ctx.commit()


def sso_sign_in(client: Any, provider: Provider, *, state: str | None = None) -> Any:
    """Press the button, let the provider answer (over HTTP), and come back."""
    start = client.get("/staff/sso/start")
    assert start.status_code == 302, start.text
    assert start.headers["Location"].startswith(provider.issuer + "/authorize?")
    answer = httpx.get(start.headers["Location"], follow_redirects=False)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["location"])
    query = back.query
    if state is not None:
        params = {k: v[0] for k, v in parse_qs(query).items()}
        params["state"] = state
        query = httpx.QueryParams(params).__str__()
    return client.get(f"{back.path}?{query}")


def flashed(client: Any) -> str:
    return client.get("/staff/login").text


def signed_in_as(client: Any) -> str | None:
    page = client.get("/staff/account")
    return None if page.status_code != 200 else page.text


def actions(ctx: Any) -> list[str]:
    ctx.expire_all()
    return list(ctx.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


# ---------------------------------------------------------------- the admins' page


def test_admin_sets_up_the_provider_and_the_secret_is_never_shown(
        client: Any, ctx: Any, settings: Any, login: Any, provider: Provider) -> None:
    UserFactory(email="admin@example.com", role="admin")
    UserFactory(email="rec@example.com", role="recruiter")
    ctx.commit()
    login("rec@example.com", PASSWORD)
    assert client.get("/staff/sso").status_code == 403  # admins only
    client.post("/staff/logout", data={"csrf_token": csrf_from(client.get("/staff/account").text)})

    login("admin@example.com", PASSWORD)
    page = client.get("/staff/sso")
    assert page.status_code == 200
    assert "/staff/sso/callback" in page.text  # the redirect URI to register
    form = {"issuer": "http://login.example.com", "client_id": "portal",
            "client_secret": "s3cret-for-tests", "button_label": LABEL, "default_role": "",
            "allowed_domains": "example.com", "csrf_token": csrf_from(page.text)}
    bad = client.post("/staff/sso", data=form)
    assert bad.status_code == 422 and "https://" in bad.text  # inline, no 500

    form["issuer"] = provider.issuer
    saved = client.post("/staff/sso", data=form)
    assert saved.status_code == 303, saved.text
    again = client.get("/staff/sso")
    assert "s3cret-for-tests" not in again.text and "Set. It is never shown again" in again.text
    ctx.expire_all()
    row = ctx.get(SsoProvider, 1)
    assert row.enabled and row.client_secret and "s3cret" not in row.client_secret
    assert twofactor.unseal(settings, row.client_secret) == "s3cret-for-tests"

    # Saving without a secret keeps the stored one; requiring it before trying it is refused.
    form.update(client_secret="", required="y", csrf_token=csrf_from(again.text))
    refused = client.post("/staff/sso", data=form)
    assert refused.status_code == 422 and "yourself first" in refused.text
    ctx.expire_all()
    assert twofactor.unseal(settings, ctx.get(SsoProvider, 1).client_secret) == "s3cret-for-tests"
    assert not ctx.get(SsoProvider, 1).required
    assert "staff_sso_configured" in actions(ctx)

    client.post("/staff/logout", data={"csrf_token": csrf_from(again.text)})
    assert LABEL in client.get("/staff/login").text


# ---------------------------------------------------------------- signing in


def test_existing_account_is_linked_by_verified_email_then_by_subject(
        client: Any, ctx: Any, settings: Any, provider: Provider) -> None:
    configure(ctx, settings, provider)
    user = UserFactory(email="rec@example.com", name="Rut Recruiter")
    ctx.commit()
    provider.add_user("sub-rut", "REC@example.com", verified=True)

    done = sso_sign_in(client, provider)
    assert done.status_code == 303 and done.headers["Location"] == "/staff/"
    assert "rec@example.com" in (signed_in_as(client) or "")
    asked = provider.authorize_requests[0]  # PKCE, state and nonce went to the provider
    assert asked["code_challenge_method"] == "S256" and asked["code_challenge"]
    assert asked["state"] and asked["nonce"] and asked["redirect_uri"].endswith("/callback")
    ctx.expire_all()
    assert (user.sso_issuer, user.sso_subject) == (provider.issuer, "sub-rut")
    assert ctx.scalar(select(func.count()).select_from(StaffSession)
                      .where(StaffSession.user_id == user.id)) == 1
    assert actions(ctx)[-2:] == ["staff_sso_linked", "staff_sso_signed_in"]

    # Later the address at the provider changes: the subject still finds the account.
    fresh = client.application.test_client()
    provider.users["sub-rut"]["email"] = "rut@elsewhere.example"
    assert sso_sign_in(fresh, provider).status_code == 303
    assert "rec@example.com" in (signed_in_as(fresh) or "")


def test_unverified_email_is_not_linked(client: Any, ctx: Any, settings: Any,
                                        provider: Provider) -> None:
    configure(ctx, settings, provider, default_role="recruiter")
    user = UserFactory(email="rec@example.com")
    ctx.commit()
    provider.add_user("sub-x", "rec@example.com", verified=False)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "sv"

    done = sso_sign_in(client, provider)
    assert done.status_code == 303 and done.headers["Location"] == "/staff/login"
    assert "har inte verifierat din e-postadress" in flashed(client)
    assert signed_in_as(client) is None
    ctx.expire_all()
    assert user.sso_subject is None
    assert ctx.scalar(select(func.count()).select_from(StaffSession)) == 0
    assert ctx.scalar(select(func.count()).select_from(User)) == 2  # nobody was created
    assert actions(ctx)[-1] == "staff_sso_refused"


def test_first_sign_in_creates_an_account_with_the_default_role(
        client: Any, ctx: Any, settings: Any, provider: Provider) -> None:
    configure(ctx, settings, provider, default_role="interviewer", domains="example.com")
    provider.add_user("sub-new", "nils@example.com", name="Nils Ny")

    assert sso_sign_in(client, provider).status_code == 303
    assert "nils@example.com" in (signed_in_as(client) or "")
    ctx.expire_all()
    user = ctx.scalar(select(User).where(User.email == "nils@example.com"))
    assert (user.role, user.name, user.sso_subject) == ("interviewer", "Nils Ny", "sub-new")
    assert not user.check_password("")  # no password works
    assert "staff_sso_account_created" in actions(ctx)

    # Another domain is not let in.
    other = client.application.test_client()
    provider.add_user("sub-out", "eve@other.example")
    assert sso_sign_in(other, provider).headers["Location"] == "/staff/login"
    assert "other.example" in flashed(other) and signed_in_as(other) is None
    assert ctx.scalar(select(User).where(User.email == "eve@other.example")) is None


def test_without_a_default_role_only_existing_staff_get_in(
        client: Any, ctx: Any, settings: Any, provider: Provider) -> None:
    configure(ctx, settings, provider, default_role=None)
    provider.add_user("sub-new", "nils@example.com")
    assert sso_sign_in(client, provider).headers["Location"] == "/staff/login"
    assert "There is no staff account for nils@example.com" in flashed(client)
    assert ctx.scalar(select(User).where(User.email == "nils@example.com")) is None


def test_a_deactivated_account_is_refused(client: Any, ctx: Any, settings: Any,
                                          provider: Provider) -> None:
    configure(ctx, settings, provider)
    user = UserFactory(email="old@example.com", active=False,
                       sso_issuer=provider.issuer, sso_subject="sub-old")
    ctx.commit()
    provider.add_user("sub-old", "old@example.com")
    assert sso_sign_in(client, provider).headers["Location"] == "/staff/login"
    assert "deactivated" in flashed(client) and signed_in_as(client) is None
    assert ctx.scalar(select(func.count()).select_from(StaffSession)
                      .where(StaffSession.user_id == user.id)) == 0


# ---------------------------------------------------------------- refusing forgeries


@pytest.mark.parametrize("variant", ["other_key", "other_audience", "expired", "other_nonce",
                                     "other_issuer"])
def test_a_tampered_id_token_is_refused(client: Any, ctx: Any, settings: Any,
                                        provider: Provider, variant: str) -> None:
    configure(ctx, settings, provider)
    UserFactory(email="rec@example.com")
    ctx.commit()
    provider.add_user("sub-rut", "rec@example.com")
    if variant == "other_key":
        provider.signing_key = new_key()  # same kid, a key the JWKS does not publish
    else:
        provider.tamper = {"other_audience": {"aud": ["someone-else"]},
                           "expired": {"exp": 1_000_000_000},
                           "other_nonce": {"nonce": "not-the-one-we-sent"},
                           "other_issuer": {"iss": "https://evil.example"}}[variant]

    done = sso_sign_in(client, provider)
    assert done.status_code == 303 and done.headers["Location"] == "/staff/login"
    assert provider.token_requests == 1  # the code was exchanged; the answer was refused
    assert "could not be verified" in flashed(client)
    assert signed_in_as(client) is None
    assert ctx.scalar(select(func.count()).select_from(StaffSession)) == 0
    ctx.expire_all()
    assert ctx.scalar(select(User.sso_subject).where(User.email == "rec@example.com")) is None


def test_a_wrong_state_is_refused(client: Any, ctx: Any, settings: Any,
                                  provider: Provider) -> None:
    configure(ctx, settings, provider)
    UserFactory(email="rec@example.com")
    ctx.commit()
    provider.add_user("sub-rut", "rec@example.com")
    done = sso_sign_in(client, provider, state="forged-state")
    assert done.headers["Location"] == "/staff/login"
    assert provider.token_requests == 0  # the code was never even exchanged
    assert "another browser" in flashed(client) and signed_in_as(client) is None


# ---------------------------------------------------------------- requiring it


def test_required_sso_refuses_passwords_until_the_break_glass(
        app: Any, client: Any, ctx: Any, settings: Any, login: Any,
        provider: Provider) -> None:
    configure(ctx, settings, provider, required=True)
    user = UserFactory(email="rec@example.com")
    ctx.commit()

    page = client.get("/staff/login")
    assert LABEL in page.text and 'name="password"' not in page.text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    refused = client.post("/staff/login", data={"email": "rec@example.com",
                                                "password": PASSWORD, "csrf_token": token})
    assert refused.status_code == 403 and signed_in_as(client) is None
    assert client.get("/staff/forgot").headers["Location"] == "/staff/login"
    from portal.accounts.services import issue_token
    link = issue_token(ctx, user, "reset")
    ctx.commit()
    assert client.get(f"/staff/password/{link}").headers["Location"] == "/staff/login"

    # Single sign-on still lets the person in.
    provider.add_user("sub-rut", "rec@example.com")
    assert sso_sign_in(client, provider).status_code == 303
    assert "rec@example.com" in (signed_in_as(client) or "")

    # The break-glass on the server: password sign-in is back.
    result = app.test_cli_runner().invoke(args=["sso", "disable"])
    assert result.exit_code == 0 and "off" in result.output
    other = app.test_client()
    page = other.get("/staff/login")
    assert LABEL not in page.text
    signed = other.post("/staff/login", data={"email": "rec@example.com", "password": PASSWORD,
                                              "csrf_token": csrf_from(page.text)})
    assert signed.status_code == 303 and signed_in_as(other)


# ---------------------------------------------------------------- logout


def test_logout_ends_the_session_and_signs_out_at_the_provider(
        client: Any, ctx: Any, settings: Any, provider: Provider) -> None:
    configure(ctx, settings, provider)
    UserFactory(email="rec@example.com")
    ctx.commit()
    provider.add_user("sub-rut", "rec@example.com")
    assert sso_sign_in(client, provider).status_code == 303
    account = client.get("/staff/account")
    assert account.status_code == 200

    out = client.post("/staff/logout", data={"csrf_token": csrf_from(account.text)})
    assert out.status_code == 303
    target = urlsplit(out.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == provider.issuer + "/logout"
    params = parse_qs(target.query)
    assert params["id_token_hint"][0].count(".") == 2
    assert params["post_logout_redirect_uri"][0].endswith("/staff/login")
    assert httpx.get(out.headers["Location"]).status_code == 200
    assert provider.logouts and provider.logouts[0]["id_token_hint"]
    assert signed_in_as(client) is None
    assert ctx.scalar(select(func.count()).select_from(StaffSession)) == 0


# ---------------------------------------------------------------- two at once


def _at_once(app: Any, count: int, claims_for: Any, row_id: int = 1) -> list[str]:
    """``count`` first sign-ins released together, each in its own transaction, as the
    callback runs them; how each ended."""
    from portal.extensions import db

    start = threading.Barrier(count)
    ends: list[Any] = [None] * count

    def run(i: int) -> None:
        with app.app_context():
            start.wait()
            try:
                row = db.session.get(SsoProvider, row_id)
                _user, how = sso.resolve_user(db.session, row, claims_for(i), "en")
                db.session.commit()
                ends[i] = how
            except sso.SsoRefused:
                db.session.rollback()
                ends[i] = "refused"
            except BaseException as exc:  # noqa: BLE001 - reported in the test's thread
                ends[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for end in ends:
        if isinstance(end, BaseException):
            raise end
    return ends


def test_first_sign_ins_at_once_make_one_account_and_link_one_subject(
        app: Any, ctx: Any, settings: Any, provider: Provider) -> None:
    if ctx.get_bind().dialect.name != "postgresql":
        pytest.skip("concurrent writers are PostgreSQL's; SQLite runs one at a time")
    configure(ctx, settings, provider, default_role="recruiter")
    user = UserFactory(email="rec@example.com")
    ctx.commit()

    def same_new_person(i: int) -> dict[str, Any]:
        return {"iss": provider.issuer, "sub": "sub-new", "email": "nils@example.com",
                "email_verified": True}

    ends = _at_once(app, 8, same_new_person)
    assert ends.count("created") == 1 and set(ends) <= {"created", "linked", "refused"}
    assert ctx.scalar(select(func.count()).select_from(User)
                      .where(User.email == "nils@example.com")) == 1

    def rivals_for_one_account(i: int) -> dict[str, Any]:
        return {"iss": provider.issuer, "sub": f"rival-{i}", "email": "rec@example.com",
                "email_verified": True}

    ends = _at_once(app, 8, rivals_for_one_account)
    assert ends.count("linked_now") == 1 and ends.count("refused") == 7
    ctx.expire_all()
    assert user.sso_subject == f"rival-{ends.index('linked_now')}"
