"""The JSON a browser sends after a tech check. Checked on arrival: anything else is a 4xx."""

from __future__ import annotations

import json
import math
from typing import Any

from jsonschema import Draft202012Validator

from portal.forms import MAX_ID

SCHEMA_VERSION = 1
MAX_BYTES = 16 * 1024
MAX_DEPTH = 6  # the schema nests three deep; more is not a result

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
    "interview_id": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_ID},
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


class BadPayload(ValueError):
    """The body is not JSON we read: not JSON at all, nested past reason, or with NaN or
    Infinity (which JSON does not have, though Python's parser takes them)."""


def _no_constant(name: str) -> Any:
    raise BadPayload(f"{name} is not a number JSON knows")


def parse(raw: bytes) -> Any:
    """The body as JSON, refused (``BadPayload``) when it is not plain JSON or is nested
    deeper than a result ever is. Checked before parsing, so thousands of ``[`` cost
    nothing and never reach the parser's recursion limit."""
    if _depth(raw) > MAX_DEPTH:
        raise BadPayload("nested too deeply")
    try:
        return json.loads(raw, parse_constant=_no_constant)
    except BadPayload:
        raise
    except RecursionError:  # pragma: no cover - the depth check comes first
        raise BadPayload("nested too deeply") from None
    except ValueError as exc:  # also UnicodeDecodeError
        raise BadPayload("not JSON") from exc


def _depth(raw: bytes) -> int:
    """The deepest nesting of brackets outside strings (a rough scan; the parser decides
    the rest)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def _unsafe(payload: Any) -> str | None:
    """What no schema keyword says: a NUL in a text (PostgreSQL refuses it), a number that
    is not finite, nesting past ``MAX_DEPTH``. Walked without recursion."""
    stack = [(payload, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return "nested too deeply"
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and "\x00" in key:
                    return "a name holds a NUL character"
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str) and "\x00" in value:
            return "a text holds a NUL character"
        elif isinstance(value, float) and not math.isfinite(value):
            return "numbers must be finite"
    return None


def problems(payload: Any) -> list[str]:
    """Where the payload breaks the schema (empty when it is valid)."""
    unsafe = _unsafe(payload)
    if unsafe:
        return [f"(root): {unsafe}"]
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"[:200]
            for e in sorted(_VALIDATOR.iter_errors(payload), key=lambda e: list(e.path))][:10]
