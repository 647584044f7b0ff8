"""What the caregiver page shows about one patient, assembled from the plan and the stores.

Pure assembly: every figure comes from the stores passed in, every date in the patient's zone.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from skill.content.plan import RecoveryPlan, WakingHours, week_start
from skill.recovery.adherence import ReminderAdherence
from skill.recovery.daily_targets import local_day_bounds, sets_per_day
from skill.recovery.timeline import current_phase, elapsed
from skill.recovery.weekly_summary import DAYS, pain_scores
from skill.reminders.adherence import adherence_between
from skill.store.check_ins import CheckIns, StoredCheckIn
from skill.store.exercise_log import ExerciseLog
from skill.store.reminders import ReminderStore

CHART_DAYS = 14
HISTORY_DAYS = 90
# The page lists the latest check-ins; every one of them is in the export.
CHECK_IN_ROWS = 20
NO_REMINDERS = ReminderAdherence(prompts=0, followed=0)


@dataclass(frozen=True)
class PhaseRow:
    """A phase on the timeline."""

    name: str
    starts_on: date
    current: bool


@dataclass(frozen=True)
class MilestoneRow:
    """A milestone on the timeline."""

    week: int
    on: date
    text: str
    reached: bool


@dataclass(frozen=True)
class CheckInRow:
    """A check-in in the history, with the advice of any alert it raised."""

    at: datetime
    answers: StoredCheckIn
    alerts: list[str]


@dataclass(frozen=True)
class ExerciseSeries:
    """Sets per day of one exercise over the chart's days, and its daily target."""

    name: str
    per_day: list[int]
    target: int


@dataclass
class Dashboard:
    """Everything /care shows."""

    today: date
    surgery_date: date | None
    weeks_since: int | None = None
    phases: list[PhaseRow] = field(default_factory=list)
    milestones: list[MilestoneRow] = field(default_factory=list)
    days: list[date] = field(default_factory=list)
    exercises: list[ExerciseSeries] = field(default_factory=list)
    pain: list[tuple[datetime, int]] = field(default_factory=list)
    check_ins: list[CheckInRow] = field(default_factory=list)
    # The reminders that went off in the last 7 days (today included), and those followed.
    reminders: ReminderAdherence = NO_REMINDERS


def build_dashboard(
    *,
    plan: RecoveryPlan,
    locale: str,
    exercise_log: ExerciseLog,
    check_ins: CheckIns,
    reminders: ReminderStore,
    user_id: str,
    surgery_date: date | None,
    own_hours: WakingHours | None,
    now: datetime,
    zone: ZoneInfo,
) -> Dashboard:
    """The dashboard of one patient at `now`; daily targets over the patient's own waking hours
    (`own_hours`, "remind me from nine till nine") if they keep some, else the plan's."""
    today = now.astimezone(zone).date()
    board = Dashboard(today=today, surgery_date=surgery_date)
    if surgery_date is not None:
        day = min(surgery_date, today)
        board.weeks_since = elapsed(day, today).weeks
        current = current_phase(plan, day, today)
        board.phases = [
            PhaseRow(phase.name[locale], week_start(day, phase.starts_week), phase == current)
            for phase in plan.phases
        ]
        board.milestones = [
            MilestoneRow(
                plan.milestone_week(milestone),
                week_start(day, plan.milestone_week(milestone)),
                milestone.text[locale],
                week_start(day, plan.milestone_week(milestone)) <= today,
            )
            for milestone in plan.milestones
        ]
    board.days = [today - timedelta(days=offset) for offset in range(CHART_DAYS - 1, -1, -1)]
    since, _ = local_day_bounds(board.days[0], zone)
    _, until = local_day_bounds(today, zone)
    counts = Counter(
        (exercise_id, ended.astimezone(zone).date())
        for exercise_id, ended in exercise_log.completed_times(user_id, since, until)
    )
    hours = own_hours or plan.in_bed_exercises.waking_hours
    board.exercises = [
        ExerciseSeries(
            exercise.name[locale],
            [counts[(exercise.id, day)] for day in board.days],
            sets_per_day(exercise, hours),
        )
        for exercise in plan.in_bed_exercises.exercises
    ]
    week_since, _ = local_day_bounds(today - timedelta(days=DAYS - 1), zone)
    board.reminders = adherence_between(reminders, exercise_log, user_id, week_since, until)
    history_since = now - timedelta(days=HISTORY_DAYS)
    stored = check_ins.since(user_id, history_since)
    board.pain = pain_scores(exercise_log.pain_reports(user_id, history_since), stored)
    advice = {alert.id: alert.advice[locale] for alert in plan.check_in.alerts}
    board.check_ins = [
        CheckInRow(
            entry.checked_at.astimezone(zone), entry, [advice.get(a, a) for a in entry.alerts]
        )
        for entry in reversed(stored[-CHECK_IN_ROWS:])
    ]
    return board
