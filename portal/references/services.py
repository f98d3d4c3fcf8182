"""Referees: named by the candidate with consent, asked by staff through a link scoped to
one request (its own salt; dead once answered or after 21 days), reminded after 3 days.

A referee has one live request at a time: sending again supersedes the earlier one, so an
old link says that a newer one was sent instead of taking a second set of answers. Sending,
answering and withdrawing all take the referee's row lock first, so none of them races
another; a process that closes revokes its open requests (``revoke_open_requests``). The
candidate is asked to name referees once per application (``ask_candidate_for_referees``).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.errors import DomainError, NotFound
from portal.hiring.models import Application, Candidate, StageKind
from portal.hiring.services import require_manager
from portal.i18n import force_locale
from portal.links.services import _SALTS, PURPOSE_REFERENCE, issue_link, link_url
from portal.messaging.services import enqueue, render_email
from portal.references.models import Referee, ReferencePrompt, ReferenceRequest
from portal.settings import Settings
from portal.text import require_single_line
from portal.timeutil import utcnow

LIFETIME = timedelta(days=21)
REMIND_AFTER = timedelta(days=3)
# A second send within this long of a live request is the same click twice (a double click,
# a resubmitted form): the request already on its way stands, and no second email goes.
DOUBLE_SEND = timedelta(minutes=1)
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


class LinkClosed(DomainError):
    """Why a referee's link does not open its form: ``reason`` is one of 'invalid',
    'expired' (answered or too old), 'withdrawn', 'superseded' (a newer link was sent) or
    'closed' (the process ended). ``language`` is the referee's, when the link names one."""

    def __init__(self, reason: str, language: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.language = language


def _is_postgresql(db: Session) -> bool:
    return db.get_bind().dialect.name == "postgresql"


def _lock(db: Session, referee: Referee) -> Referee:
    """Take the referee's row lock (PostgreSQL) and read it afresh with its requests:
    sending, answering and withdrawing each decide on what they read here."""
    query = (select(Referee).where(Referee.id == referee.id)
             .execution_options(populate_existing=True))
    if _is_postgresql(db):
        query = query.with_for_update()
    locked = db.scalar(query)
    if locked is None:
        raise NotFound(_l("No such referee."))
    db.expire(locked, ["requests"])
    return locked


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
    require_single_line(name=data.name, relation=data.relation)
    if data.email.strip().lower() == candidate.email.strip().lower():
        raise DomainError(_l("Name someone else: a referee tells us about you, so it cannot "
                             "be you."), field="email")
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
    referee = _lock(db, referee)  # not while an answer is being sent
    if referee.answered:
        raise DomainError(_l("This person has already answered."))
    referee.withdrawn_at = referee.withdrawn_at or utcnow()


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer([*settings.secret_key_fallbacks, settings.secret_key],
                                  salt=_SALTS[PURPOSE_REFERENCE])


def questions_for(application: Application, language: str) -> list[str]:
    own = [q.strip() for q in application.opening.reference_questions.splitlines() if q.strip()]
    return own or DEFAULT_QUESTIONS.get(language, DEFAULT_QUESTIONS["en"])


def send_request(db: Session, settings: Settings, actor: User, referee: Referee) -> str | None:
    """Create a request with its own link, supersede every earlier request of the referee
    (their links stop working) and queue one email; returns the new link.

    Under the referee's row lock, so two sends at once queue one request after the other.
    A send right after another (``DOUBLE_SEND``) is taken for the same click and does
    nothing: returns None, and the request already on its way stands."""
    require_manager(actor)
    referee = _lock(db, referee)
    if referee.withdrawn_at:
        raise DomainError(_l("The candidate has withdrawn consent for this referee."))
    if referee.answered:
        raise DomainError(_l("This referee has already answered."))
    application = db.scalar(select(Application).where(Application.id == referee.application_id)
                            .execution_options(populate_existing=True))
    if application is None:
        raise NotFound(_l("No such referee."))
    if application.is_closed:
        raise DomainError(_l("This process is closed, so no reference request can be sent."))
    now = utcnow()
    live = [r for r in referee.requests if r.live]
    if any(r.sent_at > now - DOUBLE_SEND for r in live):
        return None
    for earlier in live:
        earlier.superseded_at = now
    db.flush()  # the one-live-request index sees the old one go before the new one comes
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
    """The request a link names, while it can still be answered; else LinkClosed."""
    try:
        data = _serializer(settings).loads(token, max_age=int(LIFETIME.total_seconds()))
    except BadSignature:
        raise LinkClosed("invalid") from None
    if not isinstance(data, dict) or not isinstance(data.get("q"), int):
        raise LinkClosed("invalid")
    request = db.get(ReferenceRequest, data["q"])
    if request is None or not secrets.compare_digest(str(data.get("n", "")), request.nonce):
        raise LinkClosed("invalid")
    return usable(request)


def usable(request: ReferenceRequest) -> ReferenceRequest:
    """The request if its form can still be used; else LinkClosed saying why."""
    language = request.referee.language
    if request.answered_at:
        raise LinkClosed("expired", language)
    if request.referee.withdrawn_at:
        raise LinkClosed("withdrawn", language)
    if request.revoked_at:
        raise LinkClosed("closed", language)
    if request.superseded_at:
        raise LinkClosed("superseded", language)
    if request.expires_at <= utcnow():
        raise LinkClosed("expired", language)
    return request


def save_answers(db: Session, request: ReferenceRequest, answers: dict[int, str],
                 final: bool) -> None:
    """Drafts keep what was typed; the final answer needs every question answered. Under
    the referee's lock: a request superseded or withdrawn meanwhile takes no answers."""
    _lock(db, request.referee)
    db.refresh(request)
    usable(request)
    questions = json.loads(request.questions)
    cleaned = {str(i): answers.get(i, "").strip()[:5000] for i in range(len(questions))}
    request.answers = json.dumps(cleaned)
    if final:
        if not all(cleaned.values()):
            raise DomainError(_l("Answer every question before you send."))
        request.answered_at = utcnow()


def remind_due(db: Session, settings: Settings) -> int:
    """For the worker: one reminder per live request, 3 days after it was sent. Each due
    request is claimed (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, then a conditional
    update), so two workers at once remind it once."""
    now = utcnow()
    unclaimed = (ReferenceRequest.answered_at.is_(None), ReferenceRequest.reminded_at.is_(None),
                 ReferenceRequest.superseded_at.is_(None), ReferenceRequest.revoked_at.is_(None))
    query = (select(ReferenceRequest).join(Referee)
             .where(*unclaimed, Referee.withdrawn_at.is_(None),
                    ReferenceRequest.sent_at <= now - REMIND_AFTER,
                    ReferenceRequest.expires_at > now)
             .order_by(ReferenceRequest.id))
    if _is_postgresql(db):
        query = query.with_for_update(skip_locked=True, of=ReferenceRequest)
    count = 0
    for request in db.scalars(query).all():
        claimed = db.execute(update(ReferenceRequest)
                             .where(ReferenceRequest.id == request.id, *unclaimed)
                             .values(reminded_at=now))
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        token = _serializer(settings).dumps({"q": request.id, "n": request.nonce})
        application = db.get(Application, request.referee.application_id)
        _email(db, request.referee, application, f"{settings.base_url}/r/{token}",
               reminder=True)
        count += 1
    return count


def revoke_open_requests(db: Session, application: Application) -> int:
    """Close every live, unanswered request of ``application`` (the process ended: a
    rejection, a withdrawal, a hire); their links show the closed page. Takes the
    referees' locks first, so a request being sent at the same moment is revoked too.
    Returns how many were revoked."""
    referees = select(Referee.id).where(Referee.application_id == application.id)
    if _is_postgresql(db):
        referees = referees.with_for_update()
    db.scalars(referees).all()
    now = utcnow()
    requests = db.scalars(
        select(ReferenceRequest).join(Referee)
        .where(Referee.application_id == application.id,
               ReferenceRequest.superseded_at.is_(None), ReferenceRequest.revoked_at.is_(None),
               ReferenceRequest.answered_at.is_(None))
        .execution_options(populate_existing=True)).all()
    for request in requests:
        request.revoked_at = now
    return len(requests)


def _claim_prompt(db: Session, application_id: int) -> bool:
    """Insert the application's prompt row unless it is there ("create if missing" as an
    upsert, so two callers at once cannot both send). True when this call inserted it."""
    values = {"application_id": application_id, "sent_at": utcnow()}
    dialect = db.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        inserted = db.scalar(insert(ReferencePrompt).values(**values)
                             .on_conflict_do_nothing(index_elements=["application_id"])
                             .returning(ReferencePrompt.application_id))
        return inserted is not None
    if db.get(ReferencePrompt, application_id) is not None:
        return False
    db.add(ReferencePrompt(**values))
    db.flush()
    return True


def ask_candidate_for_referees(db: Session, settings: Settings,
                               application: Application) -> None:
    """Queue one email asking the candidate to name referees, in their language, with a
    fresh sign-in link to the references section of the application's status page. Once
    per application, however often it enters the reference stage (the prompt row)."""
    if not _claim_prompt(db, application.id):
        return
    candidate = application.candidate
    _link, token = issue_link(db, settings, candidate)
    url = link_url(settings, token,
                   next_path=f"/portal/applications/{application.id}#references")
    with force_locale(candidate.language):
        subject = _("Your references for %(title)s", title=application.opening.title)
    text, html = render_email("candidate_references", candidate.language, candidate=candidate,
                              opening=application.opening, link=url)
    enqueue(db, kind="candidate_references", to_email=candidate.email,
            to_name=candidate.name, subject=subject, text=text, html=html,
            candidate_id=candidate.id)


def answers_of(request: ReferenceRequest) -> list[tuple[str, str]]:
    questions = json.loads(request.questions)
    answers = json.loads(request.answers or "{}")
    return [(q, answers.get(str(i), "")) for i, q in enumerate(questions)]


def referees_for(db: Session, application_ids: list[int],
                 include_withdrawn: bool = True) -> dict[int, list[Referee]]:
    """The referees of each application. Counts and comparisons pass
    ``include_withdrawn=False``: a referee whose consent was withdrawn is not a reference."""
    if not application_ids:
        return {}
    query = select(Referee).where(Referee.application_id.in_(application_ids))
    if not include_withdrawn:
        query = query.where(Referee.withdrawn_at.is_(None))
    result: dict[int, list[Referee]] = {}
    for referee in db.scalars(query.order_by(Referee.id)):
        result.setdefault(referee.application_id, []).append(referee)
    return result
