"""'How am I doing?' counts the week's reminders beside the sets that followed them: reminders
set up against the fake Amazon, going off as Amazon's Reminders.ReminderStarted events, sets
done within the hour or later, through POST /alexa on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import Engine

from skill.alexa.endpoint import EXTENSION
from skill.content.plan import Pace
from skill.content.strings import Detail
from skill.devtools import envelopes
from skill.recovery.reminder_schedule import ReminderSlot
from skill.store.check_ins import CheckIns
from skill.store.exercise_log import ExerciseLog
from skill.store.patients import PatientStore
from skill.store.reminders import ReminderStore
from tests.conftest import NOW
from tests.reminders.conftest import Patient

# Reads calendar dates: `make test` runs it again with the clock moved years ahead.
pytestmark = [pytest.mark.date_sensitive, pytest.mark.both_databases]

USER = envelopes.DEFAULT_USER
ALL_THREE = "knee_presses+knee_lifts+bridges"
# NOW is Friday 20 November, 10:00 in New York; the reminders go off the day before.
DAY_BEFORE = NOW - timedelta(days=1)


def hour(hours: float) -> datetime:
    """`hours` after 10:00 in New York on Thursday 19 November (15:00 UTC)."""
    return DAY_BEFORE + timedelta(hours=hours)


def tokens(app: Flask) -> dict[str, str]:
    engine: Engine = app.extensions[EXTENSION].engine
    return {item.slot_key: item.alert_token for item in ReminderStore(engine).all(USER)}


def goes_off(patient: Patient, token: str, at: datetime) -> None:
    """Amazon tells the skill a reminder went off at `at`."""
    patient.at = at
    patient.event(
        envelopes.reminder_event(
            "ReminderStarted", at=at, alert_tokens=(token,), **patient.options()
        )
    )


def done(app: Flask, exercise: str, at: datetime) -> None:
    """A complete set of `exercise` ended at `at`."""
    ExerciseLog(app.extensions[EXTENSION].engine).log_self_report(
        USER, exercise, pace=Pace.NORMAL, target=10, at=at, key=f"{exercise}-{at.isoformat()}"
    )


def a_week_of_reminders(patient: Patient, app: Flask) -> None:
    """Reminders set up the day before; four go off, two are followed within the hour:
    - 11:00 knee presses: a set of knee presses at 11:20 (followed);
    - 12:00 knee presses: bridges at 12:10 (not named by it), knee presses at 13:05 (too late);
    - 14:00 all three: bridges at 14:45 (followed);
    - 16:00 knee presses: nothing until knee lifts at 17:30."""
    patient.at = DAY_BEFORE
    patient.say("SetRemindersIntent")
    slots = tokens(app)
    assert set(slots) == {"knee_presses", ALL_THREE}
    for fired, slot in (
        (1, "knee_presses"),
        (2, "knee_presses"),
        (4, ALL_THREE),
        (6, "knee_presses"),
    ):
        goes_off(patient, slots[slot], hour(fired))
    for exercise, at in (
        ("knee_presses", 1 + 20 / 60),
        ("bridges", 2 + 10 / 60),
        ("knee_presses", 3 + 5 / 60),
        ("bridges", 4.75),
        ("knee_lifts", 7.5),
    ):
        done(app, exercise, hour(at))
    patient.at = NOW


def details(patient: Patient) -> str:
    patient.say("ProgressSummaryIntent")
    reply = patient.say("AMAZON.YesIntent")
    assert reply.reprompt
    return reply.speech


@pytest.mark.parametrize(
    ("locale", "sets", "reminders", "question"),
    [
        (
            "en-US",
            "By exercise: knee presses, 2 of 98, knee lifts, 1 of 21, and bridges, 2 of 21.",
            "Reminders: 2 of 4 followed within the hour.",
            "Want to hear what's next?",
        ),
        (
            "en-GB",
            "By exercise: knee presses, 2 of 98, knee lifts, 1 of 21 and bridges, 2 of 21.",
            "Reminders: 2 of 4 followed within the hour.",
            "Would you like to hear what's next?",
        ),
        (
            "nl-NL",
            "Sets: knieën aandrukken 2 van de 98, knie optrekken 1 van de 21 en bruggetjes 2 van "
            "de 21.",
            "Herinneringen: 2 van de 4 binnen het uur opgevolgd.",
            "Wilt u horen wat er hierna komt?",
        ),
    ],
)
def test_the_details_count_reminders_followed_by_a_set_within_the_hour(
    patient: Patient, app: Flask, locale: str, sets: str, reminders: str, question: str
) -> None:
    patient.locale = locale
    a_week_of_reminders(patient, app)
    assert details(patient) == f"{sets} {reminders} {question}"


def test_no_reminder_gone_off_says_nothing_of_reminders(patient: Patient, app: Flask) -> None:
    patient.at = DAY_BEFORE
    patient.say("SetRemindersIntent")
    done(app, "knee_presses", hour(1))
    patient.at = NOW
    said = details(patient)
    assert said.startswith("By exercise: knee presses, 1 of 98,")
    assert "Reminders" not in said


def test_only_the_last_seven_days_count(patient: Patient, app: Flask) -> None:
    a_week_of_reminders(patient, app)
    # Friday 13 November, 11:00 in New York: the week before the summary's (14 to 20 November).
    earlier = hour(1) - timedelta(days=6)
    goes_off(patient, tokens(app)["knee_presses"], earlier)
    done(app, "knee_presses", earlier + timedelta(minutes=10))
    patient.at = NOW
    assert "Reminders: 2 of 4 followed within the hour." in details(patient)


def test_one_reminder_is_said_in_the_singular(patient: Patient, app: Flask) -> None:
    patient.at = DAY_BEFORE
    patient.say("SetRemindersIntent")
    goes_off(patient, tokens(app)["knee_presses"], hour(1))
    done(app, "knee_presses", hour(1.5))
    patient.at = NOW
    assert "Reminders: 1 of 1 followed within the hour." in details(patient)


@pytest.mark.parametrize(
    ("detail", "said"),
    [
        (Detail.BRIEF, "Herinneringen: 1 van 1 binnen het uur opgevolgd."),
        (Detail.FULL, "Van 1 herinnering: 1 binnen het uur opgevolgd met oefeningen."),
    ],
)
def test_one_reminder_is_said_in_natural_dutch(
    patient: Patient, app: Flask, detail: Detail, said: str
) -> None:
    PatientStore(app.extensions[EXTENSION].engine).save_speech_detail(USER, detail)
    patient.locale = "nl-NL"
    patient.at = DAY_BEFORE
    patient.say("SetRemindersIntent")
    goes_off(patient, tokens(app)["knee_presses"], hour(1))
    done(app, "knee_presses", hour(1.5))
    patient.at = NOW
    assert said in details(patient)


def test_a_patient_who_chose_more_detail_hears_the_full_sentence(
    patient: Patient, app: Flask
) -> None:
    PatientStore(app.extensions[EXTENSION].engine).save_speech_detail(USER, Detail.FULL)
    a_week_of_reminders(patient, app)
    assert "Of 4 reminders, 2 were followed by exercises within the hour." in details(patient)


@pytest.mark.parametrize(
    ("locale", "before", "rest", "reprompt", "after"),
    [
        (
            "en-US",
            "One check-in this week raised an alert. Want to hear the rest?",
            "Reminders: 2 of 4 followed within the hour. Want to hear what's next?",
            "The rest?",
            "Want to hear what's next?",
        ),
        (
            "nl-NL",
            "Eén check-in gaf deze week alarm. Wilt u de rest ook horen?",
            "Herinneringen: 2 van de 4 binnen het uur opgevolgd. Wilt u horen wat er hierna komt?",
            "De rest?",
            "Wilt u horen wat er hierna komt?",
        ),
    ],
)
def test_details_over_the_word_budget_keep_the_rest_for_a_yes(
    patient: Patient,
    app: Flask,
    locale: str,
    before: str,
    rest: str,
    reprompt: str,
    after: str,
) -> None:
    # With a check-in that raised an alert, the reminders' sentence no longer fits one answer.
    patient.locale = locale
    a_week_of_reminders(patient, app)
    CheckIns(app.extensions[EXTENSION].engine).save(
        USER, at=hour(2), answers={"worried": True}, alerts=["recovery_worry"]
    )
    patient.say("ProgressSummaryIntent")
    first = patient.say("AMAZON.YesIntent")
    assert first.speech.endswith(before)
    assert first.reprompt == reprompt
    assert "2 van de 4" not in first.speech
    assert "2 of 4" not in first.speech
    assert first.session_attributes["pending"] == {"kind": "details", "said": 3}
    second = patient.say("AMAZON.YesIntent")
    assert second.speech == rest
    assert second.reprompt
    # A 'no' to the rest gives the floor back.
    patient.say("ProgressSummaryIntent")
    patient.say("AMAZON.YesIntent")
    declined = patient.say("AMAZON.NoIntent")
    assert not declined.ends_session
    assert after not in declined.speech


def test_a_prompt_names_what_its_slot_key_holds() -> None:
    slot = ReminderSlot(("knee_presses", "knee_lifts", "bridges"), (9, 14, 19))
    assert ReminderSlot.exercises_of(slot.key) == slot.exercises
