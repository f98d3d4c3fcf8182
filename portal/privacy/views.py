"""The extend link in consent reminders: the page is public, the extension needs a press
of the button (a mail scanner fetching the link must not give consent for anyone)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, g, render_template, request

from portal.errors import DomainError
from portal.extensions import csrf, db, limiter
from portal.hiring.models import Candidate
from portal.pool import consent as membership
from portal.privacy import services

bp = Blueprint("pool", __name__)

# Deny by default: every endpoint here is reached by a signed link in an email, and is
# listed; anything added later stays closed until it is listed too.
PUBLIC = {"pool.extend", "pool.unsubscribe"}


@bp.before_request
def _deny_by_default() -> None:
    if request.endpoint not in PUBLIC:
        abort(404)


@bp.route("/pool/<token>", methods=["GET", "POST"])
@limiter.limit("30 per minute")
def extend(token: str) -> Any:
    settings = current_app.config["PORTAL"]
    try:
        consent = services.consent_from_token(db.session, settings, token)
    except DomainError as exc:
        return render_template("pool_extend.html", error=str(exc.message), done=False), 410
    candidate = db.session.get(Candidate, consent.candidate_id)
    if request.method == "POST":
        if request.form.get("action") == "withdraw":
            membership.withdraw_consent(db.session, settings, candidate)
            done = "left"
        else:
            membership.give_consent(db.session, settings, candidate, candidate.language)
            done = "extended"
        db.session.commit()
        return render_template("pool_extend.html", error=None, done=done, candidate=candidate)
    return render_template("pool_extend.html", error=None, done=False, consent=consent,
                           candidate=candidate, months=settings.talent_pool_months)


@bp.route("/pool/<token>/unsubscribe", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: the mail provider posts it, with no session; the token is the key
@limiter.limit("60 per minute")
def unsubscribe(token: str) -> Any:
    """List-Unsubscribe of a talent-pool email. POST (one click, from the mail provider or
    the button here) ends the pool consent; GET only shows the button, so a scanner that
    fetches links changes nothing. A broken link gets a friendly 400 page."""
    settings = current_app.config["PORTAL"]
    try:
        candidate, invite = membership.unsubscribe_target(db.session, settings, token)
    except DomainError as exc:
        return render_template("pool_unsubscribe.html", error=str(exc.message), state=None), 400
    g.person_language = candidate.language  # the page speaks the reader's language
    if request.method == "POST":
        if request.form.get("List-Unsubscribe") != "One-Click":
            return render_template("pool_unsubscribe.html", error=None, state="ask"), 400
        membership.unsubscribe(db.session, settings, candidate, invite)
        db.session.commit()
        return render_template("pool_unsubscribe.html", error=None, state="left")
    in_pool = services.current_consent(db.session, candidate.id) is not None
    return render_template("pool_unsubscribe.html", error=None, state="ask" if in_pool else "out")
