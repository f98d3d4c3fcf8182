"""The emails an interview causes: invitation, update, cancellation and reminder, to the
candidate and to every interviewer. Each is queued in the outbox in the caller's
transaction, rendered in the reader's language with a calendar file."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal.accounts.models import User
from portal.hiring.models import Application, Candidate, Interview, InterviewStatus
from portal.i18n import force_locale
from portal.links.services import issue_link, link_url
from portal.messaging.calendar import interview_ics
from portal.messaging.services import enqueue, render_email
from portal.platforms.registry import get_platform
from portal.settings import Settings
from portal.timeutil import utcnow

# kind -> calendar method
_METHODS = {"invitation": "REQUEST", "update": "REQUEST", "cancellation": "CANCEL",
            "reminder": None}


def _summary(interview: Interview) -> str:
    opening = interview.application.opening
    return _("Interview: %(round)s, %(title)s", round=interview.round_name, title=opening.title)


def _ics(settings: Settings, interview: Interview, method: str, lang: str) -> str:
    candidate = interview.application.candidate
    attendees = [(candidate.name, candidate.email)] + [
        (u.name, u.email) for u in interview.interviewers
    ]
    with force_locale(lang):
        description = _("Join the meeting: %(url)s", url=interview.meeting_url)
        if interview.preparation:
            description += "\n\n" + interview.preparation
        summary = _summary(interview)
    return interview_ics(interview, method=method, summary=summary, description=description,
                         organizer=settings.mail_from, attendees=attendees)


def queue_candidate_email(
    db: Session, settings: Settings, interview: Interview, kind: str, checked: bool = True
) -> None:
    """One email to the candidate with a fresh sign-in link to the interview page."""
    candidate: Candidate = interview.application.candidate
    lang = candidate.language
    _link, token = issue_link(db, settings, candidate)
    url = link_url(settings, token, next_path=f"/portal/interviews/{interview.id}")
    platform = get_platform(interview.platform)
    with force_locale(lang):
        subjects = {
            "invitation": _("Invitation to interview: %(title)s",
                            title=interview.application.opening.title),
            "update": _("Changed interview: %(title)s", title=interview.application.opening.title),
            "cancellation": _("Cancelled interview: %(title)s",
                              title=interview.application.opening.title),
            "reminder": _("Reminder: your interview tomorrow, %(title)s",
                          title=interview.application.opening.title),
        }
        subject = subjects[kind]
    text, html = render_email(
        f"candidate_{kind}", lang, candidate=candidate, interview=interview, link=url,
        platform=platform, tz=candidate.timezone, opening=interview.application.opening,
        checked=checked,
    )
    method = _METHODS[kind]
    enqueue(db, kind=f"candidate_{kind}", to_email=candidate.email, to_name=candidate.name,
            subject=subject, text=text, html=html,
            ics=_ics(settings, interview, method, lang) if method else None, ics_method=method,
            candidate_id=candidate.id, interview_id=interview.id)


def queue_interviewer_email(
    db: Session, settings: Settings, interview: Interview, user: User, kind: str
) -> None:
    """One email to an interviewer with a link to the candidate in the back office."""
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
    text, html = render_email(
        f"interviewer_{kind}", lang, user=user, candidate=candidate, interview=interview,
        link=url, tz=settings.default_timezone, opening=interview.application.opening,
    )
    method = _METHODS[kind]
    enqueue(db, kind=f"interviewer_{kind}", to_email=user.email, to_name=user.name,
            subject=subject, text=text, html=html,
            ics=_ics(settings, interview, method, lang) if method else None, ics_method=method,
            interview_id=interview.id)


def send_invitation(db: Session, settings: Settings, interview: Interview) -> str:
    """Queue the invitation (first time) or an update (after that) to everyone.
    Returns the kind that was sent."""
    kind = "update" if interview.invited_at else "invitation"
    queue_candidate_email(db, settings, interview, kind)
    for user in interview.interviewers:
        queue_interviewer_email(db, settings, interview, user, kind)
    interview.invited_at = interview.invited_at or utcnow()
    return kind


def send_update(
    db: Session, settings: Settings, interview: Interview, removed: list[User]
) -> None:
    """After a change to an interview already sent: update everyone still invited and
    cancel for those taken off it."""
    if not interview.invited_at:
        return
    queue_candidate_email(db, settings, interview, "update")
    for user in interview.interviewers:
        queue_interviewer_email(db, settings, interview, user, "update")
    for user in removed:
        queue_interviewer_email(db, settings, interview, user, "cancellation")


def send_cancellation(db: Session, settings: Settings, interview: Interview) -> None:
    if not interview.invited_at:
        return
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

    for interview in db.scalars(query):
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


def queue_scorecard_reminders(db: Session, settings: Settings) -> int:
    """Interviewers without a submitted scorecard a day after the interview are reminded,
    at most once a day each."""
    from sqlalchemy import func

    from portal.feedback.services import missing_scorecards
    from portal.messaging.models import OutboxMessage

    count = 0
    since = utcnow() - timedelta(hours=24)
    for interview, user in missing_scorecards(db):
        recent = db.scalar(select(func.count(OutboxMessage.id)).where(
            OutboxMessage.kind == "scorecard_reminder", OutboxMessage.interview_id == interview.id,
            OutboxMessage.to_email == user.email, OutboxMessage.created_at >= since))
        if recent:
            continue
        candidate = interview.application.candidate
        url = f"{settings.base_url}/staff/interviews/{interview.id}/scorecard"
        with force_locale(user.language):
            subject = _("Scorecard missing: %(name)s", name=candidate.name)
        text, html = render_email("scorecard_reminder", user.language, user=user,
                                  candidate=candidate, interview=interview, link=url,
                                  tz=settings.default_timezone,
                                  opening=interview.application.opening)
        enqueue(db, kind="scorecard_reminder", to_email=user.email, to_name=user.name,
                subject=subject, text=text, html=html, interview_id=interview.id)
        count += 1
    return count
