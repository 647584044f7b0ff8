"""Spoken delivery of a guided set: the script cut into chunks that fit one Alexa response.

Each chunk holds whole repetitions (at most five, by default), stays within Alexa's limits for
one response (under 8000 SSML characters, at most 240 s) and ends where the coach asks "ready
for the next five?". The first chunk of a set carries the script's opening (in the full variant
the safety line, starting position and instruction); the last carries the closing line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from skill.sets.script import Say, Script, Silence

# Alexa speaks about 150 words a minute: some 13 characters a second. Estimates stay above it.
SPEECH_MS_PER_CHAR = 80
Part = Say | Silence
Render = Callable[[Sequence[Part]], str]


@dataclass(frozen=True)
class ChunkLimits:
    """What one chunk may hold; `max_chars` leaves room for the question around it."""

    max_repetitions: int = 5
    max_ms: int = 240_000
    max_chars: int = 7000


@dataclass(frozen=True)
class Chunk:
    """Repetitions `first..last` of a set, ready to render."""

    first_repetition: int
    last_repetition: int
    parts: tuple[Part, ...]
    finishes_set: bool

    @property
    def repetitions(self) -> int:
        """How many repetitions the chunk guides."""
        return self.last_repetition - self.first_repetition + 1


def estimated_ms(parts: Sequence[Part]) -> int:
    """How long the parts take to say: pauses exactly, speech by its length."""
    return sum(
        part.milliseconds if isinstance(part, Silence) else len(part.text) * SPEECH_MS_PER_CHAR
        for part in parts
    )


def next_chunk(
    script: Script,
    from_repetition: int,
    render: Render,
    limits: ChunkLimits | None = None,
) -> Chunk:
    """The chunk that starts at `from_repetition` (1..n): as many repetitions as fit."""
    limits = limits or ChunkLimits()
    first = min(max(from_repetition, 1), script.repetitions)
    by_repetition: dict[int, list[Part]] = {}
    for step in script.steps:
        by_repetition.setdefault(step.repetition, []).append(step.part)
    opening: list[Part] = list(by_repetition.get(0, [])) if first == 1 else []
    closing = by_repetition.get(script.closing_repetition, [])

    def candidate(last: int) -> list[Part]:
        parts = list(opening)
        for repetition in range(first, last + 1):
            parts.extend(by_repetition.get(repetition, []))
        return parts + (list(closing) if last == script.repetitions else [])

    # Grow by the cheap measure (time), then render once; shrink only if the text is too long.
    last = first - 1
    for repetition in range(first, min(script.repetitions, first + limits.max_repetitions - 1) + 1):
        if estimated_ms(candidate(repetition)) > limits.max_ms:
            break
        last = repetition
    while last >= first:
        parts = candidate(last)
        if len(render(parts)) <= limits.max_chars:
            return Chunk(first, last, tuple(parts), last == script.repetitions)
        last -= 1
    raise ValueError(
        f"repetition {first} of {script.exercise_id} at {script.pace} pace does not fit "
        "in one response"
    )


def all_chunks(script: Script, render: Render, limits: ChunkLimits | None = None) -> list[Chunk]:
    """The whole set, chunk by chunk."""
    chunks = [next_chunk(script, 1, render, limits)]
    while not chunks[-1].finishes_set:
        chunks.append(next_chunk(script, chunks[-1].last_repetition + 1, render, limits))
    return chunks
