"""Back office: decide on an application and tell the candidate; message templates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts.views import guard_staff
from portal.decisions import services as ds
from portal.decisions.models import KINDS
from portal.errors import DomainError
from portal.extensions import db
from portal.hiring import services as hiring
from portal.process import lifecycle
from portal.timeutil import is_valid_zone, utcnow, zone
from portal.web import is_htmx_target

bp = Blueprint("decisions", __name__, url_prefix="/staff")
guard_staff(bp)


def _send_at() -> datetime | None:
    """'now', or a local date and time in the back office's zone."""
    if request.form.get("when") != "later":
        return None
    raw = f"{request.form.get('send_date', '')} {request.form.get('send_time', '')}".strip()
    try:
        local = datetime.strptime(raw, "%Y-%m-%d %H:%M")
    except ValueError:
        raise DomainError(_("Give a date and time for sending."), field="send_at") from None
    tzname = current_app.config["PORTAL"].default_timezone
    return local.replace(tzinfo=zone(tzname if is_valid_zone(tzname) else None))


def _default_kind(application: Any, decision: str) -> str:
    if decision == "offer":
        return "offer"
    if decision == "advance":
        return "next_round"
    return "reject_interview" if application.interviews else "reject_screening"


@bp.route("/applications/<int:application_id>/decide", methods=["GET", "POST"])
def decide(application_id: int) -> Any:
    """Record a decision and write to the candidate from a template (preview first)."""
    hiring.require_manager(current_user)
    application = hiring.get_application(db.session, current_user, application_id)
    decision = request.values.get("decision", "reject")
    if decision not in ("advance", "reject", "offer"):
        abort(400)
    kind = request.values.get("kind") or _default_kind(application, decision)
    if kind not in KINDS:
        abort(400)
    personal = request.values.get("personal_line", "")[:1000]
    subject, body = ds.compose(db.session, application, kind, personal)
    if request.form.get("action") == "preview" and is_htmx_target("message-fields"):
        return render_template("staff/_message_fields.html", subject=subject, body=body)
    error = None
    if request.method == "POST" and request.form.get("action") in ("send", "skip"):
        try:
            send_at = _send_at() if request.form.get("action") == "send" else None
            lifecycle.decide(db.session, current_app.config["PORTAL"], current_user,
                             application, decision, request.form.get("reason", ""))
            if request.form.get("action") == "skip":
                ds.record_no_message(db.session, current_user, application,
                                     request.form.get("why", ""))
            else:
                ds.schedule(db.session, current_user, application, kind,
                            request.form.get("subject", subject),
                            request.form.get("body", body), send_at,
                            current_app.config["PORTAL"])
        except DomainError as exc:
            db.session.rollback()
            error = str(exc.message)
        else:
            db.session.commit()
            flash(_("Decision recorded."), "success")
            return redirect(url_for("hiring.candidate", candidate_id=application.candidate_id),
                            303)
    if request.method == "POST" and request.form.get("action") in ("send", "skip"):
        subject = request.form.get("subject", subject)
        body = request.form.get("body", body)
    reasons = ds.reasons(db.session)
    db.session.commit()  # templates and reasons are created on first use
    now = utcnow()
    # What a rejection also does, said before it is done.
    cancels = [i for i in application.interviews if not i.is_cancelled and i.ends_at > now
               ] if decision == "reject" else []
    target = None
    if decision == "advance":
        try:
            target = lifecycle.advance_target(application)
        except DomainError as exc:
            error = error or str(exc.message)
    return render_template(
        "staff/decide.html", application=application, decision=decision, kind=kind,
        cancels=cancels, target=target, tz=current_app.config["PORTAL"].default_timezone,
        kinds=KINDS, reasons=reasons, subject=subject, body=body,
        personal=personal, error=error, form=request.form), (422 if error else 200)


@bp.route("/templates", methods=["GET", "POST"])
def templates() -> Any:
    """The outcome messages in both languages, and the reasons for rejection."""
    hiring.require_manager(current_user)
    rows = ds.all_templates(db.session)
    error_for = None
    error = None
    if request.method == "POST":
        row = next((r for r in rows if str(r.id) == request.form.get("template_id")), None)
        if row is None:
            abort(400)
        try:
            ds.save_template(db.session, current_user, row, request.form.get("subject", ""),
                             request.form.get("body", ""))
        except DomainError as exc:
            db.session.rollback()
            error, error_for = str(exc.message), row.id
            rows = ds.all_templates(db.session)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for(".templates") + f"#t-{row.id}", 303)
    reasons = ds.reasons(db.session)
    db.session.commit()
    return render_template("staff/templates.html", rows=rows, error=error, error_for=error_for,
                           form=request.form, reasons=reasons), (
        422 if error else 200)


@bp.post("/templates/reasons")
def add_reason() -> Any:
    hiring.require_manager(current_user)
    try:
        ds.add_reason(db.session, current_user, request.form.get("label", ""))
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
    return redirect(url_for(".templates") + "#reasons", 303)


@bp.post("/templates/reasons/<int:reason_id>/remove")
def remove_reason(reason_id: int) -> Any:
    hiring.require_manager(current_user)
    from portal.decisions.models import RejectionReason

    reason = db.session.get(RejectionReason, reason_id)
    if reason is None:
        abort(404)
    try:
        ds.remove_reason(db.session, current_user, reason)
    except DomainError as exc:
        flash(str(exc.message), "error")
    else:
        db.session.commit()
    return redirect(url_for(".templates") + "#reasons", 303)
