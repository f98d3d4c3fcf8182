"""Writing to the outbox. Callers add messages in the same transaction as the change that
causes them; only the worker ever speaks SMTP."""

from __future__ import annotations

from email.utils import make_msgid, parseaddr
from typing import Any

from flask import current_app, render_template
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.branding.services import brand_for_opening, opening_of
from portal.extensions import db
from portal.i18n import force_locale
from portal.messaging.models import MessageStatus, OutboxMessage
from portal.timeutil import utcnow

# Headers a message may carry beyond the ones the worker always sets (RFC 2369, RFC 8058);
# a message's own Reply-To (a person, e.g. the responsible recruiter) replaces the
# configured MAIL_REPLY_TO.
EXTRA_HEADERS = frozenset({"List-Unsubscribe", "List-Unsubscribe-Post", "Reply-To"})
BRANDED_EMAILS = ("candidate_", "pool_", "referee_")


def new_message_id(mail_from: str) -> str:
    """A fresh, globally unique Message-ID in the sender's domain (never a DNS lookup)."""
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"
    return make_msgid("outbox", domain=domain)


def render_email(name: str, lang: str, **context: Any) -> tuple[str, str]:
    """Render ``emails/<name>.txt`` and ``.html`` in ``lang``; returns (text, html). An
    email carrying a candidate's sign-in link also links to their data page, where they can
    join, extend or leave the talent pool and take or erase their data. The footer invites
    a reply only when replies go somewhere (``MAIL_REPLY_TO``)."""
    link = context.get("link")
    if isinstance(link, str) and "/c/" in link and name.startswith(("candidate_", "pool_")):
        context.setdefault("privacy_link", link.split("?", 1)[0] + "?next=/portal/privacy")
    context.setdefault("can_reply", bool(current_app.config["PORTAL"].mail_reply_to))
    # Candidates, referees and the pool read the employer's brand (the opening's, else the
    # default); staff emails stay plain.
    if "email_brand" not in context and name.startswith(BRANDED_EMAILS):
        context["email_brand"] = brand_for_opening(db.session, opening_of(context))
    brand = context.get("email_brand")
    with force_locale(lang):
        text = render_template(f"emails/{name}.txt", lang=lang, **context)
        html = render_template(f"emails/{name}.html", lang=lang, **context)
    if brand is not None:
        text = f"{brand.name}\n\n{text}"
    return text, html


def enqueue(
    db: Session,
    *,
    kind: str,
    to_email: str,
    to_name: str,
    subject: str,
    text: str,
    html: str,
    ics: str | None = None,
    ics_method: str | None = None,
    candidate_id: int | None = None,
    interview_id: int | None = None,
    headers: dict[str, str] | None = None,
) -> OutboxMessage:
    """Add one email to the outbox (no commit: the caller's transaction decides).
    ``headers``: extra mail headers, only those in ``EXTRA_HEADERS``."""
    unknown = set(headers or {}) - EXTRA_HEADERS
    if unknown:
        raise ValueError(f"not an extra header the outbox carries: {sorted(unknown)}")
    message = OutboxMessage(
        kind=kind, to_email=to_email, to_name=to_name, subject=subject[:300], text_body=text,
        html_body=html, ics=ics, ics_method=ics_method, candidate_id=candidate_id,
        interview_id=interview_id, status=MessageStatus.PENDING.value, next_attempt_at=utcnow(),
        headers=dict(headers) if headers else None,
        message_id=new_message_id(current_app.config["PORTAL"].mail_from),
    )
    db.add(message)
    return message


def retry(db: Session, message: OutboxMessage) -> None:
    """Put a failed message back in line for the worker."""
    if message.status == MessageStatus.FAILED:
        message.status = MessageStatus.PENDING.value
        message.next_attempt_at = utcnow()
        message.last_error = ""
        message.attempts = 0


def failed_count(db: Session) -> int:
    from sqlalchemy import func

    return db.scalar(
        select(func.count(OutboxMessage.id)).where(OutboxMessage.status == MessageStatus.FAILED)
    ) or 0
