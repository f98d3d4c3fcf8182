"""The candidate's session: set from a magic link, checked on every request.

Candidate and staff identities live under different session keys and never drive the
same view.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app, g, redirect, request, session, url_for

from portal.extensions import db
from portal.hiring.models import Candidate
from portal.links.models import MagicLink
from portal.links.services import LinkProblem, end_session, load_valid_link, start_session
from portal.timeutil import utcnow

CANDIDATE_KEY = "candidate"
SEEN_RESOLUTION = timedelta(minutes=5)


def sign_in(link: MagicLink, candidate: Candidate) -> None:
    """Start a fresh candidate session bound to the link that opened it, with a row on
    the server (the caller commits) that signing out deletes."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    sid = start_session(db.session, link)
    session[CANDIDATE_KEY] = {"c": candidate.id, "l": link.id, "s": sid}
    session.permanent = True


def sign_out() -> None:
    """End the session on the server too (the caller commits): a copy of the cookie,
    taken before, opens nothing afterwards."""
    data = session.pop(CANDIDATE_KEY, None)
    if isinstance(data, dict) and isinstance(data.get("s"), str):
        end_session(db.session, data["s"])


def load_current_candidate() -> Candidate | None:
    """The signed-in candidate, or None when there is none, their link died or their
    session was ended."""
    data = session.get(CANDIDATE_KEY)
    if data is None:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("l"), int) or not isinstance(
            data.get("s"), str):
        session.pop(CANDIDATE_KEY, None)  # e.g. a cookie from before sessions had rows
        return None
    try:
        link, candidate = load_valid_link(db.session, current_app.config["PORTAL"], data["l"],
                                          session_id=data["s"])
    except LinkProblem as problem:
        session.pop(CANDIDATE_KEY, None)
        g.link_problem = problem.reason
        return None
    if candidate.id != data.get("c"):
        session.pop(CANDIDATE_KEY, None)
        return None
    now = utcnow()
    if candidate.last_seen_at is None or now - candidate.last_seen_at > SEEN_RESOLUTION:
        candidate.last_seen_at = now
        candidate.first_seen_at = candidate.first_seen_at or now
        db.session.commit()
    g.candidate = candidate
    g.person_language = candidate.language
    return candidate


def require_candidate() -> Any:
    """The guard of every candidate blueprint: None when a candidate is signed in, else a
    redirect to the friendly link page."""
    if request.method == "GET" and db.engine.dialect.name == "postgresql":
        # Candidate pages only read: without a transaction there is no BEGIN and no
        # ROLLBACK round trip to PostgreSQL, which was most of a page's database time.
        # (SQLite has no round trips; switching its mode costs a PRAGMA instead.)
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    if load_current_candidate() is None:
        reason = g.get("link_problem")
        return redirect(url_for("candidate.link_problem", reason=reason or "signed-out"))
    return None


def remember_language(lang: str) -> None:
    """Called from the language switch: a signed-in candidate's emails follow their choice."""
    data = session.get(CANDIDATE_KEY)
    if isinstance(data, dict) and isinstance(data.get("c"), int):
        candidate = load_current_candidate()
        if candidate is not None and candidate.language != lang:
            candidate.language = lang
            db.session.commit()
