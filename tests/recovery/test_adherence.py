"""Reminders followed by a set within the hour, counted from when each went off and sets ended."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from skill.recovery.adherence import Prompt, ReminderAdherence, reminder_adherence

NINE = datetime(2026, 11, 20, 9, tzinfo=UTC)
PRESSES = ("knee_presses",)
ALL_THREE = ("knee_presses", "knee_lifts", "bridges")


def test_a_set_of_a_named_exercise_within_the_hour_follows_the_reminder() -> None:
    prompts = [Prompt(NINE, PRESSES), Prompt(NINE + timedelta(hours=1), PRESSES)]
    completed = [("knee_presses", NINE + timedelta(minutes=12))]
    assert reminder_adherence(prompts, completed) == ReminderAdherence(prompts=2, followed=1)


def test_the_hour_is_half_open_and_sets_before_the_reminder_do_not_count() -> None:
    prompts = [Prompt(NINE, PRESSES)]
    assert reminder_adherence(prompts, [("knee_presses", NINE + timedelta(hours=1))]).followed == 0
    assert (
        reminder_adherence(prompts, [("knee_presses", NINE - timedelta(minutes=1))]).followed == 0
    )
    assert reminder_adherence(prompts, [("knee_presses", NINE)]).followed == 1


def test_only_the_exercises_a_reminder_named_follow_it() -> None:
    completed = [("bridges", NINE + timedelta(minutes=5))]
    assert reminder_adherence([Prompt(NINE, PRESSES)], completed).followed == 0
    assert reminder_adherence([Prompt(NINE, ALL_THREE)], completed).followed == 1


def test_one_set_may_follow_two_reminders_and_many_sets_follow_one_once() -> None:
    prompts = [Prompt(NINE, PRESSES), Prompt(NINE + timedelta(minutes=30), PRESSES)]
    completed = [("knee_presses", NINE + timedelta(minutes=40 + m)) for m in range(3)]
    assert reminder_adherence(prompts, completed) == ReminderAdherence(prompts=2, followed=2)


def test_no_reminders_count_nothing() -> None:
    assert reminder_adherence([], [("knee_presses", NINE)]) == ReminderAdherence(0, 0)
