"""Logs: human text by default, one JSON object a line with ``LOG_FORMAT=json``.

Every line carries the time, level, logger, message and the request id: a request's id is
taken from its ``X-Request-ID`` header when that is a sane token, else made here, and sent
back in the response's ``X-Request-ID``; a worker pass has an id of its own. Every record
passes through a filter that takes out bearer-link tokens (the paths of every route with a
``<token>``: ``/c/``, ``/r/``, ``/pool/``) and email addresses, whatever logger wrote it,
exceptions and stack traces included. gunicorn's access log uses the same redaction
(``portal.gunicorn_logging``).

No import of prometheus_client here: gunicorn's master imports this module (through its
logger class) before it sets up the metrics folder its workers share.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import re
import sys
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is kept only when it is a plain token: letters, digits and ._:- up to 128
# characters. Anything else (spaces, quotes, a line break, an address) gets a new id, so a
# client cannot write into the log through it.
_SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")

# A bearer token is long: itsdangerous' signature alone is 27 characters.
SIGNED_CHARS = r"[A-Za-z0-9_\-\.]{16,}"
_ROUTE_VARIABLE = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")
_DEFAULT_HEADS = frozenset({"/c/", "/r/", "/pool/"})
# user@example.com, also percent-encoded in a query (user%40example.com); letters of any
# alphabet (åsa@exempel.se). The local part leaves out the rarely used characters that
# also separate a query ("?", "=", "&", "/"), so "?email=a@example.com" keeps its name.
_EMAIL = re.compile(r"[\w.+-]+(?:@|%40)[\w-]+(?:\.[\w-]+)+")


def _compile(heads: Iterable[str]) -> re.Pattern[str]:
    return re.compile("(" + "|".join(sorted(heads)) + ")" + SIGNED_CHARS)


_tokens = _compile(re.escape(h) for h in _DEFAULT_HEADS)


def token_heads(rules: Iterable[Any]) -> set[str]:
    """The URL path, as a regular expression, up to the token of every route that takes
    one (any ``<token>`` in its rule, so a new kind of link is covered without anyone
    remembering to list it)."""
    heads = set()
    for rule in rules:
        if "token" not in rule.arguments:
            continue
        pieces = _ROUTE_VARIABLE.split(rule.rule)  # static, name, static, name, ...
        head = ""
        for i, piece in enumerate(pieces):
            if i % 2 == 0:
                head += re.escape(piece)
            elif piece == "token":
                break
            else:
                head += r"[^/\s\"'<>?#]+"
        heads.add(head)
    return heads


def token_pattern(rules: Iterable[Any]) -> re.Pattern[str]:
    """Matches a bearer link's path and token; group 1 is the path up to the token."""
    return _compile(token_heads(rules))


def learn_bearer_routes(rules: Iterable[Any]) -> None:
    """Redact the token of every route that takes one, besides the known ``/c/``, ``/r/``
    and ``/pool/``."""
    global _tokens
    _tokens = _compile({re.escape(h) for h in _DEFAULT_HEADS} | token_heads(rules))


def redact(text: str) -> str:
    """``text`` with bearer-link tokens and email addresses taken out."""
    return _EMAIL.sub("[email]", _tokens.sub(r"\1[redacted]", text))


# ---------------------------------------------------------------- request and task ids


_task_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "portal_task_id", default=None)


def request_id() -> str:
    """This request's id: the client's (or proxy's) ``X-Request-ID`` when sane, else new."""
    rid = g.get("request_id")
    if rid is None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        rid = incoming if _SANE_ID.fullmatch(incoming) else uuid.uuid4().hex
        g.request_id = rid
    return str(rid)


@contextlib.contextmanager
def task(kind: str) -> Iterator[str]:
    """Give every log line written inside an id of its own (a worker pass), in the place
    of a request id."""
    token = _task_id.set(f"{kind}-{uuid.uuid4().hex[:16]}")
    try:
        yield str(_task_id.get())
    finally:
        _task_id.reset(token)


def current_id() -> str | None:
    """The id of the request or task this thread is working on, if any."""
    if has_request_context():
        return request_id()
    return _task_id.get()


def _read_request_id() -> None:
    request_id()


def _send_request_id(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = request_id()
    return response


# ---------------------------------------------------------------- filters and formats


class RequestIdFilter(logging.Filter):
    """Puts the request (or task) id on the record as ``request_id``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_id()
        return True


class RedactFilter(logging.Filter):
    """Takes bearer-link tokens and email addresses out of the message. The record is
    changed in place, so every handler after this one gets the redacted text too."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: let the handler report it as usual
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


class TextFormatter(logging.Formatter):
    """``2026-01-02 10:00:00,123 WARNING portal.web [3f2a...] message``; tracebacks
    redacted too."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if getattr(record, "request_id", None) is None:
            record.request_id = "-"
            try:
                return super().format(record)
            finally:
                record.request_id = None
        return super().format(record)

    def formatException(self, ei: Any) -> str:  # noqa: N802 (logging's name)
        return redact(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:  # noqa: N802
        return redact(super().formatStack(stack_info))


class JsonFormatter(_BaseJsonFormatter):
    """One JSON object a line: ``time`` (ISO 8601, UTC), ``level``, ``logger``,
    ``message``, ``request_id`` (null outside a request or task), then any extra fields;
    ``exc_info`` with the traceback, redacted."""

    def __init__(self) -> None:
        super().__init__(["levelname", "name", "message", "request_id"],
                         rename_fields={"levelname": "level", "name": "logger"})

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord,
                   message_dict: dict[str, Any]) -> None:
        log_data["time"] = self.formatTime(record)
        super().add_fields(log_data, record, message_dict)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")

    def formatException(self, ei: Any) -> str:  # noqa: N802
        return redact(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:  # noqa: N802
        return redact(super().formatStack(stack_info))


def formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else TextFormatter()


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a line is written."""

    def __init__(self) -> None:
        super().__init__()

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


_handler: logging.Handler | None = None


def configure(log_format: str) -> logging.Handler:
    """One handler on the root logger (so libraries' lines are formatted and redacted
    too), writing to stderr in ``log_format``; the portal's own loggers log from INFO.
    Calling it again (another app in the same process) changes the format only."""
    global _handler
    root = logging.getLogger()
    if _handler is None:
        _handler = _StderrHandler()
        _handler.addFilter(RequestIdFilter())
        _handler.addFilter(RedactFilter())
    if _handler not in root.handlers:  # e.g. removed by a logging.config call since
        root.addHandler(_handler)
    _handler.setFormatter(formatter(log_format))
    portal_log = logging.getLogger("portal")
    if portal_log.level == logging.NOTSET:
        portal_log.setLevel(logging.INFO)
    return _handler


def init_app(app: Flask) -> None:
    """Format and redact the process's logs as the settings say, and give every request
    an id (read first, so every line of the request has it, and sent back)."""
    configure(app.config["PORTAL"].log_format)
    learn_bearer_routes(app.url_map.iter_rules())
    app.before_request_funcs.setdefault(None, []).insert(0, _read_request_id)
    app.after_request(_send_request_id)
