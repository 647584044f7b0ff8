"""'Shorter' / 'more detail': the wording the patient chose, kept from one session to the next,
on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask

from skill.alexa.endpoint import EXTENSION
from skill.content.strings import Detail
from skill.devtools import envelopes
from skill.devtools.dialog import Dialog
from skill.store.patients import PatientStore

# Reads calendar dates: `make test` runs it again with the clock moved years ahead.
pytestmark = [pytest.mark.date_sensitive, pytest.mark.both_databases]

USER = envelopes.DEFAULT_USER


@pytest.fixture
def store(app: Flask) -> PatientStore:
    store = PatientStore(app.extensions[EXTENSION].engine)
    store.save_surgery_date(USER, date(2026, 10, 21), locale="en-US")
    return store


def test_more_detail_is_remembered_and_shorter_goes_back(
    dialog: Dialog, store: PatientStore
) -> None:
    dialog.launch()
    brief = dialog.say("MilestonesIntent").speech
    chosen = dialog.say("MoreDetailIntent")
    assert chosen.speech == "Okay, I'll give you more detail from now on. Anything else?"
    assert not chosen.ends_session
    record = store.get(USER)
    assert record is not None
    assert record.speech_detail is Detail.FULL
    dialog.launch()  # a new session
    full = dialog.say("MilestonesIntent").speech
    assert "depending on your job" in full
    assert "depending on your job" not in brief
    assert dialog.say("ShorterAnswersIntent").speech == "Okay, I'll keep it short. Anything else?"
    assert dialog.say("MilestonesIntent").speech == brief


def test_more_detail_with_no_question_open_sets_the_choice(
    dialog: Dialog, store: PatientStore
) -> None:
    dialog.launch()
    dialog.say(
        "ContactIntent"
    )  # leaves 'want the other number?' open: "more detail" is not an answer
    dialog.say("MoreDetailIntent")
    record = store.get(USER)
    assert record is not None
    assert record.speech_detail is Detail.FULL
    assert dialog.say("ContactIntent").speech.startswith(
        "Call the Physical Therapy department on 088 979 23 23, Monday to Friday, 8 am to 4:30 pm."
    )


def test_a_new_patient_can_choose_before_giving_the_surgery_date(
    dialog: Dialog, app: Flask
) -> None:
    dialog.launch()
    dialog.say("MoreDetailIntent")
    record = PatientStore(app.extensions[EXTENSION].engine).get(USER)
    assert record is not None
    assert record.speech_detail is Detail.FULL
    assert record.surgery_date is None
