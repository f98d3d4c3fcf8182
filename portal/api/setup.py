"""The API's machinery: the OpenAPI document (flask-smorest), bearer keys, scopes, rate
limits per key, one audit entry and one commit per request, problem details for errors.

Only ``Authorization: Bearer <key>`` signs a request in: the staff session cookie is never
read here, so a signed-in browser cannot be made to call the API (and CSRF, which guards
cookie-borne requests, does not apply: the blueprint is exempt).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, g, request
from flask_smorest import Api
from flask_smorest import Blueprint as SmorestBlueprint
from flask_smorest.utils import prepare_response
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from portal.api import keys
from portal.api.problems import PROBLEM_TYPE, ProblemSchema, from_http_exception, problem
from portal.errors import DomainError, Forbidden, NotFound
from portal.extensions import csrf, db, limiter
from portal.ratelimit import client

PREFIX = "/api/v1"
DEFAULT_LIMIT = "600 per minute"


class PortalApi(Api):
    """flask-smorest's Api, with errors as problem details and its handlers kept to the
    API: the rest of the portal keeps its own error pages."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        """Registered for the API's paths only, in ``init_app`` below."""

    def _register_responses(self) -> None:
        import http

        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "A problem (RFC 9457)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_TYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


bp = SmorestBlueprint("api", __name__, url_prefix=PREFIX,
                      description="Openings, candidates, applications and the rest")


def _token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def rate_key() -> str:
    """Each key counts on its own (by its public prefix); a request without one counts by
    its address."""
    token = _token()
    if token.startswith(("pk_live_", "pk_demo_")) and len(token) >= keys.LOOKUP:
        return "apikey:" + hashlib.sha256(token[:keys.LOOKUP].encode()).hexdigest()[:24]
    return client()


def _rate_limit() -> str:
    return str(current_app.config.get("API_RATE_LIMIT", DEFAULT_LIMIT))


def require(scope: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The key must hold ``scope`` (e.g. "candidates:read"); else 403."""
    assert scope in keys.SCOPES, scope

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if scope not in g.api_key.scope_list:
                g.api_write = scope.endswith(":write")
                raise Forbidden(f"This key lacks the scope {scope}.")
            g.api_write = scope.endswith(":write")
            return view(*args, **kwargs)
        return wrapped
    return decorate


class Conflict(DomainError):
    """The request does not fit the current state of what it changes (409)."""


def as_conflict(exc: DomainError) -> DomainError:
    """A refusal of the lifecycle or a unique rule, for the API: 409 (not found and not
    allowed keep their own status)."""
    if isinstance(exc, NotFound | Forbidden):
        return exc
    return Conflict(exc.message, exc.field)


def audit_candidate(candidate_id: int | None) -> None:
    """The candidate whose data this request reads or changes (for the audit entry)."""
    g.api_candidate_id = candidate_id


@bp.before_request
def _authenticate() -> Any:
    token = _token()
    settings = current_app.config["PORTAL"]
    key = keys.authenticate(db.session, token, allow_demo=not settings.is_production) \
        if token else None
    if key is None:
        return problem(401, "Send a valid API key: Authorization: Bearer <key>.",
                       headers={"WWW-Authenticate": 'Bearer realm="api"'})
    g.api_key = key
    if request.mimetype == "application/json" and _has_surrogates(request.get_data()):
        return problem(400, "The body holds text that is not valid Unicode (a lone "
                            "surrogate).")
    return None


def _has_surrogates(body: bytes) -> bool:
    """JSON may escape half a character ("\\ud800"); no database can store one."""
    if b"\\u" not in body:
        return False
    try:
        value = json.loads(body)
    except ValueError:
        return False  # the schema's parser reports it
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if any("\ud800" <= ch <= "\udfff" for ch in item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


@bp.after_request
def _audit_and_commit(response: Any) -> Any:
    """One commit per request: the change (if the view made one and it succeeded), the
    key's last use and one audit entry naming the key."""
    response.headers["Cache-Control"] = "no-store"  # answers carry personal data
    key = g.get("api_key")
    if key is None:
        db.session.rollback()
        return response
    if response.status_code >= 400:
        db.session.rollback()
    from portal.privacy.services import audit

    keys.touch(db.session, key)
    action = "api_write" if g.get("api_write") and request.method != "GET" else "api_read"
    audit(db.session, action, g.get("api_candidate_id"), "api_key", key.id)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return problem(409, "Someone else changed this at the same moment. Try again.")
    return response


# The services' names for fields (those of the staff forms) as the API names them.
FIELD_NAMES = {"opening": "opening_id", "stage": "stage_id"}


def _domain_error(exc: DomainError) -> Any:
    db.session.rollback()
    if isinstance(exc, NotFound):
        return problem(404, str(exc.message))
    if isinstance(exc, Forbidden):
        return problem(403, str(exc.message))
    field = FIELD_NAMES.get(exc.field or "", exc.field)
    errors = [{"field": field, "detail": str(exc.message)}] if field else None
    status = 409 if isinstance(exc, Conflict) or type(exc).__name__ == "StageConflict" \
        else 422
    return problem(status, str(exc.message), errors)


# Set up once, when this module is first imported (the blueprint is shared by every app).
limiter.limit(_rate_limit, key_func=rate_key)(bp)
csrf.exempt(bp)
bp.register_error_handler(DomainError, _domain_error)


def current_api() -> PortalApi:
    """The app's Api (one per app: its OpenAPI document)."""
    return current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"]  # type: ignore


def _in_api() -> bool:
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


def _wrap_app_handler(app: Flask, exc_class: type[BaseException],
                      ours: Callable[[Any], Any]) -> None:
    """Answer errors on the API's paths with problem details; elsewhere the portal's own
    handler (its pages) answers as before."""
    previous = app.error_handler_spec[None][None].get(exc_class)

    def handler(exc: Any) -> Any:
        if _in_api():
            return ours(exc)
        if previous is None:
            raise exc
        return previous(exc)

    app.register_error_handler(exc_class, handler)


def _conflict(exc: Exception) -> Any:
    db.session.rollback()
    return problem(409, "Someone else changed this at the same moment. Try again.")


def _away(exc: Exception) -> Any:
    current_app.logger.warning("database unavailable on %s", request.endpoint)
    db.session.rollback()
    return problem(503, "The portal cannot reach its records just now. Try again soon.",
                   headers={"Retry-After": "30"})


def _unexpected(exc: Exception) -> Any:
    current_app.logger.exception("unhandled error on %s", request.endpoint)
    db.session.rollback()
    return problem(500, "Something went wrong on our side. It has been logged.")


def _key_names(session: Any, ids: set[int]) -> dict[int, str]:
    """The audit log shows an API key's name as the actor."""
    from sqlalchemy import select

    from portal.api.models import ApiKey

    return dict(session.execute(select(ApiKey.id, ApiKey.name).where(ApiKey.id.in_(ids))).all())


def init_app(app: Flask) -> None:
    """Register the API, its document and its error handling on ``app`` (after the
    portal's own error pages, which it wraps for the API's paths)."""
    import portal.api.resources  # noqa: F401  (registers the operations on ``bp``)

    app.config.setdefault("API_TITLE", "Candidate portal API")
    app.config.setdefault("API_VERSION", "1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("API_SPEC_OPTIONS", {
        "info": {"description": "Bearer keys made by admins on the API keys page. Lists are "
                                "ordered by (updated_at, id) and paged by an opaque cursor. "
                                "Errors are RFC 9457 problem details."},
        "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearerAuth": []}],
    })
    api = PortalApi(app)
    from portal.privacy import audit_log

    audit_log.ACTOR_NAMES["api_key"] = _key_names
    api.register_blueprint(bp)
    # What marshmallow cannot say: an application names an existing candidate or a new one.
    api.spec.components.schemas["ApplicationIn"]["oneOf"] = [
        {"required": ["candidate_id"]}, {"required": ["candidate"]}]
    from portal.api.docs import docs_bp

    app.register_blueprint(docs_bp)
    from portal.api.staff_views import bp as keys_bp

    app.register_blueprint(keys_bp)
    _wrap_app_handler(app, HTTPException, from_http_exception)
    _wrap_app_handler(app, Exception, _unexpected)
    _wrap_app_handler(app, DomainError, _domain_error)
    _wrap_app_handler(app, NotFound, _domain_error)
    _wrap_app_handler(app, Forbidden, _domain_error)
    _wrap_app_handler(app, IntegrityError, _conflict)
    for away in (OperationalError, InterfaceError):
        _wrap_app_handler(app, away, _away)
