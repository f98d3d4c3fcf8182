"""What the candidate pages read: a fixed number of queries whatever the candidate has."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload, selectinload

from portal.hiring.models import Application, Candidate, Interview, Opening, StageKind
from portal.timeutil import utcnow

JOIN_OPENS = timedelta(minutes=15)


def overview(db: Session, candidate: Candidate) -> list[Application]:
    """All the candidate's applications with opening, stages and interviews: 4 queries."""
    return list(db.scalars(
        select(Application)
        .where(Application.candidate_id == candidate.id)
        .options(
            joinedload(Application.opening).selectinload(Opening.stages),
            joinedload(Application.stage), joinedload(Application.last_open_stage),
            selectinload(Application.interviews).selectinload(Interview.interviewers),
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


@dataclass
class Step:
    name: str
    state: str  # "done", "current", "todo", "outcome"


def timeline(application: Application, lang: str) -> list[Step]:
    """The candidate-facing stages: open stages in order, then the outcome if the process
    ended. End stages that did not happen are never shown."""
    current = application.shown_stage
    steps: list[Step] = []
    passed = True
    for stage in application.opening.stages:
        if stage.kind != StageKind.OPEN:
            continue
        if stage.id == current.id:
            steps.append(Step(stage.public_name(lang), "current"))
            passed = False
        else:
            steps.append(Step(stage.public_name(lang), "done" if passed else "todo"))
    if current.kind != StageKind.OPEN:
        # Stages after the point where the process ended are not part of this story.
        last_done = max((i for i, s in enumerate(steps) if s.state == "done"), default=-1)
        steps = [s for s in steps[: last_done + 1]]
        steps.append(Step(current.public_name(lang), "outcome"))
    return steps


def next_interview(application: Application, now: datetime | None = None) -> Interview | None:
    now = now or utcnow()
    upcoming = [i for i in application.interviews if not i.is_cancelled and i.ends_at > now]
    return min(upcoming, key=lambda i: i.starts_at) if upcoming else None


def join_is_open(interview: Interview, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return interview.starts_at - JOIN_OPENS <= now <= interview.ends_at


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
