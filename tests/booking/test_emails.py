"""Snapshots of the booking emails, in both languages, rendered from fixed data: a change to
their words or layout shows up as a diff to review. UPDATE_SNAPSHOTS=1 rewrites them."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from portal.booking.models import BookingRequest
from portal.hiring.models import Candidate, Opening
from portal.messaging.services import render_email

SNAPSHOTS = Path(__file__).parent / "snapshots"
KINDS = ["candidate_booking_request", "candidate_booking_reminder"]


def _context() -> dict:
    opening = Opening(id=1, title="Backendutvecklare", team="Plattform")
    request = BookingRequest(
        id=4, opening=opening, round_name="Första intervju", duration_minutes=45,
        window_starts_at=datetime(2026, 12, 6, 23, 0, tzinfo=UTC),
        window_ends_at=datetime(2026, 12, 18, 23, 0, tzinfo=UTC), platform="jitsi")
    return {"candidate": Candidate(id=7, name="Anna Andersson", email="anna@example.com"),
            "request": request, "opening": opening, "tz": "Europe/Stockholm",
            "last_day": datetime(2026, 12, 18, 22, 59, tzinfo=UTC),
            "link": "https://jobs.example.com/c/TOKEN?next=/portal/booking/9"}


@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize("kind", KINDS)
def test_booking_email_matches_snapshot(app, kind, lang):
    with app.test_request_context("/"):
        text, html = render_email(kind, lang, **_context())
    assert "TOKEN" in text and "TOKEN" in html
    for suffix, body in (("txt", text), ("html", html)):
        path = SNAPSHOTS / f"{kind}.{lang}.{suffix}"
        if os.environ.get("UPDATE_SNAPSHOTS"):
            path.write_text(body)
        assert path.exists(), f"no snapshot {path.name}; create it with UPDATE_SNAPSHOTS=1"
        assert body == path.read_text(), f"{path.name} changed; review and UPDATE_SNAPSHOTS=1"
