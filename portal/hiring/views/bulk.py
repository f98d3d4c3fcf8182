"""Acting on many candidates at once (/staff/bulk): the ticks on the board and on the
candidates page lead to a preview that lists who gets what and who is skipped and why;
confirming does it (``process.bulk``) in one transaction."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from portal.decisions import services as ds
from portal.errors import DomainError
from portal.extensions import db
from portal.forms import MAX_ID
from portal.hiring.models import Stage
from portal.hiring.models import stage_label as label_of
from portal.hiring.views import _manager, _settings, bp
from portal.process import bulk
from portal.web import safe_next


def _ids() -> list[int]:
    """The ticked application ids; anything that is not an id is dropped."""
    ids = []
    for raw in request.form.getlist("application_id"):
        raw = raw.strip()
        if raw.isascii() and raw.isdigit() and len(raw) < 11 and 0 < int(raw) <= MAX_ID:
            ids.append(int(raw))
    return list(dict.fromkeys(ids))


def _choice() -> bulk.Choice:
    form = request.form
    action = form.get("action", "")
    kind = form.get("kind", "")
    if not kind:  # the first choice of the list, until the recruiter picks one
        kind = {"reject": bulk.REJECT_KINDS[0], "message": bulk.FREE_TEXT}.get(action, "")
    return bulk.Choice(
        action=action, stage_name=form.get("stage_name", "")[:80], kind=kind[:30],
        reason=form.get("reason", "")[:120], personal_line=form.get("personal_line", "")[:1000],
        subject=form.get("subject", "")[:200].replace("\r", " ").replace("\n", " "),
        body=form.get("body", "")[:10000])


def _back() -> str:
    return safe_next(request.form.get("back"), url_for(".candidates"))


def _page(plan: bulk.Plan | None, ids: list[int], choice: bulk.Choice, error: str | None,
          status: int) -> Any:
    stage_names = sorted({s.name for line in (plan.lines if plan else [])
                          for s in line.application.opening.stages}) or sorted(
        set(db.session.scalars(db.select(Stage.name).distinct())))
    reasons = ds.reasons(db.session)
    if choice.action == "reject" and not choice.reason and reasons:
        choice.reason = reasons[0].label
    return render_template(
        "staff/bulk_preview.html", plan=plan, ids=ids, choice=choice, error=error,
        back=_back(), actions=bulk.action_choices(), stage_names=stage_names,
        stage_label=label_of, reasons=reasons, reject_kinds=bulk.REJECT_KINDS,
        message_kinds=bulk.MESSAGE_KINDS, free_text=bulk.FREE_TEXT,
        kind_labels=_kind_labels()), status


def _kind_labels() -> dict[str, str]:
    """The templates' names, as the templates page and the decision page call them."""
    return {"next_round": _("Invitation to the next round"),
            "reject_screening": _("Rejection after screening"),
            "reject_interview": _("Rejection after interview"), "offer": _("Offer"),
            bulk.FREE_TEXT: _("Your own words")}


@bp.post("/bulk")
def bulk_preview() -> Any:
    """The preview: who gets what, who is skipped and why. Nothing changes here."""
    _manager()
    ids = _ids()
    choice = _choice()
    if not ids:
        flash(_("Tick at least one candidate first."), "error")
        return redirect(_back(), 303)
    try:
        applications, missing = bulk.choose(db.session, current_user, ids)
        if choice.action == "reject" and not choice.reason:
            choice.reason = next(iter(r.label for r in ds.reasons(db.session)), "")
        if choice.action == "move" and not choice.stage_name and applications:
            choice.stage_name = applications[0].opening.stages[0].name
        plan = bulk.plan(db.session, current_user, applications, missing, choice)
    except DomainError as exc:
        db.session.rollback()
        return _page(None, ids, choice, str(exc.message), 422)
    response = _page(plan, ids, choice, None, 200)
    db.session.commit()  # templates and reasons are created on first use
    return response


@bp.post("/bulk/confirm")
def bulk_confirm() -> Any:
    """Do what the preview showed, in one transaction: all of it (minus what the fresh
    check skips, listed) or, when a rule refuses midway, none of it."""
    _manager()
    ids = _ids()
    choice = _choice()
    if not ids:
        flash(_("Tick at least one candidate first."), "error")
        return redirect(_back(), 303)
    try:
        applications, missing = bulk.choose(db.session, current_user, ids)
        done = bulk.carry_out(db.session, _settings(), current_user, applications, missing,
                              choice)
    except DomainError as exc:
        db.session.rollback()
        applications, missing = bulk.choose(db.session, current_user, ids)
        try:
            plan = bulk.plan(db.session, current_user, applications, missing, choice)
        except DomainError:
            plan = None
        return _page(plan, ids, choice, _("Nothing was done: %(reason)s",
                                          reason=str(exc.message)), 422)
    if choice.action == "booking":
        db.session.rollback()  # only locks were taken; the booking form does the rest
        keep = [line.application for line in done.doing]
        if not keep:
            flash(_("Nobody to offer times to: everyone ticked was skipped."), "error")
            return redirect(_back(), 303)
        return redirect(url_for("booking.new_for_applications",
                                opening_id=keep[0].opening_id,
                                application_id=[a.id for a in keep]), 303)
    db.session.commit()
    names = ", ".join(line.application.candidate.name for line in done.doing)
    if done.doing:
        flash(ngettext("Done for %(num)d candidate: %(names)s.",
                       "Done for %(num)d candidates: %(names)s.", len(done.doing),
                       names=names), "success")
    for line in done.skipping:
        flash(_("Skipped %(name)s: %(why)s", name=line.application.candidate.name,
                why=line.skipped), "error")
    if done.missing:
        flash(_("Not found (or not yours to see): %(ids)s.",
                ids=", ".join(str(i) for i in done.missing)), "error")
    return redirect(_back(), 303)
