"""The extend link in consent reminders: the page is public, the extension needs a press
of the button (a mail scanner fetching the link must not give consent for anyone)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, request

from portal.errors import DomainError
from portal.extensions import db, limiter
from portal.hiring.models import Candidate
from portal.privacy import services

bp = Blueprint("pool", __name__)


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
            services.withdraw_consent(db.session, candidate)
            done = "left"
        else:
            services.give_consent(db.session, settings, candidate, candidate.language,
                                  consent.roles)
            done = "extended"
        db.session.commit()
        return render_template("pool_extend.html", error=None, done=done, candidate=candidate)
    return render_template("pool_extend.html", error=None, done=False, consent=consent,
                           candidate=candidate, months=settings.talent_pool_months)
