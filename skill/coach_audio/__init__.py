"""Coach audio: the coach's phrases and guided sets rendered as Alexa-ready MP3 files.

`build_audio` (the `spine-coach build-audio` command) writes them with a manifest;
`manifest` reads it back for the skill.
"""

from __future__ import annotations

from skill.coach_audio.build import (
    AudioBuildError,
    BuildReport,
    build_audio,
    default_audio_dir,
)
from skill.coach_audio.synthesis import Engine, EspeakEngine, GttsEngine

__all__ = [
    "AudioBuildError",
    "BuildReport",
    "Engine",
    "EspeakEngine",
    "GttsEngine",
    "build_audio",
    "default_audio_dir",
]
