"""The slot engine, without a database: a property test against a brute-force oracle
written here on its own (minute by minute, from local wall-clock time), and the rules
that are easiest to state by example (summer time, fairness, the day limit)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from portal.scheduling.engine import Member, Period, SlotRules, compute_slots

ZONES = ("Europe/Stockholm", "America/New_York", "Asia/Kolkata", "UTC",
         "Australia/Lord_Howe")
# Windows that start near the changes to and from summer time, and an ordinary week.
ANCHORS = (datetime(2027, 3, 26, tzinfo=UTC), datetime(2027, 10, 29, tzinfo=UTC),
           datetime(2027, 3, 13, tzinfo=UTC), datetime(2027, 11, 6, tzinfo=UTC),
           datetime(2027, 4, 1, 6, 0, tzinfo=UTC), datetime(2027, 6, 7, tzinfo=UTC))


# ---------------------------------------------------------------- the oracle


def _local_minute_ok(member: Member, instant: datetime) -> bool:
    """Is the minute starting at ``instant`` working time for ``member``?"""
    local = instant.astimezone(member.tz)
    if local.date() in member.days_off:
        return False
    period = member.week.get(local.weekday())
    if period is None:
        return False
    minute = local.hour * 60 + local.minute
    if not period.start <= minute < period.end:
        return False
    if period.break_start is not None and period.break_end is not None:
        return not period.break_start <= minute < period.break_end
    return True


def oracle(members: list[Member], rules: SlotRules, now: datetime) -> set[tuple]:
    """Every (start, ids) a correct engine must offer: starts on the lead's wall-clock
    grid, in the window, after the notice; each member free minute by minute."""
    step = int(rules.step.total_seconds() // 60)
    duration = int(rules.duration.total_seconds() // 60)
    span = int((rules.window_end - rules.window_start).total_seconds() // 60)
    lead = members[0].tz
    free_minute: dict[int, list[bool]] = {}
    for m in members:
        marks = []
        for i in range(span):
            t = rules.window_start + timedelta(minutes=i)
            ok = _local_minute_ok(m, t)
            if ok:
                for b, e in m.busy:
                    if b - rules.buffer_after <= t < e + rules.buffer_before:
                        ok = False
                        break
            marks.append(ok)
        free_minute[m.id] = marks
    expected = set()
    earliest = now + rules.notice
    for i in range(span - duration + 1):
        start = rules.window_start + timedelta(minutes=i)
        local = start.astimezone(lead)
        if (local.hour * 60 + local.minute) % step or start < earliest:
            continue
        day_counts = {m.id: sum(1 for s in m.interview_starts
                                if s.astimezone(m.tz).date() == start.astimezone(m.tz).date())
                      for m in members}
        free = [m.id for m in members
                if all(free_minute[m.id][i:i + duration])
                and (rules.per_day_limit is None or day_counts[m.id] < rules.per_day_limit)]
        need = len(members) if rules.required is None else rules.required
        if len(free) >= need:
            expected.add((start, tuple(free) if rules.required is None else need))
    return expected


# ---------------------------------------------------------------- strategies


@st.composite
def scenario(draw: st.DrawFn) -> tuple[list[Member], SlotRules, datetime]:
    anchor = draw(st.sampled_from(ANCHORS))
    window_start = anchor + timedelta(minutes=15 * draw(st.integers(0, 8)))
    window_end = window_start + timedelta(hours=draw(st.integers(6, 60)))
    count = draw(st.integers(1, 3))
    members = []
    first_zone = draw(st.sampled_from(ZONES))
    for member_id in range(1, count + 1):
        tz = ZoneInfo(first_zone if draw(st.integers(0, 2)) else draw(st.sampled_from(ZONES)))
        week = {}
        for weekday in range(7):
            if draw(st.integers(0, 4)) == 0:
                continue
            # From 04:00: no working period starts or ends inside a repeated hour.
            start = draw(st.integers(16, 72)) * 15
            end = min(1440, start + draw(st.integers(4, 60)) * 15)
            brk = None
            if draw(st.booleans()) and end - start >= 90:
                b0 = draw(st.integers(start // 15 + 1, end // 15 - 2)) * 15
                brk = (b0, b0 + draw(st.integers(1, max(1, (end - b0) // 15 - 1))) * 15)
            week[weekday] = Period(start, end, *(brk or (None, None)))
        busy = []
        for _ in range(draw(st.integers(0, 6))):
            b = window_start + timedelta(minutes=draw(st.integers(-120, 60 * 60)))
            busy.append((b, b + timedelta(minutes=draw(st.integers(5, 150)))))
        first_day = window_start.astimezone(tz).date()
        days_off = frozenset(first_day + timedelta(days=d)
                             for d in draw(st.sets(st.integers(0, 3), max_size=1)))
        starts = [b for b, _e in busy if draw(st.booleans())]
        members.append(Member(member_id, tz, week, days_off, busy, starts))
    rules = SlotRules(
        duration=timedelta(minutes=draw(st.sampled_from([15, 30, 45, 60, 90]))),
        window_start=window_start, window_end=window_end,
        notice=timedelta(minutes=draw(st.sampled_from([0, 60, 600]))),
        buffer_before=timedelta(minutes=draw(st.sampled_from([0, 10, 15]))),
        buffer_after=timedelta(minutes=draw(st.sampled_from([0, 5, 30]))),
        per_day_limit=draw(st.sampled_from([None, None, 1, 2])),
        step=timedelta(minutes=draw(st.sampled_from([15, 30, 20, 60]))),
        required=draw(st.sampled_from([None, None, 1, 2])))
    if rules.required is not None and rules.required > count:
        rules = SlotRules(**{**rules.__dict__, "required": count})
    now = window_start - timedelta(minutes=draw(st.sampled_from([0, 30, 300])))
    return members, rules, now


@settings(max_examples=100)
@given(scenario())
def test_every_offered_slot_is_free_and_no_free_grid_slot_is_left_out(case) -> None:
    members, rules, now = case
    slots = compute_slots(members, rules, now)
    by_id = {m.id: m for m in members}
    for slot in slots:
        assert slot.start >= now + rules.notice
        assert rules.window_start <= slot.start and slot.end <= rules.window_end
        assert slot.end - slot.start == rules.duration
        assert len(slot.interviewer_ids) == (rules.required or len(members))
        for member_id in slot.interviewer_ids:
            member = by_id[member_id]
            minute = slot.start
            while minute < slot.end:  # inside working hours, minute by minute
                assert _local_minute_ok(member, minute), (slot, member_id)
                minute += timedelta(minutes=1)
            for b, e in member.busy:  # clear of every busy time, with the buffers
                assert slot.end + rules.buffer_after <= b or e + rules.buffer_before <= \
                    slot.start, (slot, member_id, b, e)
    got = {(s.start, s.interviewer_ids if rules.required is None else len(s.interviewer_ids))
           for s in slots}
    assert got == oracle(members, rules, now)


# ---------------------------------------------------------------- by example


def _weekdays(start: int, end: int) -> dict[int, Period]:
    return {d: Period(start, end) for d in range(5)}


def test_a_slot_keeps_its_wall_clock_time_across_the_change_to_summer_time() -> None:
    stockholm = ZoneInfo("Europe/Stockholm")
    member = Member(1, stockholm, _weekdays(9 * 60, 10 * 60))
    rules = SlotRules(duration=timedelta(hours=1),
                      window_start=datetime(2027, 3, 25, tzinfo=UTC),
                      window_end=datetime(2027, 3, 31, tzinfo=UTC), step=timedelta(hours=1))
    slots = compute_slots([member], rules, rules.window_start)
    local = [s.start.astimezone(stockholm) for s in slots]
    assert [(t.date(), t.hour) for t in local] == [
        (date(2027, 3, 25), 9), (date(2027, 3, 26), 9), (date(2027, 3, 29), 9),
        (date(2027, 3, 30), 9)]
    # The same wall-clock hour is an hour earlier in UTC after the change.
    assert [s.start.hour for s in slots] == [8, 8, 7, 7]


def test_any_two_of_three_chooses_the_least_busy_that_week() -> None:
    tz = ZoneInfo("UTC")
    monday = datetime(2027, 6, 7, tzinfo=UTC)
    busy_person = Member(1, tz, _weekdays(8 * 60, 18 * 60),
                         interview_starts=[monday + timedelta(hours=8, days=d) for d in (1, 2)])
    quiet_person = Member(2, tz, _weekdays(8 * 60, 18 * 60))
    half_busy = Member(3, tz, _weekdays(8 * 60, 18 * 60),
                       interview_starts=[monday + timedelta(days=1, hours=9)])
    rules = SlotRules(duration=timedelta(hours=1), window_start=monday + timedelta(hours=12),
                      window_end=monday + timedelta(hours=13), required=2)
    [slot] = compute_slots([busy_person, quiet_person, half_busy], rules, monday)
    assert slot.interviewer_ids == (2, 3)


def test_the_day_limit_counts_in_the_members_own_zone() -> None:
    new_york = ZoneInfo("America/New_York")
    # 02:00 UTC on Tuesday is still Monday evening in New York.
    member = Member(1, new_york, {d: Period(9 * 60, 17 * 60) for d in range(7)},
                    interview_starts=[datetime(2027, 6, 8, 2, tzinfo=UTC)])
    rules = SlotRules(duration=timedelta(hours=1),
                      window_start=datetime(2027, 6, 7, 12, tzinfo=UTC),
                      window_end=datetime(2027, 6, 8, 23, tzinfo=UTC), per_day_limit=1,
                      step=timedelta(hours=1))
    days = {s.start.astimezone(new_york).date() for s in compute_slots([member], rules,
                                                                       rules.window_start)}
    assert days == {date(2027, 6, 8)}
