"""Self-scheduling in the process: a candidate books a time offered to them, and moves or
cancels it up to the request's cut-off.

Each of these goes through the lifecycle (``schedule``, ``reschedule``,
``cancel_interview``) with the candidate as the actor, so the stage, the promise, the
invitation with its join link and calendar file, the reminders and the panel's emails all
follow as if a recruiter had done it. What this module adds is the guarantee that no two
bookings take one interviewer's time:

1. a quick check with the slot engine, without locks (most refusals end here);
2. the locks of the application, the offer and each interviewer of the pool, in that
   order (``booking.holds.serialise``): bookings that share a person run one at a time;
3. the engine's ``slot_is_free`` again, now that every earlier booking is committed and
   visible: it also refuses a time that an interviewer's calendar filled since the page
   was shown, and keeps the round's buffers and daily limit;
4. the interview, and the panel's held time in the same transaction (the lifecycle holds
   every scheduled interview's time, so a recruiter's interview scheduled by hand at the
   same moment is refused the same way); the database refuses an overlapping hold
   (exclusion constraint or trigger) as the last net.

A refusal at any step is ``SlotTaken``; the page answers "That time was just taken" with
the times still free.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.booking import holds
from portal.booking import services as booking
from portal.booking.adjustments import ask_for_adjustments
from portal.booking.models import BookingOffer, OfferStatus
from portal.errors import DomainError, NotFound
from portal.hiring import notify
from portal.hiring.models import Candidate, Interview, Response
from portal.hiring.services import InterviewData
from portal.locks import lock
from portal.platforms.links import new_jitsi_room_link
from portal.process import lifecycle
from portal.settings import Settings
from portal.timeutil import utcnow
from portal.webhooks import events as webhooks


@dataclass
class SelfService:
    """What the candidate may do with a booked interview themselves. ``can_change``: move
    or cancel it from the offered times (until ``cutoff_at``)."""

    offer: BookingOffer | None
    can_change: bool
    cutoff_at: datetime | None


def self_service(db: Session, interview: Interview, now: datetime | None = None) -> SelfService:
    """A booked interview can be moved or cancelled by the candidate while the request
    stands, the process is open, and the cut-off (hours before the start) has not come.
    After that, or for an interview staff scheduled, the candidate asks for another time
    in their own words."""
    now = now or utcnow()
    offer = interview.booking_offer  # type: ignore[attr-defined]
    if offer is None:
        return SelfService(None, False, None)
    cutoff_at = interview.starts_at - timedelta(hours=offer.request.cutoff_hours)
    can = (offer.status == OfferStatus.BOOKED and offer.request.withdrawn_at is None
           and not interview.is_cancelled and not interview.application.is_closed
           and now < cutoff_at)
    return SelfService(offer, can, cutoff_at)


def bookable_problem(offer: BookingOffer, now: datetime | None = None) -> str | None:
    """Why this offer cannot be booked now ("booked", "withdrawn", "closed", "ended"), or
    None when it can."""
    now = now or utcnow()
    if offer.status == OfferStatus.BOOKED:
        return "booked"
    if offer.status == OfferStatus.WITHDRAWN or offer.request.withdrawn_at is not None:
        return "withdrawn"
    if offer.status == OfferStatus.CLOSED or offer.application.is_closed:
        return "closed"
    if offer.request.window_ends_at <= now:
        return "ended"
    return None


PROBLEMS = {
    "booked": _l("You have already booked a time for this interview."),
    "withdrawn": _l("This invitation to book has been withdrawn. We will be in touch."),
    "closed": _l("This process has ended, so there is nothing to book."),
    "ended": _l("The time to book has run out. We will contact you about a new time."),
}


def _require_bookable(offer: BookingOffer, now: datetime) -> None:
    problem = bookable_problem(offer, now)
    if problem is not None:
        raise DomainError(PROBLEMS[problem])


def _choose_panel(db: Session, offer: BookingOffer, start: datetime, longer: bool,
                  now: datetime, ignore: int | None = None) -> Sequence[int]:
    panel = booking.panel_for(db, offer.request, start, longer, now, ignore_interview_id=ignore)
    if not panel:
        raise holds.SlotTaken()
    return panel


def _confirmed(interview: Interview, now: datetime) -> None:
    """The candidate chose this time: that is their answer to the invitation."""
    interview.response = Response.CONFIRMED.value
    interview.response_message = ""
    interview.responded_at = now


def book(db: Session, settings: Settings, candidate: Candidate, offer: BookingOffer,
         start: datetime, *, longer: bool = False, adjustments: Sequence[str] | None = None,
         note: str = "") -> Interview:
    """The candidate books ``start`` (aware) for ``offer``: the interview is scheduled and
    the invitation (join link, calendar file) goes to them and the panel. ``longer``:
    with "more time". ``adjustments``: what they ask for, saved with the application
    (None leaves what they asked before). Raises ``SlotTaken`` when the time is not free
    any more, DomainError when the offer cannot be booked."""
    now = utcnow()
    application = offer.application
    if application.candidate_id != candidate.id:
        raise NotFound(_l("No such booking request."))
    _require_bookable(offer, now)
    _choose_panel(db, offer, start, longer, now)  # most refusals end here, lock-free
    offer = holds.serialise(db, application, offer, booking.pool_ids(offer.request))
    _require_bookable(offer, now)  # e.g. the same candidate booked in another tab
    panel = _choose_panel(db, offer, start, longer, now)
    request = offer.request
    url = request.meeting_url or new_jitsi_room_link(settings.jitsi_base_url)
    try:
        # The lifecycle holds the panel's time (``holds.hold_panel``); another interview
        # holding one of these people then is refused there, or by the database's
        # exclusion constraint (SQLite: its trigger). The caller rolls back.
        interview = lifecycle.schedule(db, settings, lifecycle.Actor.candidate(candidate),
                                       application, InterviewData(
            round_name=request.round_name, starts_at=start,
            duration_minutes=booking.booked_minutes(request, longer),
            platform=request.platform, meeting_url=url,
            what_to_expect=request.what_to_expect, preparation=request.preparation,
            interviewer_ids=list(panel), kit_id=request.kit_id))
    except (holds.HoldClash, IntegrityError):
        raise holds.SlotTaken() from None
    _confirmed(interview, now)
    offer.status = OfferStatus.BOOKED.value
    offer.interview_id = interview.id
    offer.booked_at = now
    if adjustments is not None:
        # Before the invitation, which carries them to the panel; the panel of another
        # interview of this process already sent is told of a change by email.
        ask_for_adjustments(db, settings, application, adjustments, note)
    notify.send_invitation(db, settings, interview)
    webhooks.for_interview(db, "booking.made", interview, booking_request_id=request.id,
                           offer_id=offer.id)
    return interview


def rebook(db: Session, settings: Settings, candidate: Candidate, interview: Interview,
           start: datetime, *, longer: bool = False) -> Interview:
    """The candidate moves their booked interview to ``start``, from the same offered
    times, before the cut-off. Everyone invited gets the update."""
    now = utcnow()
    if interview.application.candidate_id != candidate.id:
        raise NotFound(_l("No such interview."))
    state = self_service(db, interview, now)
    if not state.can_change or state.offer is None:
        raise DomainError(_l("It is too late to change the time here. Ask us for another "
                             "time instead."))
    offer = state.offer
    _choose_panel(db, offer, start, longer, now, ignore=interview.id)
    holds.serialise(db, interview.application, offer, booking.pool_ids(offer.request))
    interview = lock(db, interview)
    state = self_service(db, interview, now)  # afresh, under the locks
    if not state.can_change:
        raise DomainError(_l("It is too late to change the time here. Ask us for another "
                             "time instead."))
    panel = _choose_panel(db, offer, start, longer, now, ignore=interview.id)
    try:
        lifecycle.reschedule(db, settings, lifecycle.Actor.candidate(candidate), interview,
                             InterviewData(
            round_name=interview.round_name, starts_at=start,
            duration_minutes=booking.booked_minutes(offer.request, longer),
            platform=interview.platform, meeting_url=interview.meeting_url,
            what_to_expect=interview.what_to_expect, preparation=interview.preparation,
            interviewer_ids=list(panel), kit_id=interview.kit_id,
            stage_id=interview.stage_id))
        db.flush()
    except (holds.HoldClash, IntegrityError):
        raise holds.SlotTaken() from None
    _confirmed(interview, now)
    return interview


def cancel(db: Session, settings: Settings, candidate: Candidate, interview: Interview) -> None:
    """The candidate cancels their booked interview before the cut-off. Everyone invited
    is told; the offer opens again, so they may book another time while the window
    lasts."""
    now = utcnow()
    if interview.application.candidate_id != candidate.id:
        raise NotFound(_l("No such interview."))
    state = self_service(db, interview, now)
    if not state.can_change or state.offer is None:
        raise DomainError(_l("It is too late to cancel here. Ask us for another time "
                             "instead."))
    holds.serialise(db, interview.application, state.offer, [])
    lifecycle.cancel_interview(db, settings, lifecycle.Actor.candidate(candidate), interview)
    offer = lock(db, state.offer)
    offer.status = OfferStatus.OPEN.value
    offer.interview_id = None
    offer.booked_at = None
