"""The emails an interview causes: invitation, update, cancellation and reminder, to the
candidate and to every interviewer. Each is queued in the outbox in the caller's
transaction, rendered in the reader's language with a calendar file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, selectinload

from portal.accounts.models import User
from portal.hiring.models import Application, Candidate, Interview, InterviewStatus
from portal.i18n import force_locale
from portal.links.services import issue_link, link_url
from portal.locks import claim
from portal.messaging.calendar import interview_ics
from portal.messaging.services import enqueue, render_email
from portal.platforms.registry import get_platform
from portal.settings import Settings
from portal.timeutil import utcnow, zone

# kind -> calendar method
_METHODS = {"invitation": "REQUEST", "update": "REQUEST", "cancellation": "CANCEL",
            "reminder": None}


@dataclass(frozen=True)
class PanelNote:
    """Something the panel should know before an interview (e.g. the adjustments the
    candidate asked for), shown in the interviewers' invitations and updates and in the
    calendar description sent to them, never to the candidate."""

    heading: str
    items: list[str] = field(default_factory=list)
    quote: str = ""  # the candidate's own words

    def as_text(self) -> str:
        lines = [self.heading, *(f"- {item}" for item in self.items)]
        if self.quote:
            lines.append(f'"{self.quote}"')
        return "\n".join(lines)


# Domains above this one add what the panel should read (they import this module; this
# module never imports them): each provider is called in the reader's language and
# returns a note, or None.
PanelNoteProvider = Callable[[Session, Interview], "PanelNote | None"]
_PANEL_NOTES: list[PanelNoteProvider] = []


def add_panel_notes(provider: PanelNoteProvider) -> None:
    """Register ``provider`` once (a second registration of the same one is ignored)."""
    if provider not in _PANEL_NOTES:
        _PANEL_NOTES.append(provider)


def panel_notes(db: Session, interview: Interview) -> list[PanelNote]:
    """The notes for the panel of ``interview``, in the current language."""
    return [note for provider in _PANEL_NOTES
            if (note := provider(db, interview)) is not None]


def _summary(interview: Interview) -> str:
    opening = interview.application.opening
    return _("Interview: %(round)s, %(title)s", round=interview.round_name, title=opening.title)


def day_word(starts_at: datetime, tzname: str | None, now: datetime | None = None) -> str:
    """"today" or "tomorrow" as the reader counts days in their own zone, else "" (then
    name the date). A reminder goes out 24 hours ahead, or later when invited late, so
    the interview may well be later the same day."""
    tz = zone(tzname)
    days = (starts_at.astimezone(tz).date() - (now or utcnow()).astimezone(tz).date()).days
    return {0: "today", 1: "tomorrow"}.get(days, "")


def _ics(settings: Settings, interview: Interview, method: str, lang: str,
         uninvited: User | None = None, notes: list[PanelNote] | None = None) -> str:
    """The calendar file. ``uninvited``: a CANCEL that takes only this person off the
    panel, so it names only them and leaves the event itself alone (RFC 5546 3.2.5).
    ``notes``: for an interviewer's copy, what the panel should know (in the
    description)."""
    candidate = interview.application.candidate
    attendees = [(candidate.name, candidate.email)] + [
        (u.name, u.email) for u in interview.interviewers
    ]
    if uninvited is not None:
        attendees = [(uninvited.name, uninvited.email)]
    with force_locale(lang):
        description = _("Join the meeting: %(url)s", url=interview.meeting_url)
        if interview.preparation:
            description += "\n\n" + interview.preparation
        for note in notes or []:
            description += "\n\n" + note.as_text()
        summary = _summary(interview)
    return interview_ics(interview, method=method, summary=summary, description=description,
                         organizer=settings.mail_from, attendees=attendees,
                         uninvited=uninvited is not None)


def queue_candidate_email(
    db: Session, settings: Settings, interview: Interview, kind: str, checked: bool = True
) -> None:
    """One email to the candidate with a fresh sign-in link to the interview page."""
    candidate: Candidate = interview.application.candidate
    lang = candidate.language
    _link, token = issue_link(db, settings, candidate)
    url = link_url(settings, token, next_path=f"/portal/interviews/{interview.id}")
    platform = get_platform(interview.platform)
    day = day_word(interview.starts_at, candidate.timezone)
    with force_locale(lang):
        title = interview.application.opening.title
        subjects = {
            "invitation": _("Invitation to interview: %(title)s", title=title),
            "update": _("Changed interview: %(title)s", title=title),
            "cancellation": _("Cancelled interview: %(title)s", title=title),
            "reminder": _("Reminder: your interview tomorrow, %(title)s", title=title),
        }
        subject = subjects[kind]
        if kind == "reminder" and day == "today":
            subject = _("Reminder: your interview today, %(title)s", title=title)
        elif kind == "reminder" and day != "tomorrow":
            from portal.web import fmt_date

            subject = _("Reminder: your interview on %(date)s, %(title)s",
                        date=fmt_date(interview.starts_at, candidate.timezone), title=title)
    text, html = render_email(
        f"candidate_{kind}", lang, candidate=candidate, interview=interview, link=url,
        platform=platform, tz=candidate.timezone, opening=interview.application.opening,
        checked=checked, day=day,
    )
    method = _METHODS[kind]
    enqueue(db, kind=f"candidate_{kind}", to_email=candidate.email, to_name=candidate.name,
            subject=subject, text=text, html=html,
            ics=_ics(settings, interview, method, lang) if method else None, ics_method=method,
            candidate_id=candidate.id, interview_id=interview.id)


def queue_interviewer_email(
    db: Session, settings: Settings, interview: Interview, user: User, kind: str,
    removed: bool = False,
) -> None:
    """One email to an interviewer with a link to the candidate in the back office.
    ``removed``: a cancellation for someone taken off a panel whose interview goes on."""
    lang = user.language
    candidate = interview.application.candidate
    url = f"{settings.base_url}/staff/candidates/{candidate.id}"
    with force_locale(lang):
        subjects = {
            "invitation": _("Interview with %(name)s: %(round)s", name=candidate.name,
                            round=interview.round_name),
            "update": _("Changed: interview with %(name)s", name=candidate.name),
            "cancellation": _("Cancelled: interview with %(name)s", name=candidate.name),
        }
        subject = subjects[kind]
        if removed and kind == "cancellation":
            subject = _("No longer on the panel: interview with %(name)s", name=candidate.name)
        # What the panel should know beforehand: with the invitation and every update.
        notes = panel_notes(db, interview) if kind != "cancellation" else []
    text, html = render_email(
        f"interviewer_{kind}", lang, user=user, candidate=candidate, interview=interview,
        link=url, tz=settings.default_timezone, opening=interview.application.opening,
        removed=removed, notes=notes,
    )
    method = _METHODS[kind]
    uninvited = user if removed and kind == "cancellation" else None
    enqueue(db, kind=f"interviewer_{kind}", to_email=user.email, to_name=user.name,
            subject=subject, text=text, html=html,
            ics=_ics(settings, interview, method, lang, uninvited, notes) if method else None,
            ics_method=method, interview_id=interview.id)


def send_invitation(db: Session, settings: Settings, interview: Interview) -> str:
    """Queue the invitation (first time) or an update (after that) to everyone.
    Returns the kind that was sent."""
    kind = "update" if interview.invited_at else "invitation"
    queue_candidate_email(db, settings, interview, kind)
    for user in interview.interviewers:
        queue_interviewer_email(db, settings, interview, user, kind)
    interview.invited_at = interview.invited_at or utcnow()
    return kind


def send_changes(
    db: Session, settings: Settings, interview: Interview, *, candidate: bool,
    added: list[User], removed: list[User],
) -> None:
    """After a change to an interview already sent. The candidate hears of it only when
    something they see changed; the panel is told whenever its membership or the interview
    changed: new members get an invitation, removed ones a cancellation, the rest an
    update."""
    if not interview.invited_at:
        return
    if candidate:
        queue_candidate_email(db, settings, interview, "update")
    for user in interview.interviewers:
        queue_interviewer_email(db, settings, interview, user,
                                "invitation" if user in added else "update")
    for user in removed:
        queue_interviewer_email(db, settings, interview, user, "cancellation", removed=True)


def send_cancellation(db: Session, settings: Settings, interview: Interview,
                      candidate: bool = True) -> None:
    """Everyone invited hears that the interview is off (the candidate not when they are
    being erased)."""
    if not interview.invited_at:
        return
    if candidate:
        queue_candidate_email(db, settings, interview, "cancellation")
    for user in interview.interviewers:
        queue_interviewer_email(db, settings, interview, user, "cancellation")


def queue_due_reminders(db: Session, settings: Settings) -> int:
    """Reminders 24 hours before each interview, once. The flag is set in the same
    transaction as the outbox row, so a reminder is never queued twice."""
    now = utcnow()
    query = (
        select(Interview)
        .where(
            Interview.status == InterviewStatus.SCHEDULED,
            Interview.invited_at.is_not(None),
            Interview.reminder_sent_at.is_(None),
            Interview.starts_at > now,
            Interview.starts_at <= now + timedelta(hours=24),
            # No reminder right on the heels of the invitation itself.
            Interview.invited_at <= now - timedelta(hours=2),
        )
        .options(selectinload(Interview.application).selectinload(Application.candidate))
    )
    if db.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Interview)
    count = 0
    from portal.techcheck.services import has_passed

    for interview in db.scalars(query).all():
        # The flag is the claim (SQLite has no SKIP LOCKED): set only if still unset.
        if not claim(db, Interview, interview.id, Interview.reminder_sent_at.is_(None),
                     reminder_sent_at=now):
            continue
        checked = has_passed(db, interview.application.candidate_id)
        queue_candidate_email(db, settings, interview, "reminder", checked=checked)
        interview.reminder_sent_at = now
        count += 1
    return count


def queue_new_link(db: Session, settings: Settings, candidate: Candidate) -> None:
    """A fresh sign-in link, asked for from the expired-link page."""
    _link, token = issue_link(db, settings, candidate)
    url = link_url(settings, token)
    with force_locale(candidate.language):
        subject = _("Your new link to the candidate portal")
    text, html = render_email("candidate_new_link", candidate.language, candidate=candidate,
                              link=url)
    enqueue(db, kind="candidate_new_link", to_email=candidate.email, to_name=candidate.name,
            subject=subject, text=text, html=html, candidate_id=candidate.id)


def answer_link_request(db: Session, settings: Settings, email: str, language: str,
                        per_hour: int) -> bool:
    """The expired-link page's "send me a new link": a fresh link to a candidate on file
    (with an application, and not more than ``per_hour`` asked for in the last hour).

    The same work whether or not the address is known, so the answer's time tells nothing:
    one lookup, one token signed and one email rendered either way; only a known
    candidate's message is queued (the worker sends it). Returns whether one was queued."""
    from portal.links.services import decoy_token
    from portal.messaging.models import OutboxMessage

    since = utcnow() - timedelta(hours=1)
    asked = (select(func.count(OutboxMessage.id))
             .where(OutboxMessage.candidate_id == Candidate.id,
                    OutboxMessage.kind == "candidate_new_link",
                    OutboxMessage.created_at >= since).scalar_subquery())
    applied = exists().where(Application.candidate_id == Candidate.id)
    row = db.execute(select(Candidate, applied, asked)
                     .where(Candidate.email == email.strip().lower())).first()
    known = row is not None and bool(row[1]) and row[2] < per_hour
    if known:
        candidate = row[0]
        _link, token = issue_link(db, settings, candidate)
    else:  # a stand-in, never added to the session
        candidate = Candidate(name=email, email=email, language=language)
        token = decoy_token(settings)
    url = link_url(settings, token)
    with force_locale(candidate.language):
        subject = _("Your new link to the candidate portal")
    text, html = render_email("candidate_new_link", candidate.language, candidate=candidate,
                              link=url)
    if known:
        enqueue(db, kind="candidate_new_link", to_email=candidate.email,
                to_name=candidate.name, subject=subject, text=text, html=html,
                candidate_id=candidate.id)
    return known
