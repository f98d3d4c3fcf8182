"""Referees: named by the candidate with consent, asked by staff through a link scoped to
one request (its own salt; dead once answered or after 21 days), reminded after 3 days."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.errors import DomainError, NotFound
from portal.hiring.models import Application, Candidate, StageKind
from portal.hiring.services import require_manager
from portal.i18n import force_locale
from portal.links.services import _SALTS, PURPOSE_REFERENCE
from portal.messaging.services import enqueue, render_email
from portal.references.models import Referee, ReferenceRequest
from portal.settings import Settings
from portal.timeutil import utcnow

LIFETIME = timedelta(days=21)
REMIND_AFTER = timedelta(days=3)
DEFAULT_QUESTIONS = {
    "en": ["In what role and for how long did you work with the candidate?",
           "What are the candidate's greatest strengths?",
           "What could the candidate develop further?",
           "How does the candidate work with others?",
           "Would you work with the candidate again? Why?"],
    "sv": ["I vilken roll och hur länge arbetade du med kandidaten?",
           "Vilka är kandidatens största styrkor?",
           "Vad skulle kandidaten kunna utveckla vidare?",
           "Hur fungerar kandidaten tillsammans med andra?",
           "Skulle du vilja arbeta med kandidaten igen? Varför?"],
}


def reference_stage_reached(application: Application) -> bool:
    """Candidates name referees once the process reaches the reference stage."""
    if application.stage.kind != StageKind.OPEN:
        return False
    names = [s.name for s in application.opening.stages if s.kind == StageKind.OPEN]
    return "References" in names and application.stage.position >= next(
        s.position for s in application.opening.stages if s.name == "References")


@dataclass
class RefereeData:
    name: str
    relation: str
    email: str
    phone: str
    language: str
    consent: bool


def add_referee(db: Session, candidate: Candidate, application: Application,
                data: RefereeData) -> Referee:
    """The candidate names a referee; consent to contact them is required."""
    if application.candidate_id != candidate.id:
        raise NotFound(_l("No such application."))
    if not reference_stage_reached(application):
        raise DomainError(_l("We will ask for references later in the process."))
    if not data.consent:
        raise DomainError(_l("Tick the box to agree that we may contact this person."),
                          field="consent")
    if data.language not in ("sv", "en"):
        raise DomainError(_l("Choose a language."), field="language")
    referee = Referee(application_id=application.id, name=data.name.strip(),
                      relation=data.relation.strip(), email=data.email.strip().lower(),
                      phone=data.phone.strip(), language=data.language)
    db.add(referee)
    db.flush()
    return referee


def withdraw(db: Session, candidate: Candidate, referee: Referee) -> None:
    """The candidate withdraws consent; possible until the referee has answered."""
    application = db.get(Application, referee.application_id)
    if application is None or application.candidate_id != candidate.id:
        raise NotFound(_l("No such referee."))
    if referee.answered:
        raise DomainError(_l("This person has already answered."))
    referee.withdrawn_at = referee.withdrawn_at or utcnow()


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer([*settings.secret_key_fallbacks, settings.secret_key],
                                  salt=_SALTS[PURPOSE_REFERENCE])


def questions_for(application: Application, language: str) -> list[str]:
    own = [q.strip() for q in application.opening.reference_questions.splitlines() if q.strip()]
    return own or DEFAULT_QUESTIONS.get(language, DEFAULT_QUESTIONS["en"])


def send_request(db: Session, settings: Settings, actor: User, referee: Referee) -> str:
    """Create a request with its own link and queue the email; returns the link."""
    require_manager(actor)
    if referee.withdrawn_at:
        raise DomainError(_l("The candidate has withdrawn consent for this referee."))
    if referee.answered:
        raise DomainError(_l("This referee has already answered."))
    application = db.get(Application, referee.application_id)
    now = utcnow()
    request = ReferenceRequest(referee=referee, nonce=secrets.token_urlsafe(12),
                               questions=json.dumps(questions_for(application,
                                                                  referee.language)),
                               sent_at=now, expires_at=now + LIFETIME)
    db.add(request)
    db.flush()
    token = _serializer(settings).dumps({"q": request.id, "n": request.nonce})
    link = f"{settings.base_url}/r/{token}"
    _email(db, referee, application, link, reminder=False)
    return link


def _email(db: Session, referee: Referee, application: Application, link: str,
           reminder: bool) -> None:
    name = application.candidate.name
    with force_locale(referee.language):
        subject = (_("Reminder: reference for %(name)s", name=name) if reminder
                   else _("Reference for %(name)s", name=name))
    text, html = render_email("referee_request", referee.language, referee=referee,
                              candidate=application.candidate, opening=application.opening,
                              link=link, reminder=reminder)
    enqueue(db, kind="referee_reminder" if reminder else "referee_request",
            to_email=referee.email, to_name=referee.name, subject=subject, text=text,
            html=html, candidate_id=application.candidate_id)


def open_request(db: Session, settings: Settings, token: str) -> ReferenceRequest:
    """The request a link names, while it can still be answered."""
    try:
        data = _serializer(settings).loads(token, max_age=int(LIFETIME.total_seconds()))
    except BadSignature:
        raise DomainError("invalid") from None
    if not isinstance(data, dict) or not isinstance(data.get("q"), int):
        raise DomainError("invalid")
    request = db.get(ReferenceRequest, data["q"])
    if request is None or not secrets.compare_digest(str(data.get("n", "")), request.nonce):
        raise DomainError("invalid")
    return usable(request)


def usable(request: ReferenceRequest) -> ReferenceRequest:
    if request.answered_at or request.expires_at <= utcnow():
        raise DomainError("expired")
    if request.referee.withdrawn_at:
        raise DomainError("withdrawn")
    return request


def save_answers(db: Session, request: ReferenceRequest, answers: dict[int, str],
                 final: bool) -> None:
    """Drafts keep what was typed; the final answer needs every question answered."""
    usable(request)
    questions = json.loads(request.questions)
    cleaned = {str(i): answers.get(i, "").strip()[:5000] for i in range(len(questions))}
    request.answers = json.dumps(cleaned)
    if final:
        if not all(cleaned.values()):
            raise DomainError(_l("Answer every question before you send."))
        request.answered_at = utcnow()


def remind_due(db: Session, settings: Settings) -> int:
    """For the worker: one reminder per request, 3 days after it was sent."""
    now = utcnow()
    due = db.scalars(select(ReferenceRequest).where(
        ReferenceRequest.answered_at.is_(None), ReferenceRequest.reminded_at.is_(None),
        ReferenceRequest.sent_at <= now - REMIND_AFTER, ReferenceRequest.expires_at > now))
    count = 0
    for request in due:
        if request.referee.withdrawn_at:
            continue
        token = _serializer(settings).dumps({"q": request.id, "n": request.nonce})
        application = db.get(Application, request.referee.application_id)
        _email(db, request.referee, application, f"{settings.base_url}/r/{token}",
               reminder=True)
        request.reminded_at = now
        count += 1
    return count


def answers_of(request: ReferenceRequest) -> list[tuple[str, str]]:
    questions = json.loads(request.questions)
    answers = json.loads(request.answers or "{}")
    return [(q, answers.get(str(i), "")) for i, q in enumerate(questions)]


def referees_for(db: Session, application_ids: list[int]) -> dict[int, list[Referee]]:
    if not application_ids:
        return {}
    result: dict[int, list[Referee]] = {}
    for referee in db.scalars(select(Referee).where(
            Referee.application_id.in_(application_ids)).order_by(Referee.id)):
        result.setdefault(referee.application_id, []).append(referee)
    return result
