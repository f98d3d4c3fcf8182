"""Snapshots of every email, in both languages, rendered from fixed data: a change to an
email's words or layout shows up as a diff to review. UPDATE_SNAPSHOTS=1 rewrites them."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from portal.accounts.models import User
from portal.hiring.models import Application, Candidate, Interview, Opening
from portal.messaging.services import render_email
from portal.platforms.registry import get_platform

SNAPSHOTS = Path(__file__).parent / "snapshots"
KINDS = ["candidate_invitation", "candidate_update", "candidate_cancellation",
         "candidate_reminder", "candidate_new_link", "interviewer_invitation",
         "interviewer_update", "interviewer_cancellation", "pool_invite",
         "candidate_message", "staff_mention", "staff_candidate_message"]


def _context() -> dict:
    opening = Opening(id=1, title="Backendutvecklare", team="Plattform")
    candidate = Candidate(id=7, name="Anna Andersson", email="anna@example.com")
    application = Application(id=3, candidate=candidate, opening=opening)
    interview = Interview(
        id=5, application=application, round_name="Första intervju",
        starts_at=datetime(2026, 12, 1, 13, 0, tzinfo=UTC), duration_minutes=45,
        platform="teams", meeting_url="https://teams.microsoft.com/meet/123456789?p=abc",
        preparation="Ha cv:t nära till hands.", what_to_expect="")
    user = User(id=2, name="Maria Chef", email="maria@example.com")
    return {"candidate": candidate, "interview": interview, "opening": opening, "user": user,
            "author": User(id=4, name="Per Holm", email="per@example.com"),
            "platform": get_platform("teams"), "tz": "Europe/Stockholm",
            "link": "https://jobs.example.com/c/TOKEN", "checked": False, "day": "tomorrow"}


@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize("kind", KINDS)
def test_email_matches_snapshot(app, kind, lang):
    with app.test_request_context("/"):
        text, html = render_email(kind, lang, **_context())
    assert "TOKEN" in text and "TOKEN" in html
    for suffix, body in (("txt", text), ("html", html)):
        path = SNAPSHOTS / f"{kind}.{lang}.{suffix}"
        if os.environ.get("UPDATE_SNAPSHOTS"):
            path.write_text(body)
        assert path.exists(), f"no snapshot {path.name}; create it with UPDATE_SNAPSHOTS=1"
        assert body == path.read_text(), f"{path.name} changed; review and UPDATE_SNAPSHOTS=1"
