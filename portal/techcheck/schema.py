"""The JSON a browser sends after a tech check. Checked on arrival: anything else is a 4xx."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

SCHEMA_VERSION = 1
MAX_BYTES = 16 * 1024

_num = {"type": ["number", "null"], "minimum": -1000, "maximum": 100000}
_int = {"type": ["integer", "null"], "minimum": 0, "maximum": 10_000_000_000}
_str = {"type": ["string", "null"], "maxLength": 80}
_bool = {"type": ["boolean", "null"]}
_error = {"type": ["string", "null"], "enum": [
    None, "NotAllowedError", "NotFoundError", "NotReadableError", "OverconstrainedError",
    "SecurityError", "AbortError", "TypeError", "NotSupportedError", "UnknownError"]}


def _obj(props: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(required),
            "additionalProperties": False}


RESULT_SCHEMA: dict[str, Any] = _obj({
    "schema": {"const": SCHEMA_VERSION},
    "interview_id": _int,
    "browser": _obj({"name": _str, "version": _str, "os": _str, "mobile": _bool,
                     "in_app": _bool, "secure_context": _bool, "get_user_media": _bool,
                     "peer_connection": _bool, "audio_context": _bool, "set_sink_id": _bool},
                    ("name", "secure_context", "get_user_media")),
    "devices": _obj({"cameras": _int, "microphones": _int, "speakers": _int}),
    "camera": _obj({"error": _error, "width": _int, "height": _int, "fps": _num,
                    "frames": _int, "black_share": _num, "frozen_share": _num, "luma": _num,
                    "first_frame_ms": _num}, ("error",)),
    "microphone": _obj({"error": _error, "speech_dbfs": _num, "background_dbfs": _num,
                        "clip_share": _num, "flat": _bool}, ("error",)),
    "speakers": _obj({"answered": _bool, "correct": _bool, "sink_selectable": _bool},
                     ("answered",)),
    "network": {"oneOf": [{"type": "null"}, _obj({
        "rtt_ms": _num, "jitter_ms": _num, "download_mbps": _num, "upload_mbps": _num,
        "loaded_latency_ms": _num, "failed_requests": _int, "bytes_down": _int,
        "bytes_up": _int, "seconds": _num}, ("rtt_ms", "download_mbps", "upload_mbps"))]},
    "stun": _obj({"status": {"enum": ["skipped", "ok", "blocked"]}}, ("status",)),
}, ("schema", "browser", "camera", "microphone", "speakers", "network", "stun"))

_VALIDATOR = Draft202012Validator(RESULT_SCHEMA)


def problems(payload: Any) -> list[str]:
    """Where the payload breaks the schema (empty when it is valid)."""
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"[:200]
            for e in sorted(_VALIDATOR.iter_errors(payload), key=lambda e: list(e.path))][:10]
