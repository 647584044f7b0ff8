"""Attack: read a patient's deleted data back from the SQLite files. After "delete my data"
neither the database file nor its -wal file holds the patient's id or a value they stored
(secure_delete zeroes the freed space, a TRUNCATE checkpoint empties the WAL)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine

from skill.alexa.endpoint import EXTENSION
from skill.content.plan import Pace
from skill.devtools import envelopes
from skill.devtools.dialog import Dialog
from skill.store.check_ins import CheckIns
from skill.store.exercise_log import ExerciseLog
from skill.store.patient_data import PatientData
from skill.store.patients import PatientStore
from tests.conftest import NOW

PATIENT, OTHER = envelopes.DEFAULT_USER, "amzn1.ask.account.KEPTPATIENTKEPTPATIENT"
SECRET, KEPT = "zqxj-deleted-distinctive-value", "zqxj-kept-distinctive-value"


def store_some(engine: Engine, user: str, value: str) -> None:
    PatientStore(engine).save_surgery_date(user, date(2026, 10, 21), locale="en-US")
    log = ExerciseLog(engine)
    for n in range(30):  # enough rows to spread over several pages
        log.log_self_report(user, f"{value}-{n}", pace=Pace.SLOW, target=10, at=NOW, key=f"{n}")
    CheckIns(engine).save(user, at=NOW, answers={"pain": 2}, alerts=[value])


def on_disk(engine: Engine) -> bytes:
    """The bytes of the database file and of its WAL (if there is one)."""
    database = Path(str(engine.url.database))
    wal = database.with_name(database.name + "-wal")
    return database.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


@pytest.fixture
def engine(app: Flask) -> Engine:
    engine: Engine = app.extensions[EXTENSION].engine
    assert engine.dialect.name == "sqlite"
    store_some(engine, PATIENT, SECRET)
    store_some(engine, OTHER, KEPT)
    before = on_disk(engine)
    assert PATIENT.encode() in before
    assert SECRET.encode() in before
    return engine


def test_deleting_by_voice_leaves_nothing_on_disk(dialog: Dialog, engine: Engine) -> None:
    dialog.say("DeleteMyDataIntent")
    assert dialog.say("AMAZON.YesIntent").speech.startswith("Done. I've deleted everything")
    after = on_disk(engine)
    assert PATIENT.encode() not in after
    assert SECRET.encode() not in after
    assert KEPT.encode() in after  # the search finds what is still stored


def test_deleting_through_the_store_leaves_nothing_on_disk(engine: Engine) -> None:
    PatientData(engine).delete(PATIENT)
    after = on_disk(engine)
    assert PATIENT.encode() not in after
    assert SECRET.encode() not in after
    assert OTHER.encode() in after
