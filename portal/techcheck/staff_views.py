"""Staff run the same tech check on their own setup (/staff/my-tech-check/): the same page
and script as candidates, measured against these endpoints. Nothing is stored, neither
against a candidate nor against the staff member: the result is only shown."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Response, abort, current_app, g, jsonify, render_template, request
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from wtforms.validators import ValidationError

from portal.accounts.views import guard_staff
from portal.extensions import csrf, limiter
from portal.ratelimit import client
from portal.techcheck import schema
from portal.techcheck import thresholds as t
from portal.techcheck import views as candidate_views
from portal.techcheck.scoring import score

bp = Blueprint("techcheck_staff", __name__, url_prefix="/staff/my-tech-check")
guard_staff(bp)


def _staff_key() -> str:
    """Count a signed-in member by account (an office shares one address)."""
    return f"staff:{current_user.id}" if current_user.is_authenticated else client()


@bp.before_request
def _started() -> None:
    g.started = time.perf_counter()


@bp.get("/")
def page() -> Any:
    """The tech check for the member's own camera, microphone, speakers and network."""
    return render_template("staff/techcheck.html", interview=None,
                           stun_url=current_app.config["PORTAL"].stun_url,
                           thresholds_version=t.VERSION)


@bp.get("/ping")
@limiter.limit("600 per 10 minutes", key_func=_staff_key)
def ping() -> Response:
    return candidate_views._timed(Response(b"", mimetype="application/octet-stream"))


@bp.get("/download")
@limiter.limit("120 per 10 minutes", key_func=_staff_key)
def download() -> Response:
    """``size`` random bytes, never compressed, never cached (as for candidates)."""
    size = request.args.get("size", type=int) or 0
    if not 0 < size <= candidate_views.MAX_DOWNLOAD:
        abort(400)
    block = candidate_views._BLOCK

    def body() -> Any:
        left = size
        while left > 0:
            chunk = block[: min(left, len(block))]
            left -= len(chunk)
            yield chunk

    response = Response(body(), mimetype="application/octet-stream")
    response.headers["Content-Length"] = str(size)
    return candidate_views._timed(response)


@bp.post("/upload")
@limiter.limit("120 per 10 minutes", key_func=_staff_key)
@csrf.exempt  # checked below, once the larger body limit is in place
def upload() -> Any:
    """Count what actually arrived."""
    request.max_content_length = candidate_views.MAX_UPLOAD
    try:
        validate_csrf(request.headers.get("X-CSRFToken", ""))
    except ValidationError:
        abort(400)
    received = 0
    first: float | None = None
    while chunk := request.stream.read(64 * 1024):
        first = first or time.perf_counter()
        received += len(chunk)
    receive_ms = (time.perf_counter() - first) * 1000 if first else 0.0
    return candidate_views._timed(jsonify(received=received, receive_ms=round(receive_ms, 2)))


@bp.post("/results")
@limiter.limit("30 per hour", key_func=_staff_key)
def results() -> Any:
    """Score a run and show the report; nothing is stored."""
    payload, refusal = candidate_views.read_payload()
    if refusal is not None:
        return refusal
    found = schema.problems(payload)
    if found:
        return jsonify(error="invalid result", problems=found), 422
    if payload.get("interview_id") is not None:
        abort(404)  # staff's own check belongs to no interview
    report = score(payload, None)
    return render_template("candidate/_techcheck_report.html", report=report.as_dict(),
                           unsaved=True), 200
