"""Deleting everything about a patient: on request after a yes, and when the skill is disabled
without keeping data. Checked row by row in every table, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select

from skill.alexa.endpoint import EXTENSION
from skill.content.plan import Pace
from skill.devtools import envelopes
from skill.devtools.dialog import AlexaReply, Dialog
from skill.store.caregivers import CaregiverAccess
from skill.store.check_ins import CheckIns
from skill.store.exercise_log import Delivery, ExerciseLog
from skill.store.patient_data import patient_tables
from skill.store.patients import PatientStore
from skill.store.reminders import ReminderStore, StoredReminder
from tests.conftest import NOW, TEST_SECRET_KEY

pytestmark = pytest.mark.both_databases

PATIENT, OTHER = envelopes.DEFAULT_USER, "amzn1.ask.account.OTHERPATIENT"


@pytest.fixture
def engine(app: Flask) -> Engine:
    """Two patients with a profile, preferences, sets of every kind and pain scores."""
    engine: Engine = app.extensions[EXTENSION].engine
    patients, exercise_log = PatientStore(engine), ExerciseLog(engine)
    for user in (PATIENT, OTHER):
        patients.save_surgery_date(user, date(2026, 10, 21), locale="en-US")
        patients.update_preferences(user, {"pace": "slow"})
        exercise_log.log_self_report(
            user, "bridges", pace=Pace.SLOW, target=10, at=NOW, key=f"{user}-1"
        )
        started = exercise_log.start(
            user,
            "knee_lifts",
            pace=Pace.SLOW,
            delivery=Delivery.SPEECH,
            target=10,
            at=NOW,
            up_next=["bridges"],
        )
        exercise_log.queue_next(started, "bridges", target=10, at=NOW)
        exercise_log.record_pain(user, 5, at=NOW, set_id=started.set_id)
        CheckIns(engine).save(user, at=NOW, answers={"pain": 8}, alerts=["pain_too_much"])
        access = CaregiverAccess(engine, TEST_SECRET_KEY.encode())
        redeemed = access.redeem(access.issue_code(user, at=NOW), at=NOW)
        assert redeemed == user
        access.open_session(user, at=NOW)
        access.issue_code(user, at=NOW)  # a second, unused code
        reminders = ReminderStore(engine)
        reminder = StoredReminder("knee_presses", f"{user}-alert", (8, 10), "UTC", "en-US", "Hi")
        reminders.save(user, reminder, at=NOW)
        assert reminders.record_prompt(user, reminder.alert_token, at=NOW)
    return engine


def rows_about(engine: Engine, user_id: str) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table.name: connection.scalar(
                select(func.count()).select_from(table).where(table.c.user_id == user_id)
            )
            or 0
            for table in patient_tables()
        }


def test_every_table_about_patients_is_known() -> None:
    # A new table holding patient data must have a user_id column to be deleted with the rest.
    assert {table.name for table in patient_tables()} == {
        "patients",
        "exercise_sets",
        "pain_reports",
        "check_ins",
        "caregiver_codes",
        "caregiver_sessions",
        "reminders",
        "reminder_prompts",
    }


def test_delete_my_data_asks_first_and_deletes_every_row_about_the_patient(
    dialog: Dialog, engine: Engine
) -> None:
    before = rows_about(engine, PATIENT)
    assert all(count > 0 for count in before.values()), before
    ask = dialog.say("DeleteMyDataIntent")
    assert ask.speech.endswith("It can't be undone. Shall I delete it all?")
    assert not ask.ends_session
    assert ask.reprompt
    assert rows_about(engine, PATIENT) == before  # nothing yet
    done = dialog.say("AMAZON.YesIntent")
    assert done.speech == "Done. I've deleted everything I kept about you. Take care."
    assert done.ends_session
    assert rows_about(engine, PATIENT) == dict.fromkeys(before, 0)
    assert all(count > 0 for count in rows_about(engine, OTHER).values())
    # The skill starts afresh for them.
    assert dialog.launch().speech.endswith("When was your surgery?")


def test_no_keeps_everything(dialog: Dialog, engine: Engine) -> None:
    before = rows_about(engine, PATIENT)
    dialog.say("DeleteMyDataIntent")
    kept = dialog.say("AMAZON.NoIntent")
    assert kept.speech == "Okay, I've deleted nothing. Anything else?"
    assert rows_about(engine, PATIENT) == before


def disabled(status: str | None) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if status is not None:
        fields["body"] = {"userInformationPersistenceStatus": status}
    return envelopes.request_of_type(
        "AlexaSkillEvent.SkillDisabled",
        at=NOW,
        eventCreationTime=envelopes.timestamp(NOW),
        eventPublishingTime=envelopes.timestamp(NOW + timedelta(seconds=2)),
        **fields,
    )


@pytest.mark.parametrize(
    ("status", "deleted"), [("NOT_PERSISTED", True), ("PERSISTED", False), (None, False)]
)
def test_disabling_the_skill_without_keeping_data_deletes_it(
    client: FlaskClient, engine: Engine, status: str | None, deleted: bool
) -> None:
    before = rows_about(engine, PATIENT)
    response = client.post("/alexa", json=disabled(status))
    assert response.status_code == 200
    reply = AlexaReply(response.get_json())
    assert "outputSpeech" not in reply.response
    after = rows_about(engine, PATIENT)
    assert after == (dict.fromkeys(before, 0) if deleted else before)
    assert all(count > 0 for count in rows_about(engine, OTHER).values())
