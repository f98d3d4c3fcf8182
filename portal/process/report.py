"""The report of one opening over a period: how long candidates spend in each stage, how
fast they reach an interview and answer an invitation, whether we kept the promise to
answer within the opening's target, and what candidates said of their experience.

Everything is read from what the process recorded (the stage history, the interviews,
the outcome messages, the anonymous experience answers); nothing is estimated. A period is
a range of whole days in UTC, both ends included.

Spread: the median is the middle value (the mean of the two middle ones for an even
count); the 90th percentile is the nearest rank, the smallest value that at least 90 % of
the values do not exceed, so it is always a time that really happened.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.decisions import services as decisions
from portal.decisions.models import ExperienceAnswer, OutcomeMessage
from portal.errors import DomainError
from portal.hiring.models import Application, Interview, InterviewStatus, Opening, Response
from portal.process.models import StageChange
from portal.timeutil import EARLIEST_DATE, utcnow

DEFAULT_DAYS = 90
MAX_DAYS = 731  # two years: a bounded amount of history per request


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The first moment after the period."""
        return datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=UTC)

    def holds(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= moment < self.end


def default_period(today: date | None = None) -> Period:
    today = today or utcnow().date()
    return Period(today - timedelta(days=DEFAULT_DAYS - 1), today)


def parse_period(first: str | None, last: str | None, today: date | None = None) -> Period:
    """The period from two ``YYYY-MM-DD`` strings (either may be empty: the default); a
    DomainError naming the field for anything else."""
    today = today or utcnow().date()
    default = default_period(today)
    values = {}
    for name, raw, fallback in (("from", first, default.first), ("to", last, default.last)):
        raw = (raw or "").strip()
        if not raw:
            values[name] = fallback
            continue
        try:
            values[name] = date.fromisoformat(raw) if len(raw) == 10 else None
        except ValueError:
            values[name] = None
        if values[name] is None:
            raise DomainError(_l("Write the date as YYYY-MM-DD, e.g. %(example)s.",
                                 example=today.isoformat()), field=name)
        if not EARLIEST_DATE <= values[name] <= today + timedelta(days=366):
            raise DomainError(_l("Choose a date between %(first)s and %(last)s.",
                                 first=EARLIEST_DATE.isoformat(),
                                 last=(today + timedelta(days=366)).isoformat()), field=name)
    if values["from"] > values["to"]:
        raise DomainError(_l("The first day comes after the last."), field="to")
    if (values["to"] - values["from"]).days + 1 > MAX_DAYS:
        raise DomainError(_l("Choose at most %(days)s days.", days=MAX_DAYS), field="to")
    return Period(values["from"], values["to"])


@dataclass(frozen=True)
class Spread:
    """How many durations, their median and 90th percentile (in days)."""

    count: int
    median: float | None
    p90: float | None


def spread(durations: list[timedelta]) -> Spread:
    if not durations:
        return Spread(0, None, None)
    days = sorted(d.total_seconds() / 86400 for d in durations)
    rank = math.ceil(0.9 * len(days))
    return Spread(len(days), statistics.median(days), days[rank - 1])


@dataclass(frozen=True)
class StageRow:
    stage_id: int
    name: str
    spread: Spread


@dataclass(frozen=True)
class Promise:
    """Candidates whose last interview in the period was followed by an answer (an
    outcome message, or a recorded reason for none) within the opening's target."""

    days: int
    kept: int
    missed: int
    waiting: int  # not answered yet, and not due yet

    @property
    def share(self) -> float | None:
        judged = self.kept + self.missed
        return self.kept / judged if judged else None


@dataclass(frozen=True)
class Experience:
    count: int
    shown: bool  # too few answers could point at a person
    average: float | None
    by_rating: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    opening: Opening
    period: Period
    stages: list[StageRow]
    to_first_interview: Spread
    to_first_answer: Spread
    invitation_to_answer: Spread
    promise: Promise
    experience: Experience


def build(db: Session, opening: Opening, period: Period, now: datetime | None = None) -> Report:
    """The report of ``opening`` over ``period``, in a fixed number of queries."""
    now = now or utcnow()
    applications = {a.id: a for a in db.scalars(
        select(Application).where(Application.opening_id == opening.id))}
    interviews = list(db.scalars(select(Interview).where(
        Interview.application_id.in_(list(applications)),
        Interview.status == InterviewStatus.SCHEDULED).order_by(Interview.starts_at)))
    return Report(
        opening=opening, period=period,
        stages=_stage_times(db, opening, list(applications), period),
        to_first_interview=_to_first_interview(applications, interviews, period, now),
        to_first_answer=_to_first_answer(applications, interviews, period),
        invitation_to_answer=spread([
            i.responded_at - i.invited_at for i in interviews
            if i.invited_at and _answered(i) and period.holds(i.responded_at)
            and i.responded_at >= i.invited_at]),  # type: ignore[operator]
        promise=_promise(db, opening, applications, interviews, period, now),
        experience=_experience(db, opening, period))


def _stage_times(db: Session, opening: Opening, application_ids: list[int],
                 period: Period) -> list[StageRow]:
    """Each stay in a stage that ended in the period: from entering it to the next move."""
    stays: dict[int, list[timedelta]] = {s.id: [] for s in opening.stages}
    previous: StageChange | None = None
    for change in db.scalars(select(StageChange).where(
            StageChange.application_id.in_(application_ids))
            .order_by(StageChange.application_id, StageChange.at, StageChange.id)):
        if (previous is not None and previous.application_id == change.application_id
                and period.holds(change.at)):
            stays.setdefault(previous.to_stage_id, []).append(change.at - previous.at)
        previous = change
    return [StageRow(s.id, s.display_name, spread(stays[s.id]))
            for s in opening.stages if not s.is_end]


def _answered(interview: Interview) -> bool:
    return (interview.responded_at is not None
            and interview.response in (Response.CONFIRMED, Response.RESCHEDULE))


def _to_first_interview(applications: dict[int, Application], interviews: list[Interview],
                        period: Period, now: datetime) -> Spread:
    first: dict[int, datetime] = {}
    for item in interviews:  # oldest first
        first.setdefault(item.application_id, item.starts_at)
    return spread([at - applications[app_id].created_at for app_id, at in first.items()
                   if period.holds(at) and at <= now])


def _to_first_answer(applications: dict[int, Application], interviews: list[Interview],
                     period: Period) -> Spread:
    first: dict[int, datetime] = {}
    for item in interviews:
        if _answered(item):
            at = item.responded_at
            if item.application_id not in first or at < first[item.application_id]:  # type: ignore[operator]
                first[item.application_id] = at  # type: ignore[assignment]
    return spread([at - applications[app_id].created_at for app_id, at in first.items()
                   if period.holds(at)])


def _promise(db: Session, opening: Opening, applications: dict[int, Application],
             interviews: list[Interview], period: Period, now: datetime) -> Promise:
    """Per candidate, their last interview held in the period: answered by the target day
    (the opening's working days after the interview day, as the back office's "waiting
    for an answer" list counts them)?"""
    last: dict[int, Interview] = {}
    for item in interviews:  # oldest first, so the last one wins
        if period.holds(item.starts_at) and item.starts_at <= now:
            last[item.application_id] = item
    told: dict[int, list[datetime]] = {}
    for app_id, at in db.execute(select(
            OutcomeMessage.application_id,
            func.coalesce(OutcomeMessage.sent_at, OutcomeMessage.created_at)).where(
            OutcomeMessage.application_id.in_(list(last)))):
        told.setdefault(app_id, []).append(at)
    kept = missed = waiting = 0
    today = now.date()
    for app_id, item in last.items():
        due = decisions.add_working_days(item.starts_at.date(), opening.response_days)
        answers = [at for at in told.get(app_id, []) if at >= item.starts_at]
        if answers:
            if min(answers).date() <= due:
                kept += 1
            else:
                missed += 1
        elif today > due:
            missed += 1
        else:
            waiting += 1
    return Promise(opening.response_days, kept, missed, waiting)


def _experience(db: Session, opening: Opening, period: Period) -> Experience:
    counts = {r: 0 for r in range(1, 6)}
    for rating, count in db.execute(
            select(ExperienceAnswer.rating, func.count()).where(
                ExperienceAnswer.opening_id == opening.id,
                ExperienceAnswer.answered_on >= period.start,
                ExperienceAnswer.answered_on < period.end)
            .group_by(ExperienceAnswer.rating)):
        counts[int(rating)] = counts.get(int(rating), 0) + int(count)
    total = sum(counts.values())
    if total < decisions.MIN_ANSWERS_SHOWN:
        return Experience(total, False, None, {})
    average = sum(r * c for r, c in counts.items()) / total
    return Experience(total, True, round(average, 2), counts)
