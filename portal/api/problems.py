"""Errors as RFC 9457 problem details (``application/problem+json``)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, json, request
from werkzeug.exceptions import HTTPException

PROBLEM_TYPE = "application/problem+json"
BASE = "https://candidate-portal.invalid/problems/"  # type URIs: names, never fetched

TITLES = {
    400: "Bad request", 401: "Not signed in", 403: "Not allowed", 404: "Not found",
    405: "Method not allowed", 409: "Conflict", 413: "Too large", 415: "Unsupported media type",
    422: "Unprocessable content", 429: "Too many requests", 500: "Internal error",
    503: "Unavailable",
}
TYPES = {
    400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found",
    405: "method-not-allowed", 409: "conflict", 413: "too-large", 415: "unsupported-media-type",
    422: "invalid", 429: "rate-limited", 500: "internal", 503: "unavailable",
}


class FieldError(ma.Schema):
    field = ma.fields.String(required=True)
    detail = ma.fields.String(required=True)


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details, with the fields that were wrong in ``errors``."""

    type = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String(required=True)
    instance = ma.fields.String()
    errors = ma.fields.List(ma.fields.Nested(FieldError))


def _flatten(messages: Any, prefix: str = "") -> list[dict[str, str]]:
    """marshmallow/webargs messages ({"json": {"name": ["..."]}}) as a flat list."""
    out: list[dict[str, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            if prefix == "" and key in ("json", "query", "headers", "form", "view_args"):
                out += _flatten(value, "")
            else:
                out += _flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            out += [{"field": prefix or "body", "detail": str(m)} for m in messages]
        else:
            for m in messages:
                out += _flatten(m, prefix)
    else:
        out.append({"field": prefix or "body", "detail": str(messages)})
    return out


def problem(status: int, detail: str, errors: list[dict[str, str]] | None = None,
            kind: str | None = None, headers: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {"type": BASE + (kind or TYPES.get(status, "error")),
                            "title": TITLES.get(status, "Error"), "status": status,
                            "detail": detail, "instance": request.path}
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def from_http_exception(exc: HTTPException) -> Response:
    code = exc.code or 500
    data = getattr(exc, "data", None) or {}
    errors = _flatten(data.get("errors") or data.get("messages") or {}) or None
    detail = str(data.get("message") or exc.description or TITLES.get(code, "Error"))
    if code == 422 and errors and not data.get("message"):
        detail = "Some fields are missing or not valid."
    headers = dict(data.get("headers") or {})
    if code == 405 and exc.get_headers():
        headers.update({k: v for k, v in exc.get_headers() if k == "Allow"})
    if code == 429:
        headers.setdefault("Retry-After", "60")
    return problem(code, detail, errors, headers=headers)
