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

from portal import logs
from portal.accounts.models import Role
from portal.accounts.views import guard_staff
from portal.extensions import db
from portal.messaging import services
from portal.messaging.models import MessageStatus, OutboxMessage

bp = Blueprint("messaging", __name__, url_prefix="/staff/outbox")
guard_staff(bp, roles=(Role.ADMIN.value, Role.RECRUITER.value))

# Images: inline ones and our own (brand logos, served from this origin); nothing else.
HTML_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data: 'self'; "
            "frame-ancestors 'none'")


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


# A bearer token is long: itsdangerous' signature alone is 27 characters.
def _token_pattern() -> re.Pattern[str]:
    """Every URL path that carries a bearer token, derived from the routes that take one
    (``/c/<token>``, ``/r/<token>``, ``/pool/<token>``, ``/pool/<token>/unsubscribe``, and
    any added later), so a new purpose is hidden without anyone remembering to list it.
    The path up to the token is kept (group 1): staff still see what kind of link went."""
    return logs.token_pattern(current_app.url_map.iter_rules())


def _shows_links() -> bool:
    """Only the demo mailbox shows links: there a new user clicks through as the candidate.
    Anywhere else a link in a sent email is that person's key (a candidate's sign-in, a
    referee's form, a pool extension or unsubscribe), and staff must not be able to act as
    them, whichever mail backend keeps the messages."""
    return bool(current_app.config["PORTAL"].env == "demo")


def _shown_body(text: str) -> str:
    """The body with every bearer link's token replaced, outside the demo."""
    if _shows_links():
        return text
    return _token_pattern().sub(r"\1[…]", text)


def _fold(line: str) -> str:
    """RFC 5545 3.1: lines of at most 75 octets, continued after CRLF and a space."""
    out: list[str] = []
    chunk, size = "", 0
    for char in line:
        width = len(char.encode())
        if size + width > 75:
            out.append(chunk)
            chunk, size = " ", 1
        chunk += char
        size += width
    out.append(chunk)
    return "\r\n".join(out)


def _shown_ics(ics: str) -> str:
    """The calendar file with bearer links hidden: unfolded first, so a token split over
    two folded lines is still found, then folded again."""
    if _shows_links():
        return ics
    unfolded = re.sub(r"\r?\n[ \t]", "", ics)
    return "\r\n".join(_fold(line) if line else line
                       for line in _shown_body(unfolded).split("\r\n"))


@bp.get("/<int:message_id>")
def message(message_id: int) -> Any:
    item = db.get_or_404(OutboxMessage, message_id)
    # The email is in its reader's language, which may not be the page's: say so, for
    # screen readers and translation tools.
    lang = MAIL_LANG.search(item.html_body or "")
    return render_template("staff/message.html", message=item, body=_shown_body(item.text_body),
                           mail_lang=lang.group(1) if lang else None)


MAIL_LANG = re.compile(r'<html lang="([a-z]{2})"')


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
    return Response(_shown_ics(item.ics), mimetype="text/calendar")


@bp.post("/<int:message_id>/retry")
def retry(message_id: int) -> Any:
    item = db.get_or_404(OutboxMessage, message_id)
    if item.status != MessageStatus.FAILED:
        abort(400)
    services.retry(db.session, item)
    db.session.commit()
    flash(_("The message is back in line; the worker will try again shortly."), "success")
    return redirect(url_for(".outbox", status="failed"), 303)
