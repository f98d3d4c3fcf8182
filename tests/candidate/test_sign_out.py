"""Signing out ends the candidate's session on the server: a copy of the cookie taken
before opens neither the portal nor the data export afterwards. Other browsers stay signed
in; revoking the candidate's links from the back office ends every one of them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.links.models import CandidateSession
from portal.links.services import issue_link
from tests.conftest import csrf_from
from tests.factories import CandidateFactory, UserFactory, make_application
from tests.feedback.test_views import client_for

COOKIE = "portal_session"
PAGES = ["/portal/", "/portal/my-data.json", "/portal/my-data", "/portal/privacy"]


@pytest.fixture()
def person(ctx, settings):
    recruiter = UserFactory(email="rec@example.com", role="recruiter")
    application = make_application(recruiter, CandidateFactory(name="Sara Svensson"))
    _link, token = issue_link(ctx, settings, application.candidate)
    ctx.commit()
    return {"candidate_id": application.candidate_id, "token": token}


def _browser(app, token):
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert browser.get(f"/c/{token}").status_code == 303
    return browser


def _replay(app, cookie: str):
    """A different browser holding a copy of the cookie."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, cookie)
    return thief


def _signed_out(response) -> bool:
    return response.status_code == 302 and "/portal/link" in response.headers["Location"]


def test_a_cookie_copied_before_sign_out_opens_nothing_after(app, ctx, person):
    browser = _browser(app, person["token"])
    copied = browser.get_cookie(COOKIE).value
    thief = _replay(app, copied)
    for path in PAGES:
        assert thief.get(path).status_code == 200, path  # the copy works while signed in

    page = browser.get("/portal/")
    out = browser.post("/portal/sign-out", data={"csrf_token": csrf_from(page.text)})
    assert out.status_code == 303 and "signed-out" in out.headers["Location"]

    for path in PAGES:
        assert _signed_out(_replay(app, copied).get(path)), path
    assert "Sara" not in _replay(app, copied).get("/portal/my-data.json").text
    assert _signed_out(browser.get("/portal/"))
    assert ctx.scalar(select(func.count(CandidateSession.id))) == 0


def test_signing_out_one_browser_leaves_the_other_signed_in(app, ctx, person):
    phone = _browser(app, person["token"])
    laptop = _browser(app, person["token"])
    assert ctx.scalar(select(func.count(CandidateSession.id))) == 2
    page = phone.get("/portal/")
    phone.post("/portal/sign-out", data={"csrf_token": csrf_from(page.text)})
    assert _signed_out(phone.get("/portal/"))
    assert laptop.get("/portal/").status_code == 200
    # The same link still signs in again: sign-out ends the session, not the link.
    again = _browser(app, person["token"])
    assert again.get("/portal/my-data.json").status_code == 200


def test_revoking_links_from_the_back_office_ends_every_session(app, ctx, person):
    browser = _browser(app, person["token"])
    copied = browser.get_cookie(COOKIE).value
    staff = client_for(app, "rec@example.com")
    page = staff.get(f"/staff/candidates/{person['candidate_id']}")
    revoked = staff.post(f"/staff/candidates/{person['candidate_id']}/links/revoke",
                         data={"csrf_token": csrf_from(page.text)})
    assert revoked.status_code == 303
    assert ctx.scalar(select(func.count(CandidateSession.id))) == 0
    for path in PAGES:
        assert _signed_out(_replay(app, copied).get(path)), path
    assert _signed_out(browser.get("/portal/"))


def test_a_cookie_without_a_server_session_is_refused(app, ctx, person):
    """A session whose row is gone (ended elsewhere) does not come back to life."""
    browser = _browser(app, person["token"])
    ctx.execute(CandidateSession.__table__.delete())
    ctx.commit()
    assert _signed_out(browser.get("/portal/my-data.json"))
