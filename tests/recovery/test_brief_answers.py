"""The figures behind the short answers: the week's headline (sets against target, the pain
trend, the check-ins) and what is due now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from skill.alexa.budget import WORD_BUDGET, count_words, spoken_text
from skill.alexa.speech import ssml
from skill.content.plan import load_plan
from skill.content.strings import Detail, load_catalogue
from skill.recovery.daily_targets import Standing
from skill.recovery.phrases import due_now_sentence
from skill.recovery.weekly_summary import exercise_weeks, week_report
from skill.store.check_ins import StoredCheckIn

PLAN = load_plan()
EXERCISES = PLAN.in_bed_exercises.exercises
STRINGS = load_catalogue().for_locale("en-US")
WEEK_START = datetime(2026, 11, 14, 5, 0, tzinfo=UTC)


def check_in(at: datetime, pain: int | None, alerts: tuple[str, ...] = ()) -> StoredCheckIn:
    return StoredCheckIn(at, pain, None, None, None, alerts)


def test_the_week_adds_every_exercise_and_counts_this_weeks_alerts_only() -> None:
    weeks = exercise_weeks(
        EXERCISES, {"knee_presses": 20, "bridges": 5}, PLAN.in_bed_exercises.waking_hours
    )
    before, during = WEEK_START - timedelta(days=2), WEEK_START + timedelta(days=3)
    report = week_report(
        weeks,
        [(before, 6), (during, 2)],
        [check_in(before, None, ("pain_too_much",)), check_in(during, 4, ("recovery_worry",))],
        WEEK_START,
    )
    assert (report.done, report.target) == (25, 98 + 21 + 21)
    assert (report.pain.now, report.pain.before, report.pain.direction) == (3, 6, "down")
    assert report.last_check_in == during
    assert report.alerts == 1  # the one before the week is not counted


def test_a_week_without_scores_or_check_ins() -> None:
    report = week_report(
        exercise_weeks(EXERCISES, {}, PLAN.in_bed_exercises.waking_hours), [], [], WEEK_START
    )
    assert (report.done, report.pain.direction, report.last_check_in, report.alerts) == (
        0,
        "none",
        None,
        0,
    )


def standing(index: int, *, done: int, target: int, due: int) -> Standing:
    return Standing(EXERCISES[index], done, target, due)


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (
            [standing(0, done=1, target=14, due=3), standing(2, done=0, target=3, due=1)],
            "Due now: 2 sets of knee presses and 10 bridges.",
        ),
        (
            [standing(0, done=3, target=14, due=3), standing(1, done=1, target=3, due=1)],
            "Nothing is due right now. 13 sets are left for later today.",
        ),
        (
            [standing(0, done=13, target=14, due=13)],
            "Nothing is due right now. One set is left for later today.",
        ),
        ([standing(0, done=14, target=14, due=14)], "You've done all of today's sets. Well done!"),
    ],
)
def test_what_is_due_now(items: list[Standing], expected: str) -> None:
    assert ssml(due_now_sentence(STRINGS, items)) == expected


def test_the_full_wording_of_what_is_due_adds_each_sets_repetitions() -> None:
    full = STRINGS.detailed(lambda: Detail.FULL)
    items = [standing(0, done=1, target=14, due=3), standing(2, done=0, target=3, due=1)]
    said = due_now_sentence(full, items)
    assert said == "Due now: 2 sets of 10 knee presses and 10 bridges."


@pytest.mark.parametrize("locale", load_catalogue().locales)
@pytest.mark.parametrize("detail", list(Detail))
def test_everything_behind_at_once_keeps_the_budget(locale: str, detail: Detail) -> None:
    # The longest answer: every exercise several sets behind (an evening with nothing done).
    strings = load_catalogue().for_locale(locale).detailed(lambda: detail)
    items = [Standing(exercise, done=0, target=14, due=9) for exercise in EXERCISES]
    said = due_now_sentence(strings, items)
    for exercise in EXERCISES:
        assert str(exercise.name[locale]) in said
    assert count_words(spoken_text(said)) <= WORD_BUDGET, said
