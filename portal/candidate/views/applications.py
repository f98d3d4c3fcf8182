"""The overview (/portal/) and each application (/portal/applications/...), with its
referees (/portal/referees/...)."""

from __future__ import annotations

from typing import Any

from flask import (
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select

from portal.candidate import queries
from portal.candidate.views import (
    bp,
)
from portal.confirm import Confirmation, ask, confirmed
from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.hiring.models import Candidate
from portal.process import lifecycle, view
from portal.timeutil import utcnow
from portal.web import current_lang


@bp.get("/portal/")
def overview() -> Any:
    """All the candidate's applications and the one thing to do next."""
    from portal.pool.models import PoolInvite
    from portal.references import services as refs

    candidate: Candidate = g.candidate
    applications = queries.overview(db.session, candidate)
    ids = [a.id for a in applications]
    visited = lifecycle.visited_stage_ids(db.session, ids)
    now = utcnow()
    views = [view.application_view(a, visited[a.id], current_lang(), now) for a in applications]
    invites = db.session.scalars(select(PoolInvite).where(
        PoolInvite.candidate_id == candidate.id, PoolInvite.answer == "")).all()
    named = {app_id: sum(1 for r in people if not r.withdrawn_at)
             for app_id, people in refs.referees_for(db.session, ids).items()}
    from portal.booking.services import bookable_offers

    offers = bookable_offers(applications, now)
    return render_template("candidate/overview.html", candidate=candidate, views=views,
                           tz=candidate.timezone, now=now, invites=invites, offers=offers,
                           step=view.next_step(views, list(invites), named, offers))


@bp.get("/portal/applications/<int:application_id>")
def status(application_id: int) -> Any:
    """Where the process stands: the timeline, what happens next and by when."""
    candidate: Candidate = g.candidate
    application = queries.application_for(db.session, candidate, application_id)
    if application is None:
        abort(404)
    from portal.decisions.services import sent_messages
    from portal.references import services as refs

    state = view.application_view(
        application, lifecycle.visited_stage_ids(db.session, [application.id])[application.id],
        current_lang())
    return render_template("candidate/status.html", candidate=candidate,
                           application=application, view=state,
                           messages=sent_messages(db.session, application.id),
                           asks_references=state.asks_references,
                           referees=refs.referees_for(db.session, [application.id]).get(
                               application.id, []),
                           referee_error=g.get("referee_error"),
                           referee_form=g.get("referee_form") or _referee_form(),
                           steps=state.steps,
                           tz=candidate.timezone)


def _referee_form() -> Any:
    from portal.references.forms import RefereeForm

    form = RefereeForm(formdata=None)
    form.language.data = g.candidate.language
    return form


@bp.post("/portal/applications/<int:application_id>/referees")
def add_referee(application_id: int) -> Any:
    """The candidate names a referee and consents to their being contacted."""
    from portal.references import services as refs
    from portal.references.forms import RefereeForm

    application = queries.application_for(db.session, g.candidate, application_id)
    if application is None:
        abort(404)
    form = RefereeForm()
    if form.validate_on_submit():
        try:
            refs.add_referee(db.session, g.candidate, application, refs.RefereeData(
                name=form.name.data or "", relation=form.relation.data or "",
                email=form.email.data or "", phone=form.phone.data or "",
                language=form.language.data or "sv", consent=bool(form.consent.data)))
        except DomainError as exc:
            g.referee_error = str(exc.message)
        else:
            db.session.commit()
            return redirect(url_for(".status", application_id=application.id) + "#references",
                            303)
    else:
        g.referee_error = next(iter(form.errors.values()))[0]
    g.referee_form = form
    return status(application_id), 422


def _withdraw_referee_confirmation(referee: Any) -> Confirmation:
    """What withdrawing consent for ``referee`` does, for the confirm step."""
    said = [_("We will not contact %(name)s about you, and they cannot answer any more.",
              name=referee.name)]
    if referee.latest is not None:
        said.append(_("The link in the email we sent to %(name)s stops working.",
                      name=referee.name))
    said.append(_("This cannot be undone."))
    back = url_for(".status", application_id=referee.application_id) + "#references"
    return Confirmation(
        slot=f"confirm-referee-{referee.id}", title=_("Withdraw your consent?"),
        consequences=said, action=url_for(".withdraw_referee", referee_id=referee.id),
        button=_("Yes, withdraw my consent"), back=back)


@bp.route("/portal/referees/<int:referee_id>/withdraw", methods=["GET", "POST"])
def withdraw_referee(referee_id: int) -> Any:
    """Withdraw consent for a referee who has not answered yet, after a confirm step."""
    from portal.references import services as refs
    from portal.references.models import Referee

    referee = db.session.get(Referee, referee_id)
    if referee is None or queries.application_for(db.session, g.candidate,
                                                  referee.application_id) is None:
        abort(404)
    withdrawable = not referee.withdrawn_at and not referee.answered
    if withdrawable and (request.method == "GET" or not confirmed(request.form)):
        return ask("candidate/confirm.html", _withdraw_referee_confirmation(referee),
                   200 if request.method == "GET" else 422, candidate=g.candidate)
    if request.method == "GET":  # nothing left to withdraw
        return redirect(url_for(".status", application_id=referee.application_id)
                        + "#references", 303)
    try:
        refs.withdraw(db.session, g.candidate, referee)
    except NotFound:
        abort(404)
    except DomainError as exc:
        flash(str(exc.message), "error")
    else:
        db.session.commit()
    return redirect(url_for(".status", application_id=referee.application_id) + "#references",
                    303)
