"""The patient's timeline: pure functions of the plan, the surgery date and today's date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from skill.content.plan import ActivityRule, Milestone, Phase, RecoveryPlan, week_start


class NeedSurgeryDate(Exception):
    """The answer depends on the surgery date, which the patient has not given yet."""


@dataclass(frozen=True)
class Elapsed:
    """Time since surgery, in whole weeks and the days past them."""

    total_days: int

    @property
    def weeks(self) -> int:
        """Whole weeks since surgery: week 6 starts on day 42."""
        return self.total_days // 7

    @property
    def days(self) -> int:
        """Days past the last whole week."""
        return self.total_days % 7


@dataclass(frozen=True)
class UpcomingMilestone:
    """A milestone with the calendar date it is reached."""

    milestone: Milestone
    week: int
    starts_on: date


@dataclass(frozen=True)
class ActivityStatus:
    """Whether an activity's week has come, and when it does."""

    rule: ActivityRule
    allowed_now: bool
    from_date: date


def elapsed(surgery_date: date, today: date) -> Elapsed:
    """Days since surgery (0 on the day itself); surgery dates are never after today."""
    if surgery_date > today:
        raise ValueError("the surgery date is after today")
    return Elapsed((today - surgery_date).days)


def current_phase(plan: RecoveryPlan, surgery_date: date, today: date) -> Phase:
    """The last phase whose start week has been reached."""
    weeks = elapsed(surgery_date, today).weeks
    return [phase for phase in plan.phases if phase.starts_week <= weeks][-1]


def upcoming_milestones(
    plan: RecoveryPlan, surgery_date: date, today: date
) -> list[UpcomingMilestone]:
    """Milestones not reached yet, soonest first, each with its date."""
    upcoming = []
    for milestone in plan.milestones:
        week = plan.milestone_week(milestone)
        starts_on = week_start(surgery_date, week)
        if starts_on > today:
            upcoming.append(UpcomingMilestone(milestone, week, starts_on))
    return upcoming


def activity_status(rule: ActivityRule, surgery_date: date, today: date) -> ActivityStatus:
    """Whether the rule's starting week has been reached by today."""
    from_date = week_start(surgery_date, rule.from_week)
    return ActivityStatus(rule, allowed_now=today >= from_date, from_date=from_date)
