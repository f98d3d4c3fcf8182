"""Staff notes on a candidate, with @mentions of colleagues.

A note is written by a colleague who may see the candidate. "@Maria Lind" (a full name) or
"@maria" (a first name, or the part of an address before the @) names a colleague among
the active staff who may see this candidate too; each one named is emailed a link to the
candidate's page in the back office (never a candidate's sign-in link, and never the
candidate's name: the email says only where to look). Only the author, or an admin, changes
or deletes a note; the views record both in the audit log.

Who reads notes: admins and recruiters read them all; an interviewer reads the notes they
wrote and the ones that name them (a note may be about a process they do not sit on).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from portal.accounts.models import Role, User
from portal.errors import DomainError, Forbidden, NotFound
from portal.hiring.conversation import StaffNote
from portal.hiring.models import Application, Candidate, Interview, interview_interviewer
from portal.hiring.services import can_see_candidate
from portal.i18n import force_locale
from portal.messaging.services import enqueue, render_email
from portal.settings import Settings
from portal.timeutil import utcnow

MAX_NOTE = 5000
# An @ that starts a mention: not inside a word or an email address.
_MENTION = re.compile(r"(?<![\w@.])@")
_WORD = re.compile(r"[\w][\w.\-]*")
# Control, surrogate, private-use and unassigned characters go; so do the bidi overrides,
# which can make a note read differently from what it says.
_DROPPED = frozenset({"Cc", "Cs", "Co", "Cn"})
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def clean_text(value: str | None, limit: int, empty: object, too_long: object) -> str:
    """Free text as a person typed it, made safe to keep: line breaks kept (as \\n), tabs
    kept, every other control character dropped, white space trimmed. Raises DomainError
    when nothing is left or it is longer than ``limit``."""
    text = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    text = "".join("\n" if unicodedata.category(ch) in ("Zl", "Zp") else ch for ch in text
                   if ch in "\n\t" or (unicodedata.category(ch) not in _DROPPED
                                        and ch not in _BIDI_CONTROLS))
    text = text.strip()
    if not text:
        raise DomainError(empty, field="body")
    if len(text) > limit:
        raise DomainError(too_long, field="body")
    return text


def _clean_note(body: str | None) -> str:
    return clean_text(body, MAX_NOTE, _l("Write something first."),
                      _l("A note can be at most %(n)d characters.", n=MAX_NOTE))


def mentionable(db: Session, candidate: Candidate) -> list[User]:
    """The active colleagues who may see ``candidate``: admins and recruiters, and the
    interviewers on a panel of one of their applications."""
    panel = (select(interview_interviewer.c.user_id)
             .join(Interview, Interview.id == interview_interviewer.c.interview_id)
             .join(Application, Application.id == Interview.application_id)
             .where(Application.candidate_id == candidate.id))
    return list(db.scalars(select(User).where(
        User.active.is_(True),
        or_(User.role.in_((Role.ADMIN.value, Role.RECRUITER.value)), User.id.in_(panel)))
        .order_by(User.name, User.id)))


def resolve_mentions(body: str, people: Sequence[User]) -> list[User]:
    """The colleagues among ``people`` that ``body`` names with @, in order. A full name
    wins ("@Maria Lind"); otherwise one word after the @ must fit exactly one colleague's
    first name or address (before the @). A word that fits several raises DomainError;
    a word that fits nobody is ordinary text."""
    by_length = sorted(people, key=lambda u: len(u.name), reverse=True)
    found: list[User] = []
    for at in _MENTION.finditer(body):
        rest = body[at.end():at.end() + 200].casefold()
        hit = None
        for person in by_length:
            name = person.name.casefold().strip()
            after = rest[len(name):len(name) + 1]
            if len(name) >= 2 and rest.startswith(name) and not (after.isalnum() or after == "_"):
                hit = person
                break
        if hit is None:
            word = _WORD.match(rest)
            if word is None:
                continue
            key = word.group(0).rstrip(".-")
            fits = [p for p in people if key in (
                (p.name.split() or [""])[0].casefold(), p.email.split("@")[0].casefold())]
            if len(fits) > 1:
                raise DomainError(_l("“@%(word)s” fits more than one colleague: write the "
                                     "full name, e.g. @%(example)s.", word=key,
                                     example=fits[0].name), field="body")
            hit = fits[0] if fits else None
        if hit is not None and hit not in found:
            found.append(hit)
    return found


def _queue_mention_email(db: Session, settings: Settings, author: User, note: StaffNote,
                         colleague: User) -> None:
    url = f"{settings.base_url}/staff/candidates/{note.candidate_id}#note-{note.id}"
    with force_locale(colleague.language):
        subject = _("%(name)s mentioned you in a note", name=author.name)
    text, html = render_email("staff_mention", colleague.language, user=colleague,
                              author=author, link=url)
    enqueue(db, kind="staff_mention", to_email=colleague.email, to_name=colleague.name,
            subject=subject, text=text, html=html)


def _mention_and_tell(db: Session, settings: Settings, author: User, note: StaffNote,
                      candidate: Candidate, already: set[int]) -> None:
    named = [u for u in resolve_mentions(note.body, mentionable(db, candidate))
             if u.id != author.id]
    note.mentions = [u.id for u in named] or None
    for colleague in named:
        if colleague.id not in already:
            _queue_mention_email(db, settings, author, note, colleague)


def add_note(db: Session, settings: Settings, actor: User, candidate: Candidate,
             body: str | None) -> StaffNote:
    """A new note by ``actor`` on ``candidate``; the colleagues it names are emailed."""
    if not actor.active or not can_see_candidate(db, actor, candidate):
        raise NotFound(_l("No such candidate."))
    note = StaffNote(candidate_id=candidate.id, author_id=actor.id, body=_clean_note(body),
                     created_at=utcnow())
    db.add(note)
    db.flush()
    _mention_and_tell(db, settings, actor, note, candidate, set())
    return note


def may_change(actor: User, note: StaffNote) -> bool:
    return note.author_id == actor.id or actor.is_admin


def get_note(db: Session, actor: User, note_id: int) -> StaffNote:
    """A note the actor may read, or NotFound."""
    note = db.get(StaffNote, note_id)
    if note is None:
        raise NotFound(_l("No such note."))
    candidate = db.get(Candidate, note.candidate_id)
    if candidate is None or not can_see_candidate(db, actor, candidate) or not may_read(
            actor, note):
        raise NotFound(_l("No such note."))
    return note


def may_read(actor: User, note: StaffNote) -> bool:
    return actor.can_manage_hiring or note.author_id == actor.id or actor.id in (
        note.mentions or [])


def edit_note(db: Session, settings: Settings, actor: User, note: StaffNote,
              body: str | None) -> None:
    """Change the words of a note (its author or an admin); newly named colleagues are
    emailed, those named before are not emailed again."""
    if not may_change(actor, note):
        raise Forbidden(_l("Only the author or an admin can change a note."))
    note.body = _clean_note(body)
    note.edited_at = utcnow()
    candidate = db.get(Candidate, note.candidate_id)
    assert candidate is not None  # noqa: S101 (the note's foreign key)
    _mention_and_tell(db, settings, actor, note, candidate, set(note.mentions or []))


def delete_note(db: Session, actor: User, note: StaffNote) -> None:
    if not may_change(actor, note):
        raise Forbidden(_l("Only the author or an admin can delete a note."))
    db.delete(note)


def notes_for(db: Session, actor: User, candidate_id: int) -> list[StaffNote]:
    """The notes on a candidate the actor may read, newest first (one query)."""
    notes = db.scalars(select(StaffNote).where(StaffNote.candidate_id == candidate_id)
                       .order_by(StaffNote.created_at.desc(), StaffNote.id.desc())).all()
    return [n for n in notes if may_read(actor, n)]


def notes_text(db: Session, candidate_ids: Sequence[int]) -> dict[int, str]:
    """Every note's words per candidate, for the search index."""
    result: dict[int, list[str]] = {}
    for cid, body in db.execute(select(StaffNote.candidate_id, StaffNote.body).where(
            StaffNote.candidate_id.in_(list(candidate_ids))).order_by(StaffNote.id)):
        result.setdefault(cid, []).append(body)
    return {cid: "\n".join(parts) for cid, parts in result.items()}
