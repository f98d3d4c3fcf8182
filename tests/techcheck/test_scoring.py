"""Scoring on the server: every threshold edge, every device finding, and the verdict."""

from __future__ import annotations

import copy

import pytest

from portal.techcheck import thresholds as t
from portal.techcheck.schema import problems
from portal.techcheck.scoring import score, score_camera, score_microphone, score_network

GOOD = {
    "schema": 1, "interview_id": None,
    "browser": {"name": "chrome", "version": "156", "os": "Linux", "mobile": False,
                "in_app": False, "secure_context": True, "get_user_media": True,
                "peer_connection": True, "audio_context": True, "set_sink_id": True},
    "devices": {"cameras": 1, "microphones": 1, "speakers": 1},
    "camera": {"error": None, "width": 1280, "height": 720, "fps": 30, "frames": 150,
               "black_share": 0, "frozen_share": 0, "luma": 120, "first_frame_ms": 300},
    "microphone": {"error": None, "speech_dbfs": -20, "background_dbfs": -70,
                   "clip_share": 0, "flat": False},
    "speakers": {"answered": True, "correct": True, "sink_selectable": True},
    "network": {"rtt_ms": 20, "jitter_ms": 2, "download_mbps": 50, "upload_mbps": 20,
                "loaded_latency_ms": 10, "failed_requests": 0, "bytes_down": 1,
                "bytes_up": 1, "seconds": 8},
    "stun": {"status": "skipped"},
}


def with_(**changes):
    payload = copy.deepcopy(GOOD)
    for path, value in changes.items():
        section, key = path.split("__")
        payload[section][key] = value
    return payload


# (metric, value, expected status) at and around every edge of the HD table
EDGES = [
    ("download_mbps", 4.0, "good"), ("download_mbps", 3.99, "ok"), ("download_mbps", 1.5, "ok"),
    ("download_mbps", 1.49, "warn"), ("download_mbps", 0.6, "warn"),
    ("download_mbps", 0.59, "fail"),
    ("upload_mbps", 3.2, "good"), ("upload_mbps", 3.19, "ok"), ("upload_mbps", 1.2, "ok"),
    ("upload_mbps", 1.19, "warn"), ("upload_mbps", 0.6, "warn"), ("upload_mbps", 0.59, "fail"),
    ("rtt_ms", 100, "good"), ("rtt_ms", 100.1, "ok"), ("rtt_ms", 250, "ok"),
    ("rtt_ms", 250.1, "warn"), ("rtt_ms", 400, "warn"), ("rtt_ms", 400.1, "fail"),
    ("jitter_ms", 15, "good"), ("jitter_ms", 15.1, "ok"), ("jitter_ms", 30, "ok"),
    ("jitter_ms", 30.1, "warn"), ("jitter_ms", 60, "warn"), ("jitter_ms", 60.1, "fail"),
    ("loaded_latency_ms", 50, "good"), ("loaded_latency_ms", 50.1, "ok"),
    ("loaded_latency_ms", 150, "ok"), ("loaded_latency_ms", 150.1, "warn"),
    ("loaded_latency_ms", 300, "warn"), ("loaded_latency_ms", 300.1, "fail"),
]


@pytest.mark.parametrize(("metric", "value", "expected"), EDGES)
def test_network_threshold_edges(metric, value, expected):
    assert t.HD_1ON1[metric].status(value) == expected
    checks = {c.key: c for c in score_network({**GOOD["network"], metric: value}, "zoom")}
    assert checks[metric].status == expected
    assert checks[metric].code == f"{metric}_{expected}"


@pytest.mark.parametrize(("changes", "code", "status"), [
    ({"camera__error": "NotAllowedError"}, "camera_blocked", "fail"),
    ({"camera__error": "NotFoundError"}, "camera_missing", "fail"),
    ({"camera__error": "NotReadableError"}, "camera_busy", "fail"),
    ({"camera__error": "OverconstrainedError"}, "camera_resolution", "fail"),
    ({"camera__frames": 0}, "camera_no_frames", "fail"),
    ({"camera__first_frame_ms": 3001}, "camera_no_frames", "fail"),
    ({"camera__first_frame_ms": 3000}, "camera_ok", "good"),
    ({"camera__black_share": 0.34}, "camera_black", "fail"),
    ({"camera__black_share": 0.33}, "camera_ok", "good"),
    ({"camera__frozen_share": 0.34}, "camera_frozen", "fail"),
    ({"camera__width": 640, "camera__height": 480}, "camera_low_resolution", "warn"),
    ({"camera__fps": 23.9}, "camera_low_fps", "warn"),
    ({"camera__fps": 24}, "camera_ok", "good"),
    ({"camera__luma": 39}, "camera_dark", "warn"),
])
def test_camera_findings(changes, code, status):
    check = score_camera(with_(**changes)["camera"])
    assert (check.code, check.status) == (code, status)


@pytest.mark.parametrize(("changes", "code", "status"), [
    ({"microphone__error": "NotAllowedError"}, "mic_blocked", "fail"),
    ({"microphone__error": "NotFoundError"}, "mic_missing", "fail"),
    ({"microphone__flat": True}, "mic_flat", "fail"),
    ({"microphone__speech_dbfs": -60.1}, "mic_silent", "fail"),
    ({"microphone__speech_dbfs": -60}, "mic_quiet", "warn"),
    ({"microphone__speech_dbfs": -40.1}, "mic_quiet", "warn"),
    ({"microphone__speech_dbfs": -40, "microphone__background_dbfs": -80}, "mic_ok", "good"),
    ({"microphone__background_dbfs": -34.9}, "mic_noisy", "warn"),
    ({"microphone__background_dbfs": -35}, "mic_ok", "good"),
    ({"microphone__clip_share": 0.0011}, "mic_clipping", "warn"),
])
def test_microphone_findings(changes, code, status):
    check = score_microphone(with_(**changes)["microphone"])
    assert (check.code, check.status) == (code, status)


@pytest.mark.parametrize(("changes", "verdict"), [
    ({}, "ready"),
    ({"network__download_mbps": 2.0}, "ready"),          # ok still counts as ready
    ({"network__download_mbps": 1.0}, "warnings"),
    ({"speakers__answered": False}, "warnings"),
    ({"speakers__correct": False}, "not_ready"),
    ({"browser__in_app": True}, "not_ready"),
    ({"browser__secure_context": False}, "not_ready"),
    ({"stun__status": "blocked"}, "warnings"),
])
def test_verdict_is_the_worst_finding(changes, verdict):
    assert score(with_(**changes)).verdict == verdict


def test_teams_in_firefox_gets_a_warning_other_platforms_do_not():
    firefox = with_(browser__name="firefox")
    assert score(firefox, "teams").verdict == "warnings"
    assert score(firefox, "zoom").verdict == "ready"


@pytest.mark.parametrize(("name", "version", "code"), [
    ("chrome", "71", "browser_old"), ("chrome", "72", "browser_ok"),
    ("safari", "13", "browser_old"), ("safari", "14", "browser_ok"),
    ("firefox", "67", "browser_old"), ("edge", "", "browser_ok"),
])
def test_browser_versions(name, version, code):
    report = score(with_(browser__name=name, browser__version=version), "jitsi")
    assert report.checks[0].code == code


def test_speakers_without_output_choice_still_pass_with_a_note():
    check = score(with_(speakers__sink_selectable=False)).checks[3]
    assert (check.key, check.status, check.code) == ("speakers", "good", "speakers_ok_no_choice")


def test_missing_network_is_not_ready():
    payload = copy.deepcopy(GOOD)
    payload["network"] = None
    assert score(payload).verdict == "not_ready"


def test_schema_accepts_a_full_result_and_names_what_is_wrong():
    assert problems(GOOD) == []
    bad = copy.deepcopy(GOOD)
    bad["camera"]["fps"] = "fast"
    bad["extra"] = 1
    found = problems(bad)
    assert any("camera/fps" in p for p in found)
    assert any("extra" in p for p in found)
    assert problems([]) and problems({"schema": 2})


# Two results recorded from tests/browser/test_techcheck.py's live run (Chromium's fake
# camera at 30 fps and fake microphone, the network over loopback), as the browser sent
# them. On a quiet machine the run is "ready"; on a loaded one (load average 9) the fake
# camera fell to 19 fps and jitter rose to 17 ms, so the verdict was "warnings" and the
# live test, which expected "ready", failed. The live test now accepts either verdict; the
# scoring of both is pinned here.
_RECORDED_BROWSER = {
    "name": "chrome", "version": "156", "os": "Linux", "mobile": False, "in_app": False,
    "secure_context": True, "get_user_media": True, "peer_connection": True,
    "audio_context": True, "set_sink_id": True}
RECORDED_QUIET = {
    "schema": 1, "interview_id": 1, "browser": _RECORDED_BROWSER,
    "camera": {"error": None, "width": 1280, "height": 720, "fps": 30, "frames": 149,
               "black_share": 0, "frozen_share": 0, "luma": 86.36012448732062,
               "first_frame_ms": 177.09999999962747},
    "microphone": {"error": None, "flat": False, "speech_dbfs": -19.939898807712623,
                   "background_dbfs": -73.81759595462545, "clip_share": 0},
    "devices": {"cameras": 1, "microphones": 3, "speakers": 3},
    "stun": {"status": "skipped"},
    "speakers": {"answered": True, "correct": True, "sink_selectable": True},
    "network": {"rtt_ms": 14.60499999953434, "jitter_ms": 6.252758620644695,
                "download_mbps": 288.37360720159603, "upload_mbps": 601.387794596217,
                "loaded_latency_ms": 24.855000000279393, "failed_requests": 0,
                "bytes_down": 25100288, "bytes_up": 12517376, "seconds": 1.6672000000001863},
}
RECORDED_LOADED = {
    "schema": 1, "interview_id": 1, "browser": _RECORDED_BROWSER,
    "camera": {"error": None, "width": 1280, "height": 720, "fps": 19.1, "frames": 95,
               "black_share": 0, "frozen_share": 0.02127659574468085,
               "luma": 86.32000567433978, "first_frame_ms": 406.40000000037253},
    "microphone": {"error": None, "flat": False, "speech_dbfs": -19.940496114607846,
                   "background_dbfs": -73.76943716222878, "clip_share": 0},
    "devices": {"cameras": 1, "microphones": 3, "speakers": 3},
    "stun": {"status": "skipped"},
    "speakers": {"answered": True, "correct": True, "sink_selectable": True},
    "network": {"rtt_ms": 18.574999999720603, "jitter_ms": 17.105517241340774,
                "download_mbps": 428.6052307172979, "upload_mbps": 743.5885207679498,
                "loaded_latency_ms": 15.685000000558787, "failed_requests": 0,
                "bytes_down": 25100288, "bytes_up": 12517376, "seconds": 2.0344000000003724},
}


def _findings(payload):
    report = score(payload, "jitsi")
    return report.verdict, {c.key: (c.status, c.code) for c in report.checks}


def test_recorded_run_on_a_quiet_machine_is_ready():
    assert problems(RECORDED_QUIET) == []
    verdict, found = _findings(RECORDED_QUIET)
    assert verdict == "ready"
    assert found["camera"] == ("good", "camera_ok")
    assert found["microphone"] == ("good", "mic_ok")
    assert found["jitter_ms"] == ("good", "jitter_ms_good")
    assert found["stun"] == ("skipped", "stun_skipped")


def test_recorded_run_on_a_loaded_machine_is_ready_with_a_warning():
    """Slow frames are a warning, not a missing camera: the candidate is told to look at
    the camera line, and is still ready; 17 ms of jitter is only "ok"."""
    assert problems(RECORDED_LOADED) == []
    verdict, found = _findings(RECORDED_LOADED)
    assert verdict == "warnings"
    assert found["camera"] == ("warn", "camera_low_fps")
    assert found["jitter_ms"] == ("ok", "jitter_ms_ok")
    assert found["microphone"] == ("good", "mic_ok")
    assert {key for key, (status, _code) in found.items()
            if status not in ("good", "ok", "skipped")} == {"camera"}


@pytest.mark.parametrize(("fps", "jitter", "verdict"), [
    (22, 17, "warnings"),  # the figures of the failing `make test` run
    (24, 17, "ready"), (30, 30, "ready"), (30, 30.1, "warnings")])
def test_loaded_machine_figures_around_the_edges(fps, jitter, verdict):
    payload = copy.deepcopy(RECORDED_LOADED)
    payload["camera"]["fps"] = fps
    payload["network"]["jitter_ms"] = jitter
    assert score(payload, "jitsi").verdict == verdict
