"""How people talk to Alexa in one locale, for the simulator: skill/devtools/simulator/languages/.

Each <locale>.yaml holds what the simulator needs to hear that locale as Alexa would: the
language text2num and dateparser read numbers and dates in, the words around numbers, dates and
durations, how the skill is invoked, the phrasings of Amazon's built-in intents (which have
no samples in the interaction model), and what /try suggests saying. These are the patient's
words, not the skill's: the skill's own sentences live in skill/content/strings/. A bad file
stops the simulator with an error naming the file and the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

LANGUAGES_DIR = Path(__file__).resolve().parent / "languages"

Unit = Literal["minutes", "hours", "days", "weeks", "months", "years"]


class LocaleError(ValueError):
    """The simulator cannot hear this locale: no phrasings for it, or no interaction model."""


class LanguageError(ValueError):
    """A languages/<locale>.yaml file is not valid."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _lowercase(words: list[str]) -> list[str]:
    for word in words:
        if word != " ".join(word.lower().split()):
            raise ValueError(f"{word!r}: write phrases in lowercase, single-spaced")
    return words


class Invocation(_Strict):
    """The words that open the skill ("open …") or pass it a request ("ask … to …")."""

    launch: list[str]
    ask: list[str]
    joiners: list[str]  # between the invocation name and the request: "to", "om"

    check_phrases = field_validator("launch", "ask", "joiners")(_lowercase)


class Durations(_Strict):
    """AMAZON.DURATION: '[about] <count> <unit>'."""

    hedges: list[str]  # "about", "ongeveer": said before a duration, not part of it
    one: list[str]  # words for a count of one: "a", "an", "een"
    # Every form of a unit word: "minute", "minutes", "minuten".
    units: dict[str, Unit] = Field(min_length=1)
    multiples: dict[str, tuple[int, Unit]] = {}  # "fortnight": two weeks


class Dates(_Strict):
    """AMAZON.DATE: what makes a date a full day, and words dateparser does not expect."""

    now: list[str]  # PRESENT_REF
    # A date with one of these is a full day: "ago", "gisteren".
    relative: list[str] = Field(min_length=1)
    # A weekday alone is the last such day: a full day.
    weekdays: list[str] = Field(min_length=7, max_length=7)
    previous: list[str] = []  # "vorige dinsdag": the word dropped before a weekday
    # "vorige week dinsdag": that weekday in the week before this one (weekdays from Monday).
    last_week: list[str] = []
    leading: list[str] = []  # "op 21 oktober": words dropped before a date
    ordinal_suffixes: list[str] = []  # "21e", "21ste": the suffix dropped after a day's number

    check_phrases = field_validator(
        "now", "relative", "weekdays", "previous", "last_week", "leading"
    )(_lowercase)


class Suggestions(_Strict):
    """What /try suggests saying in the locale: sentences of its interaction model."""

    start: str  # "open spine coach": the first thing to say
    placeholder: str  # the text box's hint: "Alexa, ask spine coach …"
    chips: list[str] = Field(min_length=1)  # one click says it


class AlexaWords(_Strict):
    """What Alexa herself says and hears on the simulated Echo, not the skill: her permission
    ask after a skill's AskFor hand-over ({skill}: the skill's name in this language), the
    yes and no she hears to it, and the word a reminder going off is shown with."""

    skill_name: str = Field(min_length=1)
    permission_ask: str
    reminder: str = Field(min_length=1)
    heard_as_yes: list[str] = Field(min_length=1)
    heard_as_no: list[str] = Field(min_length=1)

    @field_validator("permission_ask")
    @classmethod
    def _names_the_skill(cls, ask: str) -> str:
        if "{skill}" not in ask:
            raise ValueError("the ask names the skill: put {skill} in it")
        return ask


class SpokenLanguage(_Strict):
    """One locale's spoken words, as the simulator hears them."""

    locale: str
    language: str  # the ISO 639-1 code text2num and dateparser read
    espeak_voice: str  # `chat --speak`
    number_words: dict[str, int]  # number words text2num leaves as words ("oh", "one")
    invocation: Invocation
    durations: Durations
    dates: Dates
    built_in_intents: dict[str, list[str]]
    suggestions: Suggestions | None = None  # /try's chips; without them, no suggestions
    alexa: AlexaWords

    @field_validator("built_in_intents")
    @classmethod
    def _built_ins(cls, intents: dict[str, list[str]]) -> dict[str, list[str]]:
        said_for: dict[str, str] = {}
        for intent, phrases in intents.items():
            if not intent.startswith("AMAZON."):
                raise ValueError(f"{intent}: only Amazon's built-in intents belong here")
            if not phrases:
                raise ValueError(f"{intent}: give at least one phrasing")
            for phrase in _lowercase(phrases):
                if phrase in said_for and said_for[phrase] != intent:
                    raise ValueError(f"{phrase!r} is said for {said_for[phrase]} and {intent}")
                said_for[phrase] = intent
        return intents

    @field_validator("language")
    @classmethod
    def _libraries_read_it(cls, language: str) -> str:
        import dateparser
        from text_to_num import alpha2digit

        try:
            alpha2digit("", language)
            dateparser.parse("", languages=[language])
        except (ValueError, KeyError) as error:
            raise ValueError(f"text2num and dateparser must read {language!r}: {error}") from error
        return language


def alternatives(words: Iterable[str]) -> str:
    """A regex alternation of words or phrases, as said."""
    return "|".join(re.escape(word) for word in words)


def known_locales(directory: Path = LANGUAGES_DIR) -> list[str]:
    """Every locale the simulator has phrasings for."""
    return sorted(path.stem for path in directory.glob("*.yaml"))


@cache
def load_language(locale: str, directory: Path = LANGUAGES_DIR) -> SpokenLanguage:
    """The phrasings of `locale` from languages/<locale>.yaml, validated."""
    path = directory / f"{locale}.yaml"
    if not path.is_file():
        raise LocaleError(
            f"the simulator does not know the locale {locale!r}: it hears "
            f"{', '.join(known_locales(directory))} ({directory}/<locale>.yaml)"
        )
    raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        language = SpokenLanguage.model_validate(raw)
    except ValidationError as error:
        fields = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or '(top)'}: {problem['msg']}"
            for problem in error.errors()
        )
        raise LanguageError(f"{path}: {fields}") from error
    if language.locale != locale:
        raise LanguageError(f"{path}: locale is {language.locale!r}, the file name says {locale}")
    return language
