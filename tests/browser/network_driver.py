"""Runs the tech check in a Chromium page under emulated network conditions (Chrome
DevTools Protocol) and returns what the page measured. Shared by the accuracy test and
bench/techcheck.py."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from playwright.sync_api import Page

# (download and upload Mbit/s, added latency ms)
PROFILES: list[tuple[float, float]] = [(1.5, 300), (5.0, 150), (20.0, 50)]


@dataclass
class Run:
    mbps: float
    latency_ms: float
    measured: dict[str, Any]
    seconds: float
    verdict_text: str


def run_check(page: Page, mbps: float | None = None, latency_ms: float = 0) -> Run:
    """Start the check on the open tech-check page, answer the sound step, wait for the
    report. ``mbps`` None runs without emulation."""
    cdp = page.context.new_cdp_session(page)
    if mbps is not None:
        rate = mbps * 1_000_000 / 8
        cdp.send("Network.emulateNetworkConditions", {
            "offline": False, "latency": latency_ms, "downloadThroughput": rate,
            "uploadThroughput": rate})
    started = time.monotonic()
    page.get_by_role("button", name="Start the check").click()
    page.get_by_role("button", name="Play the sound").click()
    beeps = page.evaluate("window.portalTechCheck.beeps")
    page.get_by_label("Number of beeps").fill(str(beeps))
    page.get_by_role("button", name="Check my answer").click()
    page.locator("#tc-verdict").wait_for(timeout=60_000)
    seconds = time.monotonic() - started
    measured = page.evaluate("window.portalTechCheck.result.network")
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    return Run(mbps or 0, latency_ms, measured, seconds,
               page.locator("#tc-verdict").inner_text())
