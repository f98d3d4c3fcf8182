"""Applying on an opening's public page.

A person who is not yet a candidate sends name, email, phone, a CV and consent to the
privacy notice; they become a candidate in the opening's first stage (source "public
page") and get their portal link through the outbox. Someone who already has an open
application to the same opening, or was turned down for it lately, gets the same answer
page as anyone (the page reveals nothing about the address typed), an email to the address
on file, and the recruiter sees a flag on the application.

Spam is held off without anyone else's service: a honeypot field (the view's part), a
signed timestamp in the form (too fast or too old is refused kindly) and rate limits per
address and per email (the view's decorators).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.errors import DomainError, NotFound
from portal.hiring.models import (
    Application,
    Candidate,
    Opening,
    StageKind,
    application_cv_path,
)
from portal.links.services import issue_link, link_url
from portal.locks import insert_if_missing, lock
from portal.messaging.services import enqueue, render_email
from portal.pool.services import read_cv
from portal.privacy.models import NoticeConsent
from portal.privacy.services import add_months, audit
from portal.process.lifecycle import Actor
from portal.process.lifecycle import apply as lifecycle_apply
from portal.settings import Settings
from portal.text import require_single_line
from portal.timeutil import utcnow

SOURCE_PUBLIC = "public_page"
# The privacy notice's version, recorded with each consent (the page /jobs/privacy).
NOTICE_VERSION = "2026-12-02.1"
MIN_SECONDS = 3  # a person needs longer than this to fill in the form
MAX_SECONDS = 12 * 60 * 60  # a form older than this is sent again with a fresh stamp
REJECTION_MONTHS = 6  # a person turned down lately is not put through again
_STAMP_SALT = "portal.public-apply-stamp.v1"


# ---------------------------------------------------------------- the form's time stamp


def _stamp_serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer([*settings.secret_key_fallbacks, settings.secret_key],
                             salt=_STAMP_SALT)


def form_stamp(settings: Settings, opening_id: int, at: float | None = None) -> str:
    """A signed note of when the form was shown, and for which opening."""
    return _stamp_serializer(settings).dumps({"o": opening_id, "t": int(at or time.time())})


def check_stamp(settings: Settings, opening_id: int, stamp: str,
                now: float | None = None, min_seconds: int = MIN_SECONDS) -> None:
    """Refuse a form sent faster than a person could, or long after it was shown."""
    try:
        data = _stamp_serializer(settings).loads(stamp or "")
    except BadSignature:
        data = None
    if not isinstance(data, dict) or data.get("o") != opening_id or not isinstance(
            data.get("t"), int):
        raise DomainError(_l("The form had expired. We have loaded it again: please send "
                             "it once more."), field="stamp")
    age = (now or time.time()) - data["t"]
    if age < min_seconds:
        raise DomainError(_l("That was very quick, so we could not tell you from a robot. "
                             "Please check your details and send the form again."),
                          field="stamp")
    if age > MAX_SECONDS:
        raise DomainError(_l("The form had been open for a long time. We have loaded it "
                             "again: please send it once more."), field="stamp")


# ---------------------------------------------------------------- the opening


def published_opening(db: Session, opening_id: int) -> Opening:
    """An opening whose public page is on; anything else is not found."""
    opening = db.get(Opening, opening_id)
    if opening is None or not opening.published or opening.archived:
        raise NotFound(_l("No such opening."))
    return opening


def public_url(settings: Settings, opening: Opening) -> str:
    return f"{settings.base_url}/jobs/{opening.id}"


# ---------------------------------------------------------------- applying


@dataclass
class PublicApplication:
    name: str
    email: str
    phone: str
    language: str
    consent: bool
    cv_name: str | None
    cv_stream: IO[bytes] | None


@dataclass
class CheckedCv:
    name: str
    data: bytes
    text: str = ""


def check_cv(filename: str | None, stream: IO[bytes] | None) -> CheckedCv:
    """The same checks as a CV uploaded in the portal: a real, readable PDF, a safe name,
    at most 10 MB. Raises DomainError(field="cv")."""
    if stream is None:
        raise DomainError(_l("Choose a PDF file."), field="cv")
    name, data, text = read_cv(filename, stream)
    return CheckedCv(name=name, data=data, text=text)


def cv_path(settings: Settings, key: str) -> Path:
    return application_cv_path(settings.upload_dir, key)


def _store_cv(settings: Settings, application: Application, cv: CheckedCv) -> None:
    key = secrets.token_hex(16)
    path = cv_path(settings, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".part")
    temporary.write_bytes(cv.data)
    temporary.replace(path)
    application.cv_key, application.cv_name, application.cv_size = key, cv.name, len(cv.data)
    application.cv_text = cv.text


def _candidate_for(db: Session, settings: Settings, data: PublicApplication,
                   email: str) -> Candidate:
    """The candidate with this address, made when missing ("create if missing" is an
    upsert: two sends at once, a double click, make one row), locked."""
    insert_if_missing(db, Candidate, {
        "name": data.name.strip(), "email": email, "phone": data.phone.strip(),
        "language": data.language, "timezone": settings.default_timezone,
        "timezone_source": "default", "created_at": utcnow()}, ["email"])
    found = db.scalar(select(Candidate).where(Candidate.email == email))
    return lock(db, found)


def _kind_of_repeat(application: Application) -> str:
    if not application.is_closed:
        return "again_open"
    since = add_months(utcnow(), -REJECTION_MONTHS)
    if (application.stage.kind == StageKind.NOT_SELECTED and application.closed_at
            and application.closed_at > since):
        return "again_rejected"
    return "again_closed"


def apply_publicly(db: Session, settings: Settings, opening: Opening,
                   data: PublicApplication) -> str:
    """Take an application from the public page; returns what happened ("new" or one of
    the repeat kinds), which the page never shows. The CV is checked before anything is
    written."""
    require_single_line(name=data.name, phone=data.phone)
    name, email = data.name.strip(), data.email.strip().lower()
    if not name:
        raise DomainError(_l("Enter your name."), field="name")
    if not email or "@" not in email:
        raise DomainError(_l("Enter a valid email address."), field="email")
    if not data.consent:
        raise DomainError(_l("Tick the box to say you have read the privacy notice."),
                          field="consent")
    cv = check_cv(data.cv_name, data.cv_stream)
    if not opening.published or opening.archived:
        raise NotFound(_l("No such opening."))
    candidate = _candidate_for(db, settings, data, email)
    existing = db.scalar(select(Application).where(Application.candidate_id == candidate.id,
                                                   Application.opening_id == opening.id))
    if existing is not None:
        kind = _kind_of_repeat(lock(db, existing))
        existing.flag, existing.flagged_at = kind, utcnow()
        audit(db, "applied_again", candidate.id, "system")
        queue_application_email(db, settings, candidate, opening, kind, existing)
        return kind
    application = lifecycle_apply(db, Actor.candidate(candidate), candidate, opening)
    application.source = SOURCE_PUBLIC
    _store_cv(settings, application, cv)
    db.add(NoticeConsent(candidate_id=candidate.id, application_id=application.id,
                         text_version=NOTICE_VERSION, language=data.language,
                         given_at=utcnow()))
    audit(db, "applied_public", candidate.id, "candidate", candidate.id)
    audit(db, "notice_consent_given", candidate.id, "candidate", candidate.id)
    queue_application_email(db, settings, candidate, opening, "new", application)
    return "new"


def queue_application_email(db: Session, settings: Settings, candidate: Candidate, opening: Opening,
                  kind: str, application: Application) -> None:
    """The email to the address on file, in the candidate's language: their portal link,
    or (turned down lately) a kind word that the earlier decision stands. ``kind``
    "invited": staff added them (an import) and invite them to the portal."""
    url = None
    if kind != "again_rejected":
        _link, token = issue_link(db, settings, candidate)
        url = link_url(settings, token)
    until = None
    if kind == "again_rejected" and application.closed_at:
        until = add_months(application.closed_at, REJECTION_MONTHS).date().isoformat()
    with force_locale(candidate.language):
        if kind == "again_rejected":
            subject = _("About your application: %(title)s", title=opening.title)
        elif kind == "invited":
            subject = _("Your recruitment process: %(title)s", title=opening.title)
        else:
            subject = _("We have your application: %(title)s", title=opening.title)
    text, html = render_email("candidate_application", candidate.language, candidate=candidate,
                              opening=opening, link=url, kind=kind, until=until)
    enqueue(db, kind="candidate_application", to_email=candidate.email,
            to_name=candidate.name, subject=subject, text=text, html=html,
            candidate_id=candidate.id)
