"""The timeline: elapsed time, the current phase, upcoming milestones and activity gates.

Expected dates are worked out by hand from the plan's rule: week N starts N * 7 days after the
surgery date. The default plan's phases start at weeks 0, 1, 6, 12 and 16; its milestones are at
week 6 (by week), then at the starts of dynamic stabilisation (6), low-impact aerobic (12) and
core strengthening (16).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from skill.content.plan import RecoveryPlan, load_plan
from skill.recovery.timeline import activity_status, current_phase, elapsed, upcoming_milestones

# Reads calendar dates: `make test` runs it again with the clock moved years ahead.
pytestmark = pytest.mark.date_sensitive

# A Wednesday.
SURGERY = date(2026, 10, 21)


def week(n: int) -> date:
    """The first day of week n, computed independently of skill.content.plan.week_start."""
    return SURGERY + timedelta(weeks=n)


@pytest.fixture(scope="module")
def plan() -> RecoveryPlan:
    return load_plan()


# --- elapsed -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_after", "total_days", "weeks", "days"),
    [
        (0, 0, 0, 0),
        (6, 6, 0, 6),
        (7, 7, 1, 0),
        (41, 41, 5, 6),
        (42, 42, 6, 0),
        (100, 100, 14, 2),
    ],
)
def test_elapsed_counts_whole_weeks_and_days(
    days_after: int, total_days: int, weeks: int, days: int
) -> None:
    result = elapsed(SURGERY, SURGERY + timedelta(days=days_after))
    assert (result.total_days, result.weeks, result.days) == (total_days, weeks, days)


def test_week_arithmetic_matches_the_calendar() -> None:
    # Cross-check of the helper against dates counted on a calendar: Oct 21 + 10 days is
    # Oct 31, + 31 more is Dec 1 (41 days), so day 42 is Wednesday 2 December.
    assert week(1) == date(2026, 10, 28)
    assert week(6) == date(2026, 12, 2)
    assert week(12) == date(2027, 1, 13)
    assert week(16) == date(2027, 2, 10)


def test_elapsed_across_a_year_end() -> None:
    # 21 Oct 2026 → 21 Oct 2027 is 365 days (no 29 February in between): 52 weeks and 1 day.
    result = elapsed(SURGERY, date(2027, 10, 21))
    assert (result.total_days, result.weeks, result.days) == (365, 52, 1)


@pytest.mark.parametrize("days_before", [1, 7, 400])
def test_elapsed_rejects_a_surgery_date_after_today(days_before: int) -> None:
    with pytest.raises(ValueError, match="after today"):
        elapsed(SURGERY, SURGERY - timedelta(days=days_before))


def test_current_phase_rejects_a_surgery_date_after_today(plan: RecoveryPlan) -> None:
    with pytest.raises(ValueError, match="after today"):
        current_phase(plan, SURGERY, SURGERY - timedelta(days=1))


# --- current_phase -------------------------------------------------------------------------


def test_default_plan_phase_starts_are_the_ones_these_tests_assume(plan: RecoveryPlan) -> None:
    assert [(phase.id, phase.starts_week) for phase in plan.phases] == [
        ("hospital", 0),
        ("static_stabilisation", 1),
        ("dynamic_stabilisation", 6),
        ("low_impact_aerobic", 12),
        ("core_strengthening", 16),
    ]


@pytest.mark.parametrize(
    ("today", "phase_id"),
    [
        pytest.param(SURGERY, "hospital", id="surgery-day"),
        pytest.param(SURGERY + timedelta(days=6), "hospital", id="day-before-week-1"),
        pytest.param(SURGERY + timedelta(days=7), "static_stabilisation", id="week-1"),
        pytest.param(SURGERY + timedelta(days=41), "static_stabilisation", id="day-before-week-6"),
        pytest.param(SURGERY + timedelta(days=42), "dynamic_stabilisation", id="week-6"),
        pytest.param(
            SURGERY + timedelta(days=83), "dynamic_stabilisation", id="day-before-week-12"
        ),
        pytest.param(SURGERY + timedelta(days=84), "low_impact_aerobic", id="week-12"),
        pytest.param(SURGERY + timedelta(days=111), "low_impact_aerobic", id="day-before-week-16"),
        pytest.param(SURGERY + timedelta(days=112), "core_strengthening", id="week-16"),
        pytest.param(date(2028, 10, 21), "core_strengthening", id="two-years-on"),
    ],
)
def test_current_phase_at_each_boundary(plan: RecoveryPlan, today: date, phase_id: str) -> None:
    assert current_phase(plan, SURGERY, today).id == phase_id


@pytest.mark.parametrize(
    ("today", "phase_id"),
    [
        (date(2026, 12, 1), "static_stabilisation"),
        (date(2026, 12, 2), "dynamic_stabilisation"),
        (date(2027, 1, 12), "dynamic_stabilisation"),
        (date(2027, 1, 13), "low_impact_aerobic"),
        (date(2027, 2, 9), "low_impact_aerobic"),
        (date(2027, 2, 10), "core_strengthening"),
    ],
)
def test_current_phase_on_calendar_dates(plan: RecoveryPlan, today: date, phase_id: str) -> None:
    assert current_phase(plan, SURGERY, today).id == phase_id


# --- upcoming_milestones -------------------------------------------------------------------


def test_default_plan_milestone_weeks_are_the_ones_these_tests_assume(
    plan: RecoveryPlan,
) -> None:
    assert [(m.week, m.phase) for m in plan.milestones] == [
        (6, None),
        (None, "dynamic_stabilisation"),
        (None, "low_impact_aerobic"),
        (None, "core_strengthening"),
    ]


@pytest.mark.parametrize(
    ("today", "expected_indexes", "expected_weeks"),
    [
        pytest.param(SURGERY, [0, 1, 2, 3], [6, 6, 12, 16], id="surgery-day"),
        pytest.param(week(6) - timedelta(days=1), [0, 1, 2, 3], [6, 6, 12, 16], id="day-before-6"),
        pytest.param(week(6), [2, 3], [12, 16], id="week-6-reached-excluded"),
        pytest.param(week(12) - timedelta(days=1), [2, 3], [12, 16], id="day-before-12"),
        pytest.param(week(12), [3], [16], id="week-12"),
        pytest.param(week(16) - timedelta(days=1), [3], [16], id="day-before-16"),
        pytest.param(week(16), [], [], id="week-16-none-left"),
        pytest.param(week(60), [], [], id="long-after"),
    ],
)
def test_upcoming_milestones(
    plan: RecoveryPlan, today: date, expected_indexes: list[int], expected_weeks: list[int]
) -> None:
    upcoming = upcoming_milestones(plan, SURGERY, today)
    assert [item.milestone for item in upcoming] == [plan.milestones[i] for i in expected_indexes]
    assert [item.week for item in upcoming] == expected_weeks
    assert [item.starts_on for item in upcoming] == [week(w) for w in expected_weeks]


def test_upcoming_milestones_dates_on_the_calendar(plan: RecoveryPlan) -> None:
    upcoming = upcoming_milestones(plan, SURGERY, SURGERY)
    assert [item.starts_on for item in upcoming] == [
        date(2026, 12, 2),
        date(2026, 12, 2),
        date(2027, 1, 13),
        date(2027, 2, 10),
    ]


def test_upcoming_milestones_are_soonest_first(plan: RecoveryPlan) -> None:
    upcoming = upcoming_milestones(plan, SURGERY, SURGERY + timedelta(days=3))
    dates = [item.starts_on for item in upcoming]
    assert dates == sorted(dates)
    assert len(dates) == 4


# --- activity_status -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("activity", "from_week"),
    [("drive", 6), ("cycle", 6), ("work", 6), ("swim", 12), ("yoga", 12), ("stairs", 16)],
)
def test_gated_activity_is_allowed_from_its_exact_start_date(
    plan: RecoveryPlan, activity: str, from_week: int
) -> None:
    rule = plan.activities[activity]
    start = SURGERY + timedelta(weeks=from_week)

    before = activity_status(rule, SURGERY, start - timedelta(days=1))
    assert before.allowed_now is False
    assert before.from_date == start
    assert before.rule is rule

    on = activity_status(rule, SURGERY, start)
    assert on.allowed_now is True
    assert on.from_date == start

    after = activity_status(rule, SURGERY, start + timedelta(days=1))
    assert after.allowed_now is True


def test_drive_from_date_on_the_calendar(plan: RecoveryPlan) -> None:
    status = activity_status(plan.activities["drive"], SURGERY, date(2026, 12, 1))
    assert (status.allowed_now, status.from_date) == (False, date(2026, 12, 2))


@pytest.mark.parametrize("activity", ["walk", "sit", "smoke"])
def test_ungated_activity_is_allowed_on_the_surgery_day(plan: RecoveryPlan, activity: str) -> None:
    status = activity_status(plan.activities[activity], SURGERY, SURGERY)
    assert status.allowed_now is True
    assert status.from_date == SURGERY
