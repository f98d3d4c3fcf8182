"""Request lifecycle: locale and zone, security headers, error pages, language switch."""

from __future__ import annotations

import logging
import re
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from babel.dates import format_date, format_time, format_timedelta
from flask import (
    Flask,
    Response,
    abort,
    current_app,
    g,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import BadRequest, Forbidden, HTTPException, NotFound
from werkzeug.routing import IntegerConverter

from portal import errors, zones
from portal.extensions import csrf, db, limiter
from portal.health import database_answers
from portal.timeutil import utcnow, zone

LANGUAGES = ("sv", "en")
LANG_COOKIE = "portal_lang"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

log = logging.getLogger(__name__)
HEALTH_TIMEOUT = 2.0  # seconds /healthz waits for the database before answering 503


def select_locale() -> str:
    """The reader's language: their explicit choice, then the cookie that remembers it,
    then the person's stored language, then the browser's preference. Outside a request
    (commands, the worker) English, unless the caller forces a locale."""
    if not has_request_context():
        return "en"
    chosen = session.get("lang") or request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    preferred = getattr(g, "person_language", None)
    if preferred in LANGUAGES:
        return preferred
    return request.accept_languages.best_match(LANGUAGES) or "sv"


def current_lang() -> str:
    return str(get_locale() or "sv")


# ---------------------------------------------------------------- formatting


def _zone_label(tzname: str) -> str:
    if tzname == "Europe/Stockholm" and current_lang() == "sv":
        return _("Swedish time")
    city = tzname.rsplit("/", 1)[-1].replace("_", " ")
    return _("%(place)s time", place=city)


def fmt_date(value: datetime | date | None, tzname: str | None = None) -> str:
    """'tisdag 1 december 2026' / 'Tuesday 1 December 2026'."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(zone(tzname))
    return format_date(value, "EEEE d MMMM y", locale=current_lang())


def fmt_time(value: datetime, tzname: str | None = None) -> str:
    """'kl. 14.00' in Swedish, '14:00' in English."""
    local = value.astimezone(zone(tzname))
    if current_lang() == "sv":
        return "kl. " + format_time(local, "HH.mm", locale="sv")
    return format_time(local, "HH:mm", locale="en")


def when_parts(start: datetime, end: datetime, tzname: str | None) -> tuple[str, str, str]:
    """The interview line in its three parts: ('tisdag 1 december 2026',
    'kl. 14.00–14.45', 'svensk tid')."""
    tz = zone(tzname)
    s, e = start.astimezone(tz), end.astimezone(tz)
    if current_lang() == "sv":
        span = f"kl. {format_time(s, 'HH.mm', locale='sv')}–{format_time(e, 'HH.mm', locale='sv')}"
    else:
        span = f"{format_time(s, 'HH:mm', locale='en')}–{format_time(e, 'HH:mm', locale='en')}"
    day = format_date(s, "EEEE d MMMM y", locale=current_lang())
    return day, span, _zone_label(tz.key)


def fmt_when(start: datetime, end: datetime, tzname: str | None) -> str:
    """The interview line: 'tisdag 1 december 2026 kl. 14.00–14.45 (svensk tid)'."""
    day, span, zone_name = when_parts(start, end, tzname)
    return f"{day} {span} ({zone_name})"


def countdown(interview: Any, now: datetime) -> str:
    """'Starts in 2 days' / 'Börjar om 2 dagar'; the browser keeps it current."""
    if now < interview.starts_at:
        delta = format_timedelta(interview.starts_at - now, add_direction=True,
                                 threshold=1.5, locale=current_lang())
        return _("Starts %(when)s", when=delta)
    if now <= interview.ends_at:
        return _("Happening now")
    return _("This interview has ended")


def _platform_name(key: str) -> str:
    from portal.platforms.registry import get_platform

    platform = get_platform(key)
    return platform.name if platform else key


def fmt_moment(value: datetime | None, tzname: str | None = None) -> str:
    """A moment for people, short enough for a phone: '3 dec. 2026 kl. 14.00' /
    '3 Dec 2026, 14:00', in the viewer's zone."""
    if value is None:
        return ""
    local = value.astimezone(zone(tzname))
    day = format_date(local, "d MMM y", locale=current_lang())
    if current_lang() == "sv":
        return f"{day} kl. {format_time(local, 'HH.mm', locale='sv')}"
    return f"{day}, {format_time(local, 'HH:mm', locale='en')}"


def fmt_short(value: datetime | None, tzname: str | None = None) -> str:
    """'2026-12-01 14.00' for tables."""
    if value is None:
        return ""
    local = value.astimezone(zone(tzname))
    sep = "." if current_lang() == "sv" else ":"
    return local.strftime(f"%Y-%m-%d %H{sep}%M")


def fmt_age(since: datetime) -> str:
    """How long ago, in words ("3 days", "3 dagar")."""
    from flask_babel import format_timedelta

    return format_timedelta(utcnow() - since, threshold=1.5)


# ---------------------------------------------------------------- htmx


def is_htmx_target(target_id: str) -> bool:
    """True when htmx asks for just the element with this id (rule: pick a partial by
    HX-Target, never by a bare HX-Request)."""
    return bool(request.htmx) and request.htmx.target == target_id


_UNSAFE_IN_NEXT = re.compile(r"[\x00-\x1f\x7f\\]")  # control characters, backslashes
_ENCODED_START = re.compile(r"^/+(?:%2f|%5c)", re.IGNORECASE)  # "/%2F..." or "/%5C..."


def safe_next(url: str | None, fallback: str) -> str:
    """Only clean same-site paths are followed after a form or shown as a back link.

    Browsers read a backslash as a slash and drop tabs and newlines inside a URL, so
    ``/\\evil.example`` or ``/<tab>/evil.example`` leave the site as ``//evil.example``
    would: any backslash or control character refuses the value, as does a slash
    or backslash percent-encoded right after the leading slash."""
    if not url or not url.startswith("/") or url.startswith("//"):
        return fallback
    if _UNSAFE_IN_NEXT.search(url) or _ENCODED_START.match(url):
        return fallback
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return fallback
    return url


# ---------------------------------------------------------------- lifecycle


# Sub-resources that can never run as a document: the headers that only govern documents
# (what they may load, frame or open) would be bytes on every picture and stylesheet. An SVG
# is a document when opened on its own, so it keeps them all.
_PASSIVE_TYPES = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif", "text/css",
                            "text/javascript", "application/javascript"})


def _security_headers(response: Response) -> Response:
    response.headers["X-Content-Type-Options"] = "nosniff"
    if response.mimetype not in _PASSIVE_TYPES:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        response.headers.setdefault(
            "Permissions-Policy", "camera=(self), microphone=(self), geolocation=(), payment=()"
        )
    if current_app.config["PORTAL"].is_production:
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if request.endpoint and request.endpoint != "static":
        response.vary.add("HX-Request")
        response.vary.add("Cookie")
        # Pages carry personal data: keep them out of shared caches and the back button cache.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _error_page(code: int, title: str, message: str) -> tuple[str, int]:
    if request.htmx:
        return render_template("_error_inline.html", title=title, message=message), code
    return render_template("error.html", code=code, title=title, message=message), code


def _handle_http_error(exc: HTTPException) -> Any:
    code = exc.code or 500
    if code == 404:
        return _error_page(404, _("Page not found"), _(
            "The page does not exist, or it is not yours to see. Check the link, or go back "
            "to the start page."))
    if code == 429:
        return _error_page(429, _("Too many attempts"), _(
            "You have tried too many times in a short while. Wait a few minutes and try again."))
    if code == 405:
        return _error_page(405, _("That did not work"), _(
            "This address does not take that kind of request."))
    if code == 413:
        return _error_page(413, _("Too much data"), _("What you sent is too large."))
    if code == 403:
        return _error_page(403, _("Not allowed"), _(
            "Your account does not have access to this page."))
    if code >= 500:
        return _error_page(code, _("Something went wrong on our side"), _(
            "We have noted the error. Please try again in a moment."))
    return _error_page(code, _("That did not work"), _(
        "The request could not be understood. Go back and try again."))


def _drop_session() -> None:
    """Roll back and release the request's session; on a dead connection the rollback
    fails too, and that must not turn an error page into a bare 500."""
    try:
        db.session.rollback()
    except Exception:  # the connection is gone; closing below discards it
        log.debug("rollback failed on a broken connection", exc_info=True)
    try:
        db.session.close()
    except Exception:
        log.debug("closing a broken session failed", exc_info=True)


def _database_away(exc: Exception) -> Any:
    """The database did not answer in time, refused, or dropped us: 503 with the branded
    page in the reader's language. Rendering it reads nothing from the database."""
    log.warning("database unavailable on %s: %s", request.endpoint, type(exc).__name__)
    _drop_session()
    body, code = _error_page(503, _("The portal is briefly unavailable"), _(
        "The portal cannot reach its records just now. Nothing you have saved is lost. "
        "Please try again in a few minutes."))
    return body, code, {"Retry-After": "30"}


def _changed_at_once(exc: IntegrityError) -> Any:
    """Two writes at once met a unique rule of the database. The services lock rows and
    upsert where two people can act together; this is the net under them: a 409 page
    that says what happened, never a 500."""
    log.warning("conflicting write on %s: %s", request.endpoint, type(exc.orig).__name__)
    db.session.rollback()
    return _error_page(409, _("Changed at the same moment"), _(
        "Someone else changed this at the same moment. Reload the page to see where "
        "things stand, and try again if you still need to."))


def _handle_csrf(exc: CSRFError) -> Any:
    return _error_page(400, _("The form had expired"), _(
        "For your security the form could not be sent. Reload the page and try again; "
        "nothing you had saved is lost."))


UPLOAD_ENDPOINTS = frozenset({"candidate.upload_cv", "jobs.apply",
                              "intake.import_candidates",
                              # staff photos: over 5 MB is refused in words, not with a 413
                              "accounts.profile", "hiring.user_profile",
                              # a logo over 1 MB gets its message by the field, not a 413
                              "branding.create", "branding.edit"})


def upload_limit() -> None:
    """Uploads may be larger than a form: a 10 MB file plus the form around it."""
    if request.endpoint in UPLOAD_ENDPOINTS:
        from portal.pool.services import MAX_CV_BYTES

        request.max_content_length = MAX_CV_BYTES + 64 * 1024


def _refuse_nul_bytes() -> None:
    """No text field ever holds a NUL; PostgreSQL would refuse it deep inside a query."""
    sources = [request.args]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        sources.append(request.form)  # other bodies (uploads, JSON) are not forms
    for values in sources:
        for value in values.values():
            if "\x00" in value:
                raise BadRequest()


class RedactTokens(logging.Filter):
    """Keeps magic-link tokens out of access logs (werkzeug's and gunicorn's)."""

    pattern = re.compile(r"/(c|r|pool)/[A-Za-z0-9_\-\.]{16,}")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(
                self.pattern.sub(r"/\1/[redacted]", a) if isinstance(a, str) else a
                for a in (record.args if isinstance(record.args, tuple) else (record.args,))
            )
        if isinstance(record.msg, str):
            record.msg = self.pattern.sub(r"/\1/[redacted]", record.msg)
        return True


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: only numbers that can be a row id match, so a huge
    number is a 404, not an overflow deep in the database driver."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002
        from portal.forms import MAX_ID  # the same bound as every id in a form or query

        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    """Register the hooks, error pages, template helpers and the few public routes."""
    logging.getLogger("werkzeug").addFilter(RedactTokens())
    app.after_request(_security_headers)
    app.register_error_handler(HTTPException, _handle_http_error)
    app.register_error_handler(CSRFError, _handle_csrf)
    app.register_error_handler(errors.NotFound, lambda exc: _handle_http_error(NotFound()))
    app.register_error_handler(errors.Forbidden, lambda exc: _handle_http_error(Forbidden()))
    app.before_request(_refuse_nul_bytes)

    app.register_error_handler(OperationalError, _database_away)
    app.register_error_handler(InterfaceError, _database_away)
    app.register_error_handler(PoolTimeout, _database_away)
    app.register_error_handler(IntegrityError, _changed_at_once)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:  # pragma: no cover - the last line of defence
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            return _database_away(exc)  # a disconnect the driver reports otherwise
        log.exception("unhandled error on %s", request.endpoint)
        _drop_session()
        return _error_page(500, _("Something went wrong on our side"),
                           _("We have noted the error. Please try again in a moment."))

    from portal.decisions.defaults import reason_label
    from portal.hiring.models import stage_label
    from portal.privacy.words import audit_action_label

    app.jinja_env.globals.update(
        fmt_date=fmt_date, fmt_time=fmt_time, countdown=countdown, fmt_when=fmt_when,
        when_parts=when_parts,
        fmt_short=fmt_short, fmt_age=fmt_age, platform_name=_platform_name,
        zone_label=_zone_label,
        # "(UTC+01:00) Stockholm — kl. 14.05 now": a stored zone as the picker shows it.
        zone_full=lambda name: zones.zone_label(name, utcnow(), current_lang()),
        current_lang=current_lang, LANGUAGES=LANGUAGES,
        # Stored keys and default names, in the reader's language.
        stage_label=stage_label, reason_label=reason_label,
        audit_action_label=audit_action_label,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.get("/healthz")
    @limiter.exempt
    def healthz() -> Any:
        """Is the database reachable? For load balancers and monitoring. Answers within
        HEALTH_TIMEOUT seconds even when the database has gone silent, and leaves the
        request's session untouched (the probe has a connection of its own)."""
        if not database_answers(db.engine, HEALTH_TIMEOUT):
            log.warning("health check: database unreachable")
            response = jsonify(status="error", database="unreachable")
            response.headers["Retry-After"] = "10"
            return response, 503
        return jsonify(status="ok", database="ok")

    @app.post("/language")
    def set_language() -> Any:
        """Switch between Swedish and English; remembered in the session and a cookie,
        and on the candidate's record so their emails follow."""
        lang = request.form.get("lang", "")
        if lang not in LANGUAGES:
            abort(400)
        session["lang"] = lang
        from portal.candidate.auth import remember_language

        remember_language(lang)
        target = safe_next(request.form.get("next"), url_for("candidate.overview"))
        response = redirect(target, code=303)
        response.set_cookie(
            LANG_COOKIE, lang, max_age=60 * 60 * 24 * 365, samesite="Lax", httponly=True,
            secure=app.config["SESSION_COOKIE_SECURE"],
        )
        return response

    @app.get("/")
    def index() -> Any:
        """Staff land on the back office; candidates on their portal."""
        from portal.candidate.auth import CANDIDATE_KEY

        if session.get(CANDIDATE_KEY):
            return redirect(url_for("candidate.overview"))
        return redirect(url_for("hiring.dashboard"))

    csrf.exempt(healthz)
