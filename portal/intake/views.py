"""The public page of a published opening (/jobs/<id>): anyone may read it and apply.

Deny by default: only the endpoints in PUBLIC answer; anything added later stays closed
(404) until it is listed."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from portal import ratelimit
from portal.errors import DomainError
from portal.extensions import db, limiter
from portal.intake import public
from portal.intake.forms import PublicApplyForm
from portal.web import current_lang

bp = Blueprint("jobs", __name__)
PUBLIC = {"jobs.opening", "jobs.apply", "jobs.thanks", "jobs.privacy_notice"}


@bp.before_request
def _deny_by_default() -> None:
    if request.endpoint not in PUBLIC:
        abort(404)


def _settings() -> Any:
    return current_app.config["PORTAL"]


def _render(opening: Any, form: PublicApplyForm, status: int = 200) -> Any:
    form.stamp.data = public.form_stamp(_settings(), opening.id)
    return render_template("jobs/opening.html", opening=opening, form=form), status


@bp.get("/jobs/<int:opening_id>")
def opening(opening_id: int) -> Any:
    """The opening's title, description and the form; 404 unless published."""
    item = public.published_opening(db.session, opening_id)
    return _render(item, PublicApplyForm(formdata=None))


@bp.post("/jobs/<int:opening_id>")
@limiter.limit("5 per 10 minutes; 30 per day", key_func=ratelimit.client)
@limiter.limit("5 per hour", key_func=ratelimit.typed_email)
def apply(opening_id: int) -> Any:
    """Take the application. Whatever the address typed, the answer is the same page."""
    item = public.published_opening(db.session, opening_id)
    form = PublicApplyForm()
    if request.form.get("website"):
        # A robot filled the hidden field: it gets the page a person gets, and nothing
        # is stored or sent.
        return redirect(url_for(".thanks", opening_id=item.id), 303)
    if not form.validate_on_submit():
        upload = request.files.get("cv")
        if upload is None or not upload.filename:
            form.cv.errors = [*form.cv.errors, _("Choose a PDF file.")]
        return _render(item, form, 422)
    try:
        public.check_stamp(_settings(), item.id, form.stamp.data or "",
                           min_seconds=current_app.config.get("APPLY_MIN_SECONDS",
                                                              public.MIN_SECONDS))
        upload = request.files.get("cv")
        public.apply_publicly(db.session, _settings(), item, public.PublicApplication(
            name=form.name.data or "", email=form.email.data or "",
            phone=form.phone.data or "", language=current_lang(),
            consent=bool(form.consent.data),
            cv_name=upload.filename if upload else None,
            cv_stream=upload.stream if upload and upload.filename else None))
    except DomainError as exc:
        db.session.rollback()
        target = getattr(form, exc.field or "", None) if exc.field != "stamp" else None
        if target is not None:
            target.errors = [*target.errors, str(exc.message)]
        else:
            form.form_errors.append(str(exc.message))
        return _render(item, form, 422)
    db.session.commit()
    return redirect(url_for(".thanks", opening_id=item.id), 303)


@bp.get("/jobs/<int:opening_id>/thanks")
def thanks(opening_id: int) -> Any:
    """What happens next, in plain words: the same for every application."""
    item = public.published_opening(db.session, opening_id)
    return render_template("jobs/thanks.html", opening=item)


@bp.get("/jobs/privacy")
def privacy_notice() -> Any:
    """The privacy notice an applicant agrees to; it reads nothing from the database."""
    return render_template("jobs/privacy.html", version=public.NOTICE_VERSION)
