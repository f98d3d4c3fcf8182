"""Tech-check endpoints, for signed-in candidates only and rate-limited: the page, and
the small HTTP targets the browser measures the network against."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    render_template,
    request,
)
from flask_wtf.csrf import validate_csrf
from wtforms.validators import ValidationError

from portal.candidate.auth import require_candidate
from portal.errors import DomainError, NotFound
from portal.extensions import csrf, db, limiter
from portal.forms import coerce_id
from portal.hiring.models import Application, Interview
from portal.platforms.registry import get_platform
from portal.ratelimit import candidate_or_client
from portal.techcheck import messages, schema, services
from portal.techcheck import thresholds as t

bp = Blueprint("techcheck", __name__, url_prefix="/portal/tech-check")

MAX_DOWNLOAD = 8 * 1024 * 1024
MAX_UPLOAD = 8 * 1024 * 1024
_BLOCK = os.urandom(256 * 1024)  # incompressible; repeated to the size asked for


@bp.before_request
def _guard() -> Any:
    g.started = time.perf_counter()
    return require_candidate()


def _timed(response: Response) -> Response:
    """Server-Timing lets the browser take our processing time off its round trip."""
    elapsed = (time.perf_counter() - g.started) * 1000
    response.headers["Server-Timing"] = f"app;dur={elapsed:.2f}"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
def page() -> Any:
    """The tech check, for one interview's platform when it is given."""
    interview = None
    interview_id = request.args.get("interview", type=coerce_id)
    if interview_id:
        interview = db.session.scalar(
            db.select(Interview).join(Application).where(
                Interview.id == interview_id, Application.candidate_id == g.candidate.id))
        if interview is None:
            abort(404)
    return render_template(
        "candidate/techcheck.html", candidate=g.candidate, interview=interview,
        platform=get_platform(interview.platform) if interview else None,
        history=services.history(db.session, g.candidate.id),
        stun_url=current_app.config["PORTAL"].stun_url, thresholds_version=t.VERSION)


@bp.get("/ping")
@limiter.limit("600 per 10 minutes", key_func=candidate_or_client)
def ping() -> Response:
    return _timed(Response(b"", mimetype="application/octet-stream"))


@bp.get("/download")
@limiter.limit("120 per 10 minutes", key_func=candidate_or_client)
def download() -> Response:
    """``size`` random bytes, never compressed, never cached."""
    size = request.args.get("size", type=int) or 0
    if not 0 < size <= MAX_DOWNLOAD:
        abort(400)

    def body() -> Iterator[bytes]:
        left = size
        while left > 0:
            chunk = _BLOCK[: min(left, len(_BLOCK))]
            left -= len(chunk)
            yield chunk

    response = Response(body(), mimetype="application/octet-stream")
    response.headers["Content-Length"] = str(size)
    return _timed(response)


@bp.post("/upload")
@limiter.limit("120 per 10 minutes", key_func=candidate_or_client)
@csrf.exempt  # checked below, once the larger body limit is in place
def upload() -> Any:
    """Count what actually arrived: the honest upload figure."""
    request.max_content_length = MAX_UPLOAD
    try:
        validate_csrf(request.headers.get("X-CSRFToken", ""))
    except ValidationError:
        abort(400)
    received = 0
    first: float | None = None
    stream = request.stream
    while chunk := stream.read(64 * 1024):
        first = first or time.perf_counter()
        received += len(chunk)
    receive_ms = (time.perf_counter() - first) * 1000 if first else 0.0
    return _timed(jsonify(received=received, receive_ms=round(receive_ms, 2)))


def read_payload() -> tuple[Any, Any]:
    """The run the browser posted: (payload, None), or (None, the answer refusing it)."""
    if request.content_length is None or request.content_length > schema.MAX_BYTES:
        return None, (jsonify(error="payload too large or without length",
                              limit=schema.MAX_BYTES), 413)
    if not request.is_json:
        return None, (jsonify(error="not JSON"), 400)
    try:
        return schema.parse(request.get_data(cache=False)), None
    except schema.BadPayload as exc:
        return None, (jsonify(error=str(exc)), 400)


@bp.post("/results")
@limiter.limit("30 per hour", key_func=candidate_or_client)
def results() -> Any:
    """Validate, score and store a run; answer with the report to show."""
    payload, refusal = read_payload()
    if refusal is not None:
        return refusal
    try:
        result, report = services.record(db.session, g.candidate, payload)
    except NotFound:
        abort(404)
    except DomainError as exc:
        return jsonify(error="invalid result", problems=str(exc.message).split("; ")), 422
    db.session.commit()
    return render_template("candidate/_techcheck_report.html", report=report.as_dict(),
                           result=result), 201


@bp.app_template_global()
def check_title(key: str) -> str:
    return str(messages.TITLES.get(key, key))


@bp.app_template_global()
def check_status(status: str) -> str:
    return str(messages.STATUS.get(status, status))


@bp.app_template_global()
def check_explain(code: str) -> str:
    return str(messages.EXPLAIN.get(code, ""))


@bp.app_template_global()
def verdict_text(verdict: str) -> str:
    return str(messages.VERDICT.get(verdict, verdict))
