"""The lifecycle of an application: every change of its state, checked and carried out with
all its consequences in the caller's transaction.

An application's stage, whether it is open or closed, its interviews' status and its live
referee links change only here. Each transition checks that it is allowed from the current
state, records the move in the stage history, and does what follows from it: interviews
cancelled with messages to the candidate and the panel, referee links revoked, the promise
of an answer recomputed. Domains below (hiring, decisions, references, pool, privacy,
messaging) never import this module; it imports them.

Transitions::

    apply ──▶ open stage ──advance / move──▶ open stage ──offer──▶ Offer ──hire──▶ Hired
                 │  ▲                             │                  │
                 │  └──────────── reopen ─────────┤                  │
                 └──────── reject / withdraw ─────┴──────────────────┴──▶ Not selected
                                                                          / Withdrawn

    schedule / reschedule / cancel an interview: only while the application is open;
    scheduling moves the application to the interview stage that fits the round. Every
    scheduled interview holds its panel's time (``booking.holds``): a change that would
    put an interviewer in two interviews at once is refused, for staff and candidates
    alike, and the database refuses it too.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.booking import holds
from portal.decisions import services as decisions
from portal.errors import DomainError, NotFound
from portal.feedback import services as feedback
from portal.hiring import notify
from portal.hiring.models import (
    Application,
    Candidate,
    Interview,
    InterviewStatus,
    Opening,
    Response,
    Stage,
    StageKind,
)
from portal.hiring.services import (
    InterviewData,
    apply_interview_data,
    require_manager,
)
from portal.locks import lock, refresh_all
from portal.process import stage_rules
from portal.process.models import StageChange
from portal.scheduling.sync import queue_calendar_sync
from portal.settings import Settings
from portal.timeutil import require_sane_date, utcnow, zone
from portal.webhooks import events as webhooks

# Default stage names (internal) with a role in the process.
INTERVIEW_STAGE_NAMES = ("Interview", "Final interview")
OFFER_STAGE_NAME = "Offer"
REFERENCE_STAGE_NAME = "References"
DEFAULT_PROMISE_DAYS = 7


class Actor:
    """Who makes a change: a staff member, the candidate, or the system (worker, retention)."""

    def __init__(self, kind: str, user: User | None = None, candidate_id: int | None = None):
        self.kind, self.user, self.candidate_id = kind, user, candidate_id

    @classmethod
    def staff(cls, user: User) -> Actor:
        return cls("staff", user=user)

    @classmethod
    def candidate(cls, candidate: Candidate) -> Actor:
        return cls("candidate", candidate_id=candidate.id)

    @classmethod
    def system(cls) -> Actor:
        return cls("system")

    @property
    def id(self) -> int | None:
        return self.user.id if self.user is not None else self.candidate_id

    def require_manager(self) -> None:
        if self.kind == "staff":
            require_manager(self.user)  # type: ignore[arg-type]
        elif self.kind != "system":
            raise DomainError(_l("Only recruiters can do this."))


def _as_actor(actor: User | Actor) -> Actor:
    return actor if isinstance(actor, Actor) else Actor.staff(actor)


def _require_may_book(who: Actor, application: Application) -> None:
    """Staff who run hiring schedule any interview; a candidate books, moves and cancels
    only their own (self-scheduling, ``process.booking``, checks their offer first)."""
    if who.kind == "candidate":
        if application.candidate_id != who.candidate_id:
            raise NotFound(_l("No such application."))
    else:
        who.require_manager()


# ---------------------------------------------------------------- stages


def interview_stages(opening: Opening) -> list[Stage]:
    """The open stages that interview rounds belong to, in order."""
    named = [s for s in opening.stages if s.kind == StageKind.OPEN and s.name in
             INTERVIEW_STAGE_NAMES]
    return named


def fitting_interview_stage(application: Application) -> Stage:
    """The stage a new interview round moves the application to: the current stage when it
    is an interview stage already, else the first interview stage after it (or the current
    stage when the opening has none later)."""
    current = application.stage
    stages = interview_stages(application.opening)
    if current in stages:
        return current
    later = [s for s in stages if s.position > current.position]
    return later[0] if later else current


def _lock(db: Session, application: Application) -> Application:
    """Take the application's row lock and read it and its interviews afresh. Every
    transition starts here, so two recruiters (or a double click) at once run one after
    the other, and the second decides on what the first committed (rule 12)."""
    lock(db, application)
    refresh_all(db, select(Interview).where(Interview.application_id == application.id))
    return application


def _lock_interview(db: Session, interview: Interview) -> Interview:
    """The application's lock, then the interview's (always in this order), read afresh:
    a change by staff and the candidate's answer at the same moment do not mix."""
    _lock(db, interview.application)
    return lock(db, interview)


def _record(db: Session, application: Application, before: Stage | None, after: Stage,
            transition: str, actor: Actor, reason: str = "") -> None:
    db.add(StageChange(application_id=application.id, from_stage_id=before.id if before else None,
                       to_stage_id=after.id, actor_kind=actor.kind, actor_id=actor.id,
                       transition=transition, reason=reason.strip()[:2000], at=utcnow()))
    # Other systems hear of every move (webhooks), in the same transaction as the move.
    webhooks.for_application(db, "application.created" if before is None else
                             "application.stage_changed", application, stage_id=after.id,
                             from_stage_id=before.id if before else None,
                             transition=transition)


def _set_stage(db: Session, application: Application, stage: Stage, transition: str,
               actor: Actor, reason: str = "") -> None:
    if stage.opening_id != application.opening_id:
        raise NotFound(_l("No such stage."))
    before = application.stage
    if stage.id == before.id:
        raise DomainError(_l("The application is already in this stage."))
    now = utcnow()
    if stage.is_end and not before.is_end:
        application.last_open_stage = before
    application.stage = stage
    application.updated_at = now
    if stage.is_end:
        application.closed_at = application.closed_at or now
        application.next_step_by = None
    else:
        application.closed_at = None
        application.outcome_published_at = None
    _record(db, application, before, stage, transition, actor, reason)


def _end_stage(application: Application, kind: StageKind) -> Stage:
    return next(s for s in application.opening.stages if s.kind == kind)


def _named_stage(application: Application, name: str) -> Stage | None:
    return next((s for s in application.opening.stages
                 if s.kind == StageKind.OPEN and s.name == name), None)


# ---------------------------------------------------------------- promises


def promise_floor(application: Application, now: datetime | None = None) -> date | None:
    """The earliest date we may promise an answer by: the opening's response target after
    the end of the last booked interview (in the candidate's zone)."""
    now = now or utcnow()
    booked = [i.ends_at for i in application.interviews
              if not i.is_cancelled and i.ends_at > now]
    if not booked:
        return None
    tz = zone(application.candidate.timezone)
    return decisions.add_working_days(max(booked).astimezone(tz).date(),
                                      application.opening.response_days)


def _recompute_promise(application: Application, asked: date | None = None) -> None:
    """Closed: no promise. Open: what staff asked for (or the one we had), never earlier
    than the floor the booked interviews set."""
    if application.is_closed:
        application.next_step_by = None
        return
    promise = asked or application.next_step_by
    floor = promise_floor(application)
    if floor is not None and (promise is None or promise < floor):
        promise = floor
    application.next_step_by = promise


def set_promise(db: Session, actor: User, application: Application, when: date | None) -> None:
    """Staff set the date the candidate hears from us by; not earlier than the booked
    interviews allow, and only for an open process."""
    require_manager(actor)
    require_sane_date(when, field="next_step_by")
    _lock(db, application)
    if application.is_closed:
        raise DomainError(_l("This process is closed."))
    floor = promise_floor(application)
    if when is not None and floor is not None and when < floor:
        raise DomainError(_l("The candidate cannot hear from us before %(date)s: an interview "
                             "is booked until then.", date=floor.isoformat()),
                          field="next_step_by")
    application.next_step_by = when or floor


# ---------------------------------------------------------------- applying


def apply(db: Session, actor: User | Actor, candidate: Candidate, opening: Opening,
          next_step_by: date | None = None) -> Application:
    """Put a candidate into an opening's process at its first stage."""
    who = _as_actor(actor)
    if who.kind == "staff":
        who.require_manager()
    if opening.archived:
        raise DomainError(_l("This opening is archived."), field="opening")
    # The candidate's lock: two adds at once make one application, the other a message.
    lock(db, candidate)
    if db.scalar(select(Application.id).where(Application.candidate_id == candidate.id,
                                              Application.opening_id == opening.id)):
        raise DomainError(_l("The candidate is already in this opening."), field="opening")
    first = opening.stages[0]
    application = Application(
        candidate=candidate, opening=opening, stage=first,
        next_step_by=next_step_by or decisions.add_working_days(
            utcnow().date(), DEFAULT_PROMISE_DAYS))
    db.add(application)
    db.flush()
    _record(db, application, None, first, "apply", who)
    return application


def answer_pool_invite(db: Session, settings: Settings, invite: Any,
                       answer: str) -> Application | None:
    """The candidate answers a talent-pool invitation; "interested" starts (or returns)
    their application to the opening."""
    from portal.pool import services as pool

    opening = pool.record_invite_answer(db, settings, invite, answer)
    if opening is None:
        return None
    candidate = lock(db, invite.candidate)
    application = db.scalar(select(Application).where(
        Application.candidate_id == candidate.id, Application.opening_id == opening.id))
    if application is None:
        application = apply(db, Actor.candidate(candidate), candidate, opening)
    invite.application_id = application.id
    return application


# ---------------------------------------------------------------- moving


class StageConflict(DomainError):
    """The application is no longer where the person moving it saw it."""


def move(db: Session, settings: Settings, actor: User | Actor, application: Application,
         stage: Stage, reason: str = "", next_step_by: date | None = None,
         expected_stage_id: int | None = None) -> None:
    """Move to any stage of the opening (the board). An end stage closes the process with
    all its consequences; an open stage from a closed process reopens it. With
    ``expected_stage_id`` (the column the card was dragged from), a move someone else made
    in the meantime is not overridden: ``StageConflict``."""
    who = _as_actor(actor)
    who.require_manager()
    if stage.opening_id != application.opening_id:
        raise NotFound(_l("No such stage."))
    require_sane_date(next_step_by, field="next_step_by")
    _lock(db, application)
    if expected_stage_id is not None and application.stage_id != expected_stage_id:
        raise StageConflict(_l("Someone else moved %(name)s to %(stage)s a moment ago. The "
                               "card now shows where the application is.",
                               name=application.candidate.name,
                               stage=application.stage.display_name))
    if stage.kind == StageKind.NOT_SELECTED:
        return reject(db, settings, who, application, reason)
    if stage.kind == StageKind.WITHDRAWN:
        return withdraw(db, settings, who, application, reason)
    if stage.kind == StageKind.HIRED:
        return hire(db, settings, who, application)
    transition = "reopen" if application.is_closed else "move"
    _set_stage(db, application, stage, transition, who, reason)
    _after_open_move(db, settings, application, next_step_by)
    return None


def _after_open_move(db: Session, settings: Settings, application: Application,
                     next_step_by: date | None = None, announce: bool = True) -> None:
    """What entering an open stage does: the promise follows, the stage's rule writes to
    the candidate (unless the caller writes its own message), references are asked for."""
    _recompute_promise(application, next_step_by)
    if announce:
        stage_rules.announce_entry(db, settings, application)
    if application.stage.name == REFERENCE_STAGE_NAME:
        from portal.references.services import ask_candidate_for_referees

        ask_candidate_for_referees(db, settings, application)


def advance_target(application: Application) -> Stage:
    """The stage "advance" goes to: the next open stage after the one the application is in,
    or after the stage its booked interviews belong to if that is later."""
    if application.is_closed:
        raise DomainError(_l("This process is closed; reopen it first."))
    base = application.stage
    for item in application.interviews:
        if not item.is_cancelled and item.stage_id is not None:
            round_stage = next((s for s in application.opening.stages
                                if s.id == item.stage_id), None)
            if round_stage is not None and round_stage.position > base.position:
                base = round_stage
    later = [s for s in application.opening.stages
             if s.kind == StageKind.OPEN and s.position > base.position]
    if not later:
        raise DomainError(_l("There is no later stage to advance to."))
    return later[0]


def advance(db: Session, settings: Settings, actor: User | Actor,
            application: Application, announce: bool = True) -> Stage:
    who = _as_actor(actor)
    who.require_manager()
    _lock(db, application)
    target = advance_target(application)
    _set_stage(db, application, target, "advance", who)
    _after_open_move(db, settings, application, announce=announce)
    return target


def offer(db: Session, settings: Settings, actor: User | Actor, application: Application,
          announce: bool = True) -> None:
    who = _as_actor(actor)
    who.require_manager()
    _lock(db, application)
    if application.is_closed:
        raise DomainError(_l("This process is closed; reopen it first."))
    target = _named_stage(application, OFFER_STAGE_NAME)
    if target is None:
        later = [s for s in application.opening.stages if s.kind == StageKind.OPEN]
        target = later[-1]
    _set_stage(db, application, target, "offer", who)
    _after_open_move(db, settings, application, announce=announce)


def reopen(db: Session, settings: Settings, actor: User | Actor, application: Application) -> None:
    """Back to the open stage where the process ended."""
    who = _as_actor(actor)
    who.require_manager()
    _lock(db, application)
    if not application.is_closed:
        raise DomainError(_l("This process is open."))
    target = application.last_open_stage or application.opening.stages[0]
    _set_stage(db, application, target, "reopen", who)
    _after_open_move(db, settings, application)


def _close(db: Session, settings: Settings, application: Application, stage: Stage,
           transition: str, who: Actor, reason: str = "", tell_candidate: bool = True) -> None:
    """An end stage, and everything that follows from it."""
    _lock(db, application)
    if application.is_closed:
        raise DomainError(_l("This process is already closed."))
    _set_stage(db, application, stage, transition, who, reason)
    now = utcnow()
    for item in application.interviews:
        if item.status == InterviewStatus.SCHEDULED and item.ends_at > now:
            _cancel(db, settings, item, tell_candidate=tell_candidate)
    from portal.booking.services import close_offers
    from portal.references.services import revoke_open_requests

    revoke_open_requests(db, application)
    close_offers(db, application)  # nothing left to book
    application.next_step_by = None


def reject(db: Session, settings: Settings, actor: User | Actor, application: Application,
           reason: str = "") -> None:
    who = _as_actor(actor)
    who.require_manager()
    _close(db, settings, application, _end_stage(application, StageKind.NOT_SELECTED),
           "reject", who, reason)


def withdraw(db: Session, settings: Settings, actor: User | Actor, application: Application,
             reason: str = "") -> None:
    """The candidate withdrew (told staff, accepted an offer elsewhere, or did it here)."""
    who = _as_actor(actor)
    if who.kind == "candidate":
        if application.candidate_id != who.candidate_id:
            raise NotFound(_l("No such application."))
    else:
        who.require_manager()
    _close(db, settings, application, _end_stage(application, StageKind.WITHDRAWN),
           "withdraw", who, reason)
    # The candidate made this choice, so they know it: the portal shows it at once.
    application.outcome_published_at = utcnow()


def hire(db: Session, settings: Settings, actor: User | Actor, application: Application) -> None:
    who = _as_actor(actor)
    who.require_manager()
    _close(db, settings, application, _end_stage(application, StageKind.HIRED), "hire", who)


def decide(db: Session, settings: Settings, actor: User, application: Application, kind: str,
           reason: str = "") -> Any:
    """A recorded decision (advance, reject, offer) and the transition it causes."""
    require_manager(actor)
    if kind == "reject":
        if reason not in {r.label for r in decisions.reasons(db)}:
            raise DomainError(_l("Choose a reason for the rejection."), field="reason")
        reject(db, settings, actor, application, reason)
    # The decision comes with its own message (or a reason for none): no stage rule too.
    elif kind == "offer":
        offer(db, settings, actor, application, announce=False)
    elif kind == "advance":
        advance(db, settings, actor, application, announce=False)
    else:
        raise DomainError(_l("Choose a decision."), field="kind")
    decision = decisions.record_decision(db, actor, application, kind, reason)
    db.flush()
    webhooks.for_application(db, "decision.recorded", application, decision_id=decision.id,
                             kind=kind)
    return decision


# ---------------------------------------------------------------- interviews


def schedule(db: Session, settings: Settings, actor: User | Actor, application: Application,
             data: InterviewData, send: bool = False) -> Interview:
    """A new interview round; the application moves to the interview stage that fits (or
    the one the recruiter chose), and the promise follows the interview."""
    who = _as_actor(actor)
    _require_may_book(who, application)
    _lock(db, application)
    if application.is_closed:
        raise DomainError(_l("This process is closed; reopen it before scheduling."))
    require_sane_date(data.starts_at, field="date")
    if data.starts_at <= utcnow():
        raise DomainError(_l("Choose a time in the future."), field="starts_at")
    target = fitting_interview_stage(application)
    if data.stage_id:
        chosen = next((s for s in application.opening.stages if s.id == data.stage_id
                       and s.kind == StageKind.OPEN), None)
        if chosen is None:
            raise DomainError(_l("Choose a stage of this opening."), field="stage_id")
        target = chosen
    interview = Interview(application=application, uid=f"{secrets.token_hex(16)}@portal",
                          sequence=0, status=InterviewStatus.SCHEDULED.value,
                          stage_id=target.id)
    apply_interview_data(db, interview, data)
    feedback.set_interview_kit(db, interview, data.kit_id)
    db.add(interview)
    db.flush()
    # The panel's time is held, whoever scheduled it: a clash is refused in words.
    holds.hold_panel(db, interview, _zone_of(data))
    queue_calendar_sync(db, interview)  # into each panel member's connected calendar
    if target.position > application.stage.position:
        _set_stage(db, application, target, "schedule", who)
        # The invitation sent with it is the news; a candidate who booked knows already.
        if not send and who.kind != "candidate":
            stage_rules.announce_entry(db, settings, application)
    _recompute_promise(application)
    if send:
        notify.send_invitation(db, settings, interview)
    webhooks.for_interview(db, "interview.scheduled", interview)
    return interview


def _zone_of(data: InterviewData) -> str | None:
    """The zone the time was chosen in (a clash is shown in it)."""
    return getattr(data.starts_at.tzinfo, "key", None)


# What the candidate sees of an interview: a change to any of these is news to them.
_CANDIDATE_FIELDS = ("round_name", "starts_at", "duration_minutes", "platform", "meeting_url",
                     "what_to_expect", "preparation")


def reschedule(db: Session, settings: Settings, actor: User | Actor, interview: Interview,
               data: InterviewData) -> bool:
    """Change an interview. The candidate hears of it (and is asked again) only when
    something they see changed; the panel always gets its own update. Returns whether the
    candidate was told."""
    _require_may_book(_as_actor(actor), interview.application)
    _lock_interview(db, interview)
    if interview.is_cancelled:
        raise DomainError(_l("A cancelled interview cannot be changed."))
    if interview.application.is_closed:
        raise DomainError(_l("This process is closed; reopen it before changing interviews."))
    time_changed = data.starts_at != interview.starts_at
    if time_changed and data.starts_at <= utcnow():
        raise DomainError(_l("Choose a time in the future."), field="starts_at")
    before_fields = {f: getattr(interview, f) for f in _CANDIDATE_FIELDS}
    before_panel = set(interview.interviewers)
    before_span = (interview.starts_at, interview.ends_at)
    apply_interview_data(db, interview, data)
    feedback.set_interview_kit(db, interview, data.kit_id)
    if data.stage_id and data.stage_id != interview.stage_id:
        if not any(s.id == data.stage_id and s.kind == StageKind.OPEN
                   for s in interview.application.opening.stages):
            raise DomainError(_l("Choose a stage of this opening."), field="stage_id")
        interview.stage_id = data.stage_id
    after_panel = set(interview.interviewers)
    if (interview.starts_at, interview.ends_at) != before_span or after_panel != before_panel:
        # The held time follows the interview. Left alone otherwise, so an edit of the
        # words of an interview that holds nothing (one that overlapped another before
        # every interview held its time) is not refused for a clash it does not change.
        holds.hold_panel(db, interview, _zone_of(data))
    candidate_sees = any(getattr(interview, f) != v for f, v in before_fields.items())
    added = sorted(after_panel - before_panel, key=lambda u: u.id)
    removed = sorted(before_panel - after_panel, key=lambda u: u.id)
    if not candidate_sees and not added and not removed:
        return False
    interview.sequence += 1
    queue_calendar_sync(db, interview)  # moved, or the panel changed
    if time_changed:
        # A new time is a new question: ask the candidate again and remind them again.
        interview.response = Response.NONE.value
        interview.response_message = ""
        interview.responded_at = None
        interview.reminder_sent_at = None
    _recompute_promise(interview.application)
    if interview.invited_at:
        notify.send_changes(db, settings, interview, candidate=candidate_sees, added=added,
                            removed=removed)
    return candidate_sees


def _cancel(db: Session, settings: Settings, interview: Interview,
            tell_candidate: bool = True) -> None:
    interview.status = InterviewStatus.CANCELLED.value
    interview.sequence += 1
    interview.updated_at = utcnow()
    holds.release(db, interview)  # the panel's held time is free again
    queue_calendar_sync(db, interview)  # out of the panel's calendars
    notify.send_cancellation(db, settings, interview, candidate=tell_candidate)
    webhooks.for_interview(db, "interview.cancelled", interview)


def cancel_interview(db: Session, settings: Settings, actor: User | Actor,
                     interview: Interview) -> None:
    """Cancel one round; everyone invited is told."""
    _require_may_book(_as_actor(actor), interview.application)
    _lock_interview(db, interview)
    if interview.is_cancelled:
        raise DomainError(_l("The interview is already cancelled."))
    _cancel(db, settings, interview)
    _recompute_promise(interview.application)


# ---------------------------------------------------------------- erasure


def erase(db: Session, settings: Settings, candidate: Candidate, actor_kind: str = "candidate",
          actor_id: int | None = None) -> None:
    """Erase a candidate: open processes end as withdrawn (the panel is told that booked
    interviews are off), then every trace of the person is anonymised."""
    from portal.pool.consent import forget
    from portal.privacy.services import erase as anonymise

    who = Actor(actor_kind, candidate_id=candidate.id if actor_kind == "candidate" else None)
    if actor_kind == "staff":
        who = Actor("staff", user=db.get(User, actor_id) if actor_id else None)
    for application in list(candidate.applications):
        if not _lock(db, application).is_closed:
            _close(db, settings, application, _end_stage(application, StageKind.WITHDRAWN),
                   "erase", who, tell_candidate=False)
    forget(db, settings, candidate)  # while the name is still there to scrub
    from portal.hiring.messages import erase_part as erase_conversation

    erase_conversation(db, candidate)  # staff notes and the message thread
    from portal.booking.adjustments import erase_candidate as erase_adjustments

    erase_adjustments(db, candidate)
    anonymise(db, candidate, actor_kind=actor_kind, settings=settings, actor_id=actor_id)
    webhooks.emit(db, "candidate.erased", {"candidate_id": candidate.id},
                  f"candidate:{candidate.id}")


def export(db: Session, candidate: Candidate) -> dict[str, Any]:
    """Everything we hold on the candidate, for them to take: the process, consents and
    the talent pool's part."""
    from portal.booking.adjustments import export_part as booking_part
    from portal.pool.consent import export_part
    from portal.privacy.services import export as process_part

    data = process_part(db, candidate)
    data.update(export_part(db, candidate))
    data.update(booking_part(db, candidate))
    from portal.hiring.messages import export_part as conversation_part

    data.update(conversation_part(db, candidate))
    return data


# ---------------------------------------------------------------- history


def history(db: Session, application_ids: list[int]) -> dict[int, list[StageChange]]:
    """Stage changes per application, oldest first, in one query."""
    result: dict[int, list[StageChange]] = {i: [] for i in application_ids}
    if not application_ids:
        return result
    for change in db.scalars(select(StageChange).where(
            StageChange.application_id.in_(application_ids)).order_by(StageChange.id)):
        result[change.application_id].append(change)
    return result


def visited_stage_ids(db: Session, application_ids: list[int]) -> dict[int, set[int]]:
    """The stages each application has been in, in one query."""
    result: dict[int, set[int]] = {i: set() for i in application_ids}
    if not application_ids:
        return result
    for app_id, stage_id in db.execute(select(StageChange.application_id,
                                              StageChange.to_stage_id).where(
            StageChange.application_id.in_(application_ids))):
        result[app_id].add(stage_id)
    return result
