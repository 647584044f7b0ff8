"""Local understanding: typed text to intent and slots, from the interaction model."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from skill.devtools.simulator.spoken_values import date_value, duration_value, number_value
from skill.devtools.simulator.understanding import FALLBACK, Understanding, normalise

# Reads calendar dates: `make test` runs it again with the clock moved years ahead.
pytestmark = pytest.mark.date_sensitive

NOW = datetime(2026, 11, 20, 10, 0)
MODEL_PATH = Path(__file__).parents[2] / "interaction_model" / "en-US.json"
MODEL: dict[str, Any] = json.loads(MODEL_PATH.read_text())
LANGUAGE = MODEL["interactionModel"]["languageModel"]
# A value of each type to put in a sample's slot.
EXAMPLES = {
    "AMAZON.NUMBER": "seven",
    "AMAZON.DATE": "october twenty first",
    "AMAZON.DURATION": "three weeks",
    "AMAZON.TIME": "nine",
}


@pytest.fixture(scope="module")
def understanding() -> Understanding:
    return Understanding(MODEL)


def custom_example(type_name: str) -> tuple[str, str]:
    """The first value of a custom type: (what is said, its id)."""
    custom = next(t for t in LANGUAGE["types"] if t["name"] == type_name)
    value = custom["values"][0]
    return value["name"]["value"], value["id"]


def every_sample() -> list[tuple[str, str]]:
    return [
        (intent["name"], sample)
        for intent in LANGUAGE["intents"]
        for sample in intent.get("samples", [])
    ]


@pytest.mark.parametrize(("intent", "sample"), every_sample())
def test_every_sample_with_its_slots_filled_is_heard_as_its_intent(
    understanding: Understanding, intent: str, sample: str
) -> None:
    slot_types = {
        s["name"]: s["type"]
        for s in next(i for i in LANGUAGE["intents"] if i["name"] == intent).get("slots", [])
    }
    said, expected_ids = sample, {}
    for name in re.findall(r"{(\w+)}", sample):
        slot_type = slot_types[name]
        if slot_type in EXAMPLES:
            words = EXAMPLES[slot_type]
        else:
            words, expected_ids[name] = custom_example(slot_type)
        said = said.replace(f"{{{name}}}", words)
    heard = understanding.hear(said, NOW)
    assert heard.intent == intent, (said, heard.sample)
    assert set(heard.slots) == set(re.findall(r"{(\w+)}", sample))
    for name, value_id in expected_ids.items():
        assert heard.slots[name].resolved_id == value_id


@pytest.mark.parametrize(
    ("said", "intent", "slot", "value"),
    [
        ("my surgery was november third", "SetSurgeryDateIntent", "surgeryDate", "XXXX-11-03"),
        ("I had surgery three weeks ago", "SetSurgeryDateIntent", "surgeryAgo", "P3W"),
        ("it's a seven", "PainScoreIntent", "score", "7"),
        ("the pain is 8", "PainReportIntent", "score", "8"),
        ("about twenty minutes", "CheckInMinutesIntent", "minutes", "20"),
        ("I did my knee squeezes", "LogExerciseIntent", "exercise", "knee squeezes"),
        ("remind me from nine till nine", "SetRemindersIntent", "end", "09:00"),
        ("remind me from 7 am to 10 pm", "SetRemindersIntent", "end", "22:00"),
        ("remind me from nine thirty till eight", "SetRemindersIntent", "start", "09:30"),
        ("remind me until noon", "SetRemindersIntent", "end", "12:00"),
    ],
)
def test_values_are_in_alexas_formats(
    understanding: Understanding, said: str, intent: str, slot: str, value: str
) -> None:
    heard = understanding.hear(said, NOW)
    assert heard.intent == intent
    assert heard.slots[slot].value == value


def test_entity_resolution_is_shaped_like_alexas(understanding: Understanding) -> None:
    matched = understanding.hear("start my bottom lifts", NOW).slots["exercise"].as_alexa()
    authority = matched["resolutions"]["resolutionsPerAuthority"][0]
    assert authority["status"]["code"] == "ER_SUCCESS_MATCH"
    assert authority["values"][0]["value"] == {"name": "bridges", "id": "bridges"}
    assert matched["value"] == "bottom lifts"
    unmatched = understanding.hear("I did push ups", NOW).slots["exercise"].as_alexa()
    status = unmatched["resolutions"]["resolutionsPerAuthority"][0]["status"]["code"]
    assert status == "ER_SUCCESS_NO_MATCH"
    assert unmatched["value"] == "push ups"


@pytest.mark.parametrize("said", ["order me a pizza", "", "bridges bridges bridges please now"])
def test_what_matches_no_sample_is_the_fallback(understanding: Understanding, said: str) -> None:
    assert understanding.hear(said, NOW).intent == FALLBACK


def test_a_tie_between_two_intents_is_the_fallback() -> None:
    model = json.loads(json.dumps(MODEL))
    for intent in model["interactionModel"]["languageModel"]["intents"]:
        if intent["name"] == "ContactIntent":
            intent["samples"].append("what phase am i in")
    assert Understanding(model).hear("what phase am I in", NOW).intent == FALLBACK
    assert Understanding(MODEL).hear("what phase am I in", NOW).intent == "CurrentPhaseIntent"


@pytest.mark.parametrize(
    ("said", "rest", "launch"),
    [
        ("Alexa, open spine coach", "", True),
        ("launch spine coach", "", True),
        ("ask spine coach to start my bridges", "start my bridges", False),
        ("tell Spine Coach it hurts", "it hurts", False),
        ("start my bridges", "start my bridges", False),
    ],
)
def test_the_invocation_is_taken_off(
    understanding: Understanding, said: str, rest: str, launch: bool
) -> None:
    assert understanding.strip_invocation(said) == (rest, launch)


@pytest.mark.parametrize(
    ("words", "number"),
    [("seven", "7"), ("twenty one", "21"), ("12", "12"), ("zero", "0"), ("hello", None)],
)
def test_numbers_from_words_or_digits(words: str, number: str | None) -> None:
    assert number_value(words) == number


@pytest.mark.parametrize(
    ("words", "value"),
    [
        ("yesterday", "2026-11-19"),
        ("three weeks ago", "2026-10-30"),
        ("last tuesday", "2026-11-17"),
        ("october twenty first 2026", "2026-10-21"),
        ("november third", "XXXX-11-03"),
        ("now", "PRESENT_REF"),
        ("three weeks", None),
        ("banana", None),
    ],
)
def test_dates_in_amazon_date_format(words: str, value: str | None) -> None:
    assert date_value(words, NOW) == value


@pytest.mark.parametrize(
    ("words", "value"),
    [
        ("three weeks", "P3W"),
        ("a month", "P1M"),
        ("about twenty minutes", "PT20M"),
        ("2 days", "P2D"),
        ("soon", None),
    ],
)
def test_durations_in_iso_8601(words: str, value: str | None) -> None:
    assert duration_value(words) == value


def test_normalising_keeps_apostrophes_and_drops_punctuation() -> None:
    assert normalise("  What's NEXT?! ") == "what's next"
