"""How many sets of each in-bed exercise a day asks for, how many are due by now, which is next.

Pure functions of the plan, the local time and the sets already done today. Daily sets are
spread evenly over the plan's waking hours (08:00 to 22:00 unless a clinic sets others); an
hourly exercise is due once at the start of each waking hour.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from skill.content.plan import InBedExercise, WakingHours, week_start


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def _seconds(moment: time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


def waking_minutes(hours: WakingHours) -> int:
    """How long the waking day is, in minutes."""
    return _minutes(hours.end) - _minutes(hours.start)


def sets_per_day(exercise: InBedExercise, hours: WakingHours) -> int:
    """Today's target: one set each waking hour, or the plan's times per day."""
    if exercise.every_hour:
        return max(1, -(-waking_minutes(hours) // 60))
    return exercise.times_per_day or 1


def sets_due_by(exercise: InBedExercise, hours: WakingHours, now: time) -> int:
    """How many of today's sets should have started by `now` (local time)."""
    target = sets_per_day(exercise, hours)
    elapsed = _seconds(now) - _seconds(hours.start)
    if elapsed < 0:
        return 0
    if _seconds(now) >= _seconds(hours.end):
        return target
    # Set i (from 0) is due at start + i * day / target: exact in whole seconds, no rounding.
    day = _seconds(hours.end) - _seconds(hours.start)
    return min(target, elapsed * target // day + 1)


def is_allowed(exercise: InBedExercise, surgery_date: date, today: date) -> bool:
    """Whether the plan allows the exercise from this day on."""
    return today >= week_start(surgery_date, exercise.from_week)


@dataclass(frozen=True)
class Standing:
    """One exercise's count today against its target and what is due by now."""

    exercise: InBedExercise
    done: int
    target: int
    due: int

    @property
    def behind(self) -> int:
        """Sets due by now and not done."""
        return max(0, self.due - self.done)

    @property
    def remaining(self) -> int:
        """Sets left to reach today's target."""
        return max(0, self.target - self.done)


def standings(
    exercises: Sequence[InBedExercise],
    done: Mapping[str, int],
    hours: WakingHours,
    now: datetime,
) -> list[Standing]:
    """Every exercise's standing today, in plan order."""
    return [
        Standing(
            exercise,
            done.get(exercise.id, 0),
            sets_per_day(exercise, hours),
            sets_due_by(exercise, hours, now.time()),
        )
        for exercise in exercises
    ]


def due_order(items: Sequence[Standing]) -> list[InBedExercise]:
    """Exercises with sets left today, most due first: most sets behind, then plan order."""
    ranked = sorted((item for item in items if item.remaining > 0), key=lambda item: -item.behind)
    return [item.exercise for item in ranked]


def local_day_bounds(day: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """The start and end of a local day, as aware datetimes in that zone."""
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return start, end
