"""Messages both ways between staff and a candidate.

A recruiter (or an admin) writes from the candidate's page; the candidate gets an email
saying there is a message, with a fresh sign-in link to the thread (the words themselves
stay in the portal), and a Reply-To that reaches a person: the responsible recruiter of
their opening, or ``MAIL_REPLY_TO`` when no opening names one. The candidate reads the
thread and answers in the portal; the responsible recruiters (or, when no opening names
one, the colleagues who wrote to the candidate before) get an email with a link to the
candidate's page. A message from the candidate counts as unanswered until a colleague
writes back (or marks it answered).

The candidate writes only while they can sign in (a process open, or closed less than
``LINK_GRACE_DAYS`` ago), so a closed application can still read and answer the thread for
a while; staff write only while the candidate's link would open. Erasure removes the thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from portal.accounts.models import Role, User
from portal.errors import DomainError
from portal.hiring.conversation import CandidateMessage, Direction
from portal.hiring.models import Application, Candidate, Opening
from portal.hiring.notes import clean_text
from portal.hiring.services import require_manager
from portal.i18n import force_locale
from portal.links.services import issue_link, link_url, process_window_open
from portal.messaging.services import enqueue, render_email
from portal.settings import Settings
from portal.text import one_line
from portal.timeutil import utcnow

MAX_MESSAGE = 4000
MAX_SUBJECT = 200
ANSWERS_PER_HOUR = 10
THREAD_PATH = "/portal/messages"


def is_erased(candidate: Candidate) -> bool:
    """Erasure leaves an anonymised row behind (``privacy.services.erase``)."""
    return candidate.email == f"erased-{candidate.id}@invalid"


def _clean_body(body: str | None) -> str:
    return clean_text(body, MAX_MESSAGE, _l("Write a message first."),
                      _l("A message can be at most %(n)d characters.", n=MAX_MESSAGE))


def responsible_recruiters(db: Session, candidate_id: int) -> list[User]:
    """The active recruiters and admins named responsible for the openings the candidate
    applied to: open processes first, the most recently moved first."""
    rows = db.execute(
        select(User).join(Opening, Opening.recruiter_id == User.id)
        .join(Application, Application.opening_id == Opening.id)
        .where(Application.candidate_id == candidate_id, User.active.is_(True),
               User.role.in_((Role.ADMIN.value, Role.RECRUITER.value)))
        .order_by(Application.closed_at.is_not(None), Application.updated_at.desc())).scalars()
    return list(dict.fromkeys(rows))


def reply_to(db: Session, settings: Settings, candidate_id: int) -> str:
    """Where a candidate's reply to our email goes: the responsible recruiter, else the
    configured address (empty: nowhere)."""
    people = responsible_recruiters(db, candidate_id)
    if people:
        # Quoted, not RFC 2047-encoded: the worker builds the header from it (and encodes
        # "Åsa Öberg" once, on the wire).
        name = one_line(people[0].name).replace("\\", "").replace('"', "")
        return f'"{name}" <{people[0].email}>'
    return settings.mail_reply_to


def may_write_to(db: Session, settings: Settings, candidate: Candidate) -> bool:
    """Staff may write while the candidate's sign-in link would open."""
    if is_erased(candidate):
        return False
    has_open, last_closed, first = db.execute(
        select(func.count(Application.id).filter(Application.closed_at.is_(None)),
               func.max(Application.closed_at), func.min(Application.created_at))
        .where(Application.candidate_id == candidate.id)).one()
    if first is None:
        return False
    if last_closed is not None and last_closed.tzinfo is None:  # SQLite's max() is naive
        last_closed = last_closed.replace(tzinfo=UTC)
    return process_window_open(settings, bool(has_open), last_closed, utcnow())


def send_to_candidate(db: Session, settings: Settings, actor: User, candidate: Candidate,
                      body: str | None, subject: str | None = "") -> CandidateMessage:
    """Write to the candidate: the message in the thread, and an email (in their language,
    with their sign-in link to the thread) telling them it is there. Earlier messages from
    the candidate count as answered."""
    require_manager(actor)
    if not may_write_to(db, settings, candidate):
        raise DomainError(_l("The candidate can no longer open the portal (erased, or every "
                             "process closed long ago), so a message would not reach them."))
    text = _clean_body(body)
    title = one_line(subject)[:MAX_SUBJECT]
    now = utcnow()
    message = CandidateMessage(candidate_id=candidate.id, direction=Direction.TO_CANDIDATE.value,
                               author_id=actor.id, subject=title, body=text, created_at=now)
    db.add(message)
    mark_answered(db, candidate.id)
    _link, token = issue_link(db, settings, candidate)
    url = link_url(settings, token, next_path=THREAD_PATH)
    answer_to = reply_to(db, settings, candidate.id)
    with force_locale(candidate.language):
        mail_subject = _("New message: %(subject)s", subject=title) if title else _(
            "You have a new message about your application")
    mail_text, html = render_email("candidate_message", candidate.language, candidate=candidate,
                                   author=actor, link=url, can_reply=bool(answer_to))
    outbox = enqueue(db, kind="candidate_message", to_email=candidate.email,
                     to_name=candidate.name, subject=mail_subject, text=mail_text, html=html,
                     candidate_id=candidate.id,
                     headers={"Reply-To": answer_to} if answer_to else None)
    db.flush()
    message.outbox_message_id = outbox.id
    return message


def answer_from_candidate(db: Session, settings: Settings, candidate: Candidate,
                          body: str | None) -> CandidateMessage:
    """The candidate writes in the portal (plain text, at most ``MAX_MESSAGE`` characters
    and ``ANSWERS_PER_HOUR`` messages an hour); the responsible recruiters are emailed a
    link to the candidate's page (no words of the message, no name)."""
    text = _clean_body(body)
    now = utcnow()
    recent = db.scalar(select(func.count(CandidateMessage.id)).where(
        CandidateMessage.candidate_id == candidate.id,
        CandidateMessage.direction == Direction.FROM_CANDIDATE.value,
        CandidateMessage.created_at > now - timedelta(hours=1))) or 0
    if recent >= ANSWERS_PER_HOUR:
        raise DomainError(_l("You have sent many messages in the last hour. Please wait a "
                             "while before you write again."), field="body")
    message = CandidateMessage(candidate_id=candidate.id,
                               direction=Direction.FROM_CANDIDATE.value, body=text,
                               created_at=now)
    db.add(message)
    db.flush()
    url = f"{settings.base_url}/staff/candidates/{candidate.id}#messages"
    for person in _staff_to_tell(db, candidate.id):
        with force_locale(person.language):
            subject = _("A candidate answered in the portal")
        mail_text, html = render_email("staff_candidate_message", person.language, user=person,
                                       link=url)
        enqueue(db, kind="staff_candidate_message", to_email=person.email,
                to_name=person.name, subject=subject, text=mail_text, html=html)
    return message


def _staff_to_tell(db: Session, candidate_id: int) -> list[User]:
    people = responsible_recruiters(db, candidate_id)
    if people:
        return people
    return list(db.scalars(
        select(User).where(User.id.in_(
            select(CandidateMessage.author_id).where(
                CandidateMessage.candidate_id == candidate_id,
                CandidateMessage.direction == Direction.TO_CANDIDATE.value)),
            User.active.is_(True), User.role.in_((Role.ADMIN.value, Role.RECRUITER.value)))
        .order_by(User.id)))


def mark_answered(db: Session, candidate_id: int) -> None:
    db.execute(update(CandidateMessage).where(
        CandidateMessage.candidate_id == candidate_id,
        CandidateMessage.direction == Direction.FROM_CANDIDATE.value,
        CandidateMessage.read_at.is_(None)).values(read_at=utcnow()))


def mark_read_by_candidate(db: Session, candidate_id: int) -> int:
    """The candidate opened the thread: our messages count as read. Returns how many."""
    result = db.execute(update(CandidateMessage).where(
        CandidateMessage.candidate_id == candidate_id,
        CandidateMessage.direction == Direction.TO_CANDIDATE.value,
        CandidateMessage.read_at.is_(None)).values(read_at=utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)


def thread(db: Session, candidate_id: int) -> list[CandidateMessage]:
    """The whole thread, oldest first."""
    return list(db.scalars(select(CandidateMessage).where(
        CandidateMessage.candidate_id == candidate_id)
        .order_by(CandidateMessage.created_at, CandidateMessage.id)))


def unread_for_candidate(db: Session, candidate_id: int) -> int:
    return db.scalar(select(func.count(CandidateMessage.id)).where(
        CandidateMessage.candidate_id == candidate_id,
        CandidateMessage.direction == Direction.TO_CANDIDATE.value,
        CandidateMessage.read_at.is_(None))) or 0


def unanswered(db: Session, candidate_ids: Sequence[int]) -> dict[int, int]:
    """Messages from each candidate no colleague has answered yet (one query)."""
    if not candidate_ids:
        return {}
    return {cid: n for cid, n in db.execute(
        select(CandidateMessage.candidate_id, func.count(CandidateMessage.id)).where(
            CandidateMessage.candidate_id.in_(list(candidate_ids)),
            CandidateMessage.direction == Direction.FROM_CANDIDATE.value,
            CandidateMessage.read_at.is_(None)).group_by(CandidateMessage.candidate_id))}



# ---------------------------------------------------------------- the candidate's rights


def export_part(db: Session, candidate: Candidate) -> dict[str, list[dict[str, object]]]:
    """The notes staff wrote on the candidate and the message thread, for their copy."""
    from portal.hiring.conversation import StaffNote

    iso = lambda value: value.isoformat() if value else None  # noqa: E731
    return {
        "notes_from_staff": [
            {"created_at": iso(n.created_at), "edited_at": iso(n.edited_at), "text": n.body}
            for n in db.scalars(select(StaffNote).where(StaffNote.candidate_id == candidate.id)
                                .order_by(StaffNote.id))],
        "messages": [
            {"created_at": iso(m.created_at), "from": m.direction, "subject": m.subject,
             "text": m.body} for m in thread(db, candidate.id)],
    }


def erase_part(db: Session, candidate: Candidate) -> None:
    """Erasure: the notes on the candidate and the thread are gone."""
    from sqlalchemy import delete

    from portal.hiring.conversation import StaffNote

    db.execute(delete(StaffNote).where(StaffNote.candidate_id == candidate.id))
    db.execute(delete(CandidateMessage).where(CandidateMessage.candidate_id == candidate.id))


def unanswered_overview(db: Session, limit: int = 20) -> list[tuple[int, str, int, object]]:
    """Candidates waiting for an answer to their messages, the longest waiting first:
    (candidate id, name, how many, since), in one query."""
    since = func.min(CandidateMessage.created_at)
    return [(cid, name, n, first) for cid, name, n, first in db.execute(
        select(Candidate.id, Candidate.name, func.count(CandidateMessage.id), since)
        .join(CandidateMessage, CandidateMessage.candidate_id == Candidate.id)
        .where(CandidateMessage.direction == Direction.FROM_CANDIDATE.value,
               CandidateMessage.read_at.is_(None))
        .group_by(Candidate.id, Candidate.name).order_by(since).limit(limit))]
