"""'How am I doing?': the weekly report from a seeded log, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import Engine

from skill.alexa.endpoint import EXTENSION
from skill.content.plan import Pace
from skill.devtools import envelopes
from skill.devtools.dialog import Dialog
from skill.sets.chunks import SPEECH_MS_PER_CHAR
from skill.store.check_ins import CheckIns
from skill.store.exercise_log import Delivery, ExerciseLog
from skill.store.patients import PatientStore
from tests.conftest import NOW

# Reads calendar dates: `make test` runs it again with the clock moved years ahead.
pytestmark = [pytest.mark.date_sensitive, pytest.mark.both_databases]

USER = envelopes.DEFAULT_USER
SURGERY = date(2026, 10, 21)
# NOW is Friday 20 November, 10:00 in New York: the week is 14 to 20 November.


def at(day: int, hour: int = 12) -> datetime:
    """Noon (UTC) on a November day."""
    return datetime(2026, 11, day, hour, tzinfo=UTC)


@pytest.fixture
def engine(app: Flask) -> Engine:
    engine: Engine = app.extensions[EXTENSION].engine
    PatientStore(engine).save_surgery_date(USER, SURGERY, locale="en-US")
    return engine


@pytest.fixture
def seeded(engine: Engine) -> None:
    exercise_log, check_ins = ExerciseLog(engine), CheckIns(engine)
    for n in range(20):
        exercise_log.log_self_report(
            USER, "knee_presses", pace=Pace.NORMAL, target=10, at=at(14 + n % 7), key=f"p{n}"
        )
    for n in range(5):
        exercise_log.log_self_report(
            USER, "bridges", pace=Pace.NORMAL, target=10, at=at(15 + n), key=f"b{n}"
        )
    exercise_log.log_self_report(
        USER, "bridges", pace=Pace.NORMAL, target=10, at=at(10), key="old"
    )  # earlier
    exercise_log.start(
        USER, "knee_lifts", pace=Pace.NORMAL, delivery=Delivery.SPEECH, target=10, at=at(19)
    )
    exercise_log.record_pain(USER, 6, at=at(8))  # the week before
    exercise_log.record_pain(USER, 6, at=at(12))
    exercise_log.record_pain(USER, 4, at=at(16))  # this week
    check_ins.save(USER, at=at(17), answers={"pain": 4}, alerts=[])
    check_ins.save(USER, at=at(19), answers={"pain": 4, "worried": True}, alerts=["recovery_worry"])


@pytest.mark.usefixtures("seeded")
def test_the_weekly_report_from_the_log(dialog: Dialog) -> None:
    reply = dialog.say("ProgressSummaryIntent")
    assert reply.speech == (
        "In the last 7 days: knee presses, 20 of 98 sets, knee lifts, 0 of 21 sets, and bridges, "
        "5 of 21 sets. Pain averaged 4, down from 6 the week before. "
        "The last check-in was on Thursday, November 19. One check-in this week raised an alert. "
        "From week 6, that's Wednesday, December 2, you can gradually go back to work, depending "
        "on your job, and start driving and cycling with short rides, if your legs and back have "
        "good feeling and strength. Anything else?"
    )
    assert len(reply.speech) * SPEECH_MS_PER_CHAR < 45_000
    assert not reply.ends_session
    assert reply.reprompt


@pytest.mark.usefixtures("engine")
def test_a_new_patient_hears_the_targets_and_the_next_milestone_only(dialog: Dialog) -> None:
    reply = dialog.say("ProgressSummaryIntent")
    assert reply.speech.startswith(
        "In the last 7 days: knee presses, 0 of 98 sets, knee lifts, 0 of 21 sets, and bridges, "
        "0 of 21 sets. From week 6"
    )
    assert "Pain" not in reply.speech
    assert "check-in" not in reply.speech


def test_the_report_needs_the_surgery_date(dialog: Dialog) -> None:
    assert dialog.say("ProgressSummaryIntent").speech == (
        "First, I need your surgery date. When was your surgery?"
    )


@pytest.mark.usefixtures("engine")
def test_pain_going_up_is_said_as_such(dialog: Dialog, engine: Engine) -> None:
    exercise_log = ExerciseLog(engine)
    exercise_log.record_pain(USER, 2, at=NOW - timedelta(days=9))
    exercise_log.record_pain(USER, 5, at=NOW - timedelta(days=1))
    assert (
        "Pain averaged 5, up from 2 the week before." in dialog.say("ProgressSummaryIntent").speech
    )
