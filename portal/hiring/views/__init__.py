"""Back office: dashboard, openings and their pipelines, candidates, interviews.

The pages live in this package's modules, one per group of URLs."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app
from flask_login import current_user

from portal.accounts.views import guard_staff
from portal.errors import DomainError
from portal.timeutil import utcnow

bp = Blueprint("hiring", __name__, url_prefix="/staff")
guard_staff(bp)


def _settings() -> Any:
    return current_app.config["PORTAL"]


def _manager() -> None:
    if not current_user.can_manage_hiring:
        abort(403)


def _zone_choices() -> list[tuple[str, str]]:
    """The time-zone picker's options as (zone, label) pairs (portal/zones.py)."""
    from portal.web import current_lang
    from portal.zones import zone_choices

    return [(c.value, c.label) for c in zone_choices(utcnow(), current_lang())]


def _form_error(form: Any, exc: DomainError) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, str(exc.message)]
    else:
        form.form_errors.append(str(exc.message))


# The pages register themselves on ``bp``.
from portal.hiring.views import (  # noqa: E402, F401
    admin,
    bulk,
    candidates,
    conversation,
    dashboard,
    interviews,
    openings,
    report,
)
