"""The thresholds every tech-check result is scored against: one versioned table.

Each metric has three boundaries. Better than ``good`` is good; between ``good`` and ``warn``
is acceptable ("ok"); past ``warn`` the candidate is warned; past ``fail`` the check fails.
Change a number only together with ``VERSION``: stored results name the version they were
scored with.
"""

from __future__ import annotations

from dataclasses import dataclass

VERSION = "2026-11-25.1"


@dataclass(frozen=True)
class Limit:
    """Boundaries for one metric. ``higher_is_better`` for throughput, not for delay."""

    good: float
    warn: float
    fail: float
    higher_is_better: bool
    unit: str

    def status(self, value: float) -> str:
        """'good', 'ok', 'warn' or 'fail' for a measured value."""
        if self.higher_is_better:
            if value >= self.good:
                return "good"
            if value < self.fail:
                return "fail"
            if value < self.warn:
                return "warn"
            return "ok"
        if value <= self.good:
            return "good"
        if value > self.fail:
            return "fail"
        if value > self.warn:
            return "warn"
        return "ok"


# A one-to-one HD video call (the platforms' own figures are in ../shared/PLATFORMS.md:
# 720p needs about 1.2-1.5 Mbit/s each way; targets RTT < 100 ms, loss < 1 %).
HD_1ON1: dict[str, Limit] = {
    "download_mbps": Limit(good=4.0, warn=1.5, fail=0.6, higher_is_better=True, unit="Mbit/s"),
    "upload_mbps": Limit(good=3.2, warn=1.2, fail=0.6, higher_is_better=True, unit="Mbit/s"),
    "rtt_ms": Limit(good=100, warn=250, fail=400, higher_is_better=False, unit="ms"),
    "jitter_ms": Limit(good=15, warn=30, fail=60, higher_is_better=False, unit="ms"),
    "loaded_latency_ms": Limit(good=50, warn=150, fail=300, higher_is_better=False, unit="ms"),
}

# Every platform we guide for is, for a candidate, a one-to-one or small HD call.
PROFILES: dict[str, dict[str, Limit]] = {"hd_1on1": HD_1ON1}
PLATFORM_PROFILE = {"teams": "hd_1on1", "zoom": "hd_1on1", "meet": "hd_1on1",
                    "jitsi": "hd_1on1", "whereby": "hd_1on1"}

# Device checks (camera, microphone) have fixed rules, versioned with the table above.
CAMERA = {"min_width": 1280, "min_height": 720, "min_fps": 24, "dark_luma": 40,
          "max_bad_share": 1 / 3, "first_frame_s": 3}
MICROPHONE = {"fail_dbfs": -60, "warn_dbfs": -40, "min_snr_db": 15, "clip_share": 0.001}


def limits_for(platform: str | None) -> dict[str, Limit]:
    return PROFILES[PLATFORM_PROFILE.get(platform or "", "hd_1on1")]
