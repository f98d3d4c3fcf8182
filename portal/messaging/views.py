"""Staff view of the outbox: what was sent, what failed (with a retry), and in demo mode
the mailbox where a new user reads the candidate's email and clicks its link."""

from __future__ import annotations

import re
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select

from portal.accounts.models import Role
from portal.accounts.views import guard_staff
from portal.extensions import db
from portal.messaging import services
from portal.messaging.models import MessageStatus, OutboxMessage

bp = Blueprint("messaging", __name__, url_prefix="/staff/outbox")
guard_staff(bp, roles=(Role.ADMIN.value, Role.RECRUITER.value))

HTML_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"


@bp.get("/")
def outbox() -> Any:
    """Every email, newest first, filterable by status."""
    status = request.args.get("status", "")
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(200)
    if status in {s.value for s in MessageStatus}:
        query = query.where(OutboxMessage.status == status)
    else:
        status = ""
    return render_template("staff/outbox.html", messages=db.session.scalars(query).all(),
                           status=status)


TOKEN = re.compile(r"/c/[A-Za-z0-9_\-\.]{16,}")


def _shown_body(text: str) -> str:
    """In production a sign-in link in a sent email is the candidate's key: staff see that
    one was sent, not the link. The demo mailbox shows it, so a new user can click it."""
    if current_app.config["PORTAL"].mail_backend == "database":
        return text
    return TOKEN.sub("/c/[…]", text)


@bp.get("/<int:message_id>")
def message(message_id: int) -> Any:
    item = db.get_or_404(OutboxMessage, message_id)
    return render_template("staff/message.html", message=item, body=_shown_body(item.text_body))


@bp.get("/<int:message_id>/html")
def message_html(message_id: int) -> Response:
    """The HTML version exactly as sent, under a policy that runs nothing."""
    item = db.get_or_404(OutboxMessage, message_id)
    response = Response(_shown_body(item.html_body), mimetype="text/html")
    response.headers["Content-Security-Policy"] = HTML_CSP
    return response


@bp.get("/<int:message_id>/invite.ics")
def message_ics(message_id: int) -> Response:
    item = db.get_or_404(OutboxMessage, message_id)
    if not item.ics:
        abort(404)
    return Response(item.ics, mimetype="text/calendar")


@bp.post("/<int:message_id>/retry")
def retry(message_id: int) -> Any:
    item = db.get_or_404(OutboxMessage, message_id)
    if item.status != MessageStatus.FAILED:
        abort(400)
    services.retry(db.session, item)
    db.session.commit()
    flash(_("The message is back in line; the worker will try again shortly."), "success")
    return redirect(url_for(".outbox", status="failed"), 303)
