"""The wiring: handler order, and the contract between the interaction model and the handlers."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from skill.content.plan import load_plan
from skill.intents.base import RequestHandler
from skill.skill_builder import request_handlers

MODELS = sorted((Path(__file__).parents[2] / "interaction_model").glob("*.json"))


def language_model(path: Path) -> dict[str, Any]:
    model: dict[str, Any] = json.loads(path.read_text())["interactionModel"]["languageModel"]
    return model


def test_handler_order_is_pinned() -> None:
    # Requests that are not intents; intents while a set plays; answers to the open question;
    # one handler per intent; catch-alls. Changing this order changes behaviour.
    names = [type(handler).__name__ for handler in request_handlers()]
    assert names[:10] == [
        "LaunchRequestHandler",
        "AudioPlayerEventHandler",
        "PlaybackControllerHandler",
        "SkillDisabledHandler",
        "PermissionAnswerHandler",
        "ReminderEventHandler",
        "CheckInSessionEndedHandler",
        "PlayingSetIntentHandler",
        "LoopShuffleIntentHandler",
        "PendingAnswerHandler",
    ]
    assert names[-3:] == [
        "FallbackIntentHandler",
        "SessionEndedRequestHandler",
        "UnhandledRequestHandler",
    ]


def test_every_handler_declares_what_it_answers() -> None:
    # The dispatch table is built from these declarations (skill/intents/base.py).
    for handler in request_handlers():
        assert isinstance(handler, RequestHandler), type(handler).__name__
        assert handler.intents or handler.request_types, type(handler).__name__
        assert handler.intent_set == frozenset(handler.intents)


def test_after_the_answers_each_intent_has_one_handler_so_their_order_does_not_matter() -> None:
    handlers = request_handlers()
    start = [type(handler).__name__ for handler in handlers].index("PendingAnswerHandler") + 1
    claimed: dict[str, list[str]] = {}
    for handler in handlers[start:-3]:
        for intent in getattr(handler, "intents", ()):
            claimed.setdefault(intent, []).append(type(handler).__name__)
    shared = {intent: names for intent, names in claimed.items() if len(names) > 1}
    assert shared == {}
    assert len(claimed) > 20


def test_yes_no_fallback_and_skip_are_answers_to_an_open_question() -> None:
    from skill.alexa.pending import ANSWERING_INTENTS

    assert {"AMAZON.YesIntent", "AMAZON.NoIntent", "AMAZON.FallbackIntent"} <= set(
        ANSWERING_INTENTS
    )
    assert "SkipIntent" in ANSWERING_INTENTS  # answered only within a check-in


def handled_intents() -> set[str]:
    return {name for handler in request_handlers() for name in getattr(handler, "intents", ())}


def test_there_is_a_model_per_locale() -> None:
    assert [path.stem for path in MODELS] == ["en-GB", "en-US", "nl-NL"]


def test_every_intent_in_the_model_has_a_handler_and_every_handled_intent_is_in_the_model() -> None:
    for path in MODELS:
        in_model = {intent["name"] for intent in language_model(path)["intents"]}
        assert in_model == handled_intents(), path.name


def test_custom_intents_have_at_least_fifteen_samples() -> None:
    for path in MODELS:
        for intent in language_model(path)["intents"]:
            if not intent["name"].startswith("AMAZON."):
                assert len(set(intent["samples"])) >= 15, intent["name"]


def test_every_plan_activity_is_an_activity_slot_value() -> None:
    plan = load_plan()
    for path in MODELS:
        types = {t["name"]: t for t in language_model(path)["types"]}
        ids = {value["id"] for value in types["ACTIVITY"]["values"]}
        assert set(plan.activities) <= ids, path.name


def test_slots_used_in_samples_are_declared_and_declared_slots_are_used() -> None:
    for path in MODELS:
        for intent in language_model(path)["intents"]:
            declared = {slot["name"] for slot in intent.get("slots", [])}
            used = {name for sample in intent["samples"] for name in re.findall(r"{(\w+)}", sample)}
            assert used == declared, intent["name"]


def test_the_contract_slot_names_and_types() -> None:
    for path in MODELS:
        slots = {
            intent["name"]: {slot["name"]: slot["type"] for slot in intent.get("slots", [])}
            for intent in language_model(path)["intents"]
        }
        assert slots["SetSurgeryDateIntent"]["surgeryDate"] == "AMAZON.DATE"
        assert slots["ActivityCheckIntent"] == {"activity": "ACTIVITY"}
        # The Dutch say "Alexa, vraag rug coach …" ("rug" is back).
        invocation = "rug coach" if path.stem == "nl-NL" else "spine coach"
        assert language_model(path)["invocationName"] == invocation
