"""How the patient's reminders fared over a stretch of time, from the stores: the reminders that
went off (skill/store/reminders.py) and the sets done after them (skill/store/exercise_log.py),
counted by `skill.recovery.adherence`. The weekly summary and the caregiver page both ask here.
"""

from __future__ import annotations

from datetime import datetime

from skill.recovery.adherence import FOLLOWED_WITHIN, Prompt, ReminderAdherence, reminder_adherence
from skill.recovery.reminder_schedule import ReminderSlot
from skill.store.exercise_log import ExerciseLog
from skill.store.reminders import ReminderStore


def adherence_between(
    reminders: ReminderStore,
    exercise_log: ExerciseLog,
    user_id: str,
    start: datetime,
    end: datetime,
) -> ReminderAdherence:
    """The reminders that went off in [start, end), and how many a complete set of an exercise
    they named followed within the hour (a set up to an hour after `end` still counts)."""
    fired = reminders.prompts(user_id, start, end)
    if not fired:
        return ReminderAdherence(prompts=0, followed=0)
    prompts = [Prompt(fired_at, ReminderSlot.exercises_of(key)) for key, fired_at in fired]
    completed = exercise_log.completed_times(user_id, start, end + FOLLOWED_WITHIN)
    return reminder_adherence(prompts, completed)
