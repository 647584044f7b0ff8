"""The week in figures for the spoken summary: sets against target, pain trend, check-ins."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from statistics import fmean

from skill.content.plan import InBedExercise, WakingHours
from skill.recovery.daily_targets import sets_per_day
from skill.store.check_ins import StoredCheckIn

DAYS = 7


@dataclass(frozen=True)
class ExerciseWeek:
    """One exercise's complete sets over the last seven days, against its target."""

    exercise: InBedExercise
    done: int
    target: int


def exercise_weeks(
    exercises: Sequence[InBedExercise], done: dict[str, int], hours: WakingHours
) -> list[ExerciseWeek]:
    """Each exercise's sets done and its seven-day target (the daily target times seven)."""
    return [
        ExerciseWeek(exercise, done.get(exercise.id, 0), sets_per_day(exercise, hours) * DAYS)
        for exercise in exercises
    ]


def pain_scores(
    reports: Sequence[tuple[datetime, int]], check_ins: Sequence[StoredCheckIn]
) -> list[tuple[datetime, int]]:
    """Every pain score given, from sets and check-ins, oldest first."""
    from_check_ins = [(c.checked_at, c.pain) for c in check_ins if c.pain is not None]
    return sorted([*reports, *from_check_ins])


@dataclass(frozen=True)
class PainTrend:
    """Average pain this week and the week before (None without scores), rounded to whole."""

    now: int | None
    before: int | None

    @property
    def direction(self) -> str:
        """'down', 'up', 'same', 'only' (no earlier week) or 'none'."""
        if self.now is None:
            return "none"
        if self.before is None:
            return "only"
        if self.now == self.before:
            return "same"
        return "down" if self.now < self.before else "up"


def pain_trend(scores: Sequence[tuple[datetime, int]], week_start: datetime) -> PainTrend:
    """The average before `week_start` (the week before) and from it on (this week)."""
    now = [score for at, score in scores if at >= week_start]
    before = [score for at, score in scores if at < week_start]
    return PainTrend(round(fmean(now)) if now else None, round(fmean(before)) if before else None)


@dataclass(frozen=True)
class WeekReport:
    """The week the summary speaks of: sets by exercise, the pain trend, the check-ins."""

    exercises: list[ExerciseWeek]
    pain: PainTrend
    last_check_in: datetime | None
    alerts: int

    @property
    def done(self) -> int:
        """Complete sets of every exercise this week."""
        return sum(week.done for week in self.exercises)

    @property
    def target(self) -> int:
        """The week's target across every exercise."""
        return sum(week.target for week in self.exercises)


def week_report(
    exercises: list[ExerciseWeek],
    pain_reports: Sequence[tuple[datetime, int]],
    check_ins: Sequence[StoredCheckIn],
    week_start: datetime,
) -> WeekReport:
    """The week from the log: `pain_reports` and `check_ins` reach back a week before it (for
    the trend); check-ins are oldest first."""
    this_week = [c for c in check_ins if c.checked_at >= week_start]
    return WeekReport(
        exercises=exercises,
        pain=pain_trend(pain_scores(pain_reports, check_ins), week_start),
        last_check_in=check_ins[-1].checked_at if check_ins else None,
        alerts=sum(1 for c in this_week if c.alerts),
    )
