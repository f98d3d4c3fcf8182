"""Self-scheduling pages: the recruiter's booking requests (back office) and the
candidate's booking page (candidate portal). Each face has its own blueprint that denies by
default, like the rest of the portal."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g

from portal.accounts.views import guard_staff
from portal.candidate.auth import require_candidate

staff_bp = Blueprint("booking", __name__, url_prefix="/staff")
guard_staff(staff_bp)

portal_bp = Blueprint("booking_portal", __name__)


@portal_bp.before_request
def _require_candidate() -> Any:
    """Deny by default: every page needs a signed-in candidate."""
    return require_candidate()


@portal_bp.context_processor
def _inject_candidate() -> dict[str, Any]:
    """The candidate templates know who is signed in (navigation, time zone sync)."""
    return {"candidate": g.get("candidate")}


# The pages register themselves on the blueprints.
from portal.booking.views import portal, staff, week  # noqa: E402, F401
