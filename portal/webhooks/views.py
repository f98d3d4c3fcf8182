"""For admins (/staff/webhooks): register endpoints, read each one's delivery log, replay a
delivery, switch an endpoint off or remove it. The signing secret is shown on the
endpoint's own page, to admins only."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length

from portal.accounts.models import Role
from portal.accounts.views import guard_staff
from portal.errors import DomainError
from portal.extensions import db
from portal.forms import SingleLine, choices
from portal.webhooks import sealing, services
from portal.webhooks.events import EVENT_TYPES

bp = Blueprint("webhooks", __name__, url_prefix="/staff/webhooks")
guard_staff(bp, roles=(Role.ADMIN,))

EVENT_WORDS = {
    "application.created": _l("A candidate applied or was added"),
    "application.stage_changed": _l("An application moved to another stage"),
    "interview.scheduled": _l("An interview was scheduled"),
    "interview.confirmed": _l("A candidate confirmed an interview"),
    "interview.cancelled": _l("An interview was cancelled"),
    "booking.made": _l("A candidate booked a time"),
    "decision.recorded": _l("A decision was recorded"),
    "candidate.erased": _l("A candidate's data was erased"),
}
STATUS_WORDS = {"pending": _l("Waiting"), "sending": _l("Sending"),
                "delivered": _l("Delivered"), "failed": _l("Failed")}


class EndpointForm(FlaskForm):
    url = StringField(_l("Address (URL)"), validators=[
        DataRequired(_l("Enter the full address, starting with https://.")),
        Length(max=2000)])
    description = StringField(_l("Description"), validators=[Length(max=200), SingleLine()])
    events = SelectMultipleField(_l("Events"), choices=choices((e, e) for e in EVENT_TYPES),
                                 option_widget=widgets.CheckboxInput(),
                                 widget=widgets.ListWidget(prefix_label=False))
    allow_private = BooleanField(_l("Allow a private or loopback address (an internal "
                                    "system on your own network)"))


def _index(form: EndpointForm, status: int = 200) -> Any:
    return render_template("staff/api_webhooks.html", form=form,
                           endpoints=services.endpoints(db.session, current_user),
                           events=EVENT_TYPES, event_words=EVENT_WORDS), status


@bp.get("/")
def index() -> Any:
    """Every endpoint, with how many of its deliveries failed."""
    return _index(EndpointForm(formdata=None))


@bp.post("/")
def create() -> Any:
    """Register an endpoint; its address is checked before it is saved."""
    form = EndpointForm()
    if form.validate_on_submit():
        if not form.events.data:
            form.events.errors = [_("Choose at least one event from the list.")]
            return _index(form, 422)
        try:
            endpoint = services.create_endpoint(
                db.session, current_app.config["PORTAL"], current_user, form.url.data or "",
                list(form.events.data), form.description.data or "",
                bool(form.allow_private.data))
        except DomainError as exc:
            getattr(form, exc.field or "url").errors = [str(exc.message)]
            return _index(form, 422)
        db.session.commit()
        flash(_("Endpoint saved. Give its signing secret to the receiving system."), "success")
        return redirect(url_for(".endpoint", endpoint_id=endpoint.id), 303)
    return _index(form, 422)


@bp.get("/<int:endpoint_id>")
def endpoint(endpoint_id: int) -> Any:
    """One endpoint: its secret, events and delivery log (newest first)."""
    item = services.get_endpoint(db.session, current_user, endpoint_id)
    try:
        secret, unreadable = services.signing_secret(
            current_app.config["PORTAL"], current_user, item), None
    except sealing.SecretUnreadable as exc:
        secret, unreadable = "", exc.message
    return render_template("staff/api_webhook.html", endpoint=item, secret=secret,
                           unreadable=unreadable,
                           deliveries=services.deliveries(db.session, current_user, item),
                           event_words=EVENT_WORDS, status_words=STATUS_WORDS)


@bp.post("/<int:endpoint_id>/deliveries/<int:delivery_id>/replay")
def replay(endpoint_id: int, delivery_id: int) -> Any:
    """Send a logged event again (the worker sends it on its next pass)."""
    item = services.get_endpoint(db.session, current_user, endpoint_id)
    services.replay(db.session, current_user, item, delivery_id)
    db.session.commit()
    flash(_("The event will be sent again in a moment."), "success")
    return redirect(url_for(".endpoint", endpoint_id=item.id), 303)


@bp.post("/<int:endpoint_id>/active")
def toggle(endpoint_id: int) -> Any:
    """Switch an endpoint off (nothing is sent while it is off) or on again."""
    item = services.get_endpoint(db.session, current_user, endpoint_id)
    services.set_active(db.session, current_user, item, not item.active)
    db.session.commit()
    flash(_("Endpoint switched on.") if item.active else _("Endpoint switched off."),
          "success")
    return redirect(url_for(".endpoint", endpoint_id=item.id), 303)


@bp.post("/<int:endpoint_id>/delete")
def delete(endpoint_id: int) -> Any:
    """Remove an endpoint and its log."""
    item = services.get_endpoint(db.session, current_user, endpoint_id)
    services.delete_endpoint(db.session, current_user, item)
    db.session.commit()
    flash(_("Endpoint removed."), "success")
    return redirect(url_for(".index"), 303)
