"""A staff member's private calendar address: an ICS feed of the interviews they sit on,
that any calendar app subscribes to without signing in.

The address carries a random token (256 bits); only its SHA-256 is stored, so the address
is shown once, when it is made. Making a new one replaces the old (which answers 404 from
then on), and revoking deletes it. The feed names the candidate and the round, never the
candidate's email address or phone number, and every event carries the UID and SEQUENCE of
the interview's invitations, so a calendar that has both treats them as one meeting.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from icalendar import Calendar
from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from portal.accounts.models import User
from portal.hiring.models import (
    Application,
    Interview,
    InterviewStatus,
    interview_interviewer,
)
from portal.i18n import force_locale
from portal.locks import is_postgresql
from portal.messaging.calendar import interview_event
from portal.scheduling.models import CalendarFeed
from portal.settings import Settings
from portal.timeutil import utcnow

# The feed holds the interviews of the last two weeks and every later one (at most this
# many, soonest first), so a calendar keeps the recent past to look back on.
PAST = timedelta(days=14)
MAX_EVENTS = 1000
# A fetch is noted on the row at most this often (calendar apps poll; no write per poll).
NOTE_USE_EVERY = timedelta(minutes=10)
# Calendar apps that honour it refresh the subscription this often.
REFRESH_INTERVAL = timedelta(hours=1)
# A token is 43 URL-safe characters; anything much longer is not one.
MAX_TOKEN_LENGTH = 100


def token_hash(token: str) -> str:
    """What is stored of a token: its SHA-256 in hex (the token is random, so no salt or
    slow hash is needed: nobody can guess their way to a stored value)."""
    return hashlib.sha256(token.encode()).hexdigest()


def feed_of(db: Session, user: User) -> CalendarFeed | None:
    """The member's feed, if they made one."""
    return db.get(CalendarFeed, user.id)


def create_feed(db: Session, user: User, now: datetime | None = None) -> str:
    """Make the member's calendar address, replacing any earlier one; returns the token
    (shown once: only its hash is kept). An upsert, so two clicks at once leave one row
    (the later token works)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    values = {"user_id": user.id, "token_hash": token_hash(token), "created_at": now,
              "last_used_at": None}
    if is_postgresql(db):
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(CalendarFeed).values(**values)
    db.execute(statement.on_conflict_do_update(
        index_elements=["user_id"],
        set_={"token_hash": statement.excluded.token_hash,
              "created_at": statement.excluded.created_at, "last_used_at": None}))
    db.expire_all()
    return token


def revoke_feed(db: Session, user: User) -> bool:
    """Delete the member's calendar address; True when there was one."""
    feed = db.get(CalendarFeed, user.id)
    if feed is None:
        return False
    db.delete(feed)
    return True


def owner_of(db: Session, token: str) -> User | None:
    """The active staff member whose address carries ``token``, or None (unknown,
    revoked, or the member was deactivated)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return db.scalar(select(User).join(CalendarFeed, CalendarFeed.user_id == User.id).where(
        CalendarFeed.token_hash == token_hash(token), User.active.is_(True)))


def note_use(db: Session, user: User, now: datetime | None = None) -> None:
    """Remember that a calendar app fetched the feed (shown on the member's page), at most
    once every ``NOTE_USE_EVERY``: one conditional update, no read-modify-write."""
    now = now or utcnow()
    db.execute(update(CalendarFeed).where(
        CalendarFeed.user_id == user.id,
        (CalendarFeed.last_used_at.is_(None))
        | (CalendarFeed.last_used_at < now - NOTE_USE_EVERY)).values(last_used_at=now)
        .execution_options(synchronize_session=False))


@dataclass(frozen=True)
class FeedEvent:
    """What one event of the feed says (kept apart from the iCalendar text, so a test
    and the page read the same thing)."""

    uid: str
    sequence: int
    start: datetime
    end: datetime
    summary: str
    description: str
    location: str


def feed_interviews(db: Session, user: User, now: datetime | None = None) -> list[Interview]:
    """The scheduled interviews ``user`` sits on, from two weeks back on, soonest first."""
    now = now or utcnow()
    return list(db.scalars(
        select(Interview)
        .join(interview_interviewer, interview_interviewer.c.interview_id == Interview.id)
        .where(interview_interviewer.c.user_id == user.id,
               Interview.status == InterviewStatus.SCHEDULED.value,
               Interview.starts_at >= now - PAST)
        .options(selectinload(Interview.application).selectinload(Application.candidate),
                 selectinload(Interview.application).selectinload(Application.opening),
                 selectinload(Interview.interviewers))
        .order_by(Interview.starts_at, Interview.id).limit(MAX_EVENTS)))


def feed_events(db: Session, settings: Settings, user: User,
                now: datetime | None = None) -> list[FeedEvent]:
    """The events of ``user``'s feed, in their language."""
    events = []
    base = settings.base_url.rstrip("/")
    with force_locale(user.language):
        for interview in feed_interviews(db, user, now):
            application = interview.application
            candidate = application.candidate
            lines = [
                _("Candidate: %(name)s", name=candidate.name),
                _("Round: %(round)s", round=interview.round_name),
                _("Opening: %(title)s", title=application.opening.title),
                _("Panel: %(names)s", names=", ".join(u.name for u in interview.interviewers)),
                _("Join the meeting: %(url)s", url=interview.meeting_url),
                _("Candidate page: %(url)s",
                  url=f"{base}/staff/candidates/{application.candidate_id}"),
            ]
            events.append(FeedEvent(
                uid=interview.uid, sequence=interview.sequence,
                start=interview.starts_at, end=interview.ends_at,
                summary=_("Interview: %(name)s, %(round)s", name=candidate.name,
                          round=interview.round_name),
                description="\n".join(lines), location=interview.meeting_url))
    return events


def feed_ics(db: Session, settings: Settings, user: User, now: datetime | None = None) -> bytes:
    """The feed as iCalendar text (RFC 5545). Times in UTC, like the invitations'."""
    now = now or utcnow()
    cal = Calendar()
    cal.add("prodid", "-//Candidate portal//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    with force_locale(user.language):
        name = _("Interviews: %(name)s", name=user.name)
    cal.add("x-wr-calname", name)
    cal.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", REFRESH_INTERVAL)
    for item in feed_events(db, settings, user, now):
        event = interview_event(item.uid, item.sequence, item.start, item.end, item.summary,
                                item.description, item.location, stamp=now)
        event.add("status", "CONFIRMED")
        event.add("transp", "OPAQUE")
        cal.add_component(event)
    return cal.to_ical()
