"""A gunicorn logger that keeps sign-in tokens out of the access log."""

from __future__ import annotations

import re
from typing import Any

from gunicorn.glogging import Logger

_TOKEN = re.compile(r"/(c|r|pool)/[A-Za-z0-9_\-\.]{16,}")


def redact(value: str) -> str:
    return _TOKEN.sub(r"/\1/[redacted]", value)


class RedactingLogger(Logger):
    """Access-log atoms with ``/c/<token>`` paths (and their query) redacted."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "q", "{raw_uri}e", "f"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms
