"""Every YAML conversation in tests/dialogs/, played through the simulator against the skill."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import responses
from sqlalchemy import Engine

from skill import create_app
from skill.alexa.endpoint import EXTENSION
from skill.coach_audio.manifest import load_manifest
from skill.devtools import envelopes
from skill.devtools.simulator.local_reminders import LocalReminders
from skill.devtools.simulator.scripts import (
    Options,
    Patient,
    Script,
    Turn,
    describe,
    load_script,
    play_turn,
)
from skill.devtools.simulator.session import Simulator
from skill.devtools.simulator.understanding import Understanding
from skill.store.patients import PatientStore

# Reads calendar dates: `make test` runs it again with the clock moved years ahead.
pytestmark = pytest.mark.date_sensitive

DIALOGS = Path(__file__).parents[1] / "dialogs"
# en-US conversations at the top; another locale's in a folder named after it (nl-NL/, en-GB/).
SCRIPTS = sorted(DIALOGS.rglob("*.yaml"))
DEFAULT_LOCALE = "en-US"
MODELS = Path(__file__).parents[2] / "interaction_model"
AUDIO_BASE_URL = "https://audio.example.org/spine-coach/"
DEVICE_TIME_ZONE = "America/New_York"  # what the alexa_api fixture's settings API answers
# Amazon's Reminders API, at the envelope's apiEndpoint: a collection and its reminders.
REMINDERS_URL = re.compile(
    re.escape(f"{envelopes.API_ENDPOINT}/v1/alerts/reminders") + r"(/[^/?]+)?/?(\?.*)?$"
)


def seed(engine: Engine, script: Script) -> None:
    patient = script.options.patient
    if patient is None:
        return
    store = PatientStore(engine)
    if patient.surgery_date is not None:
        store.save_surgery_date(
            envelopes.DEFAULT_USER, patient.surgery_date, locale=script.options.locale
        )
    if patient.pace is not None:
        store.update_preferences(envelopes.DEFAULT_USER, {"pace": patient.pace})


def fake_reminders_api(alexa_api: responses.RequestsMock, reminders: LocalReminders) -> None:
    """Amazon's Reminders API at the HTTP edge: every call the skill makes is answered by the
    simulated user's reminders, as Amazon answers the bearer token (401 until granted)."""

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        token = str(request.headers.get("Authorization", "")).removeprefix("Bearer ")
        body = json.loads(request.body) if request.body else None
        status, payload = reminders.handle(request.method, urlsplit(request.url).path, token, body)
        return status, {"Content-Type": "application/json"}, json.dumps(payload)

    for method in (responses.GET, responses.POST, responses.PUT, responses.DELETE):
        alexa_api.add_callback(method, REMINDERS_URL, callback=answer)


def play(
    script: Script, sqlite_url: str, built_audio: Path, alexa_api: responses.RequestsMock
) -> list[str]:
    """Every problem the script finds, one line each."""
    config: dict[str, Any] = {"DATABASE_URL": sqlite_url, "VERIFY_REQUESTS": False}
    if script.options.audio_player:
        config.update(AUDIO_DIR=str(built_audio), AUDIO_BASE_URL=AUDIO_BASE_URL)
    app = create_app(config)
    engine = app.extensions[EXTENSION].engine
    try:
        seed(engine, script)
        simulator = Simulator(
            app.test_client(),
            Understanding.for_locale(script.options.locale),
            at=script.options.now,
            locale=script.options.locale,
            audio_player=script.options.audio_player,
            screen=script.options.screen,
            manifest=load_manifest(built_audio) if script.options.audio_player else None,
            time_zone=DEVICE_TIME_ZONE,
            api_token=envelopes.API_ACCESS_TOKEN,
            granted=(envelopes.REMINDERS_SCOPE,) if script.options.reminders_granted else (),
        )
        if script.options.reminders_granted:
            simulator.reminders.grant(simulator.api_token)
        fake_reminders_api(alexa_api, simulator.reminders)
        problems = []
        for index, turn in enumerate(script.turns):
            outcome = play_turn(simulator, turn)
            if outcome.problems:
                problems.append(describe(outcome, index))
        return problems
    finally:
        engine.dispose()


def script_id(path: Path) -> str:
    return path.relative_to(DIALOGS).with_suffix("").as_posix()


@pytest.mark.parametrize("path", SCRIPTS, ids=[script_id(path) for path in SCRIPTS])
def test_dialog_script(
    path: Path, sqlite_url: str, built_audio: Path, alexa_api: responses.RequestsMock
) -> None:
    problems = play(load_script(path), sqlite_url, built_audio, alexa_api)
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


def test_a_script_that_expects_the_wrong_thing_fails(
    sqlite_url: str, built_audio: Path, alexa_api: responses.RequestsMock
) -> None:
    script = Script(
        name="wrong on purpose",
        turns=[
            Turn(say="open spine coach", intent="CurrentPhaseIntent", speech=["never said"]),
            Turn.model_validate({"say": "help", "not": ["what phase"], "ends_session": True}),
        ],
    )
    problems = play(script, sqlite_url, built_audio, alexa_api)
    assert len(problems) == 2
    assert "heard LaunchRequest, expected CurrentPhaseIntent" in problems[0]
    assert "does not match 'never said'" in problems[0]
    assert "matches 'what phase'" in problems[1]
    assert "ends_session is False" in problems[1]


def test_reminders_that_went_off_are_checked(
    sqlite_url: str, built_audio: Path, alexa_api: responses.RequestsMock
) -> None:
    script = Script(
        name="wrong on purpose",
        options=Options(patient=Patient(surgery_date=date(2026, 10, 21)), reminders_granted=True),
        turns=[
            Turn(say="remind me to do my exercises", speech=["I'll remind you every day"]),
            Turn.model_validate(
                {"advance": {"hours": 2}, "reminders_fired": 5, "reminders_say": ["never said"]}
            ),
        ],
    )
    problems = play(script, sqlite_url, built_audio, alexa_api)
    assert len(problems) == 1  # 10:00 in New York: 11:00 and noon went off
    assert "2 reminders went off, expected 5" in problems[0]
    assert "not every reminder says 'never said'" in problems[0]


def test_a_script_speaks_the_locale_of_its_folder() -> None:
    for path in SCRIPTS:
        folder = path.parent.relative_to(DIALOGS).as_posix()
        expected = DEFAULT_LOCALE if folder == "." else folder
        assert load_script(path).options.locale == expected, script_id(path)


def test_every_intent_of_every_model_is_in_a_dialog_script_of_its_locale() -> None:
    covered: dict[str, set[str]] = defaultdict(set)
    for path in SCRIPTS:
        script = load_script(path)
        covered[script.options.locale] |= {turn.intent for turn in script.turns if turn.intent}
    models = sorted(MODELS.glob("*.json"))
    assert {model.stem for model in models} >= {"en-US", "en-GB", "nl-NL"}
    for model in models:
        intents = {
            intent["name"]
            for intent in json.loads(model.read_text())["interactionModel"]["languageModel"][
                "intents"
            ]
        }
        assert intents - covered[model.stem] == set(), model.name
