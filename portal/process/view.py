"""What the candidate sees, derived in one place from the lifecycle and the clock: the
timeline, the status of each application, the next thing to do, and what an interview page
offers. Templates show these; they do not decide them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from portal.hiring.models import Application, Interview, Response, Stage, StageKind
from portal.timeutil import utcnow

JOIN_OPENS = timedelta(minutes=15)


@dataclass
class Step:
    name: str
    state: str  # "done", "current", "todo", "outcome"


def timeline(application: Application, visited: set[int], lang: str) -> list[Step]:
    """The stages the candidate passed, the one they are in, the ones still ahead while the
    process is open, and the end only once they were told. Stages the process skipped are
    not shown as passed."""
    shown = application.shown_stage
    open_stages = [s for s in application.opening.stages if s.kind == StageKind.OPEN]
    ended = shown.kind != StageKind.OPEN
    steps: list[Step] = []
    for stage in open_stages:
        if not ended and stage.id == shown.id:
            steps.append(Step(stage.public_name(lang), "current"))
        elif stage.position < shown.position or ended:
            if stage.id in visited:
                steps.append(Step(stage.public_name(lang), "done"))
        elif not ended:
            steps.append(Step(stage.public_name(lang), "todo"))
    if ended:
        steps.append(Step(shown.public_name(lang), "outcome"))
    return steps


@dataclass
class InterviewView:
    """What the interview page offers. ``state`` is "upcoming", "live", "over",
    "cancelled" or "closed" (the process ended before it took place)."""

    interview: Interview
    state: str
    can_join: bool
    join_open: bool
    can_respond: bool
    can_add_to_calendar: bool

    @property
    def happening(self) -> bool:
        return self.state in ("upcoming", "live")


def interview_view(interview: Interview, now: datetime | None = None) -> InterviewView:
    now = now or utcnow()
    application = interview.application
    # "closed" says the process ended: only once the candidate has been told the outcome.
    told_closed = application.is_closed and application.outcome_shown
    if interview.is_cancelled or (application.is_closed and interview.ends_at > now):
        state = "closed" if told_closed else "cancelled"
    elif interview.ends_at <= now:
        state = "over"
    elif interview.starts_at <= now:
        state = "live"
    else:
        state = "upcoming"
    happening = state in ("upcoming", "live")
    join_open = happening and interview.starts_at - JOIN_OPENS <= now <= interview.ends_at
    return InterviewView(interview=interview, state=state, can_join=happening,
                         join_open=join_open, can_respond=state == "upcoming",
                         can_add_to_calendar=happening)


def next_interview(application: Application, now: datetime | None = None) -> Interview | None:
    """The next interview that will take place (none once the process has ended)."""
    if application.is_closed:
        return None
    now = now or utcnow()
    upcoming = [i for i in application.interviews if not i.is_cancelled and i.ends_at > now]
    return min(upcoming, key=lambda i: i.starts_at) if upcoming else None


@dataclass
class ApplicationView:
    application: Application
    stage: Stage  # the stage the candidate sees
    outcome: str | None  # "hired", "not_selected", "withdrawn" once told; else None
    next_interview: Interview | None
    promise: date | None  # "you will hear from us by"
    asks_references: bool
    steps: list[Step] = field(default_factory=list)

    @property
    def open(self) -> bool:
        return self.outcome is None and not self.application.is_closed


def asks_references(application: Application, visited: set[int]) -> bool:
    """Candidates name referees while the process is in the reference stage, or past it
    after going through it (not when it was skipped)."""
    if application.is_closed:
        return False
    ref = next((s for s in application.opening.stages
                if s.kind == StageKind.OPEN and s.name == "References"), None)
    if ref is None:
        return False
    return application.stage_id == ref.id or (
        application.stage.position > ref.position and ref.id in visited)


def application_view(application: Application, visited: set[int], lang: str,
                     now: datetime | None = None) -> ApplicationView:
    shown = application.shown_stage
    outcome = shown.kind if shown.kind != StageKind.OPEN else None
    promise = None if application.is_closed else application.next_step_by
    return ApplicationView(
        application=application, stage=shown, outcome=outcome,
        next_interview=next_interview(application, now), promise=promise,
        asks_references=asks_references(application, visited),
        steps=timeline(application, visited, lang))


@dataclass
class NextStep:
    """The one thing the overview asks of the candidate now. ``kind`` is "confirm", "book"
    (choose a time offered to them), "referees", "waiting_reschedule", "prepare",
    "pool_invite", "finished" (every process ended without a hire and the candidate was
    told) or "none"."""

    kind: str
    interview: Interview | None = None
    application: Application | None = None
    invite: Any = None
    offer: Any = None


def next_step(views: list[ApplicationView], invites: list[Any],
              named_referees: dict[int, int], offers: list[Any] | None = None) -> NextStep:
    """In order: answer an invitation to interview, book a time offered, name referees,
    wait for a new time, prepare for a confirmed interview, answer a pool invitation,
    nothing. ``offers``: the booking offers the candidate can book now."""
    upcoming = sorted((v.next_interview for v in views if v.next_interview is not None),
                      key=lambda i: i.starts_at)
    for item in upcoming:
        if item.response == Response.NONE:
            return NextStep("confirm", interview=item, application=item.application)
    if offers:
        return NextStep("book", application=offers[0].application, offer=offers[0])
    for view in views:
        if view.asks_references and not named_referees.get(view.application.id):
            return NextStep("referees", application=view.application)
    for item in upcoming:
        if item.response == Response.RESCHEDULE:
            return NextStep("waiting_reschedule", interview=item, application=item.application)
    if upcoming:
        return NextStep("prepare", interview=upcoming[0], application=upcoming[0].application)
    if invites:
        return NextStep("pool_invite", invite=invites[0])
    if views and all(v.outcome in ("not_selected", "withdrawn") for v in views):
        return NextStep("finished")
    return NextStep("none")
