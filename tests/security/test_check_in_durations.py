"""Attack: odd or huge durations as check-in answers. Only hours and minutes up to a day are
understood; anything else is asked again, never stored as 0 nor a crash."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from skill.alexa.endpoint import EXTENSION
from skill.devtools import envelopes
from skill.devtools.dialog import Dialog
from skill.store.check_ins import CheckIns
from tests.conftest import NOW

WALK_Q = "About how many minutes did you walk today?"
SIT_Q = "About how many minutes can you sit comfortably?"
NOT_UNDERSTOOD = f"Sorry, I didn't get that. {WALK_Q}"


def duration(value: str) -> dict[str, Any]:
    return {"duration": envelopes.slot("duration", value)}


def at_the_walk_question(dialog: Dialog) -> None:
    dialog.say("CheckInIntent")
    assert dialog.say("PainScoreIntent", score="3").speech.endswith(WALK_Q)


@pytest.mark.parametrize(
    "said",
    [
        "P1Y",  # isodate read it as a Duration of 0 seconds: "0 minutes"
        "P1M",
        "P1W",
        "P1D",
        "P99999999999D",  # isodate overflowed
        "PT99999999999999H",
        "PT99999999999999999999M",
        "PT25H",
        "PT24H1M",
        "PT1441M",
        "PT30S",
        "PT1.5H",
        "PT0.5M",
        "-PT5M",
        "PT",
        "P",
        "PT5M\n",
        "PT٣M",  # an Arabic-Indic digit: int() would read it
        "",
    ],
)
def test_a_duration_not_in_hours_and_minutes_up_to_a_day_is_asked_again(
    dialog: Dialog, said: str
) -> None:
    at_the_walk_question(dialog)
    reply = dialog.say("CheckInMinutesIntent", **duration(said))
    assert reply.speech == NOT_UNDERSTOOD
    assert not reply.ends_session


@pytest.mark.parametrize("said", ["99999999999999999999", "²", "٣", "-5", "1e3", "12345678"])
def test_a_number_not_in_plain_ascii_digits_in_range_is_asked_again(
    dialog: Dialog, said: str
) -> None:
    at_the_walk_question(dialog)
    reply = dialog.say("CheckInMinutesIntent", minutes=envelopes.slot("minutes", said))
    assert reply.speech == NOT_UNDERSTOOD


@pytest.mark.parametrize(
    ("said", "walked"), [("PT24H", 24 * 60), ("PT1H30M", 90), ("PT0M", 0), ("PT2H", 120)]
)
def test_hours_and_minutes_up_to_a_day_are_stored_as_minutes(
    dialog: Dialog, app: Flask, said: str, walked: int
) -> None:
    at_the_walk_question(dialog)
    assert dialog.say("CheckInMinutesIntent", **duration(said)).speech.endswith(SIT_Q)
    dialog.say("SkipIntent")
    dialog.say("SkipIntent")
    check_ins = CheckIns(app.extensions[EXTENSION].engine)
    [saved] = check_ins.since(envelopes.DEFAULT_USER, NOW - timedelta(days=1))
    assert saved.walk_minutes == walked
