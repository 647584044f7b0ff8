"""'How do I do this?' (HowToIntent): the plan's starting position and the instruction of the
exercise named, of the set in progress, or of the most due one, then one question: start it,
or go on with the set."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine

from skill.alexa.endpoint import EXTENSION
from skill.content.plan import load_plan
from skill.content.strings import load_catalogue
from skill.devtools import envelopes
from skill.devtools.dialog import AlexaReply, Dialog
from skill.store.exercise_log import ExerciseLog
from skill.store.patients import PatientStore

USER = envelopes.DEFAULT_USER
PLAN = load_plan()
STRINGS = load_catalogue().for_locale("en-US")
POSITION = PLAN.in_bed_exercises.starting_position.text["en-US"]
SURGERY = date(2026, 10, 21)  # 4 weeks and 2 days before NOW: every exercise allowed


@pytest.fixture
def engine(app: Flask) -> Engine:
    engine: Engine = app.extensions[EXTENSION].engine
    return engine


@pytest.fixture
def patient(engine: Engine) -> None:
    PatientStore(engine).save_surgery_date(USER, SURGERY, locale="en-US")


def _exercise(value: str, exercise_id: str | None = None) -> dict[str, Any]:
    return envelopes.slot("exercise", value, resolved_id=exercise_id or "", authority="EXERCISE")


def _instruction(exercise_id: str) -> str:
    exercise = PLAN.exercise(exercise_id)
    assert exercise is not None
    return exercise.instruction["en-US"]


def _explains(reply: AlexaReply, exercise_id: str, question: str) -> None:
    """The position, then the exercise's instruction, then the one question; nothing else."""
    name = PLAN.exercise(exercise_id)
    assert name is not None
    expected_question = STRINGS.plain(question, exercise=name.name["en-US"])
    assert reply.speech == f"{POSITION} {_instruction(exercise_id)} {expected_question}"
    assert not reply.ends_session
    assert reply.reprompt == STRINGS.plain(f"{question}_reprompt", exercise=name.name["en-US"])
    assert len(reply.reprompt) < len(expected_question)


@pytest.mark.parametrize("exercise_id", [e.id for e in PLAN.in_bed_exercises.exercises])
def test_how_to_do_a_named_exercise_then_yes_starts_it(
    dialog: Dialog, patient: None, engine: Engine, exercise_id: str
) -> None:
    dialog.launch()
    reply = dialog.say("HowToIntent", exercise=_exercise(exercise_id, exercise_id))
    _explains(reply, exercise_id, "session.how_to_start")
    started = dialog.say("AMAZON.YesIntent")
    current = ExerciseLog(engine).current(USER)
    assert current is not None
    assert current.exercise_id == exercise_id
    assert "1." in started.speech


def test_how_to_without_a_name_explains_the_most_due_exercise(
    dialog: Dialog, patient: None
) -> None:
    dialog.launch()
    # At 10:00 the hourly knee presses are the most due (the progress answer offers them first).
    due = dialog.say("ProgressTodayIntent")
    assert "knee presses" in due.speech.rsplit(".", 1)[-1]
    _explains(dialog.say("HowToIntent"), "knee_presses", "session.how_to_start")


def test_how_to_during_a_set_explains_that_set_and_yes_goes_on_from_where_it_stopped(
    dialog: Dialog, patient: None, engine: Engine
) -> None:
    dialog.launch()
    dialog.say("StartExerciseIntent", exercise=_exercise("bridges", "bridges"))
    reply = dialog.say("HowToIntent")
    _explains(reply, "bridges", "session.how_to_go_on")
    went_on = dialog.say("AMAZON.YesIntent")
    assert "6." in went_on.speech
    assert POSITION not in went_on.speech


def test_no_after_how_to_during_a_set_rests_and_the_set_waits(
    dialog: Dialog, patient: None, engine: Engine
) -> None:
    dialog.launch()
    dialog.say("StartExerciseIntent", exercise=_exercise("bridges", "bridges"))
    _explains(dialog.say("HowToIntent"), "bridges", "session.how_to_go_on")
    rested = dialog.say("AMAZON.NoIntent")
    assert rested.speech == STRINGS.plain("session.paused")
    current = ExerciseLog(engine).current(USER)  # not put aside: 'resume' goes on from 6
    assert current is not None
    assert current.exercise_id == "bridges"
    dialog.launch()
    assert "6." in dialog.say("AMAZON.ResumeIntent").speech


def test_how_to_an_unknown_exercise_asks_which(dialog: Dialog, patient: None) -> None:
    dialog.launch()
    reply = dialog.say("HowToIntent", exercise=_exercise("push ups"))
    assert reply.speech.endswith(STRINGS.plain("session.which"))
    assert not reply.ends_session
