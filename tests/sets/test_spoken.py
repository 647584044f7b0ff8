"""Spoken chunks made once and shared: the same chunks and SSML as computing them per request,
for every exercise, pace and first repetition of the plan, with or without hosted clips; made
once per key, whatever repetition a stored set names and however many threads ask."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from markupsafe import Markup

from skill.alexa.speech import ssml
from skill.coach_audio.manifest import Manifest, PhraseClip
from skill.content.plan import Pace, load_plan
from skill.content.strings import load_catalogue
from skill.sets import chunks as exercise_chunks
from skill.sets import script as exercise_script
from skill.sets import spoken as spoken_sets
from skill.sets.chunks import Chunk, Part, next_chunk
from skill.sets.coach_voice import CoachVoice
from skill.sets.script import Say, Silence, build_script
from skill.sets.spoken import SpokenChunk, SpokenSets

PLAN = load_plan()
CATALOGUE = load_catalogue()
EXERCISES = PLAN.in_bed_exercises.exercises
BASE = "https://cdn.example.org/coach/"


def built_manifest() -> Manifest:
    """A clip for every phrase of every set of the plan, in every locale, with today's text."""
    phrases: dict[str, dict[str, PhraseClip]] = {}
    for locale in CATALOGUE.locales:
        strings = CATALOGUE.for_locale(locale)
        clips = phrases.setdefault(locale, {})
        for exercise in EXERCISES:
            for pace in Pace:
                for say in build_script(PLAN, strings, exercise, pace).phrases():
                    clips[say.key] = PhraseClip(
                        file=f"clips/{say.key}.mp3", text=say.text, duration_ms=1000
                    )
    return Manifest(engine="espeak", phrases=phrases, tracks={})


MANIFEST = built_manifest()
VOICES = {
    "text only": CoachVoice(None, None),
    "hosted": CoachVoice(MANIFEST, BASE),
    # Room for a whole chunk of clips, so the chunks are cut by the audio markup's length.
    "hosted, all clips": CoachVoice(MANIFEST, BASE, max_audio_ms=10_000_000, max_audio_clips=1_000),
}


@dataclass(frozen=True)
class CountingVoice(CoachVoice):
    """A coach voice that counts its renders."""

    renders: list[int] = field(default_factory=list)

    def render(self, locale: str, parts: Sequence[Say | Silence]) -> Markup:
        self.renders.append(len(parts))
        return super().render(locale, parts)


def direct(
    voice: CoachVoice, locale: str, exercise_id: str, pace: Pace, first: int
) -> tuple[Chunk, Markup]:
    """The chunk and its markup as computed for each request before the cache."""
    exercise = PLAN.exercise(exercise_id)
    assert exercise is not None
    script = build_script(PLAN, CATALOGUE.for_locale(locale), exercise, pace)

    def render(parts: Sequence[Part]) -> str:
        return ssml(voice.render(locale, parts))

    chunk = next_chunk(script, first, render)
    return chunk, voice.render(locale, chunk.parts)


def every_key() -> Iterator[tuple[str, str, Pace, int]]:
    for locale in CATALOGUE.locales:
        for exercise in EXERCISES:
            for pace in Pace:
                for first in range(1, exercise.repetitions + 1):
                    yield locale, exercise.id, pace, first


@pytest.mark.parametrize("voice", VOICES.values(), ids=VOICES.keys())
def test_every_chunk_is_the_one_computed_directly(voice: CoachVoice) -> None:
    sets = SpokenSets(PLAN, CATALOGUE, voice)
    for key in every_key():
        spoken = sets.chunk(*key)
        chunk, markup = direct(voice, *key)
        assert spoken.chunk == chunk, key
        assert spoken.markup == markup, key
        assert isinstance(spoken.markup, Markup)
        assert str(spoken.markup) == str(markup)


def test_hosted_clips_are_used_where_they_fit() -> None:
    sets = SpokenSets(PLAN, CATALOGUE, VOICES["hosted, all clips"])
    spoken = sets.chunk("en-US", EXERCISES[0].id, Pace.NORMAL, 1)
    assert f'<audio src="{BASE}clips/starting_position.mp3"/>' in spoken.markup


def counting(monkeypatch: pytest.MonkeyPatch, name: str, real: Callable[..., Any]) -> list[int]:
    """Count the calls spoken_sets makes to `name` (still calling the real function)."""
    calls: list[int] = []

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(spoken_sets, name, spy)
    return calls


def test_a_chunk_is_made_once_then_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    scripts = counting(monkeypatch, "build_script", exercise_script.build_script)
    chunks = counting(monkeypatch, "next_chunk", exercise_chunks.next_chunk)
    voice = CountingVoice(None, None)
    sets = SpokenSets(PLAN, CATALOGUE, voice)
    first = sets.chunk("en-US", "bridges", Pace.NORMAL, 1)
    made = (len(scripts), len(chunks), len(voice.renders))
    assert made[:2] == (1, 1)
    assert made[2] >= 2  # candidates while cutting, then the chunk
    assert sets.chunk("en-US", "bridges", Pace.NORMAL, 1) is first
    assert sets.chunk("en-US", "bridges", Pace.NORMAL, 1) is first  # a stored set's pace
    assert (len(scripts), len(chunks), len(voice.renders)) == made
    # Another key is another chunk, made once too.
    following = sets.chunk("en-US", "bridges", Pace.NORMAL, first.chunk.last_repetition + 1)
    assert following is not first
    assert following.chunk.first_repetition == first.chunk.last_repetition + 1
    assert len(scripts) == 2
    assert sets.chunk("en-US", "bridges", Pace.NORMAL, following.chunk.first_repetition) is (
        following
    )
    assert len(scripts) == 2


def test_repetitions_outside_the_set_are_clamped_to_it(monkeypatch: pytest.MonkeyPatch) -> None:
    scripts = counting(monkeypatch, "build_script", exercise_script.build_script)
    sets = SpokenSets(PLAN, CATALOGUE, CoachVoice(None, None))
    for exercise in EXERCISES:
        n = exercise.repetitions
        first = sets.chunk("en-US", exercise.id, Pace.SLOW, 1)
        last = sets.chunk("en-US", exercise.id, Pace.SLOW, n)
        for below in (0, -1, -7, -(10**9)):
            assert sets.chunk("en-US", exercise.id, Pace.SLOW, below) is first
        for above in (n + 1, 10 * n, 10**9):
            assert sets.chunk("en-US", exercise.id, Pace.SLOW, above) is last
        assert first.chunk.first_repetition == 1
        assert last.chunk.first_repetition == n
        assert last.chunk.finishes_set
    assert len(scripts) == 2 * len(EXERCISES)  # nothing made for the out-of-range ones


def test_a_locale_without_strings_shares_the_default_locales_chunks() -> None:
    sets = SpokenSets(PLAN, CATALOGUE, CoachVoice(None, None))
    default = sets.chunk(CATALOGUE.default_locale, "bridges", Pace.BRISK, 3)
    assert sets.chunk("xx-XX", "bridges", Pace.BRISK, 3) is default


def test_unknown_exercises_and_paces_are_errors() -> None:
    sets = SpokenSets(PLAN, CATALOGUE, CoachVoice(None, None))
    with pytest.raises(LookupError, match="no_such_exercise"):
        sets.chunk("en-US", "no_such_exercise", Pace.NORMAL, 1)
    with pytest.raises(ValueError, match="sprint"):
        sets.chunk("en-US", "bridges", "sprint", 1)  # type: ignore[arg-type]  # checked at run time


def test_threads_asking_at_once_get_the_same_chunks() -> None:
    sets = SpokenSets(PLAN, CATALOGUE, CoachVoice(None, None))
    keys = list(every_key())
    threads = 8
    start = threading.Barrier(threads)
    results: list[list[SpokenChunk]] = [[] for _ in range(threads)]
    errors: list[BaseException] = []

    def ask(index: int) -> None:
        try:
            start.wait()
            # Each thread goes through the keys in its own order, so they race on every one.
            order = keys[index:] + keys[:index]
            found = {key: sets.chunk(*key) for key in order}
            results[index] = [found[key] for key in keys]
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    workers = [threading.Thread(target=ask, args=(index,)) for index in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert not errors
    expected = [sets.chunk(*key) for key in keys]
    for found in results:
        assert found == expected
        assert all(mine is theirs for mine, theirs in zip(found, expected, strict=True))
