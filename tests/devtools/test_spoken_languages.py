"""The simulator hears Dutch and British English: numbers, dates, durations, built-in intents.

Every date is read against a fixed clock (NOW, or a Tuesday), never today. The Dutch model here
is a tiny one written to tmp_path: interaction_model/nl-NL.json comes with its strings.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from skill.cli import cli
from skill.devtools.simulator.chat import Speaker
from skill.devtools.simulator.session import Simulator
from skill.devtools.simulator.spoken_language import (
    LanguageError,
    LocaleError,
    known_locales,
    load_language,
)
from skill.devtools.simulator.spoken_values import SpokenValues
from skill.devtools.simulator.understanding import FALLBACK, Understanding

# Reads calendar dates: `make test` runs it again with the clock moved years ahead.
pytestmark = pytest.mark.date_sensitive

NOW = datetime(2026, 11, 20, 10, 0)  # a Friday
A_TUESDAY = datetime(2026, 11, 17, 10, 0)
EN_US_MODEL = Path(__file__).parents[2] / "interaction_model" / "en-US.json"
LOCALES = ("en-US", "en-GB", "nl-NL")


def values(locale: str) -> SpokenValues:
    return SpokenValues(load_language(locale))


def dutch_model() -> dict[str, Any]:
    """en-US's intents and slots with a few Dutch samples: enough to hear Dutch by."""
    model: dict[str, Any] = json.loads(EN_US_MODEL.read_text(encoding="utf-8"))
    language = model["interactionModel"]["languageModel"]
    samples = {
        "SetSurgeryDateIntent": [
            "mijn operatie was {surgeryDate}",
            "ik ben {surgeryDate} geopereerd",
            "ik ben {surgeryAgo} geleden geopereerd",
        ],
        "PainScoreIntent": ["{score}", "het is een {score}"],
        "CheckInMinutesIntent": ["ik heb {minutes} minuten gelopen", "ik heb {duration} gelopen"],
    }
    language["intents"] = [
        {**intent, "samples": samples[intent["name"]]}
        for intent in language["intents"]
        if intent["name"] in samples
    ] + [intent for intent in language["intents"] if intent["name"].startswith("AMAZON.")]
    language["types"] = []
    return model


@pytest.fixture
def dutch_models(tmp_path: Path) -> Path:
    (tmp_path / "nl-NL.json").write_text(json.dumps(dutch_model()), encoding="utf-8")
    return tmp_path


# Numbers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "number"),
    [
        ("vijfentwintig", "25"),
        ("twee", "2"),
        ("nul", "0"),
        ("een", "1"),
        ("zeven", "7"),
        ("achtenveertig", "48"),
        ("honderd", "100"),
        ("12", "12"),
        ("hallo", None),
        ("twee drie", None),
    ],
)
def test_dutch_numbers(words: str, number: str | None) -> None:
    assert values("nl-NL").number(words) == number


@pytest.mark.parametrize(("words", "number"), [("nought", "0"), ("twenty one", "21"), ("oh", "0")])
def test_british_numbers(words: str, number: str) -> None:
    assert values("en-GB").number(words) == number


# Dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "value"),
    [
        ("21 oktober", "XXXX-10-21"),
        ("eenentwintig oktober", "XXXX-10-21"),
        ("de eenentwintigste oktober", "XXXX-10-21"),
        ("op 3 november", "XXXX-11-03"),
        ("21 oktober 2026", "2026-10-21"),
        ("drie weken geleden", "2026-10-30"),
        ("een week geleden", "2026-11-13"),
        ("gisteren", "2026-11-19"),
        ("eergisteren", "2026-11-18"),
        ("vandaag", "2026-11-20"),
        ("vorige dinsdag", "2026-11-17"),
        ("vorige week dinsdag", "2026-11-10"),
        ("afgelopen week zondag", "2026-11-15"),
        ("afgelopen dinsdag", "2026-11-17"),
        ("dinsdag", "2026-11-17"),
        ("nu", "PRESENT_REF"),
        ("drie weken", None),  # a duration
        ("banaan", None),
    ],
)
def test_dutch_dates(words: str, value: str | None) -> None:
    assert values("nl-NL").date(words, NOW) == value


def test_the_last_weekday_is_read_alike_in_dutch_and_english_on_that_weekday() -> None:
    dutch = values("nl-NL").date("vorige dinsdag", A_TUESDAY)
    assert dutch == values("en-US").date("last tuesday", A_TUESDAY)
    assert dutch == "2026-11-10"  # a week before, not today


@pytest.mark.parametrize(
    ("words", "value"),
    [
        ("21st october", "XXXX-10-21"),
        ("the twenty first of october", "XXXX-10-21"),
        ("21st october 2026", "2026-10-21"),
        ("a fortnight ago", "2026-11-06"),
        ("last tuesday", "2026-11-17"),
        ("yesterday", "2026-11-19"),
        ("a fortnight", None),  # a duration
    ],
)
def test_british_dates(words: str, value: str | None) -> None:
    assert values("en-GB").date(words, NOW) == value


@pytest.mark.parametrize("now", [datetime(2026, 11, 16, 10), datetime(2026, 11, 22, 23)])
def test_last_week_is_the_calendar_week_before_this_one(now: datetime) -> None:
    # Monday 16 and Sunday 22 November are in the same week: last week is 9 to 15 November.
    assert values("nl-NL").date("vorige week maandag", now) == "2026-11-09"
    assert values("nl-NL").date("vorige week zondag", now) == "2026-11-15"


def test_a_date_follows_the_clock_it_is_given() -> None:
    later = datetime(2031, 3, 4, 10, 0)
    assert values("nl-NL").date("gisteren", later) == "2031-03-03"
    assert values("nl-NL").date("21 oktober", later) == "XXXX-10-21"


# Durations ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "value"),
    [
        ("ongeveer twintig minuten", "PT20M"),
        ("een uur", "PT1H"),
        ("één uur", "PT1H"),
        ("drie weken", "P3W"),
        ("twee dagen", "P2D"),
        ("een maand", "P1M"),
        ("zo'n tien minuten", "PT10M"),
        ("ruim een jaar", "P1Y"),
        ("een kwartier", "PT15M"),
        ("drie kwartier", "PT45M"),
        ("een half uur", "PT30M"),
        ("straks", None),
    ],
)
def test_dutch_durations(words: str, value: str | None) -> None:
    assert values("nl-NL").duration(words) == value


@pytest.mark.parametrize(
    ("words", "value"),
    [("a fortnight", "P2W"), ("two fortnights", "P4W"), ("about twenty minutes", "PT20M")],
)
def test_british_durations(words: str, value: str) -> None:
    assert values("en-GB").duration(words) == value


def test_a_fortnight_stays_unheard_in_en_us() -> None:
    assert values("en-US").duration("a fortnight") is None


# Built-in intents --------------------------------------------------------------------------


def built_in_phrasings() -> list[tuple[str, str, str]]:
    return [
        (locale, intent, phrase)
        for locale in LOCALES
        for intent, phrases in load_language(locale).built_in_intents.items()
        for phrase in phrases
    ]


@pytest.mark.parametrize(("locale", "intent", "phrase"), built_in_phrasings())
def test_each_built_in_phrasing_is_heard_as_its_intent(
    locale: str, intent: str, phrase: str
) -> None:
    understanding = Understanding(dutch_model(), load_language(locale))
    assert understanding.hear(phrase, NOW).intent == intent


@pytest.mark.parametrize(
    ("said", "intent"),
    [
        ("Ja", "AMAZON.YesIntent"),
        ("nee", "AMAZON.NoIntent"),
        ("stop", "AMAZON.StopIntent"),
        ("stoppen", "AMAZON.StopIntent"),
        ("pauze", "AMAZON.PauseIntent"),
        ("ga verder", "AMAZON.ResumeIntent"),
        ("hervat", "AMAZON.ResumeIntent"),
        ("herhaal", "AMAZON.RepeatIntent"),
        ("nog een keer", "AMAZON.RepeatIntent"),
        ("help", "AMAZON.HelpIntent"),
        ("annuleer", "AMAZON.CancelIntent"),
        ("yes", FALLBACK),  # English is not Dutch
    ],
)
def test_dutch_built_in_intents(said: str, intent: str) -> None:
    assert Understanding(dutch_model(), load_language("nl-NL")).hear(said, NOW).intent == intent


def test_every_built_in_intent_of_the_model_has_phrasings_in_every_locale() -> None:
    model = json.loads(EN_US_MODEL.read_text(encoding="utf-8"))
    needed = {
        intent["name"]
        for intent in model["interactionModel"]["languageModel"]["intents"]
        if intent["name"].startswith("AMAZON.") and intent["name"] != FALLBACK
    }
    for locale in LOCALES:
        assert needed <= set(load_language(locale).built_in_intents), locale


# A Dutch model, end to end -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "intent", "slot", "value"),
    [
        (
            "mijn operatie was op eenentwintig oktober",
            "SetSurgeryDateIntent",
            "surgeryDate",
            "XXXX-10-21",
        ),
        ("ik ben drie weken geleden geopereerd", "SetSurgeryDateIntent", "surgeryAgo", "P3W"),
        ("ik ben gisteren geopereerd", "SetSurgeryDateIntent", "surgeryDate", "2026-11-19"),
        ("het is een zeven", "PainScoreIntent", "score", "7"),
        ("vijfentwintig", "PainScoreIntent", "score", "25"),
        ("ik heb twintig minuten gelopen", "CheckInMinutesIntent", "minutes", "20"),
        ("ik heb een uur gelopen", "CheckInMinutesIntent", "duration", "PT1H"),
    ],
)
def test_dutch_utterances_with_values(
    dutch_models: Path, said: str, intent: str, slot: str, value: str
) -> None:
    heard = Understanding.for_locale("nl-NL", dutch_models).hear(said, NOW)
    assert heard.intent == intent
    assert heard.slots[slot].value == value


@pytest.mark.parametrize(
    ("said", "rest", "launch"),
    [
        ("Alexa, open spine coach", "", True),
        ("start spine coach", "", True),
        ("vraag spine coach om het is een zeven", "het is een zeven", False),
        (
            "zeg tegen spine coach dat ik gisteren geopereerd ben",
            "ik gisteren geopereerd ben",
            False,
        ),
        ("ask spine coach to help", "ask spine coach to help", False),
    ],
)
def test_the_dutch_invocation_is_taken_off(
    dutch_models: Path, said: str, rest: str, launch: bool
) -> None:
    understanding = Understanding.for_locale("nl-NL", dutch_models)
    assert understanding.strip_invocation(said) == (rest, launch)


def test_the_simulator_sends_the_locale_it_hears(dutch_models: Path, client: FlaskClient) -> None:
    sent: list[dict[str, Any]] = []

    class Recording:
        def post(self, path: str, *, json: Any, headers: dict[str, str] | None = None) -> Any:
            sent.append(json)
            return client.post(path, json=json, headers=headers)

    understanding = Understanding.for_locale("nl-NL", dutch_models)
    simulator = Simulator(Recording(), understanding, at=datetime(2026, 11, 20, 15, tzinfo=UTC))
    simulator.say("open spine coach")
    exchange = simulator.say("mijn operatie was eenentwintig oktober")
    assert exchange.request == "SetSurgeryDateIntent"
    assert {body["request"]["locale"] for body in sent} == {"nl-NL"}
    slots = sent[-1]["request"]["intent"]["slots"]
    assert slots["surgeryDate"]["value"] == "XXXX-10-21"


def test_chat_speaks_with_the_locales_espeak_voice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "espeak-ng"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    ran: list[list[str]] = []
    voice = load_language("nl-NL").espeak_voice
    Speaker(None, voice=voice, run=ran.append).say("Goedemorgen.")
    assert ran == [["espeak-ng", "-v", "nl", "Goedemorgen."]]


# Locales the simulator cannot hear ---------------------------------------------------------


def test_the_simulator_knows_three_locales() -> None:
    assert known_locales() == sorted(LOCALES)


def test_an_unknown_locale_is_named_with_the_known_ones() -> None:
    with pytest.raises(LocaleError, match=r"'xx-XX'.*en-GB, en-US, nl-NL"):
        Understanding.for_locale("xx-XX")


def test_a_locale_without_a_model_says_which_file_is_missing(tmp_path: Path) -> None:
    with pytest.raises(LocaleError, match=r"no interaction model for nl-NL: .*nl-NL\.json"):
        Understanding.for_locale("nl-NL", tmp_path)


def test_chat_refuses_an_unknown_locale_with_a_message() -> None:
    result = CliRunner().invoke(cli, ["chat", "--locale", "xx-XX"])
    assert result.exit_code == 2
    assert "Invalid value for --locale" in result.output
    assert "en-GB, en-US, nl-NL" in result.output
    assert "Traceback" not in result.output


# The files are validated at load -----------------------------------------------------------


def write_language(directory: Path, locale: str, change: dict[str, Any]) -> None:
    raw = load_language("nl-NL").model_dump()
    raw.update(locale=locale, **change)
    (directory / f"{locale}.yaml").write_text(json.dumps(raw), encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"language": "xx"}, r"language: Value error, text2num and dateparser must read 'xx'"),
        (
            {"built_in_intents": {"AMAZON.YesIntent": ["ja"], "AMAZON.NoIntent": ["ja"]}},
            r"built_in_intents: .*'ja' is said for AMAZON\.YesIntent and AMAZON\.NoIntent",
        ),
        ({"built_in_intents": {"YesIntent": ["ja"]}}, r"only Amazon's built-in intents"),
        ({"built_in_intents": {"AMAZON.YesIntent": ["Ja"]}}, r"write phrases in lowercase"),
        ({"espeak_voice": None}, r"espeak_voice: Input should be a valid string"),
        ({"colour": "oranje"}, r"colour: Extra inputs are not permitted"),
        (
            {"alexa": {**load_language("nl-NL").alexa.model_dump(), "permission_ask": "Mag het?"}},
            r"alexa\.permission_ask: Value error, the ask names the skill",
        ),
        (
            {"alexa": {**load_language("nl-NL").alexa.model_dump(), "heard_as_yes": []}},
            r"alexa\.heard_as_yes: List should have at least 1 item",
        ),
    ],
)
def test_a_bad_language_file_is_named_with_its_field(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    write_language(tmp_path, "nl-BE", change)
    with pytest.raises(LanguageError, match=rf"nl-BE\.yaml: .*{message}"):
        load_language("nl-BE", tmp_path)


def test_a_language_file_names_its_own_locale(tmp_path: Path) -> None:
    write_language(tmp_path, "nl-BE", {})
    (tmp_path / "nl-BE.yaml").rename(tmp_path / "fr-BE.yaml")
    with pytest.raises(LanguageError, match="the file name says fr-BE"):
        load_language("fr-BE", tmp_path)
