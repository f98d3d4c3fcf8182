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


def _panel_context() -> dict:
    from portal.accounts.models import User
    from portal.hiring.models import Interview
    from portal.hiring.notify import PanelNote

    opening = Opening(id=1, title="Backendutvecklare", team="Plattform")
    first = Interview(id=3, round_name="Första intervju", platform="teams",
                      starts_at=datetime(2026, 12, 1, 13, 0, tzinfo=UTC), duration_minutes=70,
                      meeting_url="https://teams.microsoft.com/meet/123456789?p=abc")
    final = Interview(id=5, round_name="Slutintervju", platform="jitsi",
                      starts_at=datetime(2026, 12, 8, 9, 0, tzinfo=UTC), duration_minutes=45,
                      meeting_url="https://meet.jit.si/Interview-abc")
    return {"user": User(id=2, name="Maria Manager", email="maria@example.com"),
            "candidate": Candidate(id=7, name="Anna Andersson", email="anna@example.com"),
            "opening": opening, "tz": "Europe/Stockholm", "interview": first,
            "interviews": [first, final], "removed": False,
            "labels": ["Textning under samtalet", "Tolk"], "note": "Arabiska, tack",
            "notes": [PanelNote("Anpassningar som kandidaten har bett om:",
                                ["Textning under samtalet", "Tolk"], "Arabiska, tack")],
            "link": "https://jobs.example.com/staff/candidates/7"}


@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize("kind", ["interviewer_adjustments", "interviewer_invitation"])
def test_panel_email_with_adjustments_matches_snapshot(app, kind, lang):
    """The panel's emails with the adjustments a candidate asked for (the labels and the
    heading come in the reader's language from the code; fixed here)."""
    with app.test_request_context("/"):
        text, html = render_email(kind, lang, **_panel_context())
    assert "Arabiska, tack" in text and "Arabiska, tack" in html
    for suffix, body in (("txt", text), ("html", html)):
        path = SNAPSHOTS / f"{kind}_adjusted.{lang}.{suffix}"
        if os.environ.get("UPDATE_SNAPSHOTS"):
            path.write_text(body)
        assert path.exists(), f"no snapshot {path.name}; create it with UPDATE_SNAPSHOTS=1"
        assert body == path.read_text(), f"{path.name} changed; review and UPDATE_SNAPSHOTS=1"
