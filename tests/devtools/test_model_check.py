"""The offline interaction-model lint: each rule on a broken model, the real models, the CLI."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import skill.devtools.model_check
from skill.cli import cli
from skill.devtools.model_check import (
    Problem,
    check_files,
    default_models,
    display_name,
    handled_intents,
    language_model,
)

ROOT = Path(__file__).resolve().parents[2]
SPINE_COACH = [sys.executable, "-c", "from skill.cli import main; main()"]

# Findings on interaction_model/*.json that are known and accepted, as printed lines. Empty: the
# real model passes every check. Add a line here only with a reason, never to silence a new bug.
KNOWN_REAL_MODEL_PROBLEMS: frozenset[str] = frozenset()

PHASE_SAMPLES = [
    "what phase am I in",
    "which phase am I in",
    "what's my current phase",
    "where am I in my recovery",
    "how far along am I",
    "how far out am I",
    "what week am I in",
    "what stage am I at",
    "how long since my surgery",
    "how many weeks since my surgery",
    "how many days since surgery",
    "what part of recovery am I in",
    "how far along is my recovery",
    "which week of recovery is this",
    "what's my recovery phase",
]
ACTIVITY_SAMPLES = [
    "can I {activity}",
    "can I {activity} yet",
    "can I {activity} now",
    "can I go {activity}",
    "can I do {activity}",
    "can I try {activity}",
    "can I start {activity}",
    "am I allowed to {activity}",
    "am I cleared to {activity}",
    "am I ready to {activity}",
    "is it ok to {activity}",
    "is it safe to {activity}",
    "is {activity} ok",
    "when can I {activity}",
    "how soon can I {activity}",
]
BUILT_INS = [
    "AMAZON.CancelIntent",
    "AMAZON.HelpIntent",
    "AMAZON.StopIntent",
    "AMAZON.NavigateHomeIntent",
    "AMAZON.FallbackIntent",
    "AMAZON.PauseIntent",
    "AMAZON.ResumeIntent",
]
PROMPT = "Elicit.Slot.ActivityIntent.activity"


def clean_model() -> dict[str, Any]:
    """A small model that passes every check."""
    return {
        "interactionModel": {
            "languageModel": {
                "invocationName": "spine coach",
                "intents": [
                    {"name": "PhaseIntent", "slots": [], "samples": list(PHASE_SAMPLES)},
                    {
                        "name": "ActivityIntent",
                        "slots": [
                            {
                                "name": "activity",
                                "type": "ACTIVITY",
                                "samples": ["{activity}", "I want to {activity}"],
                            }
                        ],
                        "samples": list(ACTIVITY_SAMPLES),
                    },
                    *({"name": name, "samples": []} for name in BUILT_INS),
                ],
                "types": [
                    {
                        "name": "ACTIVITY",
                        "values": [
                            {"id": "drive", "name": {"value": "drive", "synonyms": ["driving"]}},
                            {"id": "walk", "name": {"value": "walk", "synonyms": ["walking"]}},
                        ],
                    }
                ],
            },
            "dialog": {
                "intents": [
                    {
                        "name": "ActivityIntent",
                        "confirmationRequired": False,
                        "prompts": {},
                        "slots": [
                            {
                                "name": "activity",
                                "type": "ACTIVITY",
                                "confirmationRequired": False,
                                "elicitationRequired": True,
                                "prompts": {"elicitation": PROMPT},
                            }
                        ],
                    }
                ],
                "delegationStrategy": "SKILL_RESPONSE",
            },
            "prompts": [
                {
                    "id": PROMPT,
                    "variations": [{"type": "PlainText", "value": "Which activity?"}],
                }
            ],
        }
    }


def handlers_for(document: dict[str, Any]) -> dict[str, list[str]]:
    """A handler per intent of the model, as if the skill handled exactly these."""
    return {
        intent["name"]: [f"{intent['name']}Handler"]
        for intent in language_model(document)["intents"]
    }


def write(path: Path, document: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2))
    return path


def findings(problems: list[Problem]) -> list[tuple[str, str]]:
    return [
        (problem.where, ("warning: " if problem.severity == "warning" else "") + problem.message)
        for problem in problems
    ]


def intent(document: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(
        item for item in language_model(document)["intents"] if item["name"] == name
    )
    return found


# --- the broken models: one rule each -----------------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def invocation(name: str) -> Mutation:
    def mutate(document: dict[str, Any]) -> None:
        language_model(document)["invocationName"] = name

    return mutate


def without_intent(name: str) -> Mutation:
    def mutate(document: dict[str, Any]) -> None:
        model = language_model(document)
        model["intents"] = [item for item in model["intents"] if item["name"] != name]

    return mutate


def add_samples(name: str, *samples: str) -> Mutation:
    def mutate(document: dict[str, Any]) -> None:
        intent(document, name)["samples"].extend(samples)

    return mutate


def replace_sample(name: str, old: str, new: str) -> Mutation:
    def mutate(document: dict[str, Any]) -> None:
        samples = intent(document, name)["samples"]
        samples[samples.index(old)] = new

    return mutate


def declare_slot(name: str, slot: str, slot_type: str) -> Mutation:
    def mutate(document: dict[str, Any]) -> None:
        intent(document, name).setdefault("slots", []).append({"name": slot, "type": slot_type})

    return mutate


def set_activity_type(slot_type: str) -> Mutation:
    def mutate(document: dict[str, Any]) -> None:
        intent(document, "ActivityIntent")["slots"][0]["type"] = slot_type
        document["interactionModel"]["dialog"]["intents"][0]["slots"][0]["type"] = slot_type

    return mutate


def add_slot_sample(sample: str) -> Mutation:
    def mutate(document: dict[str, Any]) -> None:
        intent(document, "ActivityIntent")["slots"][0]["samples"].append(sample)

    return mutate


def edit_type(edit: Callable[[dict[str, Any]], None]) -> Mutation:
    def mutate(document: dict[str, Any]) -> None:
        edit(language_model(document)["types"][0])

    return mutate


def edit_dialog(edit: Callable[[dict[str, Any]], None]) -> Mutation:
    def mutate(document: dict[str, Any]) -> None:
        edit(document["interactionModel"])

    return mutate


def _no_values(slot_type: dict[str, Any]) -> None:
    slot_type["values"] = []


def _no_id(slot_type: dict[str, Any]) -> None:
    del slot_type["values"][1]["id"]


def _no_name_value(slot_type: dict[str, Any]) -> None:
    slot_type["values"][1]["name"] = {"synonyms": ["walking"]}


def _shared_synonym(slot_type: dict[str, Any]) -> None:
    slot_type["values"][1]["name"]["synonyms"].append("Driving")


def _dialog_unknown_intent(interaction: dict[str, Any]) -> None:
    interaction["dialog"]["intents"][0]["name"] = "GhostIntent"


def _dialog_unknown_slot(interaction: dict[str, Any]) -> None:
    interaction["dialog"]["intents"][0]["slots"][0]["name"] = "sport"


def _dialog_type_mismatch(interaction: dict[str, Any]) -> None:
    interaction["dialog"]["intents"][0]["slots"][0]["type"] = "AMAZON.SearchQuery"


def _dialog_missing_prompt(interaction: dict[str, Any]) -> None:
    interaction["prompts"] = []


BROKEN: list[tuple[str, Mutation, list[tuple[str, str]]]] = [
    (
        "invocation digits",
        invocation("spine coach two 2"),
        [("invocationName", '"spine coach two 2" contains digits: spell numbers out')],
    ),
    (
        "invocation uppercase",
        invocation("Spine Coach"),
        [("invocationName", '"Spine Coach" must be lowercase')],
    ),
    (
        "invocation punctuation",
        invocation("spine coach!"),
        [
            (
                "invocationName",
                '"spine coach!" may hold only letters, spaces, apostrophes and periods, not "!"',
            )
        ],
    ),
    (
        "invocation one word",
        invocation("coach"),
        [("invocationName", '"coach" must be two words or more')],
    ),
    (
        "invocation launch word",
        invocation("open spine coach"),
        [("invocationName", '"open spine coach" contains the launch word "open"')],
    ),
    (
        "invocation launch phrase",
        invocation("talk to spine coach"),
        [("invocationName", '"talk to spine coach" contains the launch phrase "talk to"')],
    ),
    (
        "invocation wake word",
        invocation("alexa spine coach"),
        [("invocationName", '"alexa spine coach" contains the wake word "alexa"')],
    ),
    (
        "invocation skill",
        invocation("spine coach skill"),
        [("invocationName", '"spine coach skill" contains the word "skill"')],
    ),
    (
        "invocation article",
        invocation("the coach"),
        [
            (
                "invocationName",
                '"the coach" is two words and one is the article or preposition "the"',
            )
        ],
    ),
    (
        "invocation apostrophe",
        invocation("spine 'coach"),
        [
            (
                "invocationName",
                '"spine \'coach" uses an apostrophe other than for a possessive ("\'coach")',
            )
        ],
    ),
    (
        "invocation period",
        invocation("spine coach."),
        [
            (
                "invocationName",
                '"spine coach." uses a period other than in an abbreviation '
                '(write "n.b.a.", not "nba.")',
            )
        ],
    ),
    ("invocation missing", invocation(""), [("invocationName", "missing")]),
    (
        "required built-in",
        without_intent("AMAZON.HelpIntent"),
        [("intents", "missing the required built-in intent AMAZON.HelpIntent")],
    ),
    (
        "audio player built-in",
        without_intent("AMAZON.ResumeIntent"),
        [("intents", "missing AMAZON.ResumeIntent, required in a skill that uses AudioPlayer")],
    ),
    (
        "fallback only recommended",
        without_intent("AMAZON.FallbackIntent"),
        [("intents", "warning: AMAZON.FallbackIntent is recommended")],
    ),
    (
        "undeclared slot in a sample",
        add_samples("PhaseIntent", "what phase am I in on {day}"),
        [
            (
                "intent PhaseIntent",
                'sample "what phase am I in on {day}" uses slot {day}, '
                "which the intent does not declare",
            )
        ],
    ),
    (
        "declared slot unused",
        declare_slot("PhaseIntent", "day", "AMAZON.DATE"),
        [("intent PhaseIntent", "slot day is declared but no sample uses it")],
    ),
    (
        "unknown slot type",
        set_activity_type("ACTIVITIES"),
        [
            (
                "intent ActivityIntent",
                "slot activity has type ACTIVITIES, which is neither a built-in (AMAZON.*) "
                "nor a custom type of the model",
            )
        ],
    ),
    (
        "undeclared slot in a slot sample",
        add_slot_sample("{activity} on {day}"),
        [
            (
                "intent ActivityIntent",
                'slot activity sample "{activity} on {day}" uses slot {day}, '
                "which the intent does not declare",
            )
        ],
    ),
    (
        "duplicate sample in an intent",
        add_samples("PhaseIntent", "What  phase am I in"),
        [("intent PhaseIntent", 'sample "What  phase am I in" appears twice')],
    ),
    (
        "sample in two intents",
        add_samples("ActivityIntent", "how far along am I"),
        [
            (
                "intent ActivityIntent",
                'sample "how far along am I" is also a sample of intent PhaseIntent',
            )
        ],
    ),
    ("empty custom type", edit_type(_no_values), [("type ACTIVITY", "has no values")]),
    ("value without id", edit_type(_no_id), [("type ACTIVITY", "value #2 has no id")]),
    (
        "value without name",
        edit_type(_no_name_value),
        [("type ACTIVITY", 'value "walk" has no name.value')],
    ),
    (
        "synonym under two ids",
        edit_type(_shared_synonym),
        [("type ACTIVITY", '"driving" is a value or synonym of both "drive" and "walk"')],
    ),
    (
        "too few samples",
        replace_sample("PhaseIntent", "which phase am I in", "what phase am I in"),
        [
            ("intent PhaseIntent", 'sample "what phase am I in" appears twice'),
            (
                "intent PhaseIntent",
                "has 14 distinct samples; custom intents need 15 or more",
            ),
        ],
    ),
    (
        "digits in a sample",
        add_samples("PhaseIntent", "am I in week 6"),
        [("intent PhaseIntent", 'sample "am I in week 6" contains digits: spell numbers out')],
    ),
    (
        "punctuation in a sample",
        add_samples("PhaseIntent", "what phase, am I in?"),
        [
            (
                "intent PhaseIntent",
                'sample "what phase, am I in?" may hold only letters, spaces, apostrophes, '
                'periods, hyphens and {slot} references, not "," "?"',
            )
        ],
    ),
    (
        "malformed slot reference",
        add_samples("ActivityIntent", "may I {activity"),
        [
            (
                "intent ActivityIntent",
                'sample "may I {activity" has a malformed slot reference',
            )
        ],
    ),
    (
        "punctuation in a slot sample",
        add_slot_sample("{activity}!"),
        [
            (
                "intent ActivityIntent",
                'slot activity sample "{activity}!" may hold only letters, spaces, apostrophes, '
                'periods, hyphens and {slot} references, not "!"',
            )
        ],
    ),
    (
        "dialog intent not in the model",
        edit_dialog(_dialog_unknown_intent),
        [("dialog GhostIntent", "the intent is not in the language model")],
    ),
    (
        "dialog slot not in the intent",
        edit_dialog(_dialog_unknown_slot),
        [("dialog ActivityIntent.sport", "the slot is not a slot of the intent in the model")],
    ),
    (
        "dialog slot type differs",
        edit_dialog(_dialog_type_mismatch),
        [
            (
                "dialog ActivityIntent.activity",
                "has type AMAZON.SearchQuery in the dialog but ACTIVITY in the language model",
            )
        ],
    ),
    (
        "dialog prompt missing",
        edit_dialog(_dialog_missing_prompt),
        [
            (
                "dialog ActivityIntent.activity",
                f'elicitation prompt "{PROMPT}" is not in prompts',
            )
        ],
    ),
]


def test_a_clean_model_has_no_problems(tmp_path: Path) -> None:
    document = clean_model()
    path = write(tmp_path / "en-US.json", document)
    assert check_files([path], handlers=handlers_for(document)) == []


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [pytest.param(mutate, expected, id=name) for name, mutate, expected in BROKEN],
)
def test_each_rule_reports_exactly_its_problem(
    tmp_path: Path, mutate: Mutation, expected: list[tuple[str, str]]
) -> None:
    document = clean_model()
    mutate(document)
    path = write(tmp_path / "en-US.json", document)
    problems = check_files([path])
    assert findings(problems) == expected
    assert {problem.file for problem in problems} == {display_name(path)}


def test_a_problem_prints_as_file_where_message() -> None:
    assert str(Problem("m.json", "intent X", "bad")) == "m.json: intent X: bad"
    assert str(Problem("m.json", "intents", "hm", "warning")) == "m.json: intents: warning: hm"


def test_other_languages_may_use_their_letters(tmp_path: Path) -> None:
    document = clean_model()
    language_model(document)["invocationName"] = "entraîneur dorsal"
    add_samples("PhaseIntent", "où en suis-je", "क्या मैं ठीक हूँ")(document)
    assert check_files([write(tmp_path / "fr-FR.json", document)]) == []


def test_abbreviations_and_possessives_are_allowed(tmp_path: Path) -> None:
    document = clean_model()
    language_model(document)["invocationName"] = "molly's p.t. coach"
    assert check_files([write(tmp_path / "en-US.json", document)]) == []


def test_a_file_that_is_not_json_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "en-US.json"
    path.write_text("{not json")
    [problem] = check_files([path])
    assert problem.where == "file"
    assert problem.message.startswith("is not valid JSON")


def test_a_file_without_a_language_model_is_one_problem(tmp_path: Path) -> None:
    path = write(tmp_path / "en-US.json", {"interactionModel": {}})
    assert findings(check_files([path])) == [
        ("interactionModel", "no interactionModel.languageModel object")
    ]


def test_locales_must_have_the_same_intents_and_slots(tmp_path: Path) -> None:
    english = write(tmp_path / "en-US.json", clean_model())
    german_document = clean_model()
    without_intent("PhaseIntent")(german_document)
    declare_slot("ActivityIntent", "when", "AMAZON.DATE")(german_document)
    add_samples("ActivityIntent", "kann ich {activity} am {when}")(german_document)
    german = write(tmp_path / "de-DE.json", german_document)
    problems = check_files([english, german])
    by_file = {
        file: findings([problem for problem in problems if problem.file == file])
        for file in {problem.file for problem in problems}
    }
    assert by_file == {
        display_name(english): [
            ("intent ActivityIntent", "slot when is missing here but declared in de-DE"),
        ],
        display_name(german): [
            ("intent PhaseIntent", "missing here but in en-US"),
        ],
    }


def test_a_sibling_locale_counts_even_when_only_one_file_is_checked(tmp_path: Path) -> None:
    english = write(tmp_path / "en-US.json", clean_model())
    german_document = clean_model()
    set_activity_type("AMAZON.SearchQuery")(german_document)
    language_model(german_document)["types"] = []
    write(tmp_path / "de-DE.json", german_document)
    assert findings(check_files([english])) == [
        (
            "intent ActivityIntent",
            "slot activity has type ACTIVITY here but AMAZON.SearchQuery in de-DE",
        )
    ]


def test_every_intent_needs_a_handler_and_every_handled_intent_a_place_in_the_model(
    tmp_path: Path,
) -> None:
    document = clean_model()
    handlers = handlers_for(document)
    del handlers["PhaseIntent"]
    handlers["GhostIntent"] = ["GhostHandler", "OtherGhostHandler"]
    path = write(tmp_path / "en-US.json", document)
    assert findings(check_files([path], handlers=handlers)) == [
        ("intent PhaseIntent", "no request handler declares it"),
        ("intent GhostIntent", "handled by GhostHandler, OtherGhostHandler but not in the model"),
    ]


def test_the_handlers_are_read_from_the_skill() -> None:
    handlers = handled_intents()
    assert "PlayingSetIntentHandler" in handlers["AMAZON.PauseIntent"]
    assert handlers["CurrentPhaseIntent"] == ["CurrentPhaseIntentHandler"]


# --- the real models ----------------------------------------------------------------------------


def test_the_real_models_pass_every_check() -> None:
    models = default_models()
    assert [path.name for path in models] == ["en-GB.json", "en-US.json", "nl-NL.json"]
    found = {str(problem) for problem in check_files(models, handlers=handled_intents())}
    assert found - KNOWN_REAL_MODEL_PROBLEMS == set(), "new problems in the interaction model"
    # A known problem that is fixed should leave this list too.
    assert KNOWN_REAL_MODEL_PROBLEMS - found == set()


def test_the_real_model_contradicting_itself_is_caught(tmp_path: Path) -> None:
    # The same checks on a copy of the real model with a regression a person could make.
    document = json.loads((ROOT / "interaction_model" / "en-US.json").read_text())
    broken = copy.deepcopy(document)
    intent(broken, "ContactIntent")["samples"].append("What phase am I in")
    path = write(tmp_path / "en-US.json", broken)
    assert findings(check_files([path], handlers=handled_intents())) == [
        (
            "intent ContactIntent",
            'sample "What phase am I in" is also a sample of intent CurrentPhaseIntent',
        )
    ]


# --- the command ----------------------------------------------------------------------------


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SPINE_COACH, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_check_model_passes_on_the_real_models() -> None:
    result = run(["check-model"], ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "OK: 3 model(s) (en-GB, en-US, nl-NL) pass every check."


@pytest.mark.slow
def test_check_model_prints_a_line_per_problem_and_fails(tmp_path: Path) -> None:
    document = json.loads((ROOT / "interaction_model" / "en-US.json").read_text())
    language_model(document)["invocationName"] = "open spine coach"
    add_samples("CurrentPhaseIntent", "am I in week 6")(document)
    write(tmp_path / "models" / "en-US.json", document)
    result = run(["check-model", "models/en-US.json"], tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        'models/en-US.json: invocationName: "open spine coach" contains the launch word "open"',
        'models/en-US.json: intent CurrentPhaseIntent: sample "am I in week 6" contains digits: '
        "spell numbers out",
    ]
    assert "2 problem(s) in 1 model(s)." in result.stderr


@pytest.mark.slow
def test_check_model_refuses_a_missing_file(tmp_path: Path) -> None:
    result = run(["check-model", "nowhere.json"], tmp_path)
    assert result.returncode == 2
    assert "nowhere.json" in result.stderr


def test_check_model_prints_warnings_but_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = clean_model()
    without_intent("AMAZON.FallbackIntent")(document)
    path = write(tmp_path / "en-US.json", document)
    monkeypatch.setattr(
        skill.devtools.model_check, "handled_intents", lambda: handlers_for(document)
    )
    result = CliRunner().invoke(cli, ["check-model", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"{display_name(path)}: intents: warning: AMAZON.FallbackIntent is recommended",
        "OK: 1 model(s) (en-US) pass every check, 1 warning(s).",
    ]
