"""Signing in and out (/c/<token>, /portal/link, /portal/sign-out) and the public about page."""

from __future__ import annotations

from typing import Any

from flask import (
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from portal import ratelimit
from portal.candidate.auth import sign_in, sign_out
from portal.candidate.forms import NewLinkForm
from portal.candidate.views import (
    NEW_LINKS_PER_HOUR,
    _settings,
    bp,
)
from portal.extensions import db, limiter
from portal.hiring.notify import answer_link_request
from portal.links.services import LinkProblem, record_use, verify_token
from portal.timeutil import utcnow
from portal.web import current_lang, safe_next


@bp.get("/c/<token>")
@limiter.limit("60 per minute")
def open_link(token: str) -> Any:
    """Exchange a magic link for a session, then redirect to a clean URL so the token
    leaves the address bar. The link is not used up: a mail scanner that fetches it first
    does not break it for the candidate."""
    try:
        link, candidate = verify_token(db.session, _settings(), token)
    except LinkProblem as problem:
        if problem.candidate is not None:
            session["lang"] = session.get("lang") or problem.candidate.language
        return redirect(url_for("candidate.link_problem", reason=problem.reason), 303)
    record_use(link)
    now = utcnow()
    candidate.first_seen_at = candidate.first_seen_at or now
    candidate.last_seen_at = now
    sign_in(link, candidate)
    db.session.commit()
    target = safe_next(request.args.get("next"), url_for("candidate.overview"))
    if not target.startswith("/portal"):
        target = url_for("candidate.overview")
    return redirect(target, 303)


@bp.route("/portal/link", methods=["GET"])
def link_problem() -> Any:
    """The friendly page for an expired, revoked, broken or missing link."""
    reason = request.args.get("reason", "invalid")
    if reason not in ("expired", "revoked", "invalid", "signed-out"):
        reason = "invalid"
    return render_template("candidate/link_problem.html", reason=reason, form=NewLinkForm(),
                           sent=False)


@bp.post("/portal/link")
@limiter.limit("5 per 10 minutes; 20 per day", key_func=ratelimit.client)
@limiter.limit("10 per hour", key_func=ratelimit.typed_email)
def new_link() -> Any:
    """Send a fresh link to the address on file. The answer is the same whether or not
    the address is known."""
    form = NewLinkForm()
    if not form.validate_on_submit():
        return render_template("candidate/link_problem.html", reason="request", form=form,
                               sent=False), 422
    answer_link_request(db.session, _settings(), form.email.data or "", current_lang(),
                        NEW_LINKS_PER_HOUR)
    db.session.commit()
    return render_template("candidate/link_problem.html", reason="request", form=NewLinkForm(
        formdata=None), sent=True)


@bp.get("/portal/about")
def about() -> Any:
    """What the portal is and how its links work, for anyone wondering whether an email
    from us is genuine. Public, and it reads nothing from the database."""
    return render_template("candidate/about.html")


@bp.post("/portal/sign-out")
def sign_out_view() -> Any:
    """End the session here and on the server, so a copied cookie opens nothing."""
    sign_out()
    db.session.commit()
    return redirect(url_for("candidate.link_problem", reason="signed-out"), 303)
