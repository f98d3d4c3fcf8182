"""The time-zone picker in a real Chromium: places with their offset and clock, sorted by
offset, no aliases or Etc/* zones, a search box that narrows the list, and the same form
working with JavaScript off. Staff pick from the same list."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from portal.hiring.models import Candidate
from portal.links.services import issue_link
from tests.browser.pages import StaffPages
from tests.factories import PASSWORD, CandidateFactory, UserFactory, make_application

pytestmark = pytest.mark.browser

OFFSET = re.compile(r"^\(UTC([+-])(\d\d):(\d\d)\) ")


def _minutes(label: str) -> int:
    sign, hours, minutes = OFFSET.match(label).groups()
    return (1 if sign == "+" else -1) * (int(hours) * 60 + int(minutes))


@pytest.fixture()
def candidate_token(ctx, settings):
    recruiter = UserFactory(email="rec@example.com", role="recruiter")
    application = make_application(recruiter, CandidateFactory(
        name="Anna Andersson", language="sv", timezone="Europe/Stockholm"))
    _l, token = issue_link(ctx, settings, application.candidate)
    ctx.commit()
    return token, application.candidate_id, application.id


def test_candidate_picks_a_zone_by_searching(browser: Browser, live_server, ctx,
                                            candidate_token):
    token, candidate_id, _application_id = candidate_token
    context = browser.new_context(locale="sv-SE", timezone_id="Europe/Stockholm")
    page = context.new_page()
    page.goto(f"{live_server.url}/c/{token}?next=/portal/timezone")
    picker = page.get_by_label("Tidszon", exact=True)
    options = picker.locator("option")
    values = options.evaluate_all("os => os.map(o => o.value)")
    labels = options.evaluate_all("os => os.map(o => o.textContent)")
    assert 300 < len(values) < 480
    assert not [v for v in values if v.startswith("Etc/") or v.startswith("US/")]
    assert "Europe/Stockholm" in values and "UTC" in values and "Asia/Kolkata" in values
    stockholm = labels[values.index("Europe/Stockholm")]
    assert re.fullmatch(r"\(UTC\+0[12]:00\) Stockholm — kl\. \d\d\.\d\d nu", stockholm)
    assert re.match(r"\(UTC\+05:30\) Kolkata", labels[values.index("Asia/Kolkata")])
    offsets = [_minutes(label) for label in labels]
    assert offsets == sorted(offsets)
    expect(picker).to_have_value("Europe/Stockholm")

    search = page.get_by_label("Sök efter stad, land eller tidsskillnad mot UTC")
    search.fill("japan")
    assert options.count() == 2  # Tokyo, and the zone chosen now
    picker.select_option("Asia/Tokyo")
    search.fill("+05:30")
    assert set(options.evaluate_all("os => os.map(o => o.value)")) >= {"Asia/Kolkata",
                                                                      "Asia/Tokyo"}
    page.get_by_role("button", name="Spara").click()
    ctx.expire_all()
    assert ctx.get(Candidate, candidate_id).timezone == "Asia/Tokyo"
    context.close()


def test_the_picker_works_without_javascript_and_keeps_an_old_zone(browser: Browser,
                                                                   live_server, ctx,
                                                                   candidate_token):
    token, candidate_id, _application_id = candidate_token
    ctx.get(Candidate, candidate_id).timezone = "Etc/GMT+5"  # stored before: UTC-5
    ctx.commit()
    context = browser.new_context(locale="sv-SE", java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/c/{token}?next=/portal/timezone")
    picker = page.get_by_label("Tidszon", exact=True)
    expect(picker).to_have_value("Etc/GMT+5")
    expect(picker.locator("option").first).to_contain_text("(UTC-05:00) Etc/GMT+5")
    assert page.locator("input[type=search]").count() == 0
    picker.select_option("America/New_York")
    page.get_by_role("button", name="Spara").click()
    ctx.expire_all()
    assert ctx.get(Candidate, candidate_id).timezone == "America/New_York"
    context.close()


def test_staff_schedule_with_the_same_picker(browser: Browser, live_server, ctx,
                                            candidate_token):
    _token, _candidate_id, application_id = candidate_token
    context = browser.new_context(locale="en-GB")
    staff = StaffPages(context.new_page(), live_server.url)
    staff.login("rec@example.com", PASSWORD)
    page = staff.page
    page.goto(f"{live_server.url}/staff/applications/{application_id}/interviews/new")
    picker = page.get_by_label("Time zone of the date and time above")
    labels = picker.locator("option").evaluate_all("os => os.map(o => o.textContent)")
    assert any(re.fullmatch(r"\(UTC\+0[12]:00\) Stockholm — \d\d:\d\d now", t) for t in labels)
    assert not any("Etc/" in t for t in labels)
    page.get_by_label("Search by city, country or UTC offset").fill("new york")
    assert picker.locator("option").count() == 2
    context.close()
