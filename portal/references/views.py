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
    if item is None or item.referee is None:
        return render_template("referee/closed.html", reason="invalid"), 404
    try:
        refs.usable(item)
    except refs.LinkClosed as exc:
        return _closed(exc)
    g.reference = item
    return None


def _closed(problem: refs.LinkClosed) -> Any:
    """The friendly page for a link that no longer opens the form, in the referee's
    language when the link names one."""
    if problem.language:
        g.person_language = problem.language
    return render_template("referee/closed.html", reason=problem.reason), 410


@bp.get("/r/<token>")
@limiter.limit("30 per minute")
def open_link(token: str) -> Any:
    """Exchange the link for a session scoped to one request; the token leaves the URL."""
    try:
        item = refs.open_request(db.session, current_app.config["PORTAL"], token)
    except refs.LinkClosed as exc:
        return _closed(exc)
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
        except refs.LinkClosed as exc:  # superseded or withdrawn while the form was open
            db.session.rollback()
            return _closed(exc)
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


def _resend_confirmation(referee: Referee, application: Application) -> Any:
    """What sending again does, for the confirm step: a new link, and the old one dies."""
    from portal.confirm import Confirmation
    from portal.web import fmt_short

    earlier = referee.latest
    return Confirmation(
        slot=f"confirm-resend-{referee.id}", title=_("Send a new reference request?"),
        consequences=[
            _("%(name)s (%(email)s) gets a new email with a new link to the form.",
              name=referee.name, email=referee.email),
            _("The link in the earlier email (sent %(date)s) stops working: whoever opens it "
              "is told that a newer one was sent.",
              date=fmt_short(earlier.sent_at) if earlier else ""),
        ],
        action=url_for(".send", referee_id=referee.id), button=_("Yes, send a new request"),
        danger=False,
        back=url_for("hiring.candidate", candidate_id=application.candidate_id)
        + f"#refs-{application.id}")


@staff_bp.route("/referees/<int:referee_id>/request", methods=["GET", "POST"])
def send(referee_id: int) -> Any:
    """Staff send a request to a referee the candidate consented to. Sending again (the
    earlier link stops working) first asks on a confirm step."""
    from portal.confirm import ask, confirmed
    from portal.timeutil import utcnow

    hiring.require_manager(current_user)
    referee = db.session.get(Referee, referee_id)
    if referee is None:
        abort(404)
    application = hiring.get_application(db.session, current_user, referee.application_id)
    earlier = referee.latest
    # A repeat within DOUBLE_SEND is the same click (the service ignores it): no question.
    again = (earlier is not None and not referee.answered and not referee.withdrawn_at
             and earlier.sent_at <= utcnow() - refs.DOUBLE_SEND)
    if request.method == "GET" and not again:  # a first request needs no second step
        return redirect(url_for("hiring.candidate", candidate_id=application.candidate_id)
                        + f"#refs-{application.id}", 303)
    if again and (request.method == "GET" or not confirmed(request.form)):
        return ask("staff/confirm.html", _resend_confirmation(referee, application),
                   200 if request.method == "GET" else 422)
    try:
        # A double click's second POST changes nothing (the service sees the first request
        # under the referee's lock) and lands on the same page with the same message.
        refs.send_request(db.session, current_app.config["PORTAL"], current_user, referee)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(_("The request is on its way to %(name)s.", name=referee.name), "success")
    return redirect(url_for("hiring.candidate", candidate_id=application.candidate_id)
                    + f"#refs-{application.id}", 303)
