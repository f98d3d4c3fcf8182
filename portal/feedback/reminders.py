"""Reminders to interviewers who owe a scorecard."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.feedback.services import missing_scorecards
from portal.i18n import force_locale
from portal.messaging.models import OutboxMessage
from portal.messaging.services import enqueue, render_email
from portal.settings import Settings
from portal.timeutil import utcnow


def queue_scorecard_reminders(db: Session, settings: Settings) -> int:
    """Interviewers without a submitted scorecard a day after the interview are reminded,
    at most once a day each."""
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
