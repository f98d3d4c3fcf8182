"""Booking requests, the offers candidates hold, the free times the slot engine finds for
them, and the reminder to book (held time and locks: ``holds``; adjustments:
``adjustments``).

Plain functions over an explicit session. They never commit and never read the request.
Booking itself (an interview made, moved or cancelled by the candidate) changes an
application's state, so it lives in ``portal.process.booking``, which calls these.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager, selectinload

from portal.accounts.models import User
from portal.booking.models import (
    BookingOffer,
    BookingRequest,
    OfferStatus,
)
from portal.errors import DomainError, NotFound
from portal.hiring.models import Application, Candidate, Opening
from portal.hiring.services import require_manager
from portal.i18n import force_locale
from portal.links.services import issue_link, link_url
from portal.locks import claim, lock, skip_locked
from portal.messaging.services import enqueue, render_email
from portal.settings import Settings
from portal.text import require_single_line
from portal.timeutil import require_sane_date, utcnow, zone

# "More time" makes the interview this much longer, rounded up to whole 5 minutes.
MORE_TIME_FACTOR = 1.5
# Offered times start every half hour (every quarter for rounds shorter than that): on a
# phone a day of 16 buttons reads far better than one of 32.
SLOT_STEP_MINUTES = 30
# A candidate is reminded once, this long after the offer went out, if still unbooked,
# and only while the window stays open at least ``REMIND_UNTIL`` longer.
REMIND_AFTER = timedelta(hours=48)
REMIND_UNTIL = timedelta(hours=12)


def longer_minutes(minutes: int) -> int:
    """The length of an interview with "more time": 50% longer, rounded up to 5 minutes
    (45 becomes 70, 60 becomes 90)."""
    return int(math.ceil(minutes * MORE_TIME_FACTOR / 5) * 5)


def booked_minutes(request: BookingRequest, longer: bool) -> int:
    return longer_minutes(request.duration_minutes) if longer else request.duration_minutes


# ---------------------------------------------------------------- requests


@dataclass
class RequestData:
    round_name: str
    duration_minutes: int
    interviewer_ids: list[int]
    required: int | None  # None: the whole panel; N: any N of the pool
    window_from: date
    window_to: date
    notice_hours: int
    buffer_before_minutes: int
    buffer_after_minutes: int
    per_day_limit: int | None
    platform: str
    meeting_url: str  # validated already; "" for a Jitsi room per booking
    cutoff_hours: int
    what_to_expect: str = ""
    preparation: str = ""
    kit_id: int | None = None


@dataclass
class Created:
    request: BookingRequest
    offers: list[BookingOffer]
    skipped: list[Application] = field(default_factory=list)  # they hold an open offer


def _check(data: RequestData, today: date) -> None:
    require_single_line(round_name=data.round_name)
    if not data.round_name.strip():
        raise DomainError(_l("Name the round, e.g. First interview."), field="round_name")
    if not 10 <= data.duration_minutes <= 480:
        raise DomainError(_l("The length must be between 10 and 480 minutes."),
                          field="duration_minutes")
    require_sane_date(data.window_from, field="window_from")
    require_sane_date(data.window_to, field="window_to")
    if data.window_to < data.window_from:
        raise DomainError(_l("The last day comes before the first."), field="window_to")
    if data.window_to < today:
        raise DomainError(_l("The window has already passed."), field="window_to")
    if (data.window_to - data.window_from).days > 92:
        raise DomainError(_l("Keep the window within three months."), field="window_to")
    pool = set(data.interviewer_ids)
    if not pool:
        raise DomainError(_l("Choose at least one interviewer."), field="interviewer_ids")
    if data.required is not None and not 1 <= data.required <= len(pool):
        raise DomainError(_l("Choose how many of the interviewers sit on each interview: "
                             "between 1 and %(n)d.", n=len(pool)), field="required")
    limits = (("notice_hours", data.notice_hours, 0, 24 * 14),
              ("buffer_before_minutes", data.buffer_before_minutes, 0, 240),
              ("buffer_after_minutes", data.buffer_after_minutes, 0, 240),
              ("cutoff_hours", data.cutoff_hours, 0, 24 * 14))
    for name, value, low, high in limits:
        if not low <= value <= high:
            raise DomainError(_l("Between %(low)d and %(high)d.", low=low, high=high),
                              field=name)
    if data.per_day_limit is not None and not 1 <= data.per_day_limit <= 20:
        raise DomainError(_l("Between %(low)d and %(high)d.", low=1, high=20),
                          field="per_day_limit")
    if not data.meeting_url and data.platform != "jitsi":
        raise DomainError(_l("Paste the meeting link, or choose Jitsi Meet to create a room "
                             "for each booking."), field="meeting_url")


def create_request(db: Session, settings: Settings, actor: User, opening: Opening,
                   applications: Sequence[Application], data: RequestData) -> Created:
    """Offer a round to the given applications of ``opening`` and email each candidate a
    link to book it. An application that already holds an open offer is skipped (it is
    returned in ``skipped``); closed ones and other openings' are refused."""
    require_manager(actor)
    tz = zone(settings.default_timezone)
    _check(data, utcnow().astimezone(tz).date())
    if not applications:
        raise DomainError(_l("Nobody to offer the round to: no open application is in "
                             "this stage."))
    for application in applications:
        if application.opening_id != opening.id:
            raise NotFound(_l("No such application."))
        if application.is_closed:
            raise DomainError(_l("This process is closed; reopen it before scheduling."))
    interviewers = list(db.scalars(select(User).where(User.id.in_(data.interviewer_ids),
                                                      User.active.is_(True))))
    if len(interviewers) != len(set(data.interviewer_ids)):
        raise DomainError(_l("Choose interviewers from the list."), field="interviewer_ids")
    request = BookingRequest(
        opening=opening, created_by=actor, round_name=data.round_name.strip(),
        duration_minutes=data.duration_minutes, required=data.required,
        window_starts_at=datetime.combine(data.window_from, time(0), tzinfo=tz),
        window_ends_at=datetime.combine(data.window_to + timedelta(days=1), time(0), tzinfo=tz),
        notice_hours=data.notice_hours, buffer_before_minutes=data.buffer_before_minutes,
        buffer_after_minutes=data.buffer_after_minutes, per_day_limit=data.per_day_limit,
        platform=data.platform, meeting_url=data.meeting_url, cutoff_hours=data.cutoff_hours,
        what_to_expect=data.what_to_expect.strip(), preparation=data.preparation.strip(),
        kit_id=data.kit_id, interviewers=interviewers)
    db.add(request)
    db.flush()
    offers, skipped = [], []
    for application in applications:
        # The application's lock: two requests at once for one candidate make one offer.
        lock(db, application)
        if application.is_closed:
            skipped.append(application)
            continue
        if db.scalar(select(BookingOffer.id).where(
                BookingOffer.application_id == application.id,
                BookingOffer.status == OfferStatus.OPEN)):
            skipped.append(application)
            continue
        offer = BookingOffer(request=request, application=application,
                             status=OfferStatus.OPEN.value, sent_at=utcnow())
        db.add(offer)
        db.flush()
        queue_offer_email(db, settings, offer, "request")
        offers.append(offer)
    if not offers:
        raise DomainError(_l("Everyone chosen already has a time to book."))
    return Created(request, offers, skipped)


def queue_offer_email(db: Session, settings: Settings, offer: BookingOffer, kind: str) -> None:
    """The email that asks the candidate to book (``kind`` "request") or reminds them
    ("reminder"), in their language, with a fresh sign-in link to the booking page."""
    application = offer.application
    candidate: Candidate = application.candidate
    request = offer.request
    _link, token = issue_link(db, settings, candidate)
    url = link_url(settings, token, next_path=f"/portal/booking/{offer.id}")
    title = application.opening.title
    with force_locale(candidate.language):
        subject = (_("Choose a time for your interview: %(title)s", title=title)
                   if kind == "request" else
                   _("Reminder: choose a time for your interview, %(title)s", title=title))
    last_day = request.window_ends_at - timedelta(minutes=1)
    text_body, html = render_email(
        f"candidate_booking_{kind}", candidate.language, candidate=candidate, request=request,
        opening=application.opening, link=url, tz=candidate.timezone, last_day=last_day)
    enqueue(db, kind=f"candidate_booking_{kind}", to_email=candidate.email, to_name=candidate.name,
            subject=subject, text=text_body, html=html, candidate_id=candidate.id)


def get_request(db: Session, actor: User, request_id: int) -> BookingRequest:
    require_manager(actor)
    request = db.get(BookingRequest, request_id)
    if request is None:
        raise NotFound(_l("No such booking request."))
    return request


def get_offer(db: Session, actor: User, offer_id: int) -> BookingOffer:
    require_manager(actor)
    offer = db.get(BookingOffer, offer_id)
    if offer is None:
        raise NotFound(_l("No such booking request."))
    return offer


def withdraw_offer(db: Session, actor: User, offer: BookingOffer) -> bool:
    """Take back one candidate's offer while it is open (a booked interview stays; cancel
    it on its own). Returns whether it was open."""
    require_manager(actor)
    lock(db, offer.application)
    offer = lock(db, offer)
    if offer.status != OfferStatus.OPEN:
        return False
    offer.status = OfferStatus.WITHDRAWN.value
    offer.closed_at = utcnow()
    return True


def withdraw_request(db: Session, actor: User, request: BookingRequest) -> int:
    """Take back the whole request: every open offer is withdrawn and its booking page
    says so. Interviews already booked stay. Returns how many offers were withdrawn."""
    require_manager(actor)
    request = lock(db, request)
    request.withdrawn_at = request.withdrawn_at or utcnow()
    return sum(withdraw_offer(db, actor, offer) for offer in list(request.offers))


def close_offers(db: Session, application: Application) -> None:
    """The process ended: its open offers close (called by the lifecycle)."""
    now = utcnow()
    for offer in db.scalars(select(BookingOffer).where(
            BookingOffer.application_id == application.id,
            BookingOffer.status == OfferStatus.OPEN)):
        offer.status = OfferStatus.CLOSED.value
        offer.closed_at = now


def requests_of_opening(db: Session, opening: Opening) -> list[BookingRequest]:
    """Every request of the opening, newest first, with offers, candidates, panels and
    booked interviews loaded (a fixed number of queries)."""
    return list(db.scalars(
        select(BookingRequest).where(BookingRequest.opening_id == opening.id)
        .options(selectinload(BookingRequest.interviewers),
                 selectinload(BookingRequest.offers).selectinload(BookingOffer.application)
                 .selectinload(Application.candidate),
                 selectinload(BookingRequest.offers).selectinload(BookingOffer.application)
                 .selectinload(Application.interviews))
        .order_by(BookingRequest.created_at.desc(), BookingRequest.id.desc())))


def offers_of_applications(db: Session, application_ids: Sequence[int]
                           ) -> dict[int, list[BookingOffer]]:
    """The offers of each application, newest first, in one query (two with requests)."""
    result: dict[int, list[BookingOffer]] = {i: [] for i in application_ids}
    if not application_ids:
        return result
    for offer in db.scalars(select(BookingOffer).where(
            BookingOffer.application_id.in_(application_ids))
            .options(selectinload(BookingOffer.request))
            .order_by(BookingOffer.id.desc())):
        result[offer.application_id].append(offer)
    return result


@dataclass
class Waiting:
    """An application's time offered to book and not booked: since when (the offer went
    out), and whether the time to book has run out."""

    offer: BookingOffer
    since: datetime
    ended: bool


def waiting_to_book(db: Session, application_ids: Sequence[int],
                    now: datetime | None = None) -> dict[int, Waiting]:
    """For the board and the candidate list: per application, its oldest offer still open
    (not booked, withdrawn or closed; the request not withdrawn), in one query. An
    application without one is absent."""
    now = now or utcnow()
    if not application_ids:
        return {}
    result: dict[int, Waiting] = {}
    for offer in db.scalars(
            select(BookingOffer).join(BookingRequest,
                                      BookingRequest.id == BookingOffer.request_id)
            .where(BookingOffer.application_id.in_(application_ids),
                   BookingOffer.status == OfferStatus.OPEN,
                   BookingRequest.withdrawn_at.is_(None))
            .options(contains_eager(BookingOffer.request))
            .order_by(BookingOffer.sent_at, BookingOffer.id)):
        result.setdefault(offer.application_id, Waiting(
            offer, offer.sent_at, offer.request.window_ends_at <= now))
    return result


# ---------------------------------------------------------------- the candidate's side


def offer_for(db: Session, candidate: Candidate, offer_id: int) -> BookingOffer | None:
    """One offer of this candidate's (None for anyone else's)."""
    return db.scalar(
        select(BookingOffer).join(Application, Application.id == BookingOffer.application_id)
        .where(BookingOffer.id == offer_id, Application.candidate_id == candidate.id)
        .options(selectinload(BookingOffer.request).selectinload(BookingRequest.interviewers),
                 selectinload(BookingOffer.application).selectinload(Application.opening)))


def bookable_offers(applications: Sequence[Application], now: datetime | None = None
                    ) -> list[BookingOffer]:
    """Of the applications' offers (loaded with them), those the candidate can book now:
    open, in an open process, the window not over."""
    now = now or utcnow()
    return [o for a in applications if not a.is_closed for o in a.booking_offers  # type: ignore[attr-defined]
            if o.is_open and o.request.withdrawn_at is None and o.request.window_ends_at > now]


def rules(request: BookingRequest, longer: bool) -> Any:
    """The slot engine's rules for this request (``longer``: with "more time")."""
    from portal.scheduling.availability import SlotRules

    return SlotRules(
        duration=timedelta(minutes=booked_minutes(request, longer)),
        window_start=request.window_starts_at, window_end=request.window_ends_at,
        notice=timedelta(hours=request.notice_hours),
        buffer_before=timedelta(minutes=request.buffer_before_minutes),
        buffer_after=timedelta(minutes=request.buffer_after_minutes),
        per_day_limit=request.per_day_limit, required=request.required,
        step=timedelta(minutes=SLOT_STEP_MINUTES if request.duration_minutes >= 30 else 15))


def pool_ids(request: BookingRequest) -> list[int]:
    return sorted(u.id for u in request.interviewers if u.active)


def free_slots(db: Session, request: BookingRequest, longer: bool, now: datetime,
               ignore_interview_id: int | None = None) -> Any:
    """The engine's free slots for this request (an ``Availability``)."""
    from portal.scheduling import availability

    return availability.free_slots(db, pool_ids(request), rules(request, longer), now,
                                   ignore_interview_id=ignore_interview_id)


def panel_for(db: Session, request: BookingRequest, start: datetime, longer: bool,
              now: datetime, ignore_interview_id: int | None = None) -> tuple[int, ...] | None:
    """Who would sit on an interview starting at ``start``: the whole panel, or the N the
    engine chooses from the pool; None when the time is not free (any more)."""
    from portal.scheduling import availability

    ids = pool_ids(request)
    if request.required is not None and request.required > len(ids):
        return None  # someone left the pool (deactivated): not enough people
    the_rules = rules(request, longer)
    if not availability.slot_is_free(db, ids, start, the_rules, now,
                                     ignore_interview_id=ignore_interview_id):
        return None
    if request.required is None:
        return tuple(ids)
    # Any N: the engine names the N for this start among its slots in a narrow window.
    narrow = _replace_window(the_rules, start, start + the_rules.duration)
    found = availability.free_slots(db, ids, narrow, now,
                                    ignore_interview_id=ignore_interview_id)
    return next((s.interviewer_ids for s in found.slots if s.start == start), None)


def _replace_window(the_rules: Any, start: datetime, end: datetime) -> Any:
    from dataclasses import replace

    return replace(the_rules, window_start=start, window_end=end)


@dataclass
class Day:
    """The slots of one local day, for the booking page."""

    day: date
    slots: list[Any]


def by_day(slots: Sequence[Any], tzname: str) -> list[Day]:
    """Slots grouped by the candidate's local day, in order."""
    tz = zone(tzname)
    days: list[Day] = []
    for slot in sorted(slots, key=lambda s: s.start):
        local = slot.start.astimezone(tz).date()
        if not days or days[-1].day != local:
            days.append(Day(local, []))
        days[-1].slots.append(slot)
    return days


def parse_start(value: str | None) -> datetime | None:
    """A slot's start as the page sent it (ISO 8601 with its offset); None when it is not
    one."""
    if not value or len(value) > 40:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    try:
        require_sane_date(moment)
    except DomainError:
        return None
    return moment.astimezone(zone("UTC"))


# ---------------------------------------------------------------- reminders


def queue_booking_reminders(db: Session, settings: Settings) -> int:
    """One reminder to each candidate who has not booked 48 hours after the offer went
    out, while the window is still open. Each is claimed on the offer's row (SKIP LOCKED on
    PostgreSQL, then a conditional update of ``reminded_at``) in the transaction that
    queues the email, so however many workers run, it goes out once."""
    now = utcnow()
    unclaimed = (BookingOffer.reminded_at.is_(None), BookingOffer.status == OfferStatus.OPEN)
    due = db.scalars(skip_locked(db, select(BookingOffer).join(
        BookingRequest, BookingRequest.id == BookingOffer.request_id).join(
        Application, Application.id == BookingOffer.application_id).where(
        *unclaimed, BookingOffer.sent_at <= now - REMIND_AFTER,
        BookingRequest.withdrawn_at.is_(None),
        # Worth a reminder only while there is still time to book.
        BookingRequest.window_ends_at > now + REMIND_UNTIL,
        Application.closed_at.is_(None)).order_by(BookingOffer.id), BookingOffer)).all()
    sent = 0
    for offer in due:
        if not claim(db, BookingOffer, offer.id, *unclaimed, reminded_at=now):
            continue  # another worker reminded (or the candidate booked) a moment ago
        db.expire(offer, ["reminded_at", "status"])
        queue_offer_email(db, settings, offer, "reminder")
        sent += 1
    return sent


@dataclass
class PanelRequest:
    """A round open for candidates to book with ``user`` on its panel: how many have
    still to book (names are not shown: the member may not be on those panels yet)."""

    request: BookingRequest
    waiting: int

    @property
    def last_moment(self) -> datetime:
        """The last minute of the window (its end is exclusive), for "up to and including"."""
        return self.request.window_ends_at - timedelta(minutes=1)


def requests_waiting_for(db: Session, user: User,
                         now: datetime | None = None) -> list[PanelRequest]:
    """Rounds not withdrawn whose booking window is still open, with ``user`` in the
    panel pool and candidates yet to book, the window closing soonest first."""
    from sqlalchemy import func

    from portal.booking.models import booking_request_interviewer

    now = now or utcnow()
    rows = db.execute(
        select(BookingRequest, func.count(BookingOffer.id))
        .join(booking_request_interviewer,
              booking_request_interviewer.c.request_id == BookingRequest.id)
        .join(BookingOffer, BookingOffer.request_id == BookingRequest.id)
        .where(booking_request_interviewer.c.user_id == user.id,
               BookingRequest.withdrawn_at.is_(None), BookingRequest.window_ends_at > now,
               BookingOffer.status == OfferStatus.OPEN)
        .group_by(BookingRequest.id)
        .options(selectinload(BookingRequest.opening))
        .order_by(BookingRequest.window_ends_at, BookingRequest.id)).all()
    return [PanelRequest(request, count) for request, count in rows]
