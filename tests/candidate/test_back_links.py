"""Back links and "next" values stay on the site: payloads a browser reads as another host
(a backslash for a slash, tabs and newlines it drops, an encoded slash) fall back to the
portal's start page, through every page that takes one."""

from __future__ import annotations

import html
import re

import pytest

from portal.links.services import issue_link
from tests.conftest import csrf_from
from tests.factories import CandidateFactory, UserFactory, make_application

HOME = "/portal/"
PAYLOADS = [
    "/\\evil.example",
    "/\\\\evil.example",
    "/\\/evil.example",
    "\\/evil.example",
    "/%5Cevil.example",
    "/%5cevil.example",
    "/%2F%2Fevil.example",
    "/%2fevil.example",
    "/\t/evil.example",
    "/\r\n/evil.example",
    "/\n/evil.example",
    "/portal/\\..\\\\evil.example",
    "//evil.example",
    "https://evil.example/",
]
GOOD = "/portal/interviews/1"
BACK = re.compile(r'<p class="crumb"><a href="([^"]*)">')
HREF = re.compile(r'href="([^"]*)"')


@pytest.fixture()
def token(ctx, settings):
    recruiter = UserFactory(role="recruiter")
    application = make_application(recruiter, CandidateFactory())
    _link, value = issue_link(ctx, settings, application.candidate)
    ctx.commit()
    return value


@pytest.fixture()
def candidate(client, token):
    assert client.get(f"/c/{token}").status_code == 303
    return client


def _back_link(page: str) -> str:
    return html.unescape(BACK.search(page).group(1))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_guide_back_link_stays_on_the_site(candidate, payload):
    page = candidate.get("/portal/guides/zoom", query_string={"back": payload})
    assert page.status_code == 200
    assert _back_link(page.text) == HOME
    assert not [h for h in HREF.findall(page.text) if "evil.example" in h]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_time_zone_page_back_link_and_form_stay_on_the_site(candidate, payload):
    page = candidate.get("/portal/timezone", query_string={"next": payload})
    assert page.status_code == 200
    assert _back_link(page.text) == HOME
    assert not [h for h in HREF.findall(page.text) if "evil.example" in h]
    sent = candidate.post("/portal/timezone", data={
        "csrf_token": csrf_from(page.text), "next": payload, "source": "candidate",
        "timezone": "Europe/Oslo"})
    assert sent.status_code == 303 and sent.headers["Location"] == HOME


@pytest.mark.parametrize("payload", PAYLOADS)
def test_sign_in_link_next_stays_on_the_site(client, token, payload):
    opened = client.get(f"/c/{token}", query_string={"next": payload})
    assert opened.status_code == 303 and opened.headers["Location"] == HOME


@pytest.mark.parametrize("payload", PAYLOADS)
def test_language_switch_next_stays_on_the_site(candidate, payload):
    page = candidate.get(HOME)
    switched = candidate.post("/language", data={
        "csrf_token": csrf_from(page.text), "lang": "sv", "next": payload})
    assert switched.status_code == 303 and switched.headers["Location"] == HOME


def test_clean_paths_are_still_followed(candidate, token, client):
    assert _back_link(candidate.get("/portal/guides/zoom",
                                    query_string={"back": GOOD}).text) == GOOD
    page = candidate.get("/portal/timezone", query_string={"next": GOOD})
    assert _back_link(page.text) == GOOD
    sent = candidate.post("/portal/timezone", data={
        "csrf_token": csrf_from(page.text), "next": GOOD, "source": "candidate",
        "timezone": "Europe/Oslo"})
    assert sent.headers["Location"] == GOOD
    switched = candidate.post("/language", data={
        "csrf_token": csrf_from(page.text), "lang": "en", "next": GOOD + "?tab=1"})
    assert switched.headers["Location"] == GOOD + "?tab=1"
    fresh = candidate.application.test_client()
    assert fresh.get(f"/c/{token}", query_string={"next": GOOD}).headers["Location"] == GOOD
