"""Daily targets: sets per day, sets due by a time, the from-week gate, what is behind, which
exercise comes next, and where a local day starts and ends (DST included)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skill.content.plan import InBedExercise, WakingHours, load_plan
from skill.recovery.daily_targets import (
    Standing,
    due_order,
    is_allowed,
    local_day_bounds,
    sets_due_by,
    sets_per_day,
    standings,
)

# Reads calendar dates: `make test` runs it again with the clock moved years ahead.
pytestmark = pytest.mark.date_sensitive

PLAN = load_plan()
EXERCISES = PLAN.in_bed_exercises.exercises
HOURS = PLAN.in_bed_exercises.waking_hours
HOURLY = next(exercise for exercise in EXERCISES if exercise.every_hour)
DAILY = [exercise for exercise in EXERCISES if not exercise.every_hour]
NEW_YORK = ZoneInfo("America/New_York")
ANY_TIME = st.times()


def minutes(moment: time) -> Fraction:
    """Minutes since midnight, seconds and microseconds included."""
    return Fraction(moment.hour * 60 + moment.minute) + Fraction(
        moment.second * 1_000_000 + moment.microsecond, 60_000_000
    )


def with_times_per_day(exercise: InBedExercise, times: int) -> InBedExercise:
    return InBedExercise.model_validate(
        # The plan's remind_at hours fit its own times_per_day only.
        {**exercise.model_dump(), "every_hour": False, "times_per_day": times, "remind_at": None}
    )


def gated(exercise: InBedExercise, week: int) -> InBedExercise:
    return InBedExercise.model_validate(
        {
            **exercise.model_dump(),
            "from_week": week,
            "not_yet_because": {"en-US": "Your physiotherapist adds it later."},
        }
    )


def due_times(target: int, hours: WakingHours) -> list[Fraction]:
    """Set i of `target` (0-based) is due at start + i * (waking day / target), exactly."""
    start, end = minutes(hours.start), minutes(hours.end)
    return [start + i * (end - start) / target for i in range(target)]


def expected_due(target: int, hours: WakingHours, now: time) -> int:
    """How many sets have come due by `now`."""
    return bisect_right(due_times(target, hours), minutes(now))


def every_minute() -> list[time]:
    return [time(hour, minute) for hour in range(24) for minute in range(60)]


# --- sets per day ------------------------------------------------------------------------------


def test_the_plan_waking_day_is_08_to_22() -> None:
    assert (HOURS.start, HOURS.end) == (time(8), time(22))


def test_an_hourly_exercise_is_due_each_waking_hour() -> None:
    waking_hours = [hour for hour in range(24) if HOURS.start <= time(hour) < HOURS.end]
    assert sets_per_day(HOURLY, HOURS) == len(waking_hours) == 14


def test_other_exercises_are_due_as_often_as_the_plan_says() -> None:
    assert DAILY
    for exercise in DAILY:
        assert exercise.times_per_day is not None
        assert sets_per_day(exercise, HOURS) == exercise.times_per_day


@settings(deadline=None)
@given(
    hours=st.integers(0, 22).flatmap(
        lambda start: st.tuples(st.just(start), st.integers(start + 1, 23))
    )
)
def test_hourly_targets_follow_the_waking_hours(hours: tuple[int, int]) -> None:
    start, end = hours
    length = end - start
    waking = WakingHours(start=time(start), end=time(end))
    assert sets_per_day(HOURLY, waking) == length
    # One set at the start of each waking hour.
    for hour in range(start, end):
        assert sets_due_by(HOURLY, waking, time(hour)) == hour - start + 1
        assert sets_due_by(HOURLY, waking, time(hour, 59, 59)) == hour - start + 1


# --- sets due by a time ------------------------------------------------------------------------


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda exercise: exercise.id)
def test_boundaries_of_the_waking_day(exercise: InBedExercise) -> None:
    target = sets_per_day(exercise, HOURS)
    assert sets_due_by(exercise, HOURS, time(0)) == 0
    assert sets_due_by(exercise, HOURS, time(7, 59, 59, 999_999)) == 0
    assert sets_due_by(exercise, HOURS, time(8)) == 1
    assert sets_due_by(exercise, HOURS, time(22)) == target
    assert sets_due_by(exercise, HOURS, time(23, 59, 59, 999_999)) == target


def test_hourly_sets_are_due_on_the_hour() -> None:
    assert sets_due_by(HOURLY, HOURS, time(8, 59)) == 1
    assert sets_due_by(HOURLY, HOURS, time(9)) == 2
    assert sets_due_by(HOURLY, HOURS, time(21, 59)) == 14


def test_three_sets_a_day_are_spread_over_the_waking_day() -> None:
    # 14 waking hours / 3: at 08:00, 12:40 and 17:20.
    thrice = with_times_per_day(HOURLY, 3)
    assert [sets_due_by(thrice, HOURS, t) for t in (time(12, 39), time(12, 40))] == [1, 2]
    assert [sets_due_by(thrice, HOURS, t) for t in (time(17, 19), time(17, 20))] == [2, 3]


@pytest.mark.parametrize("times", range(1, 25))
def test_due_sets_match_an_even_spread_at_every_minute(times: int) -> None:
    exercise = with_times_per_day(HOURLY, times)
    due = due_times(times, HOURS)
    for now in every_minute():
        assert sets_due_by(exercise, HOURS, now) == bisect_right(due, minutes(now)), now


def test_hourly_sets_match_one_each_hour_at_every_minute() -> None:
    due = [minutes(time(hour)) for hour in range(8, 22)]
    for now in every_minute():
        assert sets_due_by(HOURLY, HOURS, now) == bisect_right(due, minutes(now)), now


def test_a_set_due_on_the_minute_is_due_then_with_other_waking_hours() -> None:
    # 08:00 to 20:00 with 14 sets: set 8 (index 7) is due at 08:00 + 7 * 720 / 14 min = 14:00.
    hours = WakingHours(start=time(8), end=time(20))
    exercise = with_times_per_day(HOURLY, 14)
    assert expected_due(14, hours, time(14)) == 8
    assert sets_due_by(exercise, hours, time(14)) == 8


@settings(max_examples=200, deadline=None)
@given(
    exercise=st.sampled_from(EXERCISES),
    times=st.one_of(st.none(), st.integers(1, 24)),
    first=ANY_TIME,
    second=ANY_TIME,
)
def test_due_sets_never_go_down_over_the_day(
    exercise: InBedExercise, times: int | None, first: time, second: time
) -> None:
    if times is not None:
        exercise = with_times_per_day(exercise, times)
    earlier, later = sorted((first, second))
    target = sets_per_day(exercise, HOURS)
    due_earlier = sets_due_by(exercise, HOURS, earlier)
    due_later = sets_due_by(exercise, HOURS, later)
    assert 0 <= due_earlier <= due_later <= target
    assert (due_earlier == 0) == (earlier < HOURS.start)
    if later >= HOURS.end:
        assert due_later == target


def clock(minute_of_day: int) -> time:
    return time(minute_of_day // 60, minute_of_day % 60)


@settings(max_examples=200, deadline=None)
@given(
    waking=st.integers(0, 24 * 60 - 2).flatmap(
        lambda start: st.tuples(st.just(start), st.integers(start + 1, 24 * 60 - 1))
    ),
    times=st.integers(1, 24),
    nows=st.lists(ANY_TIME, min_size=2, max_size=10),
)
def test_due_sets_stay_within_the_target_for_any_waking_hours(
    waking: tuple[int, int], times: int, nows: list[time]
) -> None:
    hours = WakingHours(start=clock(waking[0]), end=clock(waking[1]))
    exercise = with_times_per_day(HOURLY, times)
    dues = [sets_due_by(exercise, hours, now) for now in sorted(nows)]
    assert dues == sorted(dues)
    assert all(0 <= due <= times for due in dues)
    assert sets_due_by(exercise, hours, hours.start) == 1
    assert sets_due_by(exercise, hours, hours.end) == times
    # Never more than an exact even spread allows by then, and at most one set fewer.
    for now, due in zip(sorted(nows), dues, strict=True):
        assert expected_due(times, hours, now) - 1 <= due <= expected_due(times, hours, now)


# --- the from-week gate ------------------------------------------------------------------------


def test_a_gated_exercise_is_allowed_from_the_first_day_of_its_week() -> None:
    surgery = date(2026, 11, 2)
    exercise = gated(EXERCISES[0], 2)
    assert exercise.from_week == 2
    assert not is_allowed(exercise, surgery, surgery)
    assert not is_allowed(exercise, surgery, date(2026, 11, 15))  # day 13
    assert is_allowed(exercise, surgery, date(2026, 11, 16))  # day 14: week 2 starts
    assert is_allowed(exercise, surgery, date(2027, 1, 1))
    # Ungated: from the day of surgery.
    assert EXERCISES[0].from_week == 0
    assert is_allowed(EXERCISES[0], surgery, surgery)


@settings(deadline=None)
@given(
    surgery=st.dates(date(2020, 1, 1), date(2030, 12, 31)),
    days=st.integers(-30, 200),
    week=st.integers(0, 20),
)
def test_the_gate_opens_exactly_after_whole_weeks(surgery: date, days: int, week: int) -> None:
    exercise = gated(EXERCISES[1], week) if week else EXERCISES[1]
    today = surgery + timedelta(days=days)
    assert is_allowed(exercise, surgery, today) == (days >= 7 * week)


# --- standings and what comes next -------------------------------------------------------------


@settings(deadline=None)
@given(done=st.integers(0, 30), target=st.integers(1, 24), due=st.integers(0, 24))
def test_behind_and_remaining_count_sets_not_done(done: int, target: int, due: int) -> None:
    due = min(due, target)
    standing = Standing(EXERCISES[0], done=done, target=target, due=due)
    # Sets numbered 1..: behind are those due and not done, remaining those targeted and not.
    assert standing.behind == len([n for n in range(1, due + 1) if n > done])
    assert standing.remaining == len([n for n in range(1, target + 1) if n > done])
    assert 0 <= standing.behind <= standing.remaining


def at(clock: time) -> datetime:
    return datetime.combine(date(2026, 11, 20), clock, tzinfo=NEW_YORK)


def test_standings_count_todays_sets_against_targets_in_plan_order() -> None:
    items = standings(EXERCISES, {"knee_lifts": 2, "unknown": 5}, HOURS, at(time(12, 30)))
    assert [item.exercise for item in items] == EXERCISES
    by_id = {item.exercise.id: item for item in items}
    assert by_id["knee_presses"] == Standing(HOURLY, done=0, target=14, due=5)
    assert by_id["knee_lifts"].done == 2
    assert by_id["bridges"].done == 0
    for item in items:
        assert item.target == sets_per_day(item.exercise, HOURS)
        assert item.due == sets_due_by(item.exercise, HOURS, time(12, 30))


def order(done: Mapping[str, int], clock: time) -> list[str]:
    return [exercise.id for exercise in due_order(standings(EXERCISES, done, HOURS, at(clock)))]


def test_the_most_behind_comes_first() -> None:
    # 12:00: knee presses 5 due (5 behind), knee lifts and bridges 1 due each.
    assert order({"knee_presses": 0, "knee_lifts": 1, "bridges": 0}, time(12)) == [
        "knee_presses",
        "bridges",
        "knee_lifts",
    ]
    assert order({"knee_presses": 5, "knee_lifts": 0, "bridges": 2}, time(12)) == [
        "knee_lifts",
        "knee_presses",
        "bridges",
    ]


def test_ties_go_in_plan_order() -> None:
    # 08:00, nothing done: one set due of each.
    assert order({}, time(8)) == [exercise.id for exercise in EXERCISES]
    # Before the waking day: nothing due, everything still to do.
    assert order({}, time(6)) == [exercise.id for exercise in EXERCISES]


def test_ties_in_sets_behind_go_in_plan_order_whatever_the_targets() -> None:
    # 09:00: knee presses 2 due, 1 done (1 behind, 13 left); knee lifts 1 due, none done
    # (1 behind, 3 left); bridges done for the day.
    assert order({"knee_presses": 1, "knee_lifts": 0, "bridges": 3}, time(9)) == [
        "knee_presses",
        "knee_lifts",
    ]


def test_exercises_at_their_target_are_left_out() -> None:
    done = {exercise.id: sets_per_day(exercise, HOURS) for exercise in EXERCISES}
    assert order(done, time(21)) == []
    assert order({**done, "bridges": 2}, time(21)) == ["bridges"]
    assert order({**done, "knee_presses": 20}, time(12)) == []


@settings(max_examples=200, deadline=None)
@given(
    done=st.fixed_dictionaries({exercise.id: st.integers(0, 16) for exercise in EXERCISES}),
    clock=ANY_TIME,
)
def test_due_order_is_what_is_left_most_behind_first(done: dict[str, int], clock: time) -> None:
    items = standings(EXERCISES, done, HOURS, at(clock))
    ordered = due_order(items)
    left = [item for item in items if item.done < item.target]
    assert sorted(e.id for e in ordered) == sorted(item.exercise.id for item in left)
    behind = {item.exercise.id: max(0, item.due - item.done) for item in items}
    assert [behind[e.id] for e in ordered] == sorted((behind[e.id] for e in ordered), reverse=True)


# --- local days --------------------------------------------------------------------------------


def utc_hours(day: date) -> float:
    start, end = local_day_bounds(day, NEW_YORK)
    return (end.astimezone(UTC) - start.astimezone(UTC)) / timedelta(hours=1)


def test_a_local_day_runs_midnight_to_midnight() -> None:
    start, end = local_day_bounds(date(2026, 11, 20), NEW_YORK)
    assert start.astimezone(UTC) == datetime(2026, 11, 20, 5, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2026, 11, 21, 5, tzinfo=UTC)
    assert utc_hours(date(2026, 11, 20)) == 24


def test_the_day_clocks_go_back_is_25_hours_long() -> None:
    start, end = local_day_bounds(date(2026, 11, 1), NEW_YORK)
    assert start.astimezone(UTC) == datetime(2026, 11, 1, 4, tzinfo=UTC)  # EDT
    assert end.astimezone(UTC) == datetime(2026, 11, 2, 5, tzinfo=UTC)  # EST
    assert utc_hours(date(2026, 11, 1)) == 25


def test_the_day_clocks_go_forward_is_23_hours_long() -> None:
    assert utc_hours(date(2026, 3, 8)) == 23


ZONES = [
    "America/New_York",
    "Europe/Amsterdam",
    "Australia/Lord_Howe",  # half-hour DST
    "America/Santiago",  # DST starts at midnight: no 00:00 that day
    "Asia/Beirut",  # DST starts at midnight
    "America/Havana",  # DST starts at midnight
    "Asia/Kolkata",
    "UTC",
]


@settings(max_examples=200, deadline=None)
@given(zone=st.sampled_from(ZONES), day=st.dates(date(2015, 1, 1), date(2035, 12, 31)))
def test_a_local_day_is_every_instant_with_that_local_date(zone: str, day: date) -> None:
    tz = ZoneInfo(zone)
    start, end = local_day_bounds(day, tz)
    start_utc, end_utc = start.astimezone(UTC), end.astimezone(UTC)
    tick = timedelta(microseconds=1)
    assert start_utc.astimezone(tz).date() == day
    assert (start_utc - tick).astimezone(tz).date() < day
    assert (end_utc - tick).astimezone(tz).date() == day
    assert end_utc.astimezone(tz).date() > day
    assert local_day_bounds(day + timedelta(days=1), tz)[0].astimezone(UTC) == end_utc
    assert timedelta(hours=22) <= end_utc - start_utc <= timedelta(hours=26)
