"""Typed text → intent and slots, from an interaction model, the way Alexa would hear it.

Every sample utterance becomes a pattern with its slots as gaps. A match counts only when its
slot values are of the slot's type (a number for AMAZON.NUMBER, a date for AMAZON.DATE, a
value or synonym of a custom type — or any words when the sample has enough words of its own,
as Alexa passes unmatched custom values with ER_SUCCESS_NO_MATCH). The match with the fewest
unmatched custom values, then the most words of the sample's own, wins; no match, or two
intents tied, is AMAZON.FallbackIntent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from skill.devtools.simulator.spoken_language import (
    LocaleError,
    SpokenLanguage,
    alternatives,
    load_language,
)
from skill.devtools.simulator.spoken_values import SpokenValues

FALLBACK = "AMAZON.FallbackIntent"
MODELS_DIR = Path(__file__).resolve().parents[3] / "interaction_model"
# Words of their own a sample needs before a custom slot may hold words that match no value.
FREE_TEXT_MIN_WORDS = 2
_PUNCTUATION = re.compile(r"[^\w\s'{}.-]|(?<!\w)\.|\.(?!\w)")
_SLOT = re.compile(r"{(\w+)}")


def normalise(text: str) -> str:
    """Lowercase words separated by single spaces, punctuation dropped."""
    return " ".join(_PUNCTUATION.sub(" ", text.lower()).split())


@dataclass(frozen=True)
class SlotValue:
    """A filled slot: what was said, the value Alexa sends, and entity resolution if any."""

    name: str
    said: str
    value: str
    type: str
    resolved_id: str | None = None
    resolved_name: str | None = None

    def as_alexa(self) -> dict[str, Any]:
        """The slot as it appears in an IntentRequest."""
        slot: dict[str, Any] = {
            "name": self.name,
            "value": self.value,
            "confirmationStatus": "NONE",
        }
        if self.type.startswith("AMAZON."):
            return slot
        authority = f"amzn1.er-authority.echo-sdk.amzn1.ask.skill.devtools.simulator.{self.type}"
        if self.resolved_id is not None:
            slot["resolutions"] = {
                "resolutionsPerAuthority": [
                    {
                        "authority": authority,
                        "status": {"code": "ER_SUCCESS_MATCH"},
                        "values": [{"value": {"name": self.resolved_name, "id": self.resolved_id}}],
                    }
                ]
            }
        else:
            slot["resolutions"] = {
                "resolutionsPerAuthority": [
                    {"authority": authority, "status": {"code": "ER_SUCCESS_NO_MATCH"}}
                ]
            }
        return slot


@dataclass(frozen=True)
class Understood:
    """What the skill is sent for one utterance."""

    intent: str
    slots: dict[str, SlotValue] = field(default_factory=dict)
    sample: str | None = None

    def alexa_slots(self, declared: list[str]) -> dict[str, dict[str, Any]]:
        """Every declared slot of the intent, filled or empty, as Alexa sends them."""
        slots = {name: {"name": name, "confirmationStatus": "NONE"} for name in declared}
        slots.update({name: value.as_alexa() for name, value in self.slots.items()})
        return slots


@dataclass(frozen=True)
class _Sample:
    intent: str
    text: str
    pattern: re.Pattern[str]
    slot_names: tuple[str, ...]
    own_words: int


def _compile(intent: str, sample: str) -> _Sample:
    # Literal words are normalised like what is heard; slot names keep their case.
    pieces = _SLOT.split(sample)  # literal, slot, literal, slot, …, literal
    literals = [normalise(piece) for piece in pieces[0::2]]
    names = tuple(pieces[1::2])
    parts = [re.escape(literals[0])]
    for name, literal in zip(names, literals[1:], strict=True):
        parts.append(f"(?P<{name}>.+?)")
        parts.append(re.escape(literal))
    pattern = r"\s*".join(part for part in parts if part)
    text = " ".join(
        word
        for pair in zip(literals, [*(f"{{{n}}}" for n in names), ""], strict=True)
        for word in pair
        if word
    )
    own = sum(len(literal.split()) for literal in literals)
    return _Sample(intent, text, re.compile(f"^{pattern}$"), names, own)


class Understanding:
    """Hears typed utterances with one locale's interaction model and spoken language."""

    def __init__(self, model: Mapping[str, Any], spoken: SpokenLanguage | None = None) -> None:
        self.spoken = spoken or load_language("en-US")
        self.locale = self.spoken.locale
        self.values = SpokenValues(self.spoken)
        language = model["interactionModel"]["languageModel"]
        self.invocation = normalise(language["invocationName"])
        self.slot_types: dict[str, dict[str, str]] = {}
        self.intent_slots: dict[str, dict[str, str]] = {}
        self._names: dict[str, dict[str, str]] = {}
        for custom in language.get("types", []):
            lookup, names = {}, {}
            for value in custom["values"]:
                name = value["name"]["value"]
                names[value["id"]] = name
                for said in (name, *value["name"].get("synonyms", [])):
                    lookup[normalise(said)] = value["id"]
            self.slot_types[custom["name"]] = lookup
            self._names[custom["name"]] = names
        samples: list[_Sample] = []
        for intent in language["intents"]:
            name = intent["name"]
            self.intent_slots[name] = {
                slot["name"]: slot["type"] for slot in intent.get("slots", [])
            }
            # Built-in intents have no samples in the model: the locale's phrasings for them.
            texts = intent.get("samples") or self.spoken.built_in_intents.get(name, [])
            samples.extend(_compile(name, text) for text in texts)
        self._samples = samples

    @classmethod
    def for_locale(cls, locale: str, models_dir: Path = MODELS_DIR) -> Understanding:
        """The model of a locale from interaction_model/<locale>.json, with its phrasings.

        Raises LocaleError, saying what is missing, for a locale without either."""
        spoken = load_language(locale)
        path = models_dir / f"{locale}.json"
        if not path.is_file():
            models = ", ".join(sorted(p.stem for p in models_dir.glob("*.json"))) or "none"
            raise LocaleError(
                f"no interaction model for {locale}: {path} does not exist (models: {models})"
            )
        return cls(json.loads(path.read_text(encoding="utf-8")), spoken)

    def strip_invocation(self, text: str) -> tuple[str, bool]:
        """'ask spine coach to start my bridges' → ('start my bridges', False); 'open spine
        coach' → ('', True), a launch."""
        said = normalise(text)
        said = re.sub(r"^alexa\s+", "", said)
        invocation = re.escape(self.invocation)
        words = self.spoken.invocation
        if re.fullmatch(rf"({alternatives(words.launch)})\s+{invocation}", said):
            return "", True
        joiners = "|".join(rf"{re.escape(word)}\s+" for word in words.joiners)
        match = re.match(rf"^({alternatives(words.ask)})\s+{invocation}\s+({joiners})?(.*)$", said)
        if match:
            return match[3], False
        return said, False

    def hear(self, text: str, now: datetime) -> Understood:
        """The intent and slots for an utterance (no invocation name)."""
        said = normalise(text)
        best: list[tuple[tuple[int, int], Understood]] = []
        for sample in self._samples:
            match = sample.pattern.match(said)
            if match is None:
                continue
            slots = self._fill(sample, match.groupdict(), now)
            if slots is None:
                continue
            custom = [slot for slot in slots.values() if not slot.type.startswith("AMAZON.")]
            unmatched = sum(1 for slot in custom if slot.resolved_id is None)
            # Fewest custom values that match nothing, then the most words of the sample's own.
            score = (-unmatched, sample.own_words)
            best.append((score, Understood(sample.intent, slots, sample.text)))
        if not best:
            return Understood(FALLBACK)
        best.sort(key=lambda item: item[0], reverse=True)
        top_score = best[0][0]
        top_intents = {understood.intent for score, understood in best if score == top_score}
        if len(top_intents) > 1:
            return Understood(FALLBACK)
        return best[0][1]

    def _fill(
        self, sample: _Sample, said: dict[str, str], now: datetime
    ) -> dict[str, SlotValue] | None:
        slots: dict[str, SlotValue] = {}
        for name, words in said.items():
            slot_type = self.intent_slots.get(sample.intent, {}).get(name)
            if slot_type is None:
                return None
            value = self._value(slot_type, words, now, sample.own_words)
            if value is None:
                return None
            slots[name] = SlotValue(name, words, *value)
        return slots

    def _value(
        self, slot_type: str, words: str, now: datetime, own_words: int
    ) -> tuple[str, str, str | None, str | None] | None:
        if slot_type == "AMAZON.NUMBER":
            number = self.values.number(words)
            return (number, slot_type, None, None) if number is not None else None
        if slot_type == "AMAZON.DATE":
            day = self.values.date(words, now)
            return (day, slot_type, None, None) if day is not None else None
        if slot_type == "AMAZON.DURATION":
            duration = self.values.duration(words)
            return (duration, slot_type, None, None) if duration is not None else None
        if slot_type == "AMAZON.TIME":
            moment = self.values.time(words)
            return (moment, slot_type, None, None) if moment is not None else None
        lookup = self.slot_types.get(slot_type)
        if lookup is None:
            return (words, slot_type, None, None)  # another built-in type: the words as said
        value_id = lookup.get(words)
        if value_id is not None:
            return (words, slot_type, value_id, self._names[slot_type][value_id])
        if own_words >= FREE_TEXT_MIN_WORDS:
            return (words, slot_type, None, None)
        return None
