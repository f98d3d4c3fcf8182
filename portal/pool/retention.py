"""Retention rules, run daily by the worker:

1. A pool profile (skills, CV, staff notes) goes as soon as its consent has ended, by
   expiry or withdrawal.
2. A candidate is erased (anonymised, as on their own request) once they have no open
   process and no valid consent, and both the retention period after their last process
   ended (default 24 months) and any consent they gave have run out.

A documented hold keeps a candidate past both rules until it is released or runs out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.errors import DomainError, NotFound
from portal.hiring.models import Application, Candidate
from portal.hiring.services import require_manager
from portal.pool.models import RetentionHold, TalentProfile
from portal.privacy.models import TalentConsent
from portal.privacy.services import audit
from portal.settings import Settings
from portal.timeutil import require_sane_date, utcnow

ERASED_DOMAIN = "@invalid"


def retention_period(settings: Settings) -> timedelta:
    return timedelta(days=round(settings.retention_months * 30.44))


def _in_force() -> Any:
    now = utcnow()
    return (RetentionHold.released_at.is_(None),
            or_(RetentionHold.until.is_(None), RetentionHold.until > now))


def active_holds(db: Session, candidate_ids: list[int]) -> dict[int, RetentionHold]:
    """The newest hold in force per candidate."""
    if not candidate_ids:
        return {}
    holds: dict[int, RetentionHold] = {}
    for hold in db.scalars(select(RetentionHold).where(
            RetentionHold.candidate_id.in_(candidate_ids), *_in_force())
            .order_by(RetentionHold.id)):
        holds[hold.candidate_id] = hold
    return holds


def active_hold(db: Session, candidate_id: int) -> RetentionHold | None:
    return active_holds(db, [candidate_id]).get(candidate_id)


@dataclass
class Due:
    candidate: Candidate
    due_at: datetime
    hold: RetentionHold | None
    process_ended_at: datetime | None
    consent_ended_at: datetime | None


def due_for_erasure(db: Session, settings: Settings, within_days: int = 0) -> list[Due]:
    """Candidates the second rule erases by ``now + within_days``, holds included (a held
    candidate is listed with the hold and is not erased)."""
    now = utcnow()
    horizon = now + timedelta(days=within_days)
    period = retention_period(settings)
    open_process = select(Application.id).where(Application.candidate_id == Candidate.id,
                                                Application.closed_at.is_(None))
    valid_consent = select(TalentConsent.id).where(
        TalentConsent.candidate_id == Candidate.id, TalentConsent.withdrawn_at.is_(None),
        TalentConsent.expires_at > now)
    last_closed = (select(func.max(Application.closed_at))
                   .where(Application.candidate_id == Candidate.id).scalar_subquery())
    consent_end = (select(func.max(func.coalesce(TalentConsent.withdrawn_at,
                                                 TalentConsent.expires_at)))
                   .where(TalentConsent.candidate_id == Candidate.id).scalar_subquery())
    rows = db.execute(select(Candidate, last_closed, consent_end).where(
        ~Candidate.email.endswith(ERASED_DOMAIN), ~open_process.exists(),
        ~valid_consent.exists(), Candidate.created_at <= horizon - period)).all()
    holds = active_holds(db, [candidate.id for candidate, _c, _e in rows])
    due: list[Due] = []
    for candidate, closed, consent_ended in rows:
        start = closed or candidate.created_at
        due_at = max(start + period, consent_ended or start)
        if due_at <= horizon:
            due.append(Due(candidate, due_at, holds.get(candidate.id), closed, consent_ended))
    return sorted(due, key=lambda d: (d.due_at, d.candidate.id))


def ended_consent_profiles(db: Session) -> list[int]:
    """Candidates whose pool profile outlived their consent."""
    now = utcnow()
    valid = select(TalentConsent.id).where(
        TalentConsent.candidate_id == TalentProfile.candidate_id,
        TalentConsent.withdrawn_at.is_(None), TalentConsent.expires_at > now)
    return list(db.scalars(select(TalentProfile.candidate_id).where(~valid.exists())))


def refresh_stale_histories(db: Session) -> int:
    """Profiles whose candidate moved on in a process since the profile was last brought up
    to date get their stage reached and best score again (the daily pass does this)."""
    from portal.pool.services import refresh_history

    moved = select(Application.id).where(
        Application.candidate_id == TalentProfile.candidate_id,
        Application.updated_at > TalentProfile.updated_at)
    profiles = list(db.scalars(select(TalentProfile).where(moved.exists())))
    for profile in profiles:
        refresh_history(db, profile)
    return len(profiles)


@dataclass
class RetentionReport:
    profiles_removed: int = 0
    candidates_erased: int = 0
    held: int = 0


def apply(db: Session, settings: Settings) -> RetentionReport:
    """Run both rules once (the worker does so daily; the CLI on demand)."""
    from portal.pool.consent import forget
    from portal.pool.services import delete_profile
    from portal.privacy.services import erase

    report = RetentionReport()
    refresh_stale_histories(db)
    ended = ended_consent_profiles(db)
    held = active_holds(db, ended)
    for candidate_id in ended:
        if candidate_id not in held and delete_profile(db, settings, candidate_id):
            audit(db, "profile_expired", candidate_id, "system")
            report.profiles_removed += 1
    for item in due_for_erasure(db, settings):
        if item.hold is not None:
            report.held += 1
            continue
        forget(db, settings, item.candidate)
        erase(db, item.candidate, actor_kind="system", settings=settings)
        report.candidates_erased += 1
    db.flush()
    return report


_last_daily_run: dict[str, datetime] = {}


def run_daily(db: Session, settings: Settings) -> RetentionReport | None:
    """The worker's daily pass: runs ``apply`` when a day has gone by since the last run in
    this process (it is idempotent, so several workers do no harm)."""
    now = utcnow()
    last = _last_daily_run.get(settings.database_url)
    if last is not None and now - last < timedelta(days=1):
        return None
    report = apply(db, settings)
    _last_daily_run[settings.database_url] = now
    return report


def place_hold(db: Session, actor: User, candidate: Candidate, reason: str,
               until: datetime | None) -> RetentionHold:
    require_manager(actor)
    reason = reason.strip()
    if len(reason) < 5:
        raise DomainError(_l("Write why the data must be kept (at least a few words)."),
                          field="reason")
    require_sane_date(until, field="until")
    if until is not None and until <= utcnow():
        raise DomainError(_l("Choose a date in the future, or leave it empty."), field="until")
    hold = RetentionHold(candidate_id=candidate.id, reason=reason[:2000], until=until,
                         placed_by_id=actor.id)
    db.add(hold)
    audit(db, "hold_placed", candidate.id, "staff", actor.id)
    return hold


def release_hold(db: Session, actor: User, hold_id: int) -> RetentionHold:
    require_manager(actor)
    hold = db.get(RetentionHold, hold_id)
    if hold is None or hold.released_at is not None:
        raise NotFound(_l("No such hold."))
    hold.released_at = utcnow()
    audit(db, "hold_released", hold.candidate_id, "staff", actor.id)
    return hold
