"""Referee pages (a link scoped to one request) and the staff action that sends one."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts.views import guard_staff
from portal.errors import DomainError
from portal.extensions import db, limiter
from portal.hiring import services as hiring
from portal.hiring.models import Application
from portal.references import services as refs
from portal.references.models import Referee, ReferenceRequest

bp = Blueprint("referee", __name__)
staff_bp = Blueprint("references", __name__, url_prefix="/staff")
guard_staff(staff_bp)
SESSION_KEY = "referee_request"
PUBLIC = {"referee.open_link"}


@bp.before_request
def _require_referee() -> Any:
    """A referee's session reaches their own form and nothing else."""
    if request.endpoint in PUBLIC:
        return None
    request_id = session.get(SESSION_KEY)
    item = db.session.get(ReferenceRequest, request_id) if isinstance(request_id, int) else None
    if item is None:
        return render_template("referee/closed.html", reason="invalid"), 404
    try:
        refs.usable(item)
    except DomainError as exc:
        return render_template("referee/closed.html", reason=str(exc.message),
                               lang=item.referee.language), 410
    g.reference = item
    return None


@bp.get("/r/<token>")
@limiter.limit("30 per minute")
def open_link(token: str) -> Any:
    """Exchange the link for a session scoped to one request; the token leaves the URL."""
    try:
        item = refs.open_request(db.session, current_app.config["PORTAL"], token)
    except DomainError as exc:
        return render_template("referee/closed.html", reason=str(exc.message)), 410
    lang = session.get("lang")
    session.clear()
    session[SESSION_KEY] = item.id
    session["lang"] = lang or item.referee.language
    return redirect(url_for("referee.form"), 303)


@bp.route("/referee/", methods=["GET", "POST"])
def form() -> Any:
    """The questionnaire, in the referee's language; drafts save, sending locks it."""
    item: ReferenceRequest = g.reference
    error = None
    if request.method == "POST":
        count = len(refs.answers_of(item))
        answers = {i: request.form.get(f"answer-{i}", "") for i in range(count)}
        final = request.form.get("action") == "send"
        try:
            refs.save_answers(db.session, item, answers, final)
        except DomainError as exc:
            error = str(exc.message)
            db.session.rollback()
        else:
            db.session.commit()
            if final:
                session.pop(SESSION_KEY, None)
                return render_template("referee/thanks.html")
            flash(_("Your draft is saved. You can come back with the same link."), "success")
            return redirect(url_for(".form"), 303)
    app_row = db.session.get(Application, item.referee.application_id)
    answers = refs.answers_of(item)
    if error:
        answers = [(q, request.form.get(f"answer-{i}", "")) for i, (q, _a) in enumerate(answers)]
    return render_template("referee/form.html", item=item, referee=item.referee,
                           candidate=app_row.candidate, opening=app_row.opening,
                           answers=answers, error=error), (422 if error else 200)


@staff_bp.post("/referees/<int:referee_id>/request")
def send(referee_id: int) -> Any:
    """Staff send (or send again) a request to a referee the candidate consented to."""
    hiring.require_manager(current_user)
    referee = db.session.get(Referee, referee_id)
    if referee is None:
        abort(404)
    application = hiring.get_application(db.session, current_user, referee.application_id)
    try:
        refs.send_request(db.session, current_app.config["PORTAL"], current_user, referee)
    except DomainError as exc:
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(_("The request is on its way to %(name)s.", name=referee.name), "success")
    return redirect(url_for("hiring.candidate", candidate_id=application.candidate_id)
                    + f"#refs-{application.id}", 303)
