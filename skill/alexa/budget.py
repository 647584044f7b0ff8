"""The word budget: how much an answer says before the question it ends with.

A patient lying flat after surgery takes in a short answer, then the question. Every answer's
speech before its final question is at most `WORD_BUDGET` words (about 12 seconds); the budget
test (tests/speech_budget.py) measures every response the tests produce with
`words_before_question`. What may say more is named in `EXCEPTIONS`, each with its reason, and
nowhere else.

Words are counted on the text Alexa speaks (SSML tags dropped), split at white space (a digit
group is one word). The final question is the last sentence of a response that keeps the
session open with a reprompt; a response that ends the session counts whole.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any
from xml.etree import ElementTree

from skill.content.plan import load_plan

WORD_BUDGET = 30

# A sentence's end: its mark followed by white space, so "4.5" does not split a sentence.
_SENTENCE_END = re.compile(r"[.!?…](?=\s)")
_BREAK = re.compile(r"<break\b[^>]*/>")
_NUMBER = re.compile(r"^\d+\W?$")

Body = Mapping[str, Any]


def spoken_text(ssml: str) -> str:
    """The words Alexa says for an SSML string (with or without <speak>), tags dropped."""
    if not ssml.strip():
        return ""
    body = ssml if ssml.lstrip().startswith("<speak") else f"<speak>{ssml}</speak>"
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return " ".join(re.sub(r"<[^>]+>", " ", ssml).split())
    return " ".join("".join(root.itertext()).split())


def count_words(text: str) -> int:
    """Words in spoken text: runs between white space."""
    return len(text.split())


def without_final_question(text: str) -> str:
    """The text before its last sentence ('' when it is one sentence)."""
    text = text.strip()
    ends = [match.end() for match in _SENTENCE_END.finditer(text)]
    return text[: ends[-1]] if ends else ""


def _ssml(body: Body) -> str:
    speech = (body.get("response") or {}).get("outputSpeech") or {}
    if speech.get("type") == "PlainText":
        return str(escape_text(str(speech.get("text") or "")))
    return str(speech.get("ssml") or "")


def escape_text(text: str) -> str:
    """Plain text as SSML text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def waits_for_answer(body: Body) -> bool:
    """Whether the response keeps the session open with a reprompt: it ends with a question."""
    response = body.get("response") or {}
    return response.get("shouldEndSession") is False and bool(response.get("reprompt"))


def pending_kind(body: Body) -> str | None:
    """The kind of question the response leaves open (skill/alexa/pending.py), if any."""
    pending = (body.get("sessionAttributes") or {}).get("pending")
    kind = pending.get("kind") if isinstance(pending, dict) else None
    return kind if isinstance(kind, str) else None


def without_repetitions(ssml: str) -> str | None:
    """The SSML without a guided set's repetitions, or None if it has none.

    Repetitions are the pauses' stretch that starts with a count (a stretch between pauses that
    is only a number) and holds a cue (a stretch with words): from the first count to the last
    pause. What is said before the first count (the set's opening) and after the last pause (its
    close, the next offer) stays.
    """
    stretches = _BREAK.split(ssml)
    spoken = [spoken_text(stretch) for stretch in stretches]
    counts = [i for i, text in enumerate(spoken) if _NUMBER.match(text)]
    if not counts or len(stretches) < 3:
        return None
    first = counts[0]
    cues = [i for i in range(first + 1, len(spoken) - 1) if spoken[i] and i not in counts]
    if not cues:
        return None  # digits in groups (a code, a phone number), not a set
    return " ".join([*stretches[:first], stretches[-1]])


@cache
def _instructions() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The plan's starting position in every locale, and every instruction text: the safety
    line, the starting position, each exercise's instruction (longest first, so none is cut
    inside a longer one)."""
    in_bed = load_plan().in_bed_exercises

    def said(texts: Iterable[str]) -> list[str]:
        return [" ".join(text.split()) for text in texts]

    positions = said(in_bed.starting_position.text.values())
    texts = [
        *said(in_bed.safety.text.values()),
        *positions,
        *said(text for exercise in in_bed.exercises for text in exercise.instruction.values()),
    ]
    return tuple(positions), tuple(sorted(set(texts), key=len, reverse=True))


def without_instructions(ssml: str) -> str | None:
    """The SSML without the plan's exercise instructions, or None if it gives none. An answer
    gives them when it says the starting position (a set's full opening, "how do I do this?"):
    the safety line said elsewhere (the pain rule) still counts."""
    text = spoken_text(ssml)
    positions, instructions = _instructions()
    if not any(position in text for position in positions):
        return None
    for instruction in instructions:
        text = text.replace(instruction, " ")
    return escape_text(" ".join(text.split()))


@dataclass(frozen=True)
class BudgetException:
    """Speech the budget leaves uncounted: what it is, why, and how a response shows it."""

    name: str
    reason: str
    # The response's SSML with the excepted speech taken out (None: this does not apply);
    # a whole answer excepted gives ''.
    counted: Callable[[Body], str | None]


# Everything the skill may say beyond WORD_BUDGET, in one place, each with its reason.
EXCEPTIONS: tuple[BudgetException, ...] = (
    BudgetException(
        name="an exercise's instructions",
        reason=(
            "the plan's safety line, starting position and the exercise's instruction, which "
            "the patient needs whole to do it safely: said with the first set of an exercise "
            "each day (later sets go straight to the count) and when asked 'how do I do this?'"
        ),
        counted=lambda body: without_instructions(without_repetitions(_ssml(body)) or _ssml(body)),
    ),
    BudgetException(
        name="a guided set's repetitions",
        reason=(
            "the counts and cues are the exercise itself, said while the patient moves, not an "
            "answer to take in; what is said before the first count and after the last "
            "repetition is counted"
        ),
        counted=lambda body: without_repetitions(_ssml(body)),
    ),
)


def counted_ssml(body: Body) -> tuple[str, BudgetException | None]:
    """The SSML the budget counts, and the exception that took speech out of it (if any)."""
    ssml = _ssml(body)
    for exception in EXCEPTIONS:
        counted = exception.counted(body)
        if counted is not None:
            return counted, exception
    return ssml, None


def speech_before_question(body: Body) -> str:
    """The counted spoken text of a response (its whole JSON body) before its final question."""
    text = spoken_text(counted_ssml(body)[0])
    return without_final_question(text) if waits_for_answer(body) else text


def words_before_question(body: Body) -> int:
    """How many counted words the response says before the question it ends with."""
    return count_words(speech_before_question(body))


def over_budget(body: Body) -> int | None:
    """The counted words before the question when above WORD_BUDGET; else None."""
    words = words_before_question(body)
    return words if words > WORD_BUDGET else None
