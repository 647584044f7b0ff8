"""Whether reminders help: how many that went off were followed by a set within the hour.

A reminder names the exercises due when it goes off; it counts as followed when a complete
set of one of them ended within `FOLLOWED_WITHIN` after it. Pure: the reminders that went off
and the sets' end times come from the store.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

FOLLOWED_WITHIN = timedelta(hours=1)


@dataclass(frozen=True)
class Prompt:
    """A reminder that went off: when, and the exercises it named."""

    fired_at: datetime
    exercises: tuple[str, ...]


@dataclass(frozen=True)
class ReminderAdherence:
    """Reminders that went off in a stretch of time, and how many a set followed."""

    prompts: int
    followed: int


def reminder_adherence(
    prompts: Iterable[Prompt],
    completed: Sequence[tuple[str, datetime]],
    within: timedelta = FOLLOWED_WITHIN,
) -> ReminderAdherence:
    """Count the prompts and those followed, within `within`, by a complete set of an exercise
    they named (`completed`: each set's exercise and when it ended)."""
    ends: dict[str, list[datetime]] = {}
    for exercise_id, ended_at in completed:
        ends.setdefault(exercise_id, []).append(ended_at)
    for times in ends.values():
        times.sort()
    total = followed = 0
    for prompt in prompts:
        total += 1
        if any(
            _ended_within(ends.get(name, []), prompt.fired_at, within) for name in prompt.exercises
        ):
            followed += 1
    return ReminderAdherence(total, followed)


def _ended_within(times: list[datetime], start: datetime, within: timedelta) -> bool:
    """Whether one of the sorted `times` lies in [start, start + within)."""
    index = bisect_left(times, start)
    return index < len(times) and times[index] < start + within
