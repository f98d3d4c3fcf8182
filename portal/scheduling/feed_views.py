"""The private calendar address: made, shown once and revoked on the member's availability
page (/staff/availability/feed), and fetched by calendar apps without a session
(/calendar/<token>.ics)."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from portal.extensions import db, limiter
from portal.ratelimit import client
from portal.scheduling import feed
from portal.scheduling.calendars import member_zone
from portal.scheduling.views import bp as staff_bp
from portal.web import is_htmx_target

bp = Blueprint("calendar_feed", __name__)
PUBLIC = frozenset({"calendar_feed.ics"})
TARGET = "calendar-feed"


@bp.before_request
def _deny_by_default() -> Any:
    """Only the feed itself is reachable here, and only with its token."""
    if request.endpoint not in PUBLIC:
        abort(404)


def _per_feed() -> str:
    """Each address has its own budget, so one app polling too often slows only itself
    (and many addresses behind one calendar service's servers do not share one)."""
    token = (request.view_args or {}).get("token", "")
    return "feed:" + feed.token_hash(str(token))[:32]


@bp.get("/calendar/<token>.ics")
@limiter.limit("30 per 10 minutes", key_func=_per_feed)
@limiter.limit("300 per 10 minutes", key_func=client)
def ics(token: str) -> Any:
    """The member's interviews as iCalendar; 404 for an unknown or revoked address."""
    user = feed.owner_of(db.session, token)
    if user is None:
        abort(404)
    body = feed.feed_ics(db.session, current_app.config["PORTAL"], user)
    feed.note_use(db.session, user)
    db.session.commit()
    response = make_response(body)
    response.mimetype = "text/calendar"
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = 'inline; filename="interviews.ics"'
    # Personal data: a browser or the calendar app may keep it a moment, no shared cache.
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def feed_url(token: str) -> str:
    """The full address a calendar app subscribes to."""
    return (current_app.config["PORTAL"].base_url.rstrip("/")
            + url_for("calendar_feed.ics", token=token))


def _answer(token: str | None, status: int = 200) -> Any:
    """The feed's part of the availability page (htmx), or a page of its own."""
    settings = current_app.config["PORTAL"]
    context = {"feed": feed.feed_of(db.session, current_user), "token": token,
               "feed_url": feed_url(token) if token else "",
               "feed_tz": member_zone(db.session, current_user.id, settings).key}
    template = ("staff/_calendar_feed.html" if is_htmx_target(TARGET)
                else "staff/calendar_feed.html")
    return render_template(template, **context), status


@staff_bp.post("/feed")
def create_feed() -> Any:
    """Make (or make anew) the member's calendar address and show it, this once."""
    token = feed.create_feed(db.session, current_user)
    db.session.commit()
    return _answer(token)


@staff_bp.post("/feed/revoke")
def revoke_feed() -> Any:
    """Stop the member's calendar address: it answers 404 from now on."""
    feed.revoke_feed(db.session, current_user)
    db.session.commit()
    if is_htmx_target(TARGET):
        return _answer(None)
    flash(_("Calendar address stopped. Calendar apps subscribed to it get nothing more."),
          "success")
    return redirect(url_for("scheduling.index") + "#calendar-feed", 303)
