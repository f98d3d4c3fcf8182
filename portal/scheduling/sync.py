"""Write-back: every interview sits in the CalDAV calendar of each panel member who has
connected one, as an event with the interview's own UID (the one its invitations carry)
and its SEQUENCE. Moving the interview moves the event, cancelling it deletes the event,
and a member who leaves the panel has it deleted from their calendar.

``queue_calendar_sync`` is called by the lifecycle in the transaction that changes the
interview; it only marks the interview (one row per interview, upserted). The worker
(``push_due``) then compares what should be where with what it wrote before
(``CalendarEventCopy``), PUTs and DELETEs, and retries with backoff what failed. ICS
connections are read only.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from icalendar import Calendar
from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.orm import Session

from portal.hiring.models import Interview, InterviewStatus
from portal.i18n import force_locale
from portal.locks import claim, insert_if_missing, skip_locked
from portal.messaging.calendar import interview_event
from portal.scheduling import crypto
from portal.scheduling.calendars import CalendarUnreadable, _dav_error, dav_client
from portal.scheduling.models import (
    CalendarConnection,
    CalendarEventCopy,
    CalendarSyncJob,
    ConnectionKind,
)
from portal.settings import Settings
from portal.timeutil import utcnow

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)
MAX_ATTEMPTS = 10
SYNC_BATCH = 20


def backoff(attempts: int) -> timedelta:
    """1 min, 2 min, 4 min ... capped at one hour."""
    return timedelta(seconds=min(3600, 60 * 2 ** max(0, attempts - 1)))


def queue_calendar_sync(db: Session, interview: Interview) -> None:
    """Mark ``interview`` for the worker to bring its calendar copies up to date; call it
    whenever an interview is created, moved, cancelled or its panel changes, in the same
    transaction. Nothing is queued when no panel member has a CalDAV calendar and no copy
    was ever written."""
    db.flush()
    panel = [u.id for u in interview.interviewers]
    relevant = db.scalar(select(or_(
        exists().where(CalendarConnection.user_id.in_(panel or [-1]),
                       CalendarConnection.kind == ConnectionKind.CALDAV.value),
        exists().where(CalendarEventCopy.interview_id == interview.id))))
    if not relevant:
        return
    now = utcnow()
    if not insert_if_missing(db, CalendarSyncJob, {
            "interview_id": interview.id, "version": 1, "due_at": now, "attempts": 0,
            "last_error": ""}, ["interview_id"]):
        db.execute(update(CalendarSyncJob).where(CalendarSyncJob.interview_id == interview.id)
                   .values(version=CalendarSyncJob.version + 1, due_at=now, attempts=0)
                   .execution_options(synchronize_session=False))


# ---------------------------------------------------------------- the event


def resource_name(uid: str) -> str:
    """The event's file name in a calendar collection, from its UID."""
    return re.sub(r"[^A-Za-z0-9._-]", "-", uid)[:200] + ".ics"


def event_ics(settings: Settings, interview: Interview, language: str) -> str:
    """The calendar object for one member (no METHOD: a stored resource, RFC 4791 4.1)."""
    candidate = interview.application.candidate
    with force_locale(language):
        summary = _("Interview with %(name)s: %(round)s", name=candidate.name,
                    round=interview.round_name)
        description = _("Join the meeting: %(url)s", url=interview.meeting_url)
    description += f"\n\n{settings.base_url}/staff/candidates/{candidate.id}"
    cal = Calendar()
    cal.add("prodid", "-//Candidate portal//EN")
    cal.add("version", "2.0")
    event = interview_event(interview.uid, interview.sequence, interview.starts_at,
                            interview.ends_at, summary, description, interview.meeting_url)
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    cal.add_component(event)
    return cal.to_ical().decode()


# ---------------------------------------------------------------- talking to servers


@dataclass
class _Target:
    connection_id: int
    secret: str
    href: str  # where the copy is (or will be)
    ics: str = ""


def _put(settings: Settings, target: _Target, uid: str) -> str:
    """PUT the event; returns where it is. When the calendar already holds an event with
    this UID elsewhere (the member's client filed the emailed invitation), that one is
    replaced."""
    secret = crypto.unseal(settings, target.secret)
    calendar_url = secret.get("calendar_url") or ""
    if not calendar_url:
        raise CalendarUnreadable("no_calendar")
    client = dav_client(settings, secret.get("url") or calendar_url,
                        secret.get("username", ""), secret.get("password", ""))
    href = target.href or calendar_url.rstrip("/") + "/" + resource_name(uid)
    headers = {"Content-Type": "text/calendar; charset=utf-8"}
    response = client.put(href, target.ics, headers)
    if response.status in (403, 409, 412) and not target.href:
        try:
            existing = client.calendar(url=calendar_url).object_by_uid(uid)
        except Exception:  # none there: the refusal stands
            existing = None
        if existing is not None:
            href = str(existing.url)
            response = client.put(href, target.ics, headers)
    if response.status >= 300:
        raise CalendarUnreadable("server", f"PUT {response.status}")
    return href


def _delete(settings: Settings, target: _Target) -> None:
    secret = crypto.unseal(settings, target.secret)
    client = dav_client(settings, secret.get("url") or secret.get("calendar_url", ""),
                        secret.get("username", ""), secret.get("password", ""))
    response = client.delete(target.href)
    if response.status >= 300 and response.status != 404:
        raise CalendarUnreadable("server", f"DELETE {response.status}")


def _failure(exc: BaseException) -> str:
    if isinstance(exc, crypto.NoCalendarKey):
        return "no_key"
    if isinstance(exc, crypto.CannotDecrypt):
        return "bad_key"
    return _dav_error(exc).stored


def sync_interview(db: Session, settings: Settings, interview_id: int) -> list[str]:
    """Bring the copies of one interview in line with it; returns the errors (empty: all
    done). Commits; no transaction is open while servers are asked."""
    interview = db.get(Interview, interview_id)
    copies = {c.connection_id: c for c in db.scalars(
        select(CalendarEventCopy).where(CalendarEventCopy.interview_id == interview_id))}
    puts: list[_Target] = []
    uid = ""
    sequence = 0
    if interview is not None:
        uid, sequence = interview.uid, interview.sequence
    wanted: set[int] = set()
    if interview is not None and interview.status == InterviewStatus.SCHEDULED:
        languages = {u.id: u.language for u in interview.interviewers}
        for connection in db.scalars(select(CalendarConnection).where(
                CalendarConnection.user_id.in_(list(languages) or [-1]),
                CalendarConnection.kind == ConnectionKind.CALDAV.value)):
            wanted.add(connection.id)
            copy = copies.get(connection.id)
            if copy is not None and copy.sequence == sequence:
                continue  # already there as it is now
            puts.append(_Target(connection.id, connection.secret,
                                copy.href if copy is not None else "",
                                event_ics(settings, interview, languages[connection.user_id])))
    secrets_by_id = {cid: secret for cid, secret in db.execute(
        select(CalendarConnection.id, CalendarConnection.secret)
        .where(CalendarConnection.id.in_(list(copies) or [-1])))}
    deletes = [_Target(cid, secrets_by_id[cid], copy.href) for cid, copy in copies.items()
               if cid not in wanted and cid in secrets_by_id]
    db.commit()

    written: dict[int, str] = {}
    removed: list[int] = []
    errors: dict[int, str] = {}
    for target in puts:
        try:
            written[target.connection_id] = _put(settings, target, uid)
        except Exception as exc:
            errors[target.connection_id] = _failure(exc)
    for target in deletes:
        try:
            _delete(settings, target)
            removed.append(target.connection_id)
        except Exception as exc:
            errors[target.connection_id] = _failure(exc)

    now = utcnow()
    for connection_id, href in written.items():
        copy = db.scalar(select(CalendarEventCopy).where(
            CalendarEventCopy.interview_id == interview_id,
            CalendarEventCopy.connection_id == connection_id))
        if copy is None:
            if db.get(CalendarConnection, connection_id) is None:
                continue  # disconnected meanwhile
            db.add(CalendarEventCopy(interview_id=interview_id, connection_id=connection_id,
                                     href=href, sequence=sequence, written_at=now))
        else:
            copy.href, copy.sequence, copy.written_at = href, sequence, now
    if removed:
        db.execute(delete(CalendarEventCopy).where(
            CalendarEventCopy.interview_id == interview_id,
            CalendarEventCopy.connection_id.in_(removed)))
    for connection_id in {*written, *removed, *errors}:
        db.execute(update(CalendarConnection).where(CalendarConnection.id == connection_id)
                   .values(last_sync_error=errors.get(connection_id, ""))
                   .execution_options(synchronize_session=False))
    db.commit()
    for connection_id, error in errors.items():
        log.warning("interview %s not written to calendar %s: %s", interview_id,
                    connection_id, error)
    return list(errors.values())


def push_due(db: Session, settings: Settings, now: datetime | None = None,
             stop: threading.Event | None = None, limit: int = SYNC_BATCH,
             until: float | None = None) -> int:
    """The worker's duty: sync the interviews whose calendar copies are due. A job is
    claimed by a conditional update (a lease, committed at once), so of several workers
    one handles it; one queued again meanwhile stays for another pass. Returns how many
    were handled."""
    now = now or utcnow()
    free = or_(CalendarSyncJob.claimed_at.is_(None), CalendarSyncJob.claimed_at < now - LEASE)
    due = list(db.scalars(skip_locked(db, select(CalendarSyncJob.id).where(
        CalendarSyncJob.due_at <= now, free).order_by(CalendarSyncJob.due_at).limit(limit))))
    db.commit()
    handled = 0
    for job_id in due:
        if (stop is not None and stop.is_set()) or (until is not None
                                                    and time.monotonic() > until):
            break  # the rest stay due for the next pass
        if not claim(db, CalendarSyncJob, job_id, CalendarSyncJob.due_at <= now, free,
                     claimed_at=now):
            db.commit()
            continue
        db.commit()
        job = db.get(CalendarSyncJob, job_id, populate_existing=True)
        if job is None:
            continue
        version, attempts, interview_id = job.version, job.attempts, job.interview_id
        try:
            errors = sync_interview(db, settings, interview_id)
        except Exception as exc:  # the database, or a bug: retried like a server error
            db.rollback()
            log.exception("calendar sync of interview %s failed", interview_id)
            errors = [type(exc).__name__]
        handled += 1
        mine = (CalendarSyncJob.id == job_id, CalendarSyncJob.claimed_at == now)
        if not errors:
            gone = db.execute(delete(CalendarSyncJob).where(
                *mine, CalendarSyncJob.version == version)
                .execution_options(synchronize_session=False))
            if not gone.rowcount:  # queued again meanwhile: another pass, at once
                db.execute(update(CalendarSyncJob).where(*mine).values(claimed_at=None)
                           .execution_options(synchronize_session=False))
        else:
            attempts += 1
            retried = db.execute(update(CalendarSyncJob).where(
                *mine, CalendarSyncJob.version == version).values(
                claimed_at=None, attempts=attempts, last_error="; ".join(errors)[:1000],
                due_at=None if attempts >= MAX_ATTEMPTS else utcnow() + backoff(attempts))
                .execution_options(synchronize_session=False))
            if not retried.rowcount:  # queued again meanwhile: that pass comes first
                db.execute(update(CalendarSyncJob).where(*mine).values(
                    claimed_at=None, last_error="; ".join(errors)[:1000])
                    .execution_options(synchronize_session=False))
        db.commit()
    return handled


def pending(db: Session, interview_id: int) -> Any:
    """The sync job of an interview, if one is waiting (for tests and pages)."""
    return db.scalar(select(CalendarSyncJob).where(CalendarSyncJob.interview_id == interview_id))
