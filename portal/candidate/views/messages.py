"""The message thread with the recruiters (/portal/messages): read it, answer it."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from portal import ratelimit
from portal.candidate.views import _settings, bp
from portal.errors import DomainError
from portal.extensions import db, limiter
from portal.hiring import messages
from portal.hiring.models import Candidate
from portal.links.services import UNREAD_MESSAGES


@bp.app_context_processor
def _unread() -> dict[str, Any]:
    """The navigation's count of unread messages, asked for only where a page shows it
    (every candidate page, whichever blueprint renders it)."""
    def unread_messages() -> int:
        candidate = g.get("candidate")
        if candidate is None:
            return 0
        known = db.session.info.get(UNREAD_MESSAGES, {}).get(candidate.id)
        if known is None:  # the sign-in check counts them on every page; not this time
            return messages.unread_for_candidate(db.session, candidate.id)
        return int(known)

    return {"unread_messages": unread_messages}


def _thread_page(candidate: Candidate, status: int = 200, text: str = "",
                 error: str = "") -> Any:
    from sqlalchemy import select

    from portal.accounts.models import User

    thread = messages.thread(db.session, candidate.id)
    authors = {m.author_id for m in thread if m.author_id}
    names = {i: n for i, n in db.session.execute(
        select(User.id, User.name).where(User.id.in_(authors)))} if authors else {}
    return render_template("candidate/messages.html", candidate=candidate,
                           thread=thread, names=names,
                           tz=candidate.timezone, text=text[:20_000], error=error,
                           max_length=messages.MAX_MESSAGE), status


@bp.get("/portal/messages")
def messages_page() -> Any:
    """The thread, oldest first; opening it marks our messages as read."""
    candidate: Candidate = g.candidate
    if messages.mark_read_by_candidate(db.session, candidate.id):
        db.session.commit()
        db.session.info.setdefault(UNREAD_MESSAGES, {})[candidate.id] = 0
    return _thread_page(candidate)


@bp.post("/portal/messages")
@limiter.limit("20 per hour", key_func=ratelimit.candidate_or_client)
def answer() -> Any:
    """The candidate writes: plain text, length- and rate-limited."""
    candidate: Candidate = g.candidate
    try:
        messages.answer_from_candidate(db.session, _settings(), candidate,
                                       request.form.get("body"))
    except DomainError as exc:
        db.session.rollback()
        return _thread_page(candidate, 422, request.form.get("body", ""), str(exc.message))
    db.session.commit()
    flash(_("Your message is sent. We answer here, and email you when we do."), "success")
    return redirect(url_for(".messages_page") + "#latest", 303)
