"""Openings, their stages and pipelines (/staff/openings/..., /staff/stages/...), and moving
applications between stages (/staff/applications/<id>/move)."""

from __future__ import annotations

from typing import Any

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.errors import DomainError, Forbidden, NotFound
from portal.extensions import db
from portal.hiring import services
from portal.hiring.forms import (
    MoveForm,
    OpeningForm,
    StageForm,
)
from portal.hiring.models import Application, Interview, Opening, Stage
from portal.hiring.views import _form_error, _manager, _settings, bp
from portal.process import lifecycle
from portal.timeutil import utcnow
from portal.web import is_htmx_target


@bp.get("/openings")
def openings() -> Any:
    _manager()
    rows = db.session.execute(
        select(Opening, func.count(Application.id).filter(Application.closed_at.is_(None)))
        .outerjoin(Application, Application.opening_id == Opening.id)
        .group_by(Opening.id)
        .order_by(Opening.archived, Opening.created_at.desc())
    ).all()
    return render_template("staff/openings.html", rows=rows)


def _opening_data(form: OpeningForm) -> services.OpeningData:
    return services.OpeningData(
        title=form.title.data or "", team=form.team.data or "",
        description=form.description.data or "", language=form.language.data or "sv",
        response_days=form.response_days.data or 5,
        reference_questions=form.reference_questions.data or "")


@bp.route("/openings/new", methods=["GET", "POST"])
def new_opening() -> Any:
    _manager()
    form = OpeningForm()
    if form.validate_on_submit():
        opening = services.create_opening(db.session, current_user, _opening_data(form))
        db.session.commit()
        flash(_("Opening created."), "success")
        return redirect(url_for(".pipeline", opening_id=opening.id), 303)
    return render_template("staff/opening_form.html", form=form, opening=None), (
        422 if form.errors else 200)


@bp.route("/openings/<int:opening_id>/edit", methods=["GET", "POST"])
def edit_opening(opening_id: int) -> Any:
    opening = services.get_opening(db.session, current_user, opening_id)
    form = OpeningForm(obj=opening)
    if form.validate_on_submit():
        services.update_opening(db.session, current_user, opening, _opening_data(form))
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for(".pipeline", opening_id=opening.id), 303)
    return render_template("staff/opening_form.html", form=form, opening=opening), (
        422 if form.errors else 200)


@bp.route("/stages/<int:stage_id>", methods=["GET", "POST"])
def edit_stage(stage_id: int) -> Any:
    _manager()
    stage = db.get_or_404(Stage, stage_id)
    form = StageForm(obj=stage)
    if form.validate_on_submit():
        try:
            services.rename_stage(db.session, current_user, stage, form.name.data or "",
                                  form.public_name_en.data or "",
                                  form.public_name_sv.data or "")
        except DomainError as exc:
            _form_error(form, exc)
        else:
            db.session.commit()
            return redirect(url_for(".pipeline", opening_id=stage.opening_id), 303)
    return render_template("staff/stage_form.html", form=form, stage=stage), (
        422 if form.errors else 200)


def _pipeline_context(opening: Opening) -> dict[str, Any]:
    applications = db.session.scalars(
        select(Application)
        .where(Application.opening_id == opening.id)
        .options(selectinload(Application.candidate), selectinload(Application.interviews))
        .order_by(Application.updated_at.desc())
    ).all()
    columns = {stage.id: [] for stage in opening.stages}  # type: dict[int, list[Application]]
    for application in applications:
        columns.setdefault(application.stage_id, []).append(application)
    from portal.booking.services import waiting_to_book

    now = utcnow()
    return {"opening": opening, "columns": columns, "now": now,
            "tz": _settings().default_timezone,
            # Cards show a time offered and not booked yet, and since when.
            "waiting": waiting_to_book(db.session, [a.id for a in applications], now)}


@bp.get("/openings/<int:opening_id>")
def pipeline(opening_id: int) -> Any:
    """The opening's candidates by stage; cards move in place through htmx."""
    opening = services.get_opening(db.session, current_user, opening_id)
    return render_template("staff/pipeline.html", **_pipeline_context(opening))


def _move_confirmation(application: Application, stage: Stage, form: Any) -> Any:
    """What closing the process from the board or the candidate page also does: interviews
    still to come are cancelled and everyone invited is emailed."""
    from portal.confirm import Confirmation
    from portal.web import fmt_when

    tz = _settings().default_timezone
    said = [_("%(name)s moves to %(stage)s and the process closes.",
              name=application.candidate.name, stage=stage.display_name)]
    said += [_("%(round)s, %(when)s, is cancelled, and the candidate and the panel get a "
               "cancellation.", round=i.round_name, when=fmt_when(i.starts_at, i.ends_at, tz))
             for i in _live_interviews(application)]
    back = request.values.get("back")
    return Confirmation(
        slot=f"confirm-move-{application.id}", title=_("Close this process?"),
        consequences=said, action=url_for(".move", application_id=application.id),
        button=_("Yes, move and cancel"),
        back=url_for(".candidate", candidate_id=application.candidate_id) if back == "candidate"
        else url_for(".pipeline", opening_id=application.opening_id),
        hidden={"stage_id": str(stage.id), "back": back or "",
                "next_step_by": form.next_step_by.raw_data[0] if form.next_step_by.raw_data
                else ""})


def _live_interviews(application: Application) -> list[Interview]:
    now = utcnow()
    return [i for i in application.interviews
            if not i.is_cancelled and i.ends_at > now and i.invited_at]


@bp.route("/applications/<int:application_id>/move", methods=["GET", "POST"])
def move(application_id: int) -> Any:
    """Move an application to another stage (htmx swaps #pipeline; works without JS). A
    move that closes the process and cancels interviews asks first."""
    from portal.confirm import ask, confirmed

    application = services.get_application(db.session, current_user, application_id)
    if request.method == "GET":  # the confirm page, reached from an htmx move
        form = MoveForm(formdata=request.args, meta={"csrf": False})
        valid = form.validate()
    else:
        form = MoveForm()
        valid = form.validate_on_submit()
    stage = db.session.get(Stage, form.stage_id.data) if valid and form.stage_id.data else None
    if stage is None or stage.opening_id != application.opening_id:
        abort(400 if stage is None else 404)
    if (stage.is_end and not application.is_closed and _live_interviews(application)
            and (request.method == "GET" or not confirmed(request.form))):
        if request.method == "POST" and request.htmx:
            response = Response(status=204)
            response.headers["HX-Redirect"] = url_for(
                ".move", application_id=application.id, stage_id=stage.id,
                back=request.form.get("back", ""))
            return response
        return ask("staff/confirm.html", _move_confirmation(application, stage, form),
                   200 if request.method == "GET" else 422)
    if request.method == "GET":
        return redirect(url_for(".pipeline", opening_id=application.opening_id), 303)
    try:
        if stage.id == application.stage_id:  # the same stage: only the promised date
            lifecycle.set_promise(db.session, current_user, application,
                                  form.next_step_by.data)
        else:
            lifecycle.move(db.session, _settings(), current_user, application, stage,
                           request.form.get("reason", ""), form.next_step_by.data)
    except (NotFound, Forbidden):
        raise
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
    back = request.form.get("back")
    if is_htmx_target("pipeline"):
        return render_template("staff/_pipeline_board.html",
                               **_pipeline_context(application.opening))
    if back == "candidate":
        return redirect(url_for(".candidate", candidate_id=application.candidate_id), 303)
    return redirect(url_for(".pipeline", opening_id=application.opening_id), 303)
