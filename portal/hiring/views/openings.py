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
from portal.process import bulk, lifecycle
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
        reference_questions=form.reference_questions.data or "",
        recruiter_id=form.recruiter_id.data or None, published=bool(form.published.data),
        brand_id=form.brand_id.data or None)


def _opening_form(opening: Opening | None = None) -> OpeningForm:
    """The form, with the active recruiters and admins to choose the responsible one from."""
    from portal.accounts.models import Role, User
    from portal.forms import choices

    form = OpeningForm(obj=opening)
    people = db.session.execute(
        select(User.id, User.name).where(User.active.is_(True),
                                         User.role.in_((Role.ADMIN, Role.RECRUITER)))
        .order_by(User.name)).all()
    form.recruiter_id.choices = choices([("", _("Nobody in particular")), *people])
    if opening is None and not form.is_submitted():
        form.recruiter_id.data = current_user.id
    from portal.branding.services import all_brands

    form.brand_id.choices = choices([("", _("The organisation's default brand")),
                                     *((b.id, b.name) for b in all_brands(db.session))])
    return form


@bp.route("/openings/new", methods=["GET", "POST"])
def new_opening() -> Any:
    _manager()
    form = _opening_form()
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
    form = _opening_form(opening)
    if form.validate_on_submit():
        services.update_opening(db.session, current_user, opening, _opening_data(form))
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for(".pipeline", opening_id=opening.id), 303)
    return render_template("staff/opening_form.html", form=form, opening=opening), (
        422 if form.errors else 200)


@bp.route("/stages/<int:stage_id>", methods=["GET", "POST"])
def edit_stage(stage_id: int) -> Any:
    """A stage's names and its rule (a message on entry), with a preview of that message
    as a sample candidate gets it; "Preview" (or htmx on change) shows it without saving."""
    _manager()
    stage = db.get_or_404(Stage, stage_id)
    form = StageForm(obj=stage)
    if stage.is_end:
        del form.entry_message  # a closing stage sends its outcome message instead
    previewing = request.form.get("action") == "preview"
    if not previewing and form.validate_on_submit():
        try:
            services.rename_stage(db.session, current_user, stage, form.name.data or "",
                                  form.public_name_en.data or "",
                                  form.public_name_sv.data or "")
            if not stage.is_end:
                services.set_entry_message(db.session, current_user, stage,
                                           form.entry_message.data or "")
        except DomainError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for(".pipeline", opening_id=stage.opening_id), 303)
    kind = stage.entry_message
    if not stage.is_end and request.method == "POST":
        kind = request.form.get("entry_message", "")
    previews = _entry_previews(stage, kind)
    if is_htmx_target("entry-preview"):
        return render_template("staff/_stage_preview.html", previews=previews, kind=kind)
    return render_template("staff/stage_form.html", form=form, stage=stage, previews=previews,
                           kind=kind), (422 if form.errors else 200)


def _entry_previews(stage: Stage, kind: str) -> list[tuple[str, str, str]]:
    """(language label, subject, text) of the stage's message in Swedish and English."""
    from portal.process.stage_rules import preview

    if kind not in services.ENTRY_MESSAGE_KINDS:
        return []
    result = [(label, *preview(db.session, _settings(), stage, kind, lang))
              for lang, label in (("sv", _("Swedish")), ("en", _("English")))]
    db.session.commit()  # the templates are created on first use
    return result


# A column shows this many cards at first; "show all" loads the rest. An opening with
# thousands of applications still renders its board at once.
CARDS_PER_COLUMN = 50


def _stage_counts(opening_id: int, stage_ids: list[int] | None = None) -> dict[int, int]:
    query = (select(Application.stage_id, func.count(Application.id))
             .where(Application.opening_id == opening_id).group_by(Application.stage_id))
    if stage_ids is not None:
        query = query.where(Application.stage_id.in_(stage_ids))
    return {stage_id: n for stage_id, n in db.session.execute(query)}


def _column_cards(opening: Opening, show_all: int | None) -> dict[int, list[Application]]:
    """The newest cards of every column (all of them for ``show_all``), in one query."""
    rank = func.row_number().over(
        partition_by=Application.stage_id,
        order_by=(Application.updated_at.desc(), Application.id.desc())).label("rank")
    ranked = (select(Application.id, Application.stage_id, rank)
              .where(Application.opening_id == opening.id).subquery())
    shown = (ranked.c.rank <= CARDS_PER_COLUMN) if show_all is None else (
        (ranked.c.rank <= CARDS_PER_COLUMN) | (ranked.c.stage_id == show_all))
    applications = db.session.scalars(
        select(Application).join(ranked, ranked.c.id == Application.id).where(shown)
        .options(selectinload(Application.candidate), selectinload(Application.interviews))
        .order_by(Application.updated_at.desc(), Application.id.desc())
    ).all()
    columns = {stage.id: [] for stage in opening.stages}  # type: dict[int, list[Application]]
    for application in applications:
        columns.setdefault(application.stage_id, []).append(application)
    return columns


def _card_context(opening: Opening, applications: list[Application]) -> dict[str, Any]:
    """What a card shows besides its application: the time now and booking offers."""
    from portal.booking.services import waiting_to_book

    now = utcnow()
    return {"opening": opening, "now": now, "tz": _settings().default_timezone,
            # Cards show a time offered and not booked yet, and since when.
            "waiting": waiting_to_book(db.session, [a.id for a in applications], now)}


def _pipeline_context(opening: Opening, show_all: int | None = None) -> dict[str, Any]:
    columns = _column_cards(opening, show_all)
    return {"columns": columns, "counts": _stage_counts(opening.id),
            "per_column": CARDS_PER_COLUMN, "show_all": show_all,
            **_card_context(opening, [a for cards in columns.values() for a in cards])}


@bp.get("/openings/<int:opening_id>")
def pipeline(opening_id: int) -> Any:
    """The opening's candidates by stage, the newest first and at most ``CARDS_PER_COLUMN``
    a column; ``?all=<stage id>`` shows all of one column (htmx asks for just its cards)."""
    opening = services.get_opening(db.session, current_user, opening_id)
    raw = request.args.get("all", "")
    wanted = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None
    show_all = wanted if any(s.id == wanted for s in opening.stages) else None
    context = _pipeline_context(opening, show_all)
    if show_all is not None and is_htmx_target(f"cards-{show_all}"):
        stage = next(s for s in opening.stages if s.id == show_all)
        return render_template("staff/_pipeline_cards.html", stage=stage,
                               cards=context["columns"].get(stage.id, []), **context)
    return render_template("staff/pipeline.html", bulk_actions=bulk.action_choices(),
                           **context)


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
    before = application.stage
    error, status = None, 200
    try:
        if stage.id == application.stage_id:  # the same stage: only the promised date
            lifecycle.set_promise(db.session, current_user, application,
                                  form.next_step_by.data)
        else:
            lifecycle.move(db.session, _settings(), current_user, application, stage,
                           request.form.get("reason", ""), form.next_step_by.data,
                           expected_stage_id=_from_stage())
    except (NotFound, Forbidden):
        raise
    except lifecycle.StageConflict as exc:
        db.session.rollback()
        error, status = str(exc.message), 409
        # The card goes to where the application is now, with the news on it.
        shown = db.session.get(Stage, _from_stage())
        before = shown if shown and shown.opening_id == application.opening_id else before
    except DomainError as exc:
        db.session.rollback()
        error, status = str(exc.message), 422
    else:
        db.session.commit()
    back = request.form.get("back")
    if is_htmx_target(f"app-{application.id}"):
        return _moved(application, before, error), status
    if error:
        flash(error, "error")
    if back == "candidate":
        return redirect(url_for(".candidate", candidate_id=application.candidate_id), 303)
    return redirect(url_for(".pipeline", opening_id=application.opening_id), 303)


def _from_stage() -> int | None:
    """The column the card was in on the mover's screen (the board sends it)."""
    raw = request.form.get("from_stage", "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None


def _moved(application: Application, before: Stage, error: str | None) -> str:
    """Only what a move changed on the board (htmx out-of-band swaps): the card leaves
    its old column and opens the new one, both counts, and a line for screen readers. A
    refusal puts the card back with the reason on it."""
    db.session.refresh(application)
    counts = _stage_counts(application.opening_id, [before.id, application.stage_id])
    return render_template(
        "staff/_pipeline_moved.html", app=application, before=before, error=error,
        counts=counts, moved=application.stage_id != before.id,
        **_card_context(application.opening, [application]))
