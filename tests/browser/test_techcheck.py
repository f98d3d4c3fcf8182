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
    # Only what a loaded machine (CI's two shared cores) still meets: the fake devices are
    # found and give plausible figures. Frame rate and jitter depend on the machine's load
    # (a busy one gave 19 fps and 17 ms, a warning); the scoring of such figures is pinned
    # on recorded runs in tests/techcheck/test_scoring.py.
    camera, microphone, network = payload["camera"], payload["microphone"], payload["network"]
    assert camera["error"] is None and camera["frames"] > 0
    assert camera["width"] > 0 and camera["height"] > 0 and 0 < camera["fps"] <= 60
    assert microphone["error"] is None and not microphone["flat"]
    assert payload["speakers"] == {"answered": True, "correct": True, "sink_selectable": True}
    assert network["download_mbps"] > 0 and network["upload_mbps"] > 0
    assert network["rtt_ms"] > 0
    from portal.techcheck.scoring import score

    assert report["checks"] == score(payload, "jitsi").as_dict()["checks"]
    statuses = {c["key"]: c["status"] for c in report["checks"]}
    assert statuses["browser"] == "good" and statuses["speakers"] == "good"
    assert statuses["camera"] != "fail" and statuses["microphone"] != "fail", statuses
    # "Not ready" only if a machine starved of CPU pushed a timing over its limit (seen
    # with Chromium's CPU throttled twentyfold); never for a device.
    failing = {key for key, status in statuses.items() if status == "fail"}
    assert failing <= {"rtt_ms", "jitter_ms", "loaded_latency_ms"}, statuses
    assert result.verdict in ("ready", "warnings") or failing, json.dumps(report["checks"])
    expect(page.locator("#tc-verdict")).to_have_text({
        "ready": "You are ready for the interview.",
        "warnings": "You are ready, but look at the points marked below.",
        "not_ready": "Not ready yet: fix the problems below and run the check again.",
    }[result.verdict])
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
    expect(staff.locator(".techcheck-latest .badge")).to_have_text(
        {"ready": "Ready", "warnings": "Ready, with warnings",
         "not_ready": "Not ready"}[result.verdict])
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


# A minute of emulated networks in the browser; the database only stores the result, which
# the other tests here store on both engines, so this one runs on SQLite alone.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
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
