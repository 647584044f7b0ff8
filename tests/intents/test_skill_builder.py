"""The wiring: handler order, and the contract between the interaction model and the handlers."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from skill.content.plan import load_plan
from skill.skill_builder import request_handlers

MODELS = sorted((Path(__file__).parents[2] / "interaction_model").glob("*.json"))


def language_model(path: Path) -> dict[str, Any]:
    model: dict[str, Any] = json.loads(path.read_text())["interactionModel"]["languageModel"]
    return model


def test_handler_order_is_pinned() -> None:
    # Most specific first: state-dependent handlers before the plain intents they refine,
    # catch-alls last. Changing this order changes behaviour; change this list on purpose.
    assert [type(handler).__name__ for handler in request_handlers()] == [
        "LaunchRequestHandler",
        "AudioPlayerEventHandler",
        "PlaybackControllerHandler",
        "PlayingSetIntentHandler",
        "LoopShuffleIntentHandler",
        "SurgeryDateConfirmedHandler",
        "SurgeryDateRejectedHandler",
        "SetSurgeryDateIntentHandler",
        "SurgeryDateNotUnderstoodHandler",
        "CheckInSessionEndedHandler",
        "CheckInIntentHandler",
        "CheckInAnswerHandler",
        "PainReportIntentHandler",
        "PainScoreIntentHandler",
        "PainScoreNotUnderstoodHandler",
        "SkillDisabledHandler",
        "DeleteMyDataIntentHandler",
        "DeleteConfirmedHandler",
        "DeleteCancelledHandler",
        "SetOfferAcceptedHandler",
        "SetOfferDeclinedHandler",
        "StartExerciseIntentHandler",
        "ResumeIntentHandler",
        "PauseIntentHandler",
        "GoBackIntentHandler",
        "NextExerciseIntentHandler",
        "SetPaceIntentHandler",
        "LogExerciseIntentHandler",
        "ProgressTodayIntentHandler",
        "CurrentPhaseIntentHandler",
        "ActivityCheckIntentHandler",
        "MilestonesIntentHandler",
        "TodayExercisesIntentHandler",
        "ContactIntentHandler",
        "ProgressSummaryIntentHandler",
        "CaregiverCodeIntentHandler",
        "RevokeCaregiversIntentHandler",
        "AcceptOfferHandler",
        "YesIntentHandler",
        "NoIntentHandler",
        "HelpIntentHandler",
        "RepeatIntentHandler",
        "StopIntentHandler",
        "FallbackIntentHandler",
        "SessionEndedRequestHandler",
        "UnhandledRequestHandler",
    ]


def handled_intents() -> set[str]:
    return {name for handler in request_handlers() for name in getattr(handler, "intents", ())}


def test_there_is_a_model_per_locale() -> None:
    assert [path.stem for path in MODELS] == ["en-US"]


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
        assert language_model(path)["invocationName"] == "spine coach"
