"""For admins (/staff/api-keys): make keys for other systems, see when each was last used,
revoke them. A new key is shown once, on the page that answers its creation."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length

from portal.accounts.models import Role
from portal.accounts.views import guard_staff
from portal.api import keys
from portal.errors import DomainError
from portal.extensions import db
from portal.forms import SingleLine, choices

bp = Blueprint("api_keys", __name__, url_prefix="/staff/api-keys")
guard_staff(bp, roles=(Role.ADMIN,))

AREA_WORDS = {
    "openings": _l("Openings"), "stages": _l("Stages"), "candidates": _l("Candidates"),
    "applications": _l("Applications"), "interviews": _l("Interviews"),
    "booking_requests": _l("Booking requests"), "decisions": _l("Decisions"),
    "scorecards": _l("Scorecards"), "pool": _l("Talent pool"),
}
ACCESS_WORDS = {"read": _l("read"), "write": _l("change")}


def scope_label(scope: str) -> str:
    area, _sep, access = scope.partition(":")
    return f"{AREA_WORDS.get(area, area)}: {ACCESS_WORDS.get(access, access)}"


class KeyForm(FlaskForm):
    name = StringField(_l("Name"), validators=[
        DataRequired(_l("Give the key a name, e.g. the system that will use it.")),
        Length(max=120), SingleLine()])
    scopes = SelectMultipleField(
        _l("Permissions"), choices=choices((s, s) for s in keys.SCOPES),
        option_widget=widgets.CheckboxInput(), widget=widgets.ListWidget(prefix_label=False),
        validate_choice=True)


def _page(form: KeyForm, token: str = "", status: int = 200) -> Any:
    return render_template("staff/api_keys.html", form=form, token=token,
                           api_keys=keys.all_keys(db.session, current_user),
                           scope_label=scope_label, scopes=keys.SCOPES), status


@bp.get("/")
def index() -> Any:
    """The keys, newest first; revoked ones last."""
    return _page(KeyForm(formdata=None))


@bp.post("/")
def create() -> Any:
    """Make a key; its token is on this answer only."""
    form = KeyForm()
    if form.validate_on_submit():
        if not form.scopes.data:
            form.scopes.errors = [_("Choose at least one permission from the list.")]
            return _page(form, status=422)
        try:
            made = keys.create_key(db.session, current_user, form.name.data or "",
                                   list(form.scopes.data))
        except DomainError as exc:
            getattr(form, exc.field or "name").errors = [str(exc.message)]
            return _page(form, status=422)
        db.session.commit()
        return _page(KeyForm(formdata=None), token=made.token)
    return _page(form, status=422)


@bp.post("/<int:key_id>/revoke")
def revoke(key_id: int) -> Any:
    """Revoke a key at once: the next request with it is refused."""
    key = keys.revoke(db.session, current_user, key_id)
    db.session.commit()
    flash(_("The key %(name)s is revoked.", name=key.name), "success")
    return redirect(url_for(".index"), 303)
