"""The reminder schedule derived from the plan: one reminder per hour at most, hourly knee
presses across the waking hours, knee lifts and bridges at the plan's hours moved into the
patient's own window."""

from __future__ import annotations

from datetime import time

import pytest

from skill.content.plan import InBedExercise, WakingHours, load_plan
from skill.recovery.reminder_schedule import ReminderSlot, reminder_slots, whole_hours

PLAN = load_plan()
EXERCISES = PLAN.in_bed_exercises.exercises
PLAN_HOURS = PLAN.in_bed_exercises.waking_hours
ALL_THREE = ("knee_presses", "knee_lifts", "bridges")


def window(start: time, end: time) -> WakingHours:
    return WakingHours(start=start, end=end)


def by_key(slots: list[ReminderSlot]) -> dict[str, tuple[int, ...]]:
    return {slot.key: slot.hours for slot in slots}


def test_the_plan_hours_give_hourly_presses_and_the_daily_ones_at_the_plans_times() -> None:
    assert window(time(8), time(22)) == PLAN_HOURS
    assert by_key(reminder_slots(EXERCISES, PLAN_HOURS, PLAN_HOURS)) == {
        "knee_presses": (8, 10, 11, 12, 13, 15, 16, 17, 18, 20, 21),
        "knee_presses+knee_lifts+bridges": (9, 14, 19),
    }


def test_own_hours_nine_to_nine_move_the_daily_ones_in_proportion() -> None:
    slots = reminder_slots(EXERCISES, PLAN_HOURS, window(time(9), time(21)))
    # 9:00, 14:00 and 19:00 of 8-22 are 1/14, 6/14 and 11/14 of the day: 9:51, 14:09, 18:26.
    assert by_key(slots) == {
        "knee_presses": (9, 11, 12, 13, 15, 16, 17, 19, 20),
        "knee_presses+knee_lifts+bridges": (10, 14, 18),
    }


def test_a_window_of_one_hour_names_everything_in_its_one_reminder() -> None:
    slots = reminder_slots(EXERCISES, PLAN_HOURS, window(time(10), time(11)))
    assert slots == [ReminderSlot(ALL_THREE, (10,))]


def test_a_window_too_small_for_a_whole_hour_has_no_reminders() -> None:
    assert reminder_slots(EXERCISES, PLAN_HOURS, window(time(10, 15), time(10, 45))) == []


def test_a_window_starting_at_half_past_starts_at_the_next_whole_hour() -> None:
    own = window(time(8, 30), time(22))
    assert whole_hours(own)[0] == 9
    slots = by_key(reminder_slots(EXERCISES, PLAN_HOURS, own))
    assert slots["knee_presses+knee_lifts+bridges"] == (9, 14, 19)
    assert 8 not in slots["knee_presses"]
    assert min(hour for hours in slots.values() for hour in hours) == 9


@pytest.mark.parametrize(
    "own",
    [
        window(time(8), time(22)),
        window(time(9), time(21)),
        window(time(6), time(23, 30)),
        window(time(12), time(15)),
        window(time(7, 45), time(20, 10)),
    ],
    ids=str,
)
def test_every_waking_hour_has_exactly_one_reminder_naming_the_hourly_exercise(
    own: WakingHours,
) -> None:
    slots = reminder_slots(EXERCISES, PLAN_HOURS, own)
    hours = [hour for slot in slots for hour in slot.hours]
    assert sorted(hours) == list(whole_hours(own))  # each hour once, none outside
    hourly = [exercise.id for exercise in EXERCISES if exercise.every_hour]
    assert all(set(hourly) <= set(slot.exercises) for slot in slots)
    daily: list[InBedExercise] = [exercise for exercise in EXERCISES if not exercise.every_hour]
    for exercise in daily:
        times = [hour for slot in slots if exercise.id in slot.exercises for hour in slot.hours]
        assert 1 <= len(times) <= (exercise.times_per_day or 1)
