"""Candidate pages. Every endpoint needs a candidate session except those listed in
PUBLIC; a candidate reaching another candidate's object gets 404.

The pages live in this package's modules, one per group of URLs."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, request

from portal.candidate.auth import require_candidate

bp = Blueprint("candidate", __name__)
PUBLIC = {"candidate.open_link", "candidate.link_problem", "candidate.new_link",
          "candidate.about"}
NEW_LINKS_PER_HOUR = 3


@bp.before_request
def _require_candidate() -> Any:
    """Deny by default."""
    if request.endpoint in PUBLIC:
        return None
    return require_candidate()


@bp.context_processor
def _inject_candidate() -> dict[str, Any]:
    """Every candidate template knows who is signed in (navigation, time zone sync)."""
    return {"candidate": g.get("candidate")}


def _settings() -> Any:
    return current_app.config["PORTAL"]


# The pages register themselves on ``bp``.
from portal.candidate.views import (  # noqa: E402, F401
    applications,
    data,
    guides,
    interviews,
    links,
    messages,
)
