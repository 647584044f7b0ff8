"""Coach-audio build times: a first build with the offline voice, then a rebuild (a no-op)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from skill.coach_audio.build import build_audio
from skill.coach_audio.synthesis import EspeakEngine


@dataclass(frozen=True)
class BuildTimes:
    """Seconds for the first build and for the rebuild that follows it."""

    first_build_s: float
    rebuild_s: float
    clips: int
    tracks: int
    rebuild_synthesised: int
    rebuild_tracks_built: int


def measure(locale: str = "en-US") -> BuildTimes:
    """Build every clip and track for `locale` with espeak-ng into a fresh folder, twice."""
    with tempfile.TemporaryDirectory(prefix="spine-coach-audio-") as folder:
        out = Path(folder)
        first = build_audio(out, locale=locale, engine=EspeakEngine(), progress=False)
        again = build_audio(out, locale=locale, engine=EspeakEngine(), progress=False)
    return BuildTimes(
        first_build_s=round(first.seconds, 2),
        rebuild_s=round(again.seconds, 3),
        clips=first.clips_synthesised,
        tracks=first.tracks_built,
        rebuild_synthesised=again.clips_synthesised,
        rebuild_tracks_built=again.tracks_built,
    )
