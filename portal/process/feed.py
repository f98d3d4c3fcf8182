"""A candidate's history in words, for the staff candidate page: one list, newest first,
merged from the stage history, interviews (scheduled, answered, cancelled), booking offers,
notes, the message thread, the emails to the candidate and their delivery, and the audit
log. Sentences are written in the reader's language and times shown in their zone by the
template.

Need to know: an interviewer's feed holds only the processes they sit on a panel of (their
moves, interviews, booking and the interview emails), and only the notes they wrote or that
name them; the audit log, the message thread and other emails are for admins and
recruiters. A fixed number of queries, however long the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from babel.dates import format_date
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal.accounts.models import User
from portal.booking.models import BookingOffer
from portal.hiring.conversation import CandidateMessage, StaffNote
from portal.hiring.models import Application, Candidate, Interview, InterviewStatus, Response
from portal.hiring.notes import may_read
from portal.messaging.models import MessageStatus, OutboxMessage
from portal.privacy.audit_log import AuditRow
from portal.privacy.models import AuditEvent
from portal.privacy.words import ERASED_CANDIDATE, GONE_COLLEAGUE, is_erased_email
from portal.process.models import StageChange
from portal.timeutil import zone

LIMIT = 300  # rows per source: a long history shows its newest part


@dataclass(frozen=True)
class FeedItem:
    at: datetime
    kind: str  # stage, interview, booking, note, message_out, message_in, email, audit
    text: str
    body: str = ""  # the words of a note or message, shown under the sentence
    note: StaffNote | None = None
    tone: str = ""  # "warn" for what went wrong (a failed email, a cancelled interview)


def _day(value: datetime, tz: str) -> str:
    return format_date(value.astimezone(zone(tz)), "d MMM", locale=str(get_locale() or "sv"))


def feed(db: Session, viewer: User, candidate: Candidate, applications: list[Application],
         tz: str) -> list[FeedItem]:
    """The candidate's history the viewer may read, newest first. ``applications``: the
    ones the viewer may see (the page has worked that out already)."""
    manager = viewer.can_manage_hiring
    app_ids = [a.id for a in applications]
    titles = {a.id: a.opening.title for a in applications}
    erased = is_erased_email(candidate.id, candidate.email)
    who = str(ERASED_CANDIDATE) if erased else candidate.name
    items: list[FeedItem] = []
    names: dict[int, str] = {i: n for i, n in db.execute(select(User.id, User.name))}

    def staff(user_id: int | None) -> str:
        return names.get(user_id or 0) or str(GONE_COLLEAGUE)

    # The stage history.
    if app_ids:
        for c in db.scalars(select(StageChange).where(StageChange.application_id.in_(app_ids))
                            .options(selectinload(StageChange.to_stage))
                            .order_by(StageChange.at.desc()).limit(LIMIT)):
            title, stage = titles.get(c.application_id, ""), c.to_stage.display_name
            if c.from_stage_id is None:
                text = (_("%(candidate)s applied for %(title)s", candidate=who, title=title)
                        if c.actor_kind != "staff" else
                        _("%(actor)s added %(candidate)s to %(title)s", actor=staff(c.actor_id),
                          candidate=who, title=title))
            elif c.actor_kind == "staff":
                text = _("%(actor)s moved %(candidate)s to %(stage)s (%(title)s)",
                         actor=staff(c.actor_id), candidate=who, stage=stage, title=title)
            elif c.actor_kind == "candidate":
                text = _("%(candidate)s moved to %(stage)s (%(title)s)", candidate=who,
                         stage=stage, title=title)
            else:
                text = _("The portal moved %(candidate)s to %(stage)s (%(title)s)",
                         candidate=who, stage=stage, title=title)
            items.append(FeedItem(c.at, "stage", text))

    # Interviews and booking.
    interviews = list(db.scalars(select(Interview).where(
        Interview.application_id.in_(app_ids)).order_by(Interview.id.desc()).limit(LIMIT))
    ) if app_ids else []
    for i in interviews:
        day = _day(i.starts_at, tz)
        items.append(FeedItem(i.created_at, "interview", _(
            "Interview “%(round)s” scheduled for %(day)s", round=i.round_name, day=day)))
        if i.responded_at and i.response == Response.CONFIRMED:
            items.append(FeedItem(i.responded_at, "interview", _(
                "%(candidate)s confirmed the interview on %(day)s", candidate=who, day=day)))
        elif i.responded_at and i.response == Response.RESCHEDULE:
            items.append(FeedItem(i.responded_at, "interview", _(
                "%(candidate)s asked for another time than %(day)s", candidate=who, day=day),
                body=i.response_message))
        if i.status == InterviewStatus.CANCELLED:
            items.append(FeedItem(i.updated_at, "interview", _(
                "The interview on %(day)s was cancelled", day=day), tone="warn"))
    if app_ids:
        for offer in db.scalars(select(BookingOffer).where(
                BookingOffer.application_id.in_(app_ids))
                .options(selectinload(BookingOffer.request)).limit(LIMIT)):
            items.append(FeedItem(offer.sent_at, "booking", _(
                "Times offered to book for “%(round)s”", round=offer.request.round_name)))
            if offer.booked_at:
                items.append(FeedItem(offer.booked_at, "booking", _(
                    "%(candidate)s booked a time for “%(round)s”", candidate=who,
                    round=offer.request.round_name)))

    # Notes.
    for note in db.scalars(select(StaffNote).where(StaffNote.candidate_id == candidate.id)
                           .order_by(StaffNote.id.desc()).limit(LIMIT)):
        if may_read(viewer, note):
            items.append(FeedItem(note.created_at, "note", _(
                "%(actor)s wrote a note", actor=staff(note.author_id)), body=note.body,
                note=note))

    # Emails to the candidate, and their delivery.
    interview_ids = {i.id for i in interviews}
    outbox = select(OutboxMessage).where(OutboxMessage.candidate_id == candidate.id)
    if not manager:
        outbox = outbox.where(OutboxMessage.interview_id.in_(interview_ids or {0}))
    for m in db.scalars(outbox.order_by(OutboxMessage.id.desc()).limit(LIMIT)):
        if m.status == MessageStatus.SENT and m.sent_at:
            items.append(FeedItem(m.sent_at, "email", _("Email “%(subject)s” delivered",
                                                         subject=m.subject)))
        elif m.status == MessageStatus.FAILED:
            items.append(FeedItem(m.created_at, "email", _(
                "Email “%(subject)s” could not be delivered", subject=m.subject), tone="warn"))
        else:
            items.append(FeedItem(m.created_at, "email", _(
                "Email “%(subject)s” waiting to be sent", subject=m.subject)))

    if manager:
        # The message thread.
        for msg in db.scalars(select(CandidateMessage).where(
                CandidateMessage.candidate_id == candidate.id)
                .order_by(CandidateMessage.id.desc()).limit(LIMIT)):
            if msg.from_candidate:
                items.append(FeedItem(msg.created_at, "message_in", _(
                    "%(candidate)s answered", candidate=who), body=msg.body))
            else:
                items.append(FeedItem(msg.created_at, "message_out", _(
                    "%(actor)s wrote to %(candidate)s", actor=staff(msg.author_id),
                    candidate=who), body=msg.body))
        # The audit log: a colleague opening the page counts once a day.
        seen: set[tuple[int | None, str]] = set()
        for e in db.scalars(select(AuditEvent).where(AuditEvent.candidate_id == candidate.id)
                            .order_by(AuditEvent.id.desc()).limit(LIMIT)):
            if e.action in ("note_added", "message_sent"):
                continue  # the note or message itself is in the feed
            if e.action == "viewed":
                key = (e.actor_id, e.at.astimezone(zone(tz)).date().isoformat())
                if key in seen:
                    continue
                seen.add(key)
            actor = names.get(e.actor_id or 0, "") if e.actor_kind == "staff" else (
                candidate.name if e.actor_kind == "candidate" and not erased else "")
            row = AuditRow(e, actor, "" if erased else candidate.name, erased)
            items.append(FeedItem(e.at, "audit", row.sentence))
    items.sort(key=lambda item: item.at, reverse=True)
    return items
