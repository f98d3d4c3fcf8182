"""Reminders to interviewers who owe a scorecard."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from portal.feedback.services import missing_scorecards
from portal.hiring.models import interview_interviewer
from portal.i18n import force_locale
from portal.messaging.services import enqueue, render_email
from portal.settings import Settings
from portal.timeutil import utcnow


def queue_scorecard_reminders(db: Session, settings: Settings) -> int:
    """Interviewers without a submitted scorecard a day after the interview are reminded,
    at most once a day each. Each reminder is claimed on the panel member's row (a
    conditional update of ``scorecard_reminded_at``, in the transaction that queues the
    email), so however many workers run at once, it goes out once."""
    count = 0
    now = utcnow()
    since = now - timedelta(hours=24)
    reminded = interview_interviewer.c.scorecard_reminded_at
    for interview, user in missing_scorecards(db):
        claimed = db.execute(
            update(interview_interviewer)
            .where(interview_interviewer.c.interview_id == interview.id,
                   interview_interviewer.c.user_id == user.id,
                   or_(reminded.is_(None), reminded <= since))
            .values(scorecard_reminded_at=now))
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue  # reminded within the day, or by another worker a moment ago
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
