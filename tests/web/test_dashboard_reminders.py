"""The caregiver's dashboard beside the reminders: how many of the week's reminders a set
followed within the hour, and daily targets over the patient's own waking hours, on SQLite and
PostgreSQL."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine

from skill.alexa.endpoint import EXTENSION
from skill.content.plan import Pace
from skill.store.exercise_log import ExerciseLog
from skill.store.patients import PatientStore
from skill.store.reminders import ReminderStore, StoredReminder
from tests.care_support import PATIENT, code_for, enter
from tests.conftest import NOW

# Reads calendar dates: `make test` runs it again with the clock moved years ahead.
pytestmark = [pytest.mark.date_sensitive, pytest.mark.both_databases]

SURGERY = date(2026, 11, 6)
ALL_THREE = "knee_presses+knee_lifts+bridges"
LINE = re.compile(r'<p id="reminders">\s*(.*?)\s*</p>', re.DOTALL)


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "CLOCK": lambda: NOW}


@pytest.fixture
def engine(app: Flask) -> Engine:
    engine: Engine = app.extensions[EXTENSION].engine
    PatientStore(engine).save_surgery_date(PATIENT, SURGERY, locale="en-US")
    return engine


def remind(engine: Engine, slot_key: str, *fired: datetime) -> None:
    """A reminder of `slot_key` at Amazon, gone off at each of `fired`."""
    store, token = ReminderStore(engine), f"token-{slot_key}"
    store.save(
        PATIENT,
        StoredReminder(slot_key, token, (9,), "America/New_York", "en-US", "Time"),
        at=NOW - timedelta(days=20),
    )
    for at in fired:
        assert store.record_prompt(PATIENT, token, at=at)


def done(engine: Engine, exercise: str, at: datetime) -> None:
    ExerciseLog(engine).log_self_report(
        PATIENT, exercise, pace=Pace.NORMAL, target=10, at=at, key=f"{exercise}-{at.isoformat()}"
    )


def page(client: FlaskClient, lang: str = "en-US") -> str:
    assert enter(client, code_for(client, PATIENT)).status_code == 303
    response = client.get(f"/care?lang={lang}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def knee_presses_target(html: str) -> int:
    found = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', html)
    assert found is not None
    exercises = json.loads(found.group(1))["exercises"]
    assert exercises[0]["name"] == "knee presses"
    target: int = exercises[0]["target"]
    return target


@pytest.mark.parametrize(
    ("lang", "line"),
    [
        ("en-US", "Reminders this week: 2 of 4 followed by exercises within the hour"),
        ("en-GB", "Reminders this week: 2 of 4 followed by exercises within the hour"),
        ("nl", "Herinneringen deze week: 2 van de 4 binnen het uur opgevolgd met oefeningen"),
    ],
)
def test_the_weeks_reminders_beside_the_sets_that_followed_them(
    client: FlaskClient, engine: Engine, lang: str, line: str
) -> None:
    yesterday, before = NOW - timedelta(days=1), NOW - timedelta(days=2)
    hour = timedelta(hours=1)
    remind(engine, "knee_presses", yesterday, yesterday + hour, yesterday + 2 * hour)
    remind(engine, ALL_THREE, before, NOW - timedelta(days=10))
    done(engine, "knee_presses", yesterday + timedelta(minutes=10))  # follows the first
    done(engine, "bridges", before + timedelta(minutes=30))  # named by the all-three reminder
    done(engine, "knee_presses", yesterday + 3 * hour + timedelta(minutes=1))  # too late
    # Ten days ago is not this week, followed or not.
    done(engine, "bridges", NOW - timedelta(days=10) + timedelta(minutes=5))
    found = LINE.search(page(client, lang))
    assert found is not None
    assert found.group(1) == line


def test_no_line_when_no_reminder_went_off(client: FlaskClient, engine: Engine) -> None:
    remind(engine, "knee_presses")
    done(engine, "knee_presses", NOW - timedelta(hours=2))
    html = page(client)
    assert 'id="reminders"' not in html
    assert "Recovery timeline" in html


def test_daily_targets_follow_the_patients_own_waking_hours(
    client: FlaskClient, engine: Engine
) -> None:
    # The plan's day is 8:00 to 22:00: a knee-press set every waking hour, 14 a day.
    assert knee_presses_target(page(client)) == 14
    PatientStore(engine).save_waking_hours(PATIENT, 9, 21)  # "remind me from nine till nine"
    assert knee_presses_target(client.get("/care").get_data(as_text=True)) == 12
