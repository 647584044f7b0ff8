"""The coach's audio is the patient's language's: a Dutch patient's sets stream only the nl-NL
tracks (full, short, resumed) and speak only nl-NL clips; where nl-NL audio is not built the
set is spoken as text, never in another locale's voice.

nl-NL here is a locale made for the test (tests/made_locale.py); its audio is en-US's files
copied under names of its own, so any file from the wrong locale is told apart by its name.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from skill import create_app
from skill.alexa.endpoint import EXTENSION
from skill.coach_audio.manifest import MANIFEST_NAME, Manifest, PhraseClip, Track, load_manifest
from skill.content.plan import Pace, load_plan
from skill.devtools import envelopes
from skill.devtools.dialog import AlexaReply, Dialog, Player
from skill.devtools.simulator.session import track_durations
from skill.sets.coach_voice import CoachVoice
from skill.sets.script import Variant
from skill.sets.spoken import SpokenSets
from skill.store.patients import PatientStore
from tests import made_locale
from tests.conftest import NOW

BASE_URL = "https://audio.example.org/spine-coach/"
DUTCH, AMERICAN = "nl-NL", "en-US"
SURGERY = date(2026, 10, 21)
AUDIO_URL = re.compile(r'<audio src="([^"]+)"/>')


def _renamed(audio: Path, file: str) -> str:
    """A copy of `file` under a Dutch name."""
    folder, name = file.split("/")
    copy = f"{folder}/nl-{name}"
    shutil.copy(audio / file, audio / copy)
    return copy


def _dutch_track(audio: Path, track: Track) -> Track:
    return track.model_copy(
        update={"file": _renamed(audio, track.file), "cue_map": _renamed(audio, track.cue_map)}
    )


@pytest.fixture
def dutch_audio(built_audio: Path, tmp_path: Path) -> Path:
    """en-US's audio and nl-NL's (the same sounds, files of its own)."""
    audio = tmp_path / "audio"
    shutil.copytree(built_audio, audio)
    manifest = load_manifest(audio)
    assert manifest is not None

    def tracks(by_locale: dict[str, dict[str, dict[str, Track]]]) -> dict[str, dict[str, Track]]:
        return {
            exercise: {pace: _dutch_track(audio, track) for pace, track in paces.items()}
            for exercise, paces in by_locale[AMERICAN].items()
        }

    phrases = {
        key: PhraseClip(
            file=_renamed(audio, clip.file), text=clip.text, duration_ms=clip.duration_ms
        )
        for key, clip in manifest.phrases[AMERICAN].items()
    }
    both = manifest.model_copy(
        update={
            "engines": {AMERICAN: "espeak", DUTCH: "espeak"},
            "phrases": {**manifest.phrases, DUTCH: phrases},
            "tracks": {**manifest.tracks, DUTCH: tracks(manifest.tracks)},
            "short_tracks": {**manifest.short_tracks, DUTCH: tracks(manifest.short_tracks)},
        }
    )
    (audio / MANIFEST_NAME).write_bytes(both.dumps())
    return audio


AppFor = Callable[[Path], Flask]


@pytest.fixture
def app_for(sqlite_url: str, alexa_api: Any, tmp_path: Path) -> Iterator[AppFor]:
    """The app with the made nl-NL locale, serving the audio in a given folder."""
    made: list[Flask] = []
    plan = made_locale.plan_file(tmp_path, DUTCH)
    catalogue = made_locale.catalogue(tmp_path / "strings", DUTCH)

    def make(audio: Path) -> Flask:
        app = create_app(
            {
                "DATABASE_URL": sqlite_url,
                "VERIFY_REQUESTS": False,
                "SKILL_ID": None,
                "PLAN": str(plan),
                "CATALOGUE": catalogue,
                "AUDIO_DIR": str(audio),
                "AUDIO_BASE_URL": BASE_URL,
            }
        )
        store = PatientStore(app.extensions[EXTENSION].engine)
        for user, locale in (("dutch", DUTCH), ("american", AMERICAN)):
            store.save_surgery_date(user, SURGERY, locale=locale)
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions[EXTENSION].engine.dispose()


def _files(manifest: Manifest, locale: str) -> set[str]:
    tracks = [
        track
        for by_locale in (manifest.tracks, manifest.short_tracks)
        for paces in by_locale[locale].values()
        for track in paces.values()
    ]
    clips = [clip.file for clip in manifest.phrases[locale].values()]
    return {BASE_URL + file for file in [*clips, *(track.file for track in tracks)]}


def _streamed(replies: list[AlexaReply]) -> list[str]:
    return [
        directive["audioItem"]["stream"]["url"]
        for reply in replies
        for directive in reply.directives
        if directive["type"] == "AudioPlayer.Play"
    ]


def _bridges() -> dict[str, Any]:
    return envelopes.slot("exercise", "bridges", resolved_id="bridges", authority="EXERCISE")


def test_a_dutch_patients_sets_stream_only_dutch_tracks(app_for: AppFor, dutch_audio: Path) -> None:
    app = app_for(dutch_audio)
    manifest = load_manifest(dutch_audio)
    assert manifest is not None
    dutch, american = _files(manifest, DUTCH), _files(manifest, AMERICAN)
    assert not dutch & american
    player = Player(duration_of=track_durations(manifest))
    echo = Dialog(app.test_client(), at=NOW, user_id="dutch", locale=DUTCH, player=player)

    echo.launch()
    first = echo.say("StartExerciseIntent", exercise=_bridges())
    full = manifest.track(DUTCH, "bridges", "normal", "full")
    assert full is not None
    assert _streamed([first]) == [BASE_URL + full.file]
    echo.listen(milliseconds=full.duration_ms + 1000)  # to the end: the next is short

    echo.launch()
    echo.say("StartExerciseIntent", exercise=_bridges())
    echo.listen(seconds=20)
    echo.say("AMAZON.PauseIntent")
    echo.advance(days=1)
    resumed = echo.launch()  # the next day: the unfinished set is offered
    echo.say("AMAZON.YesIntent")
    short = manifest.track(DUTCH, "bridges", "normal", "short")
    assert short is not None
    streamed = _streamed([*echo.history, *echo.events])
    assert streamed[1] == BASE_URL + short.file
    assert len(streamed) == 3, resumed.speech  # full, short, and the resumed set
    assert set(streamed) <= dutch

    # The same app, an American patient: the en-US track.
    other = Dialog(
        app.test_client(),
        at=NOW,
        user_id="american",
        player=Player(duration_of=track_durations(manifest)),
    )
    other.launch()
    started = other.say("StartExerciseIntent", exercise=_bridges())
    american_full = manifest.track(AMERICAN, "bridges", "normal", "full")
    assert american_full is not None
    assert _streamed([started]) == [BASE_URL + american_full.file]


@pytest.mark.parametrize("dutch_built", [True, False])
def test_spoken_sets_say_only_the_patients_locales_clips(
    dutch_audio: Path, built_audio: Path, tmp_path: Path, dutch_built: bool
) -> None:
    """Every chunk of every set as clips where they fit (room made for a whole chunk): the
    locale's own clips, or text where its audio is not built."""
    manifest = load_manifest(dutch_audio if dutch_built else built_audio)
    assert manifest is not None
    plan = load_plan(made_locale.plan_file(tmp_path, DUTCH))
    catalogue = made_locale.catalogue(tmp_path / "strings", DUTCH)
    voice = CoachVoice(manifest, BASE_URL, max_audio_ms=10_000_000, max_audio_clips=1_000)
    spoken = SpokenSets(plan, catalogue, voice)
    for locale in (DUTCH, AMERICAN):
        own = _files(manifest, locale) if locale in manifest.locales else set()
        for exercise in plan.in_bed_exercises.exercises:
            for pace in Pace:
                for variant in Variant:
                    first = 1
                    while first <= exercise.repetitions:
                        chunk = spoken.chunk(locale, exercise.id, pace, first, variant)
                        clips = set(AUDIO_URL.findall(chunk.markup))
                        assert clips <= own, (locale, exercise.id, pace, first)
                        assert bool(clips) == bool(own), (locale, exercise.id, pace, first)
                        first = chunk.chunk.last_repetition + 1


def test_without_dutch_audio_a_dutch_patients_set_is_spoken(
    app_for: AppFor, built_audio: Path
) -> None:
    """Only en-US is built: the Dutch set is said as text, never with an English clip."""
    manifest = load_manifest(built_audio)
    assert manifest is not None
    assert manifest.locales == [AMERICAN]
    app = app_for(built_audio)
    player = Player(duration_of=track_durations(manifest))
    echo = Dialog(app.test_client(), at=NOW, user_id="dutch", locale=DUTCH, player=player)
    echo.launch()
    reply = echo.say("StartExerciseIntent", exercise=_bridges())
    assert reply.directive("AudioPlayer.Play") is None
    assert "<audio" not in reply.ssml
    assert reply.speech  # the set's first chunk, spoken
    reply = echo.say("AMAZON.YesIntent")  # "ready for the next ones?"
    assert "<audio" not in reply.ssml

    other = Dialog(app.test_client(), at=NOW, user_id="american", player=player)
    other.launch()
    assert other.say("StartExerciseIntent", exercise=_bridges()).directive("AudioPlayer.Play")
