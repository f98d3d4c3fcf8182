"""The tech check in a real Chromium with fake camera and microphone: the whole check to a
verdict, a refused camera, and the result on the staff page."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from portal.links.services import issue_link
from portal.techcheck.models import TechCheckResult
from tests.factories import (
    PASSWORD,
    CandidateFactory,
    UserFactory,
    make_application,
    make_interview,
)

pytestmark = pytest.mark.browser


@pytest.fixture()
def setup(ctx, settings):
    recruiter = UserFactory(email="rec@example.com", role="recruiter")
    interview = make_interview(recruiter, make_application(recruiter, CandidateFactory(
        name="Anna Andersson", language="en")), platform="jitsi",
        url="https://meet.jit.si/InterviewRoom12345678")
    _l, token = issue_link(ctx, settings, interview.application.candidate)
    ctx.commit()
    return interview, token


def _run_check(page, answer_right: bool = True) -> None:
    page.get_by_role("button", name="Start the check").click()
    page.get_by_role("button", name="Play the sound").click()
    beeps = page.evaluate("window.portalTechCheck.beeps")
    page.get_by_label("Number of beeps").fill(str(beeps if answer_right else beeps + 1))
    page.get_by_role("button", name="Check my answer").click()


def test_whole_check_reaches_a_verdict_and_staff_see_it(app, ctx, browser: Browser, live_server,
                                                        setup):
    interview, token = setup
    context = browser.new_context(timezone_id="Europe/Stockholm", locale="en-GB")
    context.grant_permissions(["camera", "microphone"], origin=live_server.url)
    page = context.new_page()
    page.goto(f"{live_server.url}/c/{token}?next=/portal/interviews/{interview.id}")
    page.get_by_role("link", name="Test your sound and picture").click()
    _run_check(page)
    expect(page.locator("#tc-verdict")).to_be_visible(timeout=45_000)
    result = ctx.scalar(select(TechCheckResult))
    payload, report = json.loads(result.payload), json.loads(result.report)
    assert payload["camera"]["error"] is None and payload["camera"]["frames"] > 50
    assert payload["microphone"]["error"] is None and not payload["microphone"]["flat"]
    assert payload["speakers"] == {"answered": True, "correct": True, "sink_selectable": True}
    assert payload["network"]["download_mbps"] > 5 and payload["network"]["rtt_ms"] < 100
    statuses = {c["key"]: c["status"] for c in report["checks"]}
    assert statuses["browser"] == "good" and statuses["speakers"] == "good"
    assert statuses["camera"] in ("good", "warn")  # the fake camera may give 640x480
    assert result.verdict == "ready", json.dumps(report["checks"])
    expect(page.locator("#tc-verdict")).to_have_text("You are ready for the interview.")
    from axe_playwright_python.sync_playwright import Axe

    serious = [v["id"] for v in Axe().run(page).response["violations"]
               if v["impact"] in ("serious", "critical")]
    assert serious == []
    context.close()

    staff_context = browser.new_context(locale="en-GB")
    staff = staff_context.new_page()
    staff.goto(f"{live_server.url}/staff/login")
    staff.get_by_label("Email").fill("rec@example.com")
    staff.get_by_label("Password").fill(PASSWORD)
    staff.get_by_role("button", name="Sign in").click()
    staff.goto(f"{live_server.url}/staff/candidates/{interview.application.candidate_id}")
    expect(staff.get_by_text("Tech check").first).to_be_visible()
    expect(staff.locator(".techcheck-latest")).to_contain_text("Ready")
    staff_context.close()


def test_refused_camera_is_named_and_the_rest_still_runs(ctx, browser: Browser, live_server,
                                                         setup):
    interview, token = setup
    context = browser.new_context(timezone_id="Europe/Stockholm", locale="en-GB")
    page = context.new_page()  # no permission granted: getUserMedia is refused
    page.goto(f"{live_server.url}/c/{token}?next=/portal/tech-check/?interview={interview.id}")
    page.goto(f"{live_server.url}/portal/tech-check/?interview={interview.id}")
    _run_check(page)
    expect(page.locator("#tc-verdict")).to_contain_text("Not ready", timeout=45_000)
    expect(page.get_by_text("not allowed to use the camera")).to_be_visible()
    result = ctx.scalar(select(TechCheckResult))
    payload = json.loads(result.payload)
    assert payload["camera"]["error"] == "NotAllowedError"
    assert payload["network"]["download_mbps"] > 0  # the network part ran all the same
    context.close()


def test_network_measurements_match_emulated_conditions(ctx, browser: Browser, live_server,
                                                        setup):
    from portal.techcheck import thresholds as t
    from tests.browser.network_driver import PROFILES, run_check

    interview, token = setup
    context = browser.new_context(timezone_id="Europe/Stockholm", locale="en-GB")
    context.grant_permissions(["camera", "microphone"], origin=live_server.url)
    page = context.new_page()
    page.goto(f"{live_server.url}/c/{token}")
    def close_enough(n: dict, mbps: float, latency: float) -> bool:
        return (abs(n["download_mbps"] - mbps) <= 0.25 * mbps
                and abs(n["upload_mbps"] - mbps) <= 0.25 * mbps
                and abs(n["rtt_ms"] - latency) <= 30)

    for mbps, latency in PROFILES:
        # A second measurement only when the first strays: a busy machine (another job on
        # the other core) can slow one run; a wrong measurement strays both times.
        for _attempt in range(2):
            page.goto(f"{live_server.url}/portal/tech-check/?interview={interview.id}")
            run = run_check(page, mbps, latency)
            n = run.measured
            if close_enough(n, mbps, latency):
                break
        assert abs(n["download_mbps"] - mbps) <= 0.25 * mbps, (mbps, n)
        assert abs(n["upload_mbps"] - mbps) <= 0.25 * mbps, (mbps, n)
        assert abs(n["rtt_ms"] - latency) <= 30, (latency, n)
        assert n["seconds"] <= 30 and n["bytes_down"] <= 30 * 2**20 and n["bytes_up"] <= 15 * 2**20
        stored = ctx.scalars(select(TechCheckResult).order_by(TechCheckResult.id.desc())).first()
        report = {c["key"]: c for c in json.loads(stored.report)["checks"]}
        for key in ("download_mbps", "upload_mbps", "rtt_ms"):
            assert report[key]["status"] == t.HD_1ON1[key].status(n[key]), (key, n[key])
        ctx.expire_all()
    context.close()
