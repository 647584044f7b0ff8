"""audio/manifest.json: which clip speaks each phrase and which track plays each set.

Written by `spine-coach build-audio`, read by the skill. File paths are relative to the audio
folder (e.g. "clips/ab12….mp3"), so the folder can be served from anywhere.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

MANIFEST_NAME = "manifest.json"


class ManifestError(RuntimeError):
    """The manifest file is unreadable or invalid; the message names the file."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class PhraseClip(_Model):
    """One phrase's clip."""

    file: str
    text: str
    duration_ms: int


class RepetitionSpan(_Model):
    """Where one repetition plays in a track, its rest included: [start_ms, end_ms)."""

    repetition: int
    start_ms: int
    end_ms: int


class Track(_Model):
    """A whole guided set: the MP3, its cue map, and where each repetition starts and ends."""

    file: str
    cue_map: str
    duration_ms: int
    repetitions: list[RepetitionSpan]


FULL, SHORT = "full", "short"
"""The track variants (skill.sets.script.Variant): full instructions, or straight to the count."""

Tracks = dict[str, dict[str, dict[str, Track]]]
"""locale -> exercise id -> pace value -> track"""


class Manifest(_Model):
    """Every built clip and track, by locale.

    `tracks` holds the full variant of each set, `short_tracks` the short one: a manifest
    written before short tracks existed still reads (its sets then play full), and a reader
    that does not know `short_tracks` plays every set full. Each locale is built on its own,
    possibly by another engine (`engines`); a manifest written before that built every locale
    with `engine`.
    """

    version: Literal[1] = 1
    engine: str
    """The engine of the latest build (of every locale, in a manifest without `engines`)"""
    engines: dict[str, str] = Field(default_factory=dict)
    """locale -> the engine that built it"""
    phrases: dict[str, dict[str, PhraseClip]]
    """locale -> phrase key -> clip"""
    tracks: Tracks
    """The full tracks: locale -> exercise id -> pace value -> track"""
    short_tracks: Tracks = Field(default_factory=dict)
    """The short tracks, keyed as `tracks`"""

    @property
    def locales(self) -> list[str]:
        """Every locale with something built."""
        return sorted({*self.phrases, *self.tracks, *self.short_tracks})

    def engine_of(self, locale: str) -> str | None:
        """The engine that built a locale; None if it is not built."""
        if locale not in self.locales:
            return None
        return self.engines.get(locale, self.engine)

    def phrase(self, locale: str, key: str) -> PhraseClip | None:
        """The clip of a phrase, if built for the locale."""
        return self.phrases.get(locale, {}).get(key)

    def track(self, locale: str, exercise_id: str, pace: str, variant: str = FULL) -> Track | None:
        """The track of an exercise at a pace in a variant, if built for the locale."""
        if variant not in (FULL, SHORT):
            raise ValueError(f"no track variant {variant!r}")
        tracks = self.short_tracks if variant == SHORT else self.tracks
        return tracks.get(locale, {}).get(exercise_id, {}).get(pace)

    def all_tracks(self) -> list[Track]:
        """Every track, full and short, of every locale, exercise and pace."""
        return [
            track
            for tracks in (self.tracks, self.short_tracks)
            for by_exercise in tracks.values()
            for by_pace in by_exercise.values()
            for track in by_pace.values()
        ]

    def dumps(self) -> bytes:
        """The manifest as written: indented JSON, keys in the order built, ending in a newline."""
        return (self.model_dump_json(indent=2) + "\n").encode("utf-8")


def load_manifest(audio_dir: Path) -> Manifest | None:
    """The manifest in `audio_dir`; None when there is none, ManifestError when it is invalid."""
    path = audio_dir / MANIFEST_NAME
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise ManifestError(f"{path}: cannot read the audio manifest: {error}") from error
    try:
        return Manifest.model_validate(json.loads(raw))
    except (ValueError, ValidationError) as error:
        raise ManifestError(f"{path}: invalid audio manifest: {error}") from error


def repetition_at(track: Track, offset_ms: int) -> int:
    """The repetition (1..n) playing at `offset_ms` into the track.

    A repetition's span includes the rest after it, so an offset inside a rest maps to the
    repetition the rest follows. Offsets before the first repetition (the introduction) map to
    the first, offsets after the last (the closing line, or past the end) to the last: resuming
    from either end then replays a whole repetition rather than none.
    """
    spans = sorted(track.repetitions, key=lambda span: span.start_ms)
    if not spans:
        raise ValueError(f"{track.file}: the track has no repetitions")
    index = bisect_right([span.start_ms for span in spans], offset_ms) - 1
    return spans[max(index, 0)].repetition


def repetitions_completed_at(track: Track, offset_ms: int) -> int:
    """How many repetitions were over (rest included) when playback stopped at `offset_ms`.

    Stopping inside repetition k means k - 1 are done and k is resumed from its start; stopping
    during the introduction means none are done; stopping in the closing line, all of them.
    """
    return sum(1 for span in track.repetitions if span.end_ms <= offset_ms)


def repetition_start_ms(track: Track, repetition: int) -> int:
    """Where to start playing to do `repetition` (1..n): the introduction too for the first."""
    if repetition == 1 and any(span.repetition == 1 for span in track.repetitions):
        return 0
    for span in track.repetitions:
        if span.repetition == repetition:
            return span.start_ms
    raise ValueError(f"{track.file}: no repetition {repetition}")
