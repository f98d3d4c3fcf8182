"""What the candidate pages read: a fixed number of queries whatever the candidate has."""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import Session, joinedload, selectinload

from portal.booking.models import BookingOffer
from portal.hiring.models import (
    Application,
    Candidate,
    Interview,
    Opening,
    interview_interviewer,
)


def overview(db: Session, candidate: Candidate) -> list[Application]:
    """All the candidate's applications with opening, stages and interviews: 4 queries."""
    return list(db.scalars(
        select(Application)
        .where(Application.candidate_id == candidate.id)
        .options(
            joinedload(Application.opening).selectinload(Opening.stages),
            joinedload(Application.stage), joinedload(Application.last_open_stage),
            selectinload(Application.interviews).selectinload(Interview.interviewers),
            # Times offered to book (self-scheduling), in the same query.
            joinedload(Application.booking_offers).joinedload(BookingOffer.request),
        )
        .order_by(Application.closed_at.is_not(None), Application.created_at.desc())
    ).unique())


@functools.cache
def _interview_query() -> Any:
    # Built once; the interview page is the candidate's busiest.
    return (
        select(Interview)
        .join(Application, Application.id == Interview.application_id)
        .where(Interview.id == bindparam("interview_id"),
               Application.candidate_id == bindparam("candidate_id"))
        .options(
            joinedload(Interview.application).joinedload(Application.opening),
            joinedload(Interview.interviewers),
            # Self-scheduling: how it was booked, and the adjustments asked for.
            joinedload(Interview.booking_offer).joinedload(BookingOffer.request),
            joinedload(Interview.application).joinedload(Application.adjustment),
        )
    )


def interview_for(db: Session, candidate: Candidate, interview_id: int) -> Interview | None:
    """One interview of this candidate's (None for anyone else's), in one query."""
    return db.scalars(_interview_query(), {"interview_id": interview_id,
                                           "candidate_id": candidate.id}).unique().first()


def application_for(db: Session, candidate: Candidate, application_id: int) -> Application | None:
    return db.scalars(
        select(Application)
        .where(Application.id == application_id, Application.candidate_id == candidate.id)
        .options(joinedload(Application.opening).selectinload(Opening.stages),
                 joinedload(Application.stage), joinedload(Application.last_open_stage))
    ).unique().first()


def google_calendar_url(interview: Interview, title: str, details: str) -> str:
    fmt = "%Y%m%dT%H%M%SZ"
    query = urlencode({
        "action": "TEMPLATE", "text": title,
        "dates": f"{interview.starts_at.strftime(fmt)}/{interview.ends_at.strftime(fmt)}",
        "details": details, "location": interview.meeting_url,
    })
    return f"https://calendar.google.com/calendar/render?{query}"


def outlook_calendar_url(interview: Interview, title: str, details: str) -> str:
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    query = urlencode({
        "path": "/calendar/action/compose", "rru": "addevent", "subject": title,
        "startdt": interview.starts_at.strftime(fmt), "enddt": interview.ends_at.strftime(fmt),
        "body": details, "location": interview.meeting_url,
    })
    return f"https://outlook.live.com/calendar/0/deeplink/compose?{query}"


def meets(db: Session, candidate: Candidate, user_id: int) -> bool:
    """Whether staff member ``user_id`` sits on the panel of one of this candidate's
    interviews: only then may the candidate see their photo."""
    return bool(db.scalar(select(exists().where(
        interview_interviewer.c.user_id == user_id,
        interview_interviewer.c.interview_id == Interview.id,
        Interview.application_id == Application.id,
        Application.candidate_id == candidate.id))))
