"""When reminders come, derived from the plan: never listed twice.

An hourly exercise is reminded at every whole hour of the waking day; a daily one at the
plan's `remind_at` hours (clinic defaults), moved into the patient's own waking hours in
proportion when they keep other hours. Each hour gets one reminder naming everything due
then, so a patient is never called twice in one hour; hours that name the same exercises
share one reminder at Amazon (`ReminderSlot`), with one daily rule per hour.

Pure functions of the plan's exercises and the two windows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time

from skill.content.plan import InBedExercise, WakingHours

SECONDS_PER_HOUR = 3600
# Between the exercise ids of a slot's key.
SLOT_SEPARATOR = "+"


@dataclass(frozen=True)
class ReminderSlot:
    """One reminder at Amazon: the exercises it names (plan order) and its local hours."""

    exercises: tuple[str, ...]
    hours: tuple[int, ...]

    @property
    def key(self) -> str:
        """What the reminder names, as stored beside its alert token ('knee_presses+bridges')."""
        return SLOT_SEPARATOR.join(self.exercises)

    @staticmethod
    def exercises_of(key: str) -> tuple[str, ...]:
        """The exercise ids a stored slot key names."""
        return tuple(name for name in key.split(SLOT_SEPARATOR) if name)


def _seconds(moment: time) -> int:
    return moment.hour * SECONDS_PER_HOUR + moment.minute * 60 + moment.second


def whole_hours(window: WakingHours) -> tuple[int, ...]:
    """Every whole hour from the window's start (rounded up) while it is before the end."""
    first, end = -(-_seconds(window.start) // SECONDS_PER_HOUR), _seconds(window.end)
    return tuple(hour for hour in range(first, 24) if hour * SECONDS_PER_HOUR < end)


def _plan_times(exercise: InBedExercise, plan_hours: WakingHours) -> list[float]:
    """The plan's reminder times of a daily exercise, in seconds after midnight; without
    `remind_at`, spread evenly over the plan's waking hours (the middle of each share)."""
    if exercise.remind_at:
        return [float(_seconds(moment)) for moment in exercise.remind_at]
    count = exercise.times_per_day or 1
    start, end = _seconds(plan_hours.start), _seconds(plan_hours.end)
    return [start + (index + 0.5) * (end - start) / count for index in range(count)]


def reminder_hours(
    exercise: InBedExercise, plan_hours: WakingHours, own_hours: WakingHours
) -> tuple[int, ...]:
    """The local hours at which `exercise` is reminded, for a patient keeping `own_hours`."""
    hours = whole_hours(own_hours)
    if exercise.every_hour or not hours:
        return hours
    plan_start, plan_end = _seconds(plan_hours.start), _seconds(plan_hours.end)
    own_start, own_end = _seconds(own_hours.start), _seconds(own_hours.end)
    moved = set()
    for moment in _plan_times(exercise, plan_hours):
        share = (moment - plan_start) / (plan_end - plan_start)
        hour = round((own_start + share * (own_end - own_start)) / SECONDS_PER_HOUR)
        moved.add(min(max(hour, hours[0]), hours[-1]))
    return tuple(sorted(moved))


def reminder_slots(
    exercises: Sequence[InBedExercise], plan_hours: WakingHours, own_hours: WakingHours
) -> list[ReminderSlot]:
    """The reminders to keep at Amazon, earliest first: one per set of exercises due together."""
    due_at: dict[int, list[str]] = {}
    for exercise in exercises:
        for hour in reminder_hours(exercise, plan_hours, own_hours):
            due_at.setdefault(hour, []).append(exercise.id)
    slots: dict[tuple[str, ...], list[int]] = {}
    for hour in sorted(due_at):
        slots.setdefault(tuple(due_at[hour]), []).append(hour)
    return [ReminderSlot(names, tuple(hours)) for names, hours in slots.items()]
