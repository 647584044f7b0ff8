"""Spoken chunks of guided sets, made once per locale, exercise, pace, variant and first
repetition.

A chunk depends only on the plan, the strings and the coach voice, all fixed for the life of
the app: it is the same for every patient, and computing it took most of a set's start.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from skill.alexa.speech import ssml
from skill.content.plan import InBedExercise, Pace, RecoveryPlan
from skill.content.strings import Catalogue
from skill.sets.chunks import Chunk, Part, Render, next_chunk
from skill.sets.coach_voice import CoachVoice
from skill.sets.script import Variant, build_script

# (locale, exercise id, pace, variant, first repetition)
Key = tuple[str, str, str, str, int]


@dataclass(frozen=True)
class SpokenChunk:
    """A chunk of a set and its SSML markup, as the coach says it."""

    chunk: Chunk
    markup: Markup


class SpokenSets:
    """The chunks of spoken guided sets, each computed once and then remembered.

    Keys are normalised (the strings' locale, a known exercise, a pace, a repetition within
    the set, and the variant only for the first repetition: the variants differ only in their
    opening) so the cache holds at most locales x exercises x paces x (repetitions + 1)
    entries.
    Safe across threads: a race may compute a chunk twice, but every caller gets the first
    one stored.
    """

    def __init__(self, plan: RecoveryPlan, catalogue: Catalogue, voice: CoachVoice) -> None:
        self._plan = plan
        self._catalogue = catalogue
        self._voice = voice
        self._exercises = {e.id: e for e in plan.in_bed_exercises.exercises}
        self._chunks: dict[Key, SpokenChunk] = {}
        self._lock = threading.Lock()

    def chunk(
        self,
        locale: str,
        exercise_id: str,
        pace: Pace,
        from_repetition: int,
        variant: Variant = Variant.FULL,
    ) -> SpokenChunk:
        """The chunk of `exercise_id`'s set at `pace` that starts at `from_repetition` (clamped
        to the set's repetitions, as `next_chunk` does), in `locale`'s strings; the first one
        opens as `variant` says."""
        exercise = self._exercises.get(exercise_id)
        if exercise is None:
            raise LookupError(f"the plan has no exercise {exercise_id!r}")
        first = min(max(from_repetition, 1), exercise.repetitions)
        opening = Variant(variant) if first == 1 else Variant.FULL
        key = (
            self._catalogue.for_locale(locale).locale,
            exercise.id,
            Pace(pace).value,
            opening.value,
            first,
        )
        found = self._chunks.get(key)
        if found is not None:
            return found
        made = self._make(key, exercise)
        with self._lock:
            return self._chunks.setdefault(key, made)

    def _make(self, key: Key, exercise: InBedExercise) -> SpokenChunk:
        locale, _, pace, variant, first = key
        strings = self._catalogue.for_locale(locale)
        script = build_script(self._plan, strings, exercise, Pace(pace), Variant(variant))
        chunk = next_chunk(script, first, self._render(locale))
        return SpokenChunk(chunk, self._voice.render(locale, chunk.parts))

    def _render(self, locale: str) -> Render:
        voice = self._voice

        def render(parts: Sequence[Part]) -> str:
            return ssml(voice.render(locale, parts))

        return render
