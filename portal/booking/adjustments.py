"""What a candidate asks us to adjust for their interviews, kept with the application,
shown to staff and the panel (on the candidate's page, in the panel's invitations and
calendar files, and in an email when the candidate asks later), exported with the
candidate's data and erased with it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from portal.accounts.models import User
from portal.booking.models import Adjustment, BookingOffer
from portal.errors import DomainError
from portal.hiring import notify
from portal.hiring.models import Application, Candidate, Interview, InterviewStatus
from portal.hiring.notify import PanelNote
from portal.i18n import force_locale
from portal.locks import lock
from portal.messaging.services import enqueue, render_email
from portal.settings import Settings
from portal.timeutil import utcnow

# What a candidate may ask for, in the order the form lists them.
ADJUSTMENT_KINDS: dict[str, Any] = {
    "more_time": _l("More time: a 50 percent longer interview"),
    "captions": _l("Captions (subtitles) during the call"),
    "interpreter": _l("An interpreter"),
    "break": _l("A short break during the interview"),
    "questions_in_writing": _l("The questions in writing beforehand"),
}
NOTE_MAX = 2000


def adjustment_of(db: Session, application_id: int) -> Adjustment | None:
    return db.scalar(select(Adjustment).where(Adjustment.application_id == application_id))


def adjustments_of(db: Session, application_ids: Sequence[int]) -> dict[int, Adjustment]:
    if not application_ids:
        return {}
    return {a.application_id: a for a in db.scalars(
        select(Adjustment).where(Adjustment.application_id.in_(application_ids)))}


def save_adjustment(db: Session, application: Application, kinds: Sequence[str],
                    note: str) -> Adjustment | None:
    """What the candidate asks us to adjust in this process, replacing what they asked
    before; asking for nothing removes the record."""
    unknown = set(kinds) - set(ADJUSTMENT_KINDS)
    if unknown:
        raise DomainError(_l("Choose from the list."), field="adjustments")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise DomainError(_l("Keep the message under 2,000 characters."), field="note")
    lock(db, application)
    row = adjustment_of(db, application.id)
    ordered = ",".join(k for k in ADJUSTMENT_KINDS if k in kinds)
    if not ordered and not note:
        if row is not None:
            db.delete(row)
        return None
    if row is None:
        row = Adjustment(application_id=application.id)
        db.add(row)
    row.kinds, row.note, row.updated_at = ordered, note, utcnow()
    db.flush()
    return row


def adjustment_labels(row: Adjustment | None) -> list[str]:
    """The kinds asked for, in the reader's language."""
    if row is None:
        return []
    return [str(ADJUSTMENT_KINDS[k]) for k in row.kind_list if k in ADJUSTMENT_KINDS]


def panel_note(db: Session, interview: Interview) -> PanelNote | None:
    """The panel's note for an interview: the adjustments its candidate asked for, in the
    reader's language (shown with their invitations and updates and in the calendar
    description sent to them; ``notify`` asks for it)."""
    row = adjustment_of(db, interview.application_id)
    if row is None:
        return None
    return PanelNote(heading=_("Adjustments the candidate asked for:"),
                     items=adjustment_labels(row), quote=row.note)


notify.add_panel_notes(panel_note)


def ask_for_adjustments(db: Session, settings: Settings, application: Application,
                        kinds: Sequence[str], note: str) -> Adjustment | None:
    """The candidate asks for adjustments (or changes or drops what they asked). When that
    changes anything, each interviewer of the application's interviews still to come that
    were already sent is told once, by email through the outbox, whatever number of
    those interviews they sit on (an interview not sent yet carries the adjustments in
    its invitation). Saved under the application's lock, so the same request sent twice
    at once tells nobody twice."""
    lock(db, application)
    # Afresh: the page may have read the row before another request changed it.
    before = db.scalar(select(Adjustment).where(Adjustment.application_id == application.id)
                       .execution_options(populate_existing=True))
    was = (before.kinds, before.note) if before is not None else ("", "")
    row = save_adjustment(db, application, kinds, note)
    now_asked = (row.kinds, row.note) if row is not None else ("", "")
    if now_asked != was:
        tell_panel(db, settings, application, row)
    return row


def tell_panel(db: Session, settings: Settings, application: Application,
               row: Adjustment | None) -> int:
    """One email to each interviewer of the application's sent interviews still to come:
    what the candidate asks for now. Returns how many were queued."""
    now = utcnow()
    upcoming = db.scalars(select(Interview).where(
        Interview.application_id == application.id,
        Interview.status == InterviewStatus.SCHEDULED.value,
        Interview.invited_at.is_not(None)).order_by(Interview.starts_at)
        .options(selectinload(Interview.interviewers))).all()
    people: dict[int, tuple[User, list[Interview]]] = {}
    for interview in upcoming:
        if interview.ends_at <= now:
            continue
        for user in interview.interviewers:
            people.setdefault(user.id, (user, []))[1].append(interview)
    candidate = application.candidate
    for user, interviews in people.values():
        with force_locale(user.language):
            subject = _("Adjustments for the interview with %(name)s", name=candidate.name)
            labels = adjustment_labels(row)
        text, html = render_email(
            "interviewer_adjustments", user.language, user=user, candidate=candidate,
            interviews=interviews, labels=labels, note=row.note if row is not None else "",
            opening=application.opening, tz=settings.default_timezone,
            link=f"{settings.base_url}/staff/candidates/{candidate.id}")
        enqueue(db, kind="interviewer_adjustments", to_email=user.email, to_name=user.name,
                subject=subject, text=text, html=html, interview_id=interviews[0].id)
    return len(people)


def erase_candidate(db: Session, candidate: Candidate) -> None:
    """Erasure: the adjustments the candidate asked for go (their own words, and what
    they tell of their needs)."""
    app_ids = select(Application.id).where(Application.candidate_id == candidate.id)
    db.execute(delete(Adjustment).where(Adjustment.application_id.in_(app_ids))
               .execution_options(synchronize_session=False))


def export_part(db: Session, candidate: Candidate) -> dict[str, Any]:
    """The candidate's own copy: the times offered to them and what they asked for."""
    rows = db.execute(
        select(Application, Adjustment).join(
            Adjustment, Adjustment.application_id == Application.id)
        .where(Application.candidate_id == candidate.id)).all()
    offers = db.scalars(select(BookingOffer).join(
        Application, Application.id == BookingOffer.application_id)
        .where(Application.candidate_id == candidate.id)
        .options(selectinload(BookingOffer.request))).all()
    iso = lambda value: value.isoformat() if value else None  # noqa: E731
    return {
        "adjustments_you_asked_for": [
            {"opening": application.opening.title, "kinds": row.kind_list, "note": row.note,
             "updated_at": iso(row.updated_at)} for application, row in rows],
        "times_offered_to_book": [
            {"round": o.request.round_name, "status": o.status, "sent_at": iso(o.sent_at),
             "booked_at": iso(o.booked_at)} for o in offers],
    }
