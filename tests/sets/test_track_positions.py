"""Positions in built tracks: how many repetitions were done when playback stopped, and where
to resume, checked densely against what each track's cue map says is being spoken.

The tracks are really built (clips encoded, tracks assembled and encoded by ffmpeg, cue maps
written) for every exercise of the default plan at every pace, full and short, with an offline
engine that speaks each phrase as a tone as long as its text: fast, deterministic, no network.
"""

from __future__ import annotations

import io
import wave
from bisect import bisect_right
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pytest

from skill.coach_audio.build import build_audio
from skill.coach_audio.manifest import (
    Track,
    load_manifest,
    repetition_at,
    repetition_start_ms,
    repetitions_completed_at,
)
from skill.coach_audio.tracks import CueMap
from skill.content.plan import Pace, load_plan
from skill.content.strings import load_catalogue
from skill.sets.script import Script, Variant, all_scripts

# Builds every track of the plan (espeak-ng): not in `make test-fast`.
pytestmark = pytest.mark.slow

LOCALE = "en-US"
STEP_MS = 50


class ToneEngine:
    """Speaks any text as a square-wave tone: 150 ms plus 45 ms a character, as 24 kHz WAV."""

    name = "tone"
    rate = 24_000

    def voice(self, locale: str) -> str:
        return f"square@{locale}"

    def synthesise(self, text: str, locale: str) -> bytes:
        samples = self.rate * (150 + 45 * len(text)) // 1000
        audio = io.BytesIO()
        with wave.open(audio, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(self.rate)
            out.writeframes((b"\x00\x30" * 12 + b"\x00\xd0" * 12) * (samples // 24))
        return audio.getvalue()


@dataclass(frozen=True)
class Built:
    """One built track with its script and its cue map as written next to it."""

    script: Script
    track: Track
    cues: CueMap

    @property
    def label(self) -> str:
        return f"{self.script.exercise_id}/{self.script.pace.value}/{self.script.variant.value}"

    def count_starts(self) -> dict[int, int]:
        """Where the coach starts saying each repetition's number ("3."), by repetition."""
        return {
            int(phrase.key.removeprefix("count.")): phrase.start_ms
            for phrase in self.cues.phrases
            if phrase.key.startswith("count.")
        }

    def closing_start(self) -> int:
        closing = [p for p in self.cues.phrases if p.repetition == self.script.repetitions + 1]
        assert [p.key for p in closing] == [f"{self.script.exercise_id}.closing"]
        return closing[0].start_ms

    def over_at(self) -> list[int]:
        """When each repetition is over, rest included: the next count, or the closing line."""
        counts = self.count_starts()
        n = self.script.repetitions
        return [counts[k + 1] for k in range(1, n)] + [self.closing_start()]

    def offsets(self) -> list[int]:
        """Every 50 ms from the start to a second past the end, and each span edge ±1 ms."""
        edges = {
            edge + delta
            for span in self.track.repetitions
            for edge in (span.start_ms, span.end_ms)
            for delta in (-1, 0, 1)
        }
        dense = set(range(0, self.track.duration_ms + 1000, STEP_MS))
        return sorted(dense | edges | {self.track.duration_ms})


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> list[Built]:
    """Every exercise of the default plan at every pace, full and short, built once for this
    module."""
    audio = tmp_path_factory.mktemp("positions") / "audio"
    report = build_audio(audio, locale=LOCALE, engine=ToneEngine(), progress=False)
    manifest = load_manifest(audio)
    assert manifest is not None
    scripts = all_scripts(load_plan(), load_catalogue().for_locale(LOCALE))
    exercises = len(load_plan().in_bed_exercises.exercises)
    assert report.tracks_built == len(scripts) == exercises * len(Pace) * len(Variant)
    tracks = []
    for script in scripts:
        track = manifest.track(LOCALE, script.exercise_id, script.pace.value, script.variant)
        assert track is not None, script.exercise_id
        cues = CueMap.model_validate_json(Path(audio / track.cue_map).read_bytes())
        assert (cues.exercise_id, cues.pace, cues.variant) == (
            script.exercise_id,
            script.pace.value,
            script.variant.value,
        )
        tracks.append(Built(script, track, cues))
    return tracks


def test_every_set_has_one_span_per_repetition_of_its_script(built: list[Built]) -> None:
    plan = load_plan()
    assert {(b.script.exercise_id, b.script.pace, b.script.variant) for b in built} == {
        (exercise.id, pace, variant)
        for exercise in plan.in_bed_exercises.exercises
        for pace in Pace
        for variant in Variant
    }
    for item in built:
        exercise = plan.exercise(item.script.exercise_id)
        assert exercise is not None
        spans = item.track.repetitions
        assert len(spans) == item.script.repetitions == exercise.repetitions
        assert [span.repetition for span in spans] == list(range(1, exercise.repetitions + 1))
        assert item.cues.repetitions == spans
        # Each span runs from the repetition's count to the next count (or the closing line).
        counts = item.count_starts()
        assert [span.start_ms for span in spans] == [counts[k] for k in range(1, len(spans) + 1)]
        assert [span.end_ms for span in spans] == item.over_at()
        assert spans[0].start_ms > 0
        for span, following in pairwise(spans):
            assert span.start_ms < span.end_ms == following.start_ms
        assert spans[-1].end_ms < item.track.duration_ms


def test_repetitions_completed_are_those_over_when_playback_stopped(built: list[Built]) -> None:
    for item in built:
        over_at = item.over_at()
        for offset in item.offsets():
            completed = repetitions_completed_at(item.track, offset)
            # The spans that ended at or before the offset …
            ended = [span for span in item.track.repetitions if span.end_ms <= offset]
            assert completed == len(ended), (item.label, offset)
            # … are the repetitions whose next count (or the closing line) had begun.
            assert completed == bisect_right(over_at, offset), (item.label, offset)


def test_completed_repetitions_agree_with_the_one_playing(built: list[Built]) -> None:
    for item in built:
        n = item.script.repetitions
        closing = item.closing_start()
        for offset in item.offsets():
            completed = repetitions_completed_at(item.track, offset)
            playing = repetition_at(item.track, offset)
            # In the introduction or repetition k: k - 1 done. In the closing line: all done.
            assert completed == (n if offset >= closing else playing - 1), (item.label, offset)


def test_resuming_replays_the_interrupted_repetition_and_nothing_before_it(
    built: list[Built],
) -> None:
    for item in built:
        n = item.script.repetitions
        counts = item.count_starts()
        for offset in item.offsets():
            completed = repetitions_completed_at(item.track, offset)
            if completed == n:
                with pytest.raises(ValueError, match=f"no repetition {n + 1}"):
                    repetition_start_ms(item.track, n + 1)
                continue
            resume = repetition_start_ms(item.track, completed + 1)
            interrupted = completed + 1
            # Nothing skipped: the interrupted repetition plays again from its count (the
            # first from the start of the track, introduction included).
            assert resume <= counts[interrupted]
            assert resume <= offset
            assert resume == (0 if interrupted == 1 else counts[interrupted]), (item.label, offset)
            # At most the interrupted repetition again: no completed one's count is replayed.
            replayed = [k for k, start in counts.items() if resume <= start <= offset]
            assert replayed in ([], [interrupted]), (item.label, offset, replayed)


def test_where_each_repetition_starts(built: list[Built]) -> None:
    for item in built:
        n = item.script.repetitions
        counts = item.count_starts()
        assert repetition_start_ms(item.track, 1) == 0
        for k in range(2, n + 1):
            assert repetition_start_ms(item.track, k) == counts[k]
        for unknown in (n + 1, n + 2, 10 * n):
            with pytest.raises(ValueError, match=f"no repetition {unknown}"):
                repetition_start_ms(item.track, unknown)


def test_repetitions_before_the_first_are_unknown(built: list[Built]) -> None:
    for unknown in (0, -1):
        with pytest.raises(ValueError, match="no repetition"):
            repetition_start_ms(built[0].track, unknown)
