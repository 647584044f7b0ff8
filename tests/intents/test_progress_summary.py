"""'How am I doing?': the weekly report from a seeded log, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import Engine

from skill.alexa.endpoint import EXTENSION
from skill.content.plan import Pace
from skill.content.strings import Detail
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
def test_the_headline_first_then_the_details_on_request(dialog: Dialog) -> None:
    reply = dialog.say("ProgressSummaryIntent")
    # 25 complete sets of 140 (98 + 21 + 21); pain averaged 4 this week, 6 the week before.
    assert reply.speech == "This week, 25 of 140 sets, and pain down to 4 from 6. Want the details?"
    assert reply.reprompt == "The details?"
    assert reply.session_attributes["pending"] == {"kind": "details", "said": 0}
    details = dialog.say("AMAZON.YesIntent")
    assert details.speech == (
        "By exercise: knee presses, 20 of 98, knee lifts, 0 of 21, and bridges, 5 of 21. "
        "Last check-in: Thursday, November 19. One check-in this week raised an alert. "
        "Want to hear what's next?"
    )
    assert len(details.speech) * SPEECH_MS_PER_CHAR < 45_000
    assert not details.ends_session
    assert details.reprompt
    upcoming = dialog.say("AMAZON.YesIntent")
    assert upcoming.speech.startswith("From Wednesday, December 2, you can start driving")


@pytest.mark.usefixtures("seeded")
def test_tell_me_more_gives_the_details_and_no_gives_the_floor_back(dialog: Dialog) -> None:
    dialog.say("ProgressSummaryIntent")
    assert dialog.say("MoreDetailIntent").speech.startswith("By exercise: knee presses, 20 of 98")
    dialog.say("ProgressSummaryIntent")
    declined = dialog.say("AMAZON.NoIntent")
    assert declined.speech == "Anything else?"
    assert not declined.ends_session


@pytest.mark.usefixtures("seeded")
def test_a_patient_who_chose_more_detail_hears_the_full_headline(
    dialog: Dialog, engine: Engine
) -> None:
    PatientStore(engine).save_speech_detail(USER, Detail.FULL)
    assert dialog.say("ProgressSummaryIntent").speech == (
        "In the last 7 days you did 25 of your 140 sets, and your pain averaged 4, down from 6 "
        "the week before. Want the details?"
    )


@pytest.mark.usefixtures("engine")
def test_a_new_patient_hears_the_targets_and_no_pain_or_check_in(dialog: Dialog) -> None:
    reply = dialog.say("ProgressSummaryIntent")
    assert reply.speech == "This week, 0 of 140 sets. Want the details?"
    details = dialog.say("AMAZON.YesIntent")
    assert details.speech.startswith(
        "By exercise: knee presses, 0 of 98, knee lifts, 0 of 21, and bridges, 0 of 21. "
        "Want to hear what's next?"
    )
    assert "check-in" not in details.speech


def test_the_report_needs_the_surgery_date(dialog: Dialog) -> None:
    assert dialog.say("ProgressSummaryIntent").speech == (
        "First, I need your surgery date. When was your surgery?"
    )


@pytest.mark.usefixtures("engine")
def test_pain_going_up_is_said_as_such(dialog: Dialog, engine: Engine) -> None:
    exercise_log = ExerciseLog(engine)
    exercise_log.record_pain(USER, 2, at=NOW - timedelta(days=9))
    exercise_log.record_pain(USER, 5, at=NOW - timedelta(days=1))
    assert dialog.say("ProgressSummaryIntent").speech == (
        "This week, 0 of 140 sets, and pain up to 5 from 2. Want the details?"
    )
