"""Scoring a tech-check result: the browser measures, the server decides. Every status a
candidate or recruiter sees comes from here, with the thresholds of ``thresholds.py``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from portal.techcheck import thresholds as t

ORDER = {"good": 0, "ok": 1, "skipped": 1, "warn": 2, "fail": 3}

# Browsers each platform supports for video as a guest (../shared/PLATFORMS.md).
_PLATFORM_BROWSERS = {
    "teams": {"chrome", "edge", "safari"},  # Firefox: audio by phone only, no video
}
_KNOWN_BROWSERS = {"chrome", "edge", "firefox", "safari", "opera", "samsung"}
# Oldest versions the platforms' guest pages document (Jitsi's list is the strictest
# published one: Chrome 72, Firefox 68, Safari 14, Edge 79).
_MIN_VERSION = {"chrome": 72, "firefox": 68, "safari": 14, "edge": 79}


@dataclass
class Check:
    """One line of the report: ``code`` names the explanation shown to the reader."""

    key: str
    status: str
    code: str
    value: float | None = None
    unit: str = ""
    limit: dict[str, float] | None = None


@dataclass
class Report:
    verdict: str  # "ready", "warnings" or "not_ready"
    checks: list[Check] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "thresholds_version": t.VERSION,
                "checks": [c.__dict__ for c in self.checks]}


def _worst(checks: list[Check]) -> str:
    worst = max((ORDER[c.status] for c in checks), default=0)
    return {0: "ready", 1: "ready", 2: "warnings", 3: "not_ready"}[worst]


def score_browser(b: dict[str, Any], platform: str | None) -> Check:
    if not b.get("secure_context") or not b.get("get_user_media"):
        return Check("browser", "fail", "browser_no_media")
    if b.get("in_app"):
        return Check("browser", "fail", "browser_in_app")
    if b.get("peer_connection") is False:
        return Check("browser", "fail", "browser_no_webrtc")
    name = (b.get("name") or "").lower()
    allowed = _PLATFORM_BROWSERS.get(platform or "")
    if allowed is not None and name in _KNOWN_BROWSERS and name not in allowed:
        return Check("browser", "warn", "browser_platform_unsupported")
    if name not in _KNOWN_BROWSERS:
        return Check("browser", "warn", "browser_unknown")
    version = b.get("version") or ""
    if version.isdigit() and int(version) < _MIN_VERSION.get(name, 0):
        return Check("browser", "warn", "browser_old", int(version))
    return Check("browser", "good", "browser_ok")


_CAMERA_ERRORS = {"NotAllowedError": "camera_blocked", "SecurityError": "camera_blocked",
                  "NotFoundError": "camera_missing", "NotReadableError": "camera_busy",
                  "AbortError": "camera_busy", "OverconstrainedError": "camera_resolution"}


def score_camera(c: dict[str, Any]) -> Check:
    rules = t.CAMERA
    if c.get("error"):
        return Check("camera", "fail", _CAMERA_ERRORS.get(c["error"], "camera_failed"))
    first = c.get("first_frame_ms")
    if not c.get("frames") or first is None or first > rules["first_frame_s"] * 1000:
        return Check("camera", "fail", "camera_no_frames")
    bad = max(c.get("black_share") or 0, c.get("frozen_share") or 0)
    if bad > rules["max_bad_share"]:
        code = "camera_black" if (c.get("black_share") or 0) >= (c.get("frozen_share") or 0) \
            else "camera_frozen"
        return Check("camera", "fail", code, round(bad * 100), "%")
    width, height = c.get("width") or 0, c.get("height") or 0
    if width < rules["min_width"] or height < rules["min_height"]:
        return Check("camera", "warn", "camera_low_resolution", height, "p",
                     {"min": rules["min_height"]})
    if (c.get("fps") or 0) < rules["min_fps"]:
        return Check("camera", "warn", "camera_low_fps", round(c.get("fps") or 0, 1), "fps",
                     {"min": rules["min_fps"]})
    if (c.get("luma") or 0) < rules["dark_luma"]:
        return Check("camera", "warn", "camera_dark")
    return Check("camera", "good", "camera_ok", height, "p")


_MIC_ERRORS = {"NotAllowedError": "mic_blocked", "SecurityError": "mic_blocked",
               "NotFoundError": "mic_missing", "NotReadableError": "mic_busy",
               "AbortError": "mic_busy"}


def score_microphone(m: dict[str, Any]) -> Check:
    rules = t.MICROPHONE
    if m.get("error"):
        return Check("microphone", "fail", _MIC_ERRORS.get(m["error"], "mic_failed"))
    speech = m.get("speech_dbfs")
    if m.get("flat") or speech is None:
        return Check("microphone", "fail", "mic_flat")
    speech = round(speech, 1)
    if speech < rules["fail_dbfs"]:
        return Check("microphone", "fail", "mic_silent", speech, "dBFS")
    if speech < rules["warn_dbfs"]:
        return Check("microphone", "warn", "mic_quiet", speech, "dBFS")
    background = m.get("background_dbfs")
    if background is not None and speech - background < rules["min_snr_db"]:
        return Check("microphone", "warn", "mic_noisy", round(speech - background, 1), "dB")
    if (m.get("clip_share") or 0) > rules["clip_share"]:
        return Check("microphone", "warn", "mic_clipping")
    return Check("microphone", "good", "mic_ok", speech, "dBFS")


def score_speakers(s: dict[str, Any]) -> Check:
    if not s.get("answered"):
        return Check("speakers", "warn", "speakers_skipped")
    if not s.get("correct"):
        return Check("speakers", "fail", "speakers_wrong")
    if s.get("sink_selectable") is False:
        return Check("speakers", "good", "speakers_ok_no_choice")
    return Check("speakers", "good", "speakers_ok")


def score_network(n: dict[str, Any] | None, platform: str | None) -> list[Check]:
    if n is None:
        return [Check("network", "fail", "network_failed")]
    limits = t.limits_for(platform)
    checks = []
    for key, limit in limits.items():
        value = n.get(key)
        if value is None:
            checks.append(Check(key, "warn", "not_measured"))
            continue
        status = limit.status(value)
        checks.append(Check(key, status, f"{key}_{status}", round(value, 1), limit.unit,
                            {"good": limit.good, "warn": limit.warn, "fail": limit.fail}))
    if n.get("failed_requests"):
        checks.append(Check("requests", "warn", "requests_failed", n["failed_requests"]))
    return checks


def score_stun(s: dict[str, Any]) -> Check:
    status = s.get("status")
    if status == "ok":
        return Check("stun", "good", "stun_ok")
    if status == "blocked":
        return Check("stun", "warn", "stun_blocked")
    return Check("stun", "skipped", "stun_skipped")


def score(payload: dict[str, Any], platform: str | None = None) -> Report:
    """The whole report for a payload that passed the schema."""
    checks = [score_browser(payload["browser"], platform), score_camera(payload["camera"]),
              score_microphone(payload["microphone"]), score_speakers(payload["speakers"]),
              *score_network(payload["network"], platform), score_stun(payload["stun"])]
    return Report(_worst(checks), checks)
