"""A gunicorn logger that keeps bearer-link tokens and email addresses out of the access
log (the same redaction as the app's logs, ``portal.logs``), and with ``LOG_FORMAT=json``
writes its error and access logs as JSON lines like the app's, an access line carrying
the request id the app sent back in ``X-Request-ID``."""

from __future__ import annotations

import logging
import os
from typing import Any

from gunicorn.glogging import Logger

from portal.logs import JsonFormatter, redact

__all__ = ["RedactingLogger", "redact"]


class _AccessRequestId(logging.Filter):
    """An access line's request id: the ``X-Request-ID`` the app answered with."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, dict):
            record.request_id = record.args.get("{x-request-id}o")
        return True


class RedactingLogger(Logger):
    """Access-log atoms with ``/c/<token>`` paths (and their query) redacted."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        if os.environ.get("LOG_FORMAT", "").strip().lower() == "json":
            for handler in self.error_log.handlers + self.access_log.handlers:
                handler.setFormatter(JsonFormatter())
            for handler in self.access_log.handlers:
                handler.addFilter(_AccessRequestId())

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "q", "{raw_uri}e", "f"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms
