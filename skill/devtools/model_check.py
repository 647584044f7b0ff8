"""An offline lint of the interaction models against Alexa's build and certification rules.

Each check is a pure function of the parsed JSON that returns the problems it finds, so a broken
model fails here, with a line per problem, rather than in the developer console. The rules:

- invocation name: Amazon's "Invocation name requirements" (Choose the Invocation Name for a
  Custom Skill; Design the Invocation Name for Your Skill): lowercase letters, spaces,
  apostrophes for possessives, periods in abbreviations, numbers spelled out, two words or more,
  no launch phrases ("ask", "open", "tell", ...), no wake words ("alexa", "amazon", "echo",
  "computer") and not the words "skill" or "app"; a two-word name has no article or preposition.
- built-in intents: Cancel, Help, Stop and NavigateHome are required, Fallback recommended; a
  skill that uses AudioPlayer must handle Pause and Resume (AudioPlayer interface reference).
- samples: letters, spaces, apostrophes, periods, hyphens and {slot} references only; numbers
  spelled out; no sample twice, in one intent or across intents.
- slots, custom types and the dialog section must refer only to what the model declares.
- the project's own rules: every custom intent has 15 samples or more, every locale has the same
  intents and slots, and the handlers and the model name the same intents.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[2] / "interaction_model"

REQUIRED_BUILT_INS = (
    "AMAZON.CancelIntent",
    "AMAZON.HelpIntent",
    "AMAZON.StopIntent",
    "AMAZON.NavigateHomeIntent",
)
AUDIO_PLAYER_BUILT_INS = ("AMAZON.PauseIntent", "AMAZON.ResumeIntent")
RECOMMENDED_BUILT_INS = ("AMAZON.FallbackIntent",)
MIN_CUSTOM_SAMPLES = 15

LAUNCH_WORDS = frozenset(
    {"ask", "begin", "enable", "launch", "load", "open", "play", "resume", "run", "start"}
    | {"tell", "use"}
)
LAUNCH_PHRASES = ("talk to",)
WAKE_WORDS = frozenset({"alexa", "amazon", "echo", "computer"})
FORBIDDEN_WORDS = frozenset({"skill", "app"})
TWO_WORD_FILLERS = frozenset({"the", "a", "an", "for", "to", "of"})

SLOT_REFERENCE = re.compile(r"\{([A-Za-z][A-Za-z0-9_]*)\}")
ABBREVIATION_PERIOD = re.compile(r"(?:^|(?<=[\s.]))\w\.")

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One finding: `<file>: <where>: <message>`; warnings are printed but do not fail."""

    file: str
    where: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.file}: {self.where}: {prefix}{self.message}"


# --- reading the JSON defensively: a malformed model must give problems, not tracebacks --------


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _strings(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def language_model(document: Mapping[str, Any]) -> dict[str, Any]:
    """`interactionModel.languageModel`, or an empty dict."""
    return _dict(_dict(document.get("interactionModel")).get("languageModel"))


def intents_of(model: Mapping[str, Any]) -> list[dict[str, Any]]:
    return _dicts(model.get("intents"))


def slot_declarations(intent: Mapping[str, Any]) -> list[dict[str, Any]]:
    return _dicts(intent.get("slots"))


def normalise(sample: str) -> str:
    """How samples compare: lowercase, runs of white space as one space."""
    return " ".join(sample.lower().split())


def _name(item: Mapping[str, Any]) -> str:
    name = item.get("name")
    return name if isinstance(name, str) else "?"


# --- the checks ---------------------------------------------------------------------------------


def check_invocation_name(file: str, model: Mapping[str, Any]) -> list[Problem]:
    """Amazon's invocation-name requirements."""
    where = "invocationName"
    name = model.get("invocationName")
    if not isinstance(name, str) or not name.strip():
        return [Problem(file, where, "missing")]
    problems: list[Problem] = []

    def problem(message: str) -> None:
        problems.append(Problem(file, where, f'"{name}" {message}'))

    if any(char.isdigit() for char in name):
        problem("contains digits: spell numbers out")
    if any(char.isupper() for char in name):
        problem("must be lowercase")
    others = sorted(
        {c for c in name if not (c.isdigit() or c in " '." or unicodedata.category(c)[0] in "LM")}
    )
    if others:
        problem(f"may hold only letters, spaces, apostrophes and periods, not {_quoted(others)}")
    words = name.split()
    for word in words:
        if "'" in word and not re.fullmatch(r"[^\W\d_]+'s|[^\W\d_]+s'", word.rstrip(".")):
            problem(f'uses an apostrophe other than for a possessive ("{word}")')
            break
    if "." in name and len(ABBREVIATION_PERIOD.findall(name)) != name.count("."):
        problem('uses a period other than in an abbreviation (write "n.b.a.", not "nba.")')
    if len(words) < 2:
        problem("must be two words or more")
    lowered = [word.lower().strip(".") for word in words]
    for word in lowered:
        if word in LAUNCH_WORDS:
            problem(f'contains the launch word "{word}"')
        if word in WAKE_WORDS:
            problem(f'contains the wake word "{word}"')
        if word in FORBIDDEN_WORDS:
            problem(f'contains the word "{word}"')
    joined = " ".join(lowered)
    for phrase in LAUNCH_PHRASES:
        if re.search(rf"(?:^| ){phrase}(?: |$)", joined):
            problem(f'contains the launch phrase "{phrase}"')
    if len(lowered) == 2 and TWO_WORD_FILLERS & set(lowered):
        filler = sorted(TWO_WORD_FILLERS & set(lowered))[0]
        problem(f'is two words and one is the article or preposition "{filler}"')
    return problems


def check_built_in_intents(
    file: str, model: Mapping[str, Any], *, audio_player: bool = True
) -> list[Problem]:
    """The required built-ins, Pause and Resume for AudioPlayer skills, Fallback recommended."""
    names = {_name(intent) for intent in intents_of(model)}
    problems = [
        Problem(file, "intents", f"missing the required built-in intent {name}")
        for name in REQUIRED_BUILT_INS
        if name not in names
    ]
    if audio_player:
        problems += [
            Problem(file, "intents", f"missing {name}, required in a skill that uses AudioPlayer")
            for name in AUDIO_PLAYER_BUILT_INS
            if name not in names
        ]
    problems += [
        Problem(file, "intents", f"{name} is recommended", "warning")
        for name in RECOMMENDED_BUILT_INS
        if name not in names
    ]
    return problems


def check_slots(file: str, model: Mapping[str, Any]) -> list[Problem]:
    """Slots in samples are declared, declared slots are used, slot types exist."""
    custom_types = {_name(slot_type) for slot_type in _dicts(model.get("types"))}
    problems: list[Problem] = []
    seen_intents: set[str] = set()
    for intent in intents_of(model):
        name = _name(intent)
        where = f"intent {name}"
        if name in seen_intents:
            problems.append(Problem(file, where, "declared twice"))
        seen_intents.add(name)
        declared: dict[str, str] = {}
        for slot in slot_declarations(intent):
            slot_name = _name(slot)
            if slot_name in declared:
                problems.append(Problem(file, where, f"slot {slot_name} is declared twice"))
            slot_type = slot.get("type")
            declared[slot_name] = slot_type if isinstance(slot_type, str) else ""
            if not isinstance(slot_type, str) or not slot_type:
                problems.append(Problem(file, where, f"slot {slot_name} has no type"))
            elif not slot_type.startswith("AMAZON.") and slot_type not in custom_types:
                problems.append(
                    Problem(
                        file,
                        where,
                        f"slot {slot_name} has type {slot_type}, which is neither a built-in "
                        "(AMAZON.*) nor a custom type of the model",
                    )
                )
        used: set[str] = set()
        for sample in _strings(intent.get("samples")):
            for slot_name in SLOT_REFERENCE.findall(sample):
                used.add(slot_name)
                if slot_name not in declared:
                    problems.append(
                        Problem(
                            file,
                            where,
                            f'sample "{sample}" uses slot {{{slot_name}}}, '
                            "which the intent does not declare",
                        )
                    )
        for slot in slot_declarations(intent):
            for sample in _strings(slot.get("samples")):
                for slot_name in SLOT_REFERENCE.findall(sample):
                    if slot_name not in declared:
                        problems.append(
                            Problem(
                                file,
                                where,
                                f'slot {_name(slot)} sample "{sample}" uses slot '
                                f"{{{slot_name}}}, which the intent does not declare",
                            )
                        )
        problems += [
            Problem(file, where, f"slot {slot_name} is declared but no sample uses it")
            for slot_name in declared
            if slot_name not in used
        ]
    return problems


def check_duplicate_samples(file: str, model: Mapping[str, Any]) -> list[Problem]:
    """No sample twice in an intent, nor in two intents (compared lowercased, spaces collapsed)."""
    problems: list[Problem] = []
    owner: dict[str, str] = {}
    for intent in intents_of(model):
        name = _name(intent)
        seen: set[str] = set()
        for sample in _strings(intent.get("samples")):
            key = normalise(sample)
            if key in seen:
                problems.append(Problem(file, f"intent {name}", f'sample "{sample}" appears twice'))
                continue
            seen.add(key)
            if key in owner and owner[key] != name:
                problems.append(
                    Problem(
                        file,
                        f"intent {name}",
                        f'sample "{sample}" is also a sample of intent {owner[key]}',
                    )
                )
            else:
                owner[key] = name
    return problems


def check_custom_types(file: str, model: Mapping[str, Any]) -> list[Problem]:
    """Every custom type has values, each with an id and a name, no word under two ids."""
    problems: list[Problem] = []
    seen_types: set[str] = set()
    for slot_type in _dicts(model.get("types")):
        name = _name(slot_type)
        where = f"type {name}"
        if name in seen_types:
            problems.append(Problem(file, where, "declared twice"))
        seen_types.add(name)
        values = _dicts(slot_type.get("values"))
        if not values:
            problems.append(Problem(file, where, "has no values"))
            continue
        ids: set[str] = set()
        words: dict[str, str] = {}
        for position, value in enumerate(values, start=1):
            value_id = value.get("id")
            if not isinstance(value_id, str) or not value_id.strip():
                problems.append(Problem(file, where, f"value #{position} has no id"))
                value_id = f"#{position}"
            elif value_id in ids:
                problems.append(Problem(file, where, f'id "{value_id}" appears twice'))
            ids.add(value_id)
            names = _dict(value.get("name"))
            main = names.get("value")
            if not isinstance(main, str) or not main.strip():
                problems.append(Problem(file, where, f'value "{value_id}" has no name.value'))
            spoken = ([main] if isinstance(main, str) and main.strip() else []) + _strings(
                names.get("synonyms")
            )
            for word in dict.fromkeys(normalise(text) for text in spoken):
                other = words.setdefault(word, value_id)
                if other != value_id:
                    problems.append(
                        Problem(
                            file,
                            where,
                            f'"{word}" is a value or synonym of both "{other}" and "{value_id}"',
                        )
                    )
    return problems


def check_sample_counts(
    file: str, model: Mapping[str, Any], *, minimum: int = MIN_CUSTOM_SAMPLES
) -> list[Problem]:
    """Every custom intent has `minimum` distinct samples or more."""
    problems: list[Problem] = []
    for intent in intents_of(model):
        name = _name(intent)
        if name.startswith("AMAZON."):
            continue
        count = len({normalise(sample) for sample in _strings(intent.get("samples"))})
        if count < minimum:
            problems.append(
                Problem(
                    file,
                    f"intent {name}",
                    f"has {count} distinct samples; custom intents need {minimum} or more",
                )
            )
    return problems


def sample_character_problems(sample: str) -> list[str]:
    """What is wrong with one sample's characters (empty when nothing is)."""
    if not sample.strip():
        return ["is empty"]
    text = SLOT_REFERENCE.sub(" ", sample)
    problems: list[str] = []
    if any(char.isdigit() for char in text):
        problems.append("contains digits: spell numbers out")
    if "{" in text or "}" in text:
        problems.append("has a malformed slot reference")
    others = sorted(
        {
            char
            for char in text
            if not (char.isdigit() or char in " '.-{}" or unicodedata.category(char)[0] in "LM")
        }
    )
    if others:
        problems.append(
            "may hold only letters, spaces, apostrophes, periods, hyphens and {slot} references, "
            f"not {_quoted(others)}"
        )
    return problems


def check_sample_characters(file: str, model: Mapping[str, Any]) -> list[Problem]:
    """Samples (of intents and of slots) use only the characters Alexa accepts."""
    problems: list[Problem] = []
    for intent in intents_of(model):
        where = f"intent {_name(intent)}"
        for sample in _strings(intent.get("samples")):
            problems += [
                Problem(file, where, f'sample "{sample}" {message}')
                for message in sample_character_problems(sample)
            ]
        for slot in slot_declarations(intent):
            for sample in _strings(slot.get("samples")):
                problems += [
                    Problem(file, where, f'slot {_name(slot)} sample "{sample}" {message}')
                    for message in sample_character_problems(sample)
                ]
    return problems


def _prompt_ids(prompts: Any) -> Iterable[tuple[str, str]]:
    """(purpose, prompt id) pairs from a dialog `prompts` object."""
    for purpose, prompt_id in _dict(prompts).items():
        if isinstance(prompt_id, str):
            yield purpose, prompt_id


def check_dialog(file: str, document: Mapping[str, Any]) -> list[Problem]:
    """The dialog names only intents and slots of the model and prompts that exist."""
    interaction = _dict(document.get("interactionModel"))
    model = language_model(document)
    dialog = _dict(interaction.get("dialog"))
    prompts = _dicts(interaction.get("prompts"))
    prompt_ids = {prompt.get("id") for prompt in prompts}
    slots = {
        _name(intent): {_name(slot): slot.get("type") for slot in slot_declarations(intent)}
        for intent in intents_of(model)
    }
    problems: list[Problem] = []

    def check_prompt(where: str, purpose: str, prompt_id: str) -> None:
        if prompt_id not in prompt_ids:
            problems.append(
                Problem(file, where, f'{purpose} prompt "{prompt_id}" is not in prompts')
            )

    for intent in _dicts(dialog.get("intents")):
        name = _name(intent)
        where = f"dialog {name}"
        if name not in slots:
            problems.append(Problem(file, where, "the intent is not in the language model"))
            continue
        for purpose, prompt_id in _prompt_ids(intent.get("prompts")):
            check_prompt(where, purpose, prompt_id)
        for slot in _dicts(intent.get("slots")):
            slot_name = _name(slot)
            slot_where = f"dialog {name}.{slot_name}"
            if slot_name not in slots[name]:
                problems.append(
                    Problem(file, slot_where, "the slot is not a slot of the intent in the model")
                )
                continue
            dialog_type = slot.get("type")
            if dialog_type is not None and dialog_type != slots[name][slot_name]:
                problems.append(
                    Problem(
                        file,
                        slot_where,
                        f"has type {dialog_type} in the dialog but "
                        f"{slots[name][slot_name]} in the language model",
                    )
                )
            slot_prompts = dict(_prompt_ids(slot.get("prompts")))
            for purpose, prompt_id in slot_prompts.items():
                check_prompt(slot_where, purpose, prompt_id)
            for validation in _dicts(slot.get("validations")):
                validation_prompt = validation.get("prompt")
                if isinstance(validation_prompt, str):
                    check_prompt(slot_where, "validation", validation_prompt)
            if slot.get("elicitationRequired") is True and "elicitation" not in slot_prompts:
                problems.append(
                    Problem(file, slot_where, "elicitation is required but there is no prompt")
                )
    for prompt in prompts:
        if not _dicts(prompt.get("variations")):
            problems.append(Problem(file, f"prompt {prompt.get('id')}", "has no variations"))
    return problems


def check_handlers(
    file: str, model: Mapping[str, Any], handlers: Mapping[str, Sequence[str]]
) -> list[Problem]:
    """Each intent of the model has a handler and each handled intent is in the model.

    `handlers` maps an intent name to the names of the handlers that declare it.
    """
    in_model = [_name(intent) for intent in intents_of(model)]
    problems = [
        Problem(file, f"intent {name}", "no request handler declares it")
        for name in dict.fromkeys(in_model)
        if name not in handlers
    ]
    problems += [
        Problem(
            file,
            f"intent {name}",
            f"handled by {', '.join(handlers[name])} but not in the model",
        )
        for name in sorted(handlers)
        if name not in in_model
    ]
    return problems


def check_locales(models: Mapping[str, Mapping[str, Any]], checked: Iterable[str]) -> list[Problem]:
    """Every locale has the same intents, with the same slots and slot types.

    `models` maps a file name (its stem being the locale) to its language model; problems are
    reported for the files in `checked` only.
    """
    if len(models) < 2:
        return []
    shapes = {
        file: {
            _name(intent): {_name(slot): slot.get("type") for slot in slot_declarations(intent)}
            for intent in intents_of(model)
        }
        for file, model in models.items()
    }

    def locale(file: str) -> str:
        return Path(file).stem

    problems: list[Problem] = []
    for file in checked:
        if file not in shapes:
            continue
        mine = shapes[file]
        others = {other: shape for other, shape in shapes.items() if other != file}
        where_else: dict[str, list[str]] = defaultdict(list)
        for other, shape in others.items():
            for intent in shape:
                where_else[intent].append(locale(other))
        for intent in sorted(set(where_else) - set(mine)):
            problems.append(
                Problem(
                    file,
                    f"intent {intent}",
                    f"missing here but in {', '.join(sorted(where_else[intent]))}",
                )
            )
        for intent, slots in mine.items():
            for other, shape in sorted(others.items()):
                if intent not in shape:
                    continue
                for slot in sorted(set(shape[intent]) - set(slots)):
                    problems.append(
                        Problem(
                            file,
                            f"intent {intent}",
                            f"slot {slot} is missing here but declared in {locale(other)}",
                        )
                    )
                for slot in sorted(set(shape[intent]) & set(slots)):
                    if shape[intent][slot] != slots[slot]:
                        problems.append(
                            Problem(
                                file,
                                f"intent {intent}",
                                f"slot {slot} has type {slots[slot]} here but "
                                f"{shape[intent][slot]} in {locale(other)}",
                            )
                        )
    return problems


def check_document(
    file: str,
    document: Mapping[str, Any],
    *,
    handlers: Mapping[str, Sequence[str]] | None = None,
    audio_player: bool = True,
) -> list[Problem]:
    """Every single-model check of one parsed interaction model file."""
    model = language_model(document)
    if not model:
        return [Problem(file, "interactionModel", "no interactionModel.languageModel object")]
    problems = [
        *check_invocation_name(file, model),
        *check_built_in_intents(file, model, audio_player=audio_player),
        *check_slots(file, model),
        *check_duplicate_samples(file, model),
        *check_custom_types(file, model),
        *check_sample_counts(file, model),
        *check_sample_characters(file, model),
        *check_dialog(file, document),
    ]
    if handlers is not None:
        problems += check_handlers(file, model, handlers)
    return problems


def handled_intents() -> dict[str, list[str]]:
    """Intent name -> the request handlers that declare it in their `intents`."""
    from skill.skill_builder import request_handlers

    handlers: dict[str, list[str]] = defaultdict(list)
    for handler in request_handlers():
        for intent in getattr(handler, "intents", ()):
            handlers[intent].append(type(handler).__name__)
    return dict(handlers)


def default_models() -> list[Path]:
    return sorted(DEFAULT_MODEL_DIR.glob("*.json"))


def display_name(path: Path) -> str:
    """The path as the user would type it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load(path: Path, file: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        return None, [Problem(file, "file", f"cannot be read: {error.strerror or error}")]
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return None, [Problem(file, "file", f"is not valid JSON: {error}")]
    if not isinstance(document, dict):
        return None, [Problem(file, "file", "is not a JSON object")]
    return document, []


def check_files(
    paths: Sequence[Path],
    *,
    handlers: Mapping[str, Sequence[str]] | None = None,
    audio_player: bool = True,
) -> list[Problem]:
    """Check model files, each on its own, then across locales with their sibling models."""
    problems: list[Problem] = []
    models: dict[str, dict[str, Any]] = {}
    checked: list[str] = []
    for path in paths:
        file = display_name(path)
        checked.append(file)
        document, load_problems = load(path, file)
        problems += load_problems
        if document is not None:
            problems += check_document(file, document, handlers=handlers, audio_player=audio_player)
            models[file] = language_model(document)
    # Sibling locales not named on the command line still count as "the other locales".
    for sibling in sorted({p.resolve().parent for p in paths}):
        for other in sorted(sibling.glob("*.json")):
            file = display_name(other)
            if file in models or file in checked:
                continue
            document, load_problems = load(other, file)
            if document is not None and language_model(document):
                models[file] = language_model(document)
    problems += check_locales(models, checked)
    return problems


def _quoted(chars: Iterable[str]) -> str:
    return " ".join(f'"{char}"' for char in chars)
