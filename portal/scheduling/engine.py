"""The slot engine's pure part: free times of a panel from data already loaded.

Every member has a zone, a working week (wall-clock minutes per weekday, with a break),
days off, busy times (calendar blocks and the portal's own interviews) and the starts of
their interviews. A slot is free for a member when it lies inside one of their working
periods, on no day off, before the end of what their calendars cover, and clear of every
busy time widened by the buffers (a busy time [b, e) keeps [b - buffer_after,
e + buffer_before) taken), and their interviews that local day are below the day limit.

Slots start on a grid of ``step`` from local midnight in the zone of the first member (the
lead), so 09:00 stays 09:00 through a change to or from summer time; a wall-clock time that
a change skips does not exist, and one it repeats is offered twice (once in each offset).
With ``required`` = N, a slot needs N free members, and they are chosen fairly: fewest
interviews in that (local, ISO) week first, then in the pool's order.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class SlotRules:
    duration: timedelta
    window_start: datetime  # aware, UTC
    window_end: datetime  # aware, UTC
    notice: timedelta = timedelta(0)  # earliest start = now + notice
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    per_day_limit: int | None = None  # interviews per interviewer per local day
    step: timedelta = timedelta(minutes=15)  # slot starts on the interviewer-zone grid
    required: int | None = None  # None: every panel member; N: any N of the pool


@dataclass(frozen=True)
class Slot:
    start: datetime  # aware UTC
    end: datetime
    interviewer_ids: tuple[int, ...]  # who would sit on it (for "any N", the chosen N)


@dataclass(frozen=True)
class Period:
    """One weekday's working time: minutes after local midnight; the break inside it."""

    start: int
    end: int
    break_start: int | None = None
    break_end: int | None = None

    def segments(self) -> list[tuple[int, int]]:
        if (self.break_start is None or self.break_end is None
                or self.break_end <= self.break_start):
            return [(self.start, self.end)]
        return [(a, b) for a, b in ((self.start, self.break_start),
                                    (self.break_end, self.end)) if b > a]


DEFAULT_WEEK = {day: Period(9 * 60, 17 * 60) for day in range(5)}


@dataclass
class Member:
    """What the engine knows of one interviewer."""

    id: int
    tz: ZoneInfo
    week: dict[int, Period]  # weekday (0 Monday) -> working time
    days_off: frozenset[date] = frozenset()
    busy: list[tuple[datetime, datetime]] = field(default_factory=list)  # UTC, as read
    interview_starts: list[datetime] = field(default_factory=list)  # for limits, fairness
    covered_until: datetime | None = None  # calendars known up to here; None: no calendar


def wall(day: date, minute: int, tz: ZoneInfo) -> datetime:
    """Local wall-clock ``minute`` of ``day`` (1440 is the next midnight) in UTC."""
    if minute >= 1440:
        day, minute = day + timedelta(days=1), minute - 1440
    return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz).astimezone(UTC)


def _merge(intervals: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _subtract(free: list[tuple[datetime, datetime]],
              taken: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """``free`` minus ``taken``; both sorted and merged."""
    out: list[tuple[datetime, datetime]] = []
    j = 0
    for start, end in free:
        cursor = start
        while j < len(taken) and taken[j][1] <= cursor:
            j += 1
        k = j
        while k < len(taken) and taken[k][0] < end:
            if taken[k][0] > cursor:
                out.append((cursor, taken[k][0]))
            cursor = max(cursor, taken[k][1])
            if cursor >= end:
                break
            k += 1
        if cursor < end:
            out.append((cursor, end))
    return out


def free_intervals(member: Member, rules: SlotRules, start: datetime,
                   end: datetime) -> list[tuple[datetime, datetime]]:
    """The member's free time (UTC, merged) around [start, end): working periods on days
    that are not off, less busy times widened by the buffers, cut at ``covered_until``."""
    first = start.astimezone(member.tz).date() - timedelta(days=1)
    last = end.astimezone(member.tz).date() + timedelta(days=1)
    working = []
    day = first
    while day <= last:
        period = member.week.get(day.weekday())
        if period is not None and day not in member.days_off:
            for a, b in period.segments():
                working.append((wall(day, a, member.tz), wall(day, b, member.tz)))
        day += timedelta(days=1)
    free = _merge(working)
    taken = _merge((b - rules.buffer_after, e + rules.buffer_before) for b, e in member.busy)
    free = _subtract(free, taken)
    if member.covered_until is not None:
        free = [(a, min(b, member.covered_until)) for a, b in free if a < member.covered_until]
    return free


def grid(tz: ZoneInfo, start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    """Every UTC instant in [start, end] whose wall-clock time in ``tz`` is a whole number
    of ``step`` after local midnight, in order."""
    minutes = step.total_seconds() / 60
    if minutes < 1 or minutes != int(minutes):
        raise ValueError("step must be a whole number of minutes, at least one")
    every = int(minutes)
    out: set[datetime] = set()
    day = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date() + timedelta(days=1)
    while day <= last:
        midnight = datetime.combine(day, time(0), tzinfo=tz)
        offset = midnight.utcoffset()
        following = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
        if offset is not None and following.utcoffset() == offset and \
                midnight.replace(fold=1).utcoffset() == offset:
            # No change of offset this day: every wall-clock time is midnight + minutes.
            base = (midnight.replace(tzinfo=None) - offset).replace(tzinfo=UTC)
            for minute in range(0, 1440, every):
                utc = base + timedelta(minutes=minute)
                if start <= utc <= end:
                    out.add(utc)
            day += timedelta(days=1)
            continue
        for minute in range(0, 1440, every):
            local = time(minute // 60, minute % 60)
            for fold in (0, 1):
                instant = datetime.combine(day, local, tzinfo=tz).replace(fold=fold)
                utc = instant.astimezone(UTC)
                back = utc.astimezone(tz)
                if (back.date() == day and back.hour == local.hour
                        and back.minute == local.minute and start <= utc <= end):
                    out.add(utc)
        day += timedelta(days=1)
    return sorted(out)


def _free_flags(member: Member, rules: SlotRules, candidates: list[datetime]) -> bytearray:
    """1 for each candidate start at which ``member`` is free for the whole slot: each
    free interval marks the run of starts it can hold (two bisections, no loop over the
    starts), and each local day at the day limit clears its run."""
    flags = bytearray(len(candidates))
    span_end = candidates[-1] + rules.duration
    for a, b in free_intervals(member, rules, candidates[0], span_end):
        lo = bisect.bisect_left(candidates, a)
        hi = bisect.bisect_right(candidates, b - rules.duration)
        if hi > lo:
            flags[lo:hi] = b"\x01" * (hi - lo)
    if rules.per_day_limit is not None:
        per_day = Counter(s.astimezone(member.tz).date() for s in member.interview_starts)
        for day, count in per_day.items():
            if count >= rules.per_day_limit:
                lo = bisect.bisect_left(candidates, wall(day, 0, member.tz))
                hi = bisect.bisect_left(candidates, wall(day, 1440, member.tz))
                if hi > lo:
                    flags[lo:hi] = bytes(hi - lo)
    return flags


def compute_slots(members: Sequence[Member], rules: SlotRules, now: datetime,
                  starts: Sequence[datetime] | None = None) -> list[Slot]:
    """The free slots for ``members`` (all of them, or any ``rules.required``) within the
    rules' window; ``starts`` replaces the grid (to test one given time)."""
    if rules.duration <= timedelta(0):
        raise ValueError("duration must be positive")
    if rules.required is not None and rules.required < 1:
        raise ValueError("required must be at least one")
    need = len(members) if rules.required is None else rules.required
    if not members or need > len(members):
        return []
    earliest = max(rules.window_start, now + rules.notice)
    latest = rules.window_end - rules.duration
    if latest < earliest:
        return []
    lead = members[0]
    candidates = (grid(lead.tz, earliest, latest, rules.step) if starts is None
                  else sorted(s for s in starts if earliest <= s <= latest))
    if not candidates:
        return []
    flags = [_free_flags(m, rules, candidates) for m in members]
    slots: list[Slot] = []
    if rules.required is None:
        everyone = tuple(m.id for m in members)
        for i, start in enumerate(candidates):
            if all(f[i] for f in flags):
                slots.append(Slot(start, start + rules.duration, everyone))
        return slots
    # Any N: the least busy that (local, ISO) week first, then the pool's order.
    weekly = [Counter(s.astimezone(m.tz).isocalendar()[:2] for s in m.interview_starts)
              for m in members]
    for i, start in enumerate(candidates):
        free = [k for k, f in enumerate(flags) if f[i]]
        if len(free) < need:
            continue
        if len(free) > need:
            free = sorted(free, key=lambda k: (
                weekly[k][start.astimezone(members[k].tz).isocalendar()[:2]], k))[:need]
        slots.append(Slot(start, start + rules.duration,
                          tuple(members[k].id for k in sorted(free))))
    return slots
