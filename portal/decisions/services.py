"""Decisions and outcome messages: record who decided what, write the candidate from a
template, send now or later, and never leave a candidate without an answer."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from portal.accounts.models import User
from portal.decisions import defaults
from portal.decisions.models import (
    KINDS,
    Decision,
    MessageTemplate,
    OutcomeMessage,
    RejectionReason,
)
from portal.errors import DomainError
from portal.hiring.models import Application, Interview, InterviewStatus
from portal.hiring.services import require_manager
from portal.locks import claim, skip_locked
from portal.messaging.services import enqueue, render_email
from portal.settings import Settings
from portal.timeutil import require_sane_date, utcnow

FIELDS = {"name", "role", "personal_line", "portal_link"}
# Where a template asks for the candidate's sign-in link to the portal: kept as written
# while staff edit a message, filled in when it is written to the outbox.
PORTAL_LINK = "{portal_link}"


# ---------------------------------------------------------------- templates and reasons


def template(db: Session, kind: str, language: str) -> MessageTemplate:
    """The stored template, created from the defaults the first time it is needed."""
    row = db.scalar(select(MessageTemplate).where(MessageTemplate.kind == kind,
                                                  MessageTemplate.language == language))
    if row is None:
        subject, body = defaults.TEMPLATES[(kind, language)]
        row = MessageTemplate(kind=kind, language=language, subject=subject, body=body)
        db.add(row)
        db.flush()
    return row


def all_templates(db: Session) -> list[MessageTemplate]:
    return [template(db, kind, lang) for kind in KINDS for lang in ("sv", "en")]


def _placeholders(text: str) -> list[tuple[str, str | None, str, str | None]]:
    """(text before, field, format spec, conversion) for each ``{...}``; ValueError when
    a brace is not closed."""
    return list(string.Formatter().parse(text))


def _written(field: str, spec: str, conversion: str | None) -> str:
    """A placeholder as it was written."""
    return "{" + field + (f"!{conversion}" if conversion else "") + (
        f":{spec}" if spec else "") + "}"


def check_fields(text: str) -> None:
    """Only plain {name}, {role} and {personal_line} may be used: no format spec
    (``{role:>99999}``), conversion (``{role!r}``), attribute or index."""
    try:
        parts = _placeholders(text)
    except ValueError:
        raise DomainError(_l("A { or } is not closed. Use {name}, {role} and "
                             "{personal_line}.")) from None
    for _text, field, spec, conversion in parts:
        if field is None:
            continue
        if field in FIELDS and (spec or conversion):
            raise DomainError(_l("Write %(field)s without anything after the name: only "
                                 "{name}, {role} and {personal_line} work.",
                                 field=_written(field, spec, conversion)))
        if field not in FIELDS:
            raise DomainError(_l("Unknown field %(field)s. Use {name}, {role} and "
                                 "{personal_line}.",
                                 field=_written(field, spec, conversion)))


_PLAIN_FIELD = re.compile(r"\{\{|\}\}|\{(" + "|".join(sorted(FIELDS)) + r")\}")


def fill(text: str, values: dict[str, str]) -> str:
    """The text with each plain ``{field}`` replaced by its value and ``{{``/``}}`` by a
    brace, as ``str.format`` would. Never formats: anything else (a spec, a conversion, an
    unknown name, a lone brace) stays as written, so a template stored before the check
    can neither raise nor run away."""
    def one(match: re.Match[str]) -> str:
        if match.group(1):
            return values[match.group(1)]
        return match.group(0)[0]

    return _PLAIN_FIELD.sub(one, text)


def save_template(db: Session, actor: User, row: MessageTemplate, subject: str,
                  body: str) -> None:
    require_manager(actor)
    if not subject.strip() or not body.strip():
        raise DomainError(_l("A template needs a subject and a text."))
    check_fields(subject)
    check_fields(body)
    row.subject, row.body = subject.strip()[:200], body.strip()


def reasons(db: Session) -> list[RejectionReason]:
    rows = list(db.scalars(select(RejectionReason).where(RejectionReason.active.is_(True))
                           .order_by(RejectionReason.id)))
    if not rows and not db.scalar(select(func.count(RejectionReason.id))):
        rows = [RejectionReason(label=label) for label in defaults.REJECTION_REASONS]
        db.add_all(rows)
        db.flush()
    return rows


def add_reason(db: Session, actor: User, label: str) -> RejectionReason:
    """A new reason to choose from; an old one of the same words comes back."""
    require_manager(actor)
    label = label.strip()[:120]
    if not label:
        raise DomainError(_l("Write the reason."), field="label")
    row = db.scalar(select(RejectionReason).where(RejectionReason.label == label))
    if row is None:
        row = RejectionReason(label=label)
        db.add(row)
    row.active = True
    db.flush()
    return row


def remove_reason(db: Session, actor: User, reason: RejectionReason) -> None:
    """Kept for the decisions that used it; no longer offered."""
    require_manager(actor)
    if len(reasons(db)) <= 1:
        raise DomainError(_l("Keep at least one reason."))
    reason.active = False


def compose(db: Session, application: Application, kind: str, personal_line: str,
            language: str | None = None) -> tuple[str, str]:
    """Subject and text for ``kind`` in the candidate's language, fields filled in."""
    language = language or application.candidate.language
    return write(db, kind, language, {
        "name": application.candidate.first_name, "role": application.opening.title,
        "personal_line": personal_line.strip(), "portal_link": PORTAL_LINK})


def write(db: Session, kind: str, language: str, values: dict[str, str]) -> tuple[str, str]:
    """Subject and text of the ``kind`` template in ``language`` with ``values`` (one for
    each of ``FIELDS``) filled in."""
    row = template(db, kind, language)
    body = fill(row.body, values)
    while "\n\n\n" in body:  # an empty personal line leaves no hole
        body = body.replace("\n\n\n", "\n\n")
    return fill(row.subject, values), body.strip()


def asks_for_link(db: Session, kind: str, language: str) -> bool:
    """Whether the ``kind`` template in ``language`` has a place for the portal link."""
    row = template(db, kind, language)
    return PORTAL_LINK in row.subject or PORTAL_LINK in row.body


# ---------------------------------------------------------------- decisions


def record_decision(db: Session, actor: User, application: Application, kind: str,
                    reason: str = "") -> Decision:
    """Who decided what, and why. The stage change itself is the lifecycle's."""
    require_manager(actor)
    decision = Decision(application_id=application.id, kind=kind, reason=reason,
                        decided_by_id=actor.id)
    db.add(decision)
    return decision


# ---------------------------------------------------------------- messages


def schedule(db: Session, actor: User, application: Application, kind: str, subject: str,
             body: str, send_at: datetime | None,
             settings: Settings | None = None) -> OutcomeMessage:
    """Send now (``send_at`` None or past) or at a set time; the worker sends later ones."""
    require_manager(actor)
    if kind not in KINDS:
        raise DomainError(_l("Choose a kind of message."), field="kind")
    if not subject.strip() or not body.strip():
        raise DomainError(_l("The message needs a subject and a text."), field="body")
    require_sane_date(send_at, field="send_at")
    now = utcnow()
    if send_at is not None and send_at < now - timedelta(minutes=1):
        raise DomainError(_l("Choose a time in the future, or send now."), field="send_at")
    message = OutcomeMessage(application_id=application.id, kind=kind,
                             subject=subject.strip()[:200], body=body.strip(),
                             send_at=send_at or now, created_by_id=actor.id)
    db.add(message)
    db.flush()
    if message.send_at <= now:
        deliver(db, message, application, settings)
    return message


def deliver(db: Session, message: OutcomeMessage, application: Application,
            settings: Settings | None = None) -> None:
    """Into the outbox, and the portal shows the outcome from now on. A rejection also
    offers the talent pool, through a sign-in link to the candidate's data page."""
    from portal.links.services import issue_link, link_url

    candidate = application.candidate
    pool_link = portal_link = None
    if settings is not None:
        # Every outcome links to where the process stands; a rejection also offers the pool.
        _link, token = issue_link(db, settings, candidate)
        portal_link = link_url(settings, token, next_path=f"/portal/applications/{application.id}")
        if message.kind.startswith("reject"):
            pool_link = link_url(settings, token, next_path="/portal/privacy")
    body = message.body.replace(PORTAL_LINK, portal_link or "")
    text, html = render_email("candidate_outcome", candidate.language, candidate=candidate,
                              body=body, link=pool_link, portal_link=portal_link)
    enqueue(db, kind=f"outcome_{message.kind}", to_email=candidate.email,
            to_name=candidate.name, subject=message.subject.replace(PORTAL_LINK, ""),
            text=text, html=html,
            candidate_id=candidate.id)
    message.sent_at = utcnow()
    if application.stage.is_end:
        application.outcome_published_at = application.outcome_published_at or message.sent_at


def send_note(db: Session, actor: User, application: Application, subject: str, body: str,
              settings: Settings | None = None) -> OutcomeMessage:
    """A message in the recruiter's own words (no template) to a candidate whose process
    is open; it says nothing about the outcome, so the portal shows no outcome from it."""
    require_manager(actor)
    if not subject.strip() or not body.strip():
        raise DomainError(_l("The message needs a subject and a text."), field="body")
    if application.is_closed:
        raise DomainError(_l("This process is closed."))
    message = OutcomeMessage(application_id=application.id, kind="note",
                             subject=subject.strip()[:200], body=body.strip(),
                             send_at=utcnow(), created_by_id=actor.id)
    db.add(message)
    db.flush()
    deliver(db, message, application, settings)
    return message


def record_no_message(db: Session, actor: User, application: Application,
                      why: str) -> OutcomeMessage:
    """Staff may decide not to write, but must say why (e.g. "told by phone")."""
    require_manager(actor)
    if not why.strip():
        raise DomainError(_l("Say why the candidate gets no message."), field="why")
    message = OutcomeMessage(application_id=application.id, kind="none", subject="", body="",
                             skipped_reason=why.strip()[:2000], created_by_id=actor.id)
    db.add(message)
    if application.stage.is_end:
        application.outcome_published_at = application.outcome_published_at or utcnow()
    return message


def send_due(db: Session, settings: Settings | None = None) -> int:
    """For the worker: messages whose time has come. Each is claimed first (``SKIP
    LOCKED`` on PostgreSQL, then a conditional update of ``sent_at``), so however many
    workers run at once, each message goes out once."""
    now = utcnow()
    unsent = (OutcomeMessage.sent_at.is_(None), OutcomeMessage.kind != "none")
    due = list(db.scalars(skip_locked(db, select(OutcomeMessage).where(
        *unsent, OutcomeMessage.send_at <= now).order_by(OutcomeMessage.id))))
    sent = 0
    for message in due:
        if not claim(db, OutcomeMessage, message.id, *unsent, sent_at=now):
            continue  # another worker sent it a moment ago
        deliver(db, message, db.get(Application, message.application_id), settings)
        sent += 1
    return sent


def sent_messages(db: Session, application_id: int) -> list[OutcomeMessage]:
    return list(db.scalars(select(OutcomeMessage).where(
        OutcomeMessage.application_id == application_id, OutcomeMessage.sent_at.is_not(None))
        .order_by(OutcomeMessage.sent_at.desc())))


# ---------------------------------------------------------------- response times


def add_working_days(start: date, days: int) -> date:
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


@dataclass
class Waiting:
    application: Application
    since: datetime
    due: date
    overdue: bool


def waiting_for_answer(db: Session, today: date | None = None,
                       near_days: int = 1) -> list[Waiting]:
    """Candidates who have not heard from us since their last interview, past or near the
    opening's target; and closed processes nobody has told the candidate about. A fixed
    number of queries."""
    today = today or utcnow().date()
    now = utcnow()
    last_interview = (select(Interview.application_id, func.max(Interview.starts_at).label("at"))
                      .where(Interview.status == InterviewStatus.SCHEDULED,
                             Interview.starts_at <= now)
                      .group_by(Interview.application_id).subquery())
    last_message = (select(OutcomeMessage.application_id,
                           func.max(func.coalesce(OutcomeMessage.sent_at,
                                                  OutcomeMessage.created_at)).label("at"))
                    .group_by(OutcomeMessage.application_id).subquery())
    rows = db.execute(
        select(Application, last_interview.c.at, last_message.c.at)
        .outerjoin(last_interview, last_interview.c.application_id == Application.id)
        .outerjoin(last_message, last_message.c.application_id == Application.id)
        .options(selectinload(Application.candidate), selectinload(Application.opening),
                 selectinload(Application.stage))
        .where((last_interview.c.at.is_not(None)) | (Application.closed_at.is_not(None)))
    ).all()
    result = []
    for application, interviewed_at, told_at in rows:
        if application.is_closed:
            if application.outcome_published_at is None and told_at is None:
                since = application.closed_at
                result.append(Waiting(application, since, since.date(), True))
            continue
        if interviewed_at is None or (told_at is not None and told_at >= interviewed_at):
            continue
        due = add_working_days(interviewed_at.date(), application.opening.response_days)
        if due <= today + timedelta(days=near_days):
            result.append(Waiting(application, interviewed_at, due, due < today))
    return sorted(result, key=lambda w: w.due)


# ---------------------------------------------------------------- candidate experience

MIN_ANSWERS_SHOWN = 3  # fewer answers could point at a person


def can_ask_experience(db: Session, interview: Interview) -> bool:
    from portal.decisions.models import ExperienceAsked

    return (not interview.is_cancelled and interview.ends_at <= utcnow()
            and db.get(ExperienceAsked, interview.id) is None)


def record_experience(db: Session, interview: Interview, rating: int, comment: str) -> None:
    """Store the answer without who gave it; mark the interview as answered apart."""
    from portal.decisions.models import ExperienceAnswer, ExperienceAsked

    if not can_ask_experience(db, interview):
        raise DomainError(_l("Thank you, we already have your answer."))
    if not 1 <= rating <= 5:
        raise DomainError(_l("Choose from 1 to 5."), field="rating")
    today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    db.add(ExperienceAnswer(opening_id=interview.application.opening_id, rating=rating,
                            comment=comment.strip()[:1000], answered_on=today))
    db.add(ExperienceAsked(interview_id=interview.id))


@dataclass
class ExperienceSummary:
    count: int
    average: float | None
    comments: list[str]


def experience_summary(db: Session, opening_id: int) -> ExperienceSummary:
    from portal.decisions.models import ExperienceAnswer

    rows = db.execute(select(ExperienceAnswer.rating, ExperienceAnswer.comment).where(
        ExperienceAnswer.opening_id == opening_id)).all()
    if len(rows) < MIN_ANSWERS_SHOWN:
        return ExperienceSummary(len(rows), None, [])
    comments = sorted(c for _r, c in rows if c)  # sorted, so order reveals nothing
    return ExperienceSummary(len(rows), round(sum(r for r, _c in rows) / len(rows), 1),
                             comments)
