"""Instructions once a day: the first set of an exercise in the patient's day opens with the
safety line, the starting position and the instruction (the full track, when streamed); later
sets that day go straight to the count (the short track), always with the "it hurts" escape.
Pause, resume and PlaybackStopped map offsets with the cue map of the variant that played."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine

from skill.alexa.endpoint import EXTENSION
from skill.coach_audio.manifest import (
    Manifest,
    Track,
    load_manifest,
    repetition_start_ms,
    repetitions_completed_at,
)
from skill.content.plan import Pace, load_plan
from skill.content.strings import load_catalogue
from skill.devtools import envelopes
from skill.devtools.dialog import AlexaReply, Dialog, Player
from skill.devtools.simulator.session import track_durations
from skill.sets.script import Variant
from skill.sets.tokens import PlaybackToken, parse_token
from skill.store.exercise_log import Delivery, ExerciseLog, Outcome
from skill.store.patients import PatientStore
from tests.conftest import AUDIO_BASE_URL, NOW

USER = envelopes.DEFAULT_USER
SURGERY = date(2026, 10, 21)
PLAN = load_plan()
STRINGS = load_catalogue().for_locale("en-US")
IN_BED = PLAN.in_bed_exercises
SAFETY = IN_BED.safety.text["en-US"]
POSITION = IN_BED.starting_position.text["en-US"]


def instruction(exercise_id: str) -> str:
    exercise = PLAN.exercise(exercise_id)
    assert exercise is not None
    return exercise.instruction["en-US"]


@pytest.fixture
def log(app: Flask) -> ExerciseLog:
    engine: Engine = app.extensions[EXTENSION].engine
    PatientStore(engine).save_surgery_date(USER, SURGERY, locale="en-US")
    return ExerciseLog(engine)


@pytest.fixture
def manifest(built_audio: Path) -> Manifest:
    found = load_manifest(built_audio)
    assert found is not None
    return found


def _exercise(exercise_id: str) -> dict[str, Any]:
    return envelopes.slot("exercise", exercise_id, resolved_id=exercise_id, authority="EXERCISE")


def _track(manifest: Manifest, variant: Variant, exercise_id: str = "bridges") -> Track:
    track = manifest.track("en-US", exercise_id, Pace.NORMAL, variant)
    assert track is not None
    return track


def _played(reply: AlexaReply) -> tuple[PlaybackToken, str, int]:
    directive = reply.directive("AudioPlayer.Play")
    assert directive is not None, reply.speech
    stream = directive["audioItem"]["stream"]
    token = parse_token(stream["token"])
    assert token is not None
    return token, stream["url"], int(stream["offsetInMilliseconds"])


def _start(echo: Dialog, exercise_id: str = "bridges") -> AlexaReply:
    return echo.say("StartExerciseIntent", exercise=_exercise(exercise_id))


def test_both_variants_of_every_set_are_built_and_differ_only_before_the_first_count(
    manifest: Manifest,
) -> None:
    for exercise in IN_BED.exercises:
        for pace in Pace:
            full = manifest.track("en-US", exercise.id, pace, Variant.FULL)
            short = manifest.track("en-US", exercise.id, pace, Variant.SHORT)
            assert full is not None
            assert short is not None
            assert full.file != short.file
            assert short.duration_ms < full.duration_ms
            # The same repetitions, shifted by the shorter opening.
            shift = full.repetitions[0].start_ms - short.repetitions[0].start_ms
            assert shift > 0
            for long, brief in zip(full.repetitions, short.repetitions, strict=True):
                assert long.repetition == brief.repetition
                # (positions are whole milliseconds from sample counts: ±1 ms)
                assert abs((long.end_ms - long.start_ms) - (brief.end_ms - brief.start_ms)) <= 1


def test_a_streamed_set_plays_full_first_then_short_and_full_again_the_next_day(
    app: Flask, log: ExerciseLog, manifest: Manifest
) -> None:
    full, short = _track(manifest, Variant.FULL), _track(manifest, Variant.SHORT)
    echo = Dialog(app.test_client(), at=NOW, player=Player(duration_of=track_durations(manifest)))
    echo.launch()
    first = _start(echo)
    token, url, offset = _played(first)
    assert (token.variant, url, offset) == (Variant.FULL, AUDIO_BASE_URL + full.file, 0)
    assert first.speech == STRINGS.plain("session.start_audio", exercise="bridges", pace="normal")
    echo.listen(milliseconds=full.duration_ms + 1000)  # played to the end: complete
    done = log.get(token.set_id)
    assert done is not None
    assert done.outcome is Outcome.COMPLETE

    echo.launch()
    second = _start(echo)
    token, url, offset = _played(second)
    assert (token.variant, url, offset) == (Variant.SHORT, AUDIO_BASE_URL + short.file, 0)
    assert second.speech == STRINGS.plain(
        "session.start_audio_short", exercise="bridges", pace="normal"
    )
    assert "it hurts" in second.speech
    assert len(second.speech.split()) < len(first.speech.split())

    # Paused in the short track: its own cue map counts the repetitions, and resuming plays
    # the short track again from the interrupted repetition.
    echo.listen(seconds=40)
    echo.say("AMAZON.PauseIntent")
    paused = log.get(token.set_id)
    assert paused is not None
    assert paused.outcome is Outcome.IN_PROGRESS
    assert paused.repetitions_done == repetitions_completed_at(short, 40_000) > 0
    # (the full track's map would say fewer repetitions for the same offset)
    assert repetitions_completed_at(full, 40_000) < paused.repetitions_done
    resumed = echo.say("AMAZON.ResumeIntent")
    token, url, offset = _played(resumed)
    assert (token.variant, url) == (Variant.SHORT, AUDIO_BASE_URL + short.file)
    assert offset == repetition_start_ms(short, paused.repetitions_done + 1)

    echo.advance(days=1)
    echo.launch()
    next_day = _start(echo)
    token, url, _ = _played(next_day)
    assert (token.variant, url) == (Variant.FULL, AUDIO_BASE_URL + full.file)


def test_a_set_stopped_for_pain_or_put_aside_leaves_the_next_one_full(
    app: Flask, log: ExerciseLog, manifest: Manifest
) -> None:
    echo = Dialog(app.test_client(), at=NOW, player=Player(duration_of=track_durations(manifest)))
    echo.launch()
    token, _, _ = _played(_start(echo))
    echo.listen(seconds=60)
    echo.say("PainReportIntent")
    stopped = log.get(token.set_id)
    assert stopped is not None
    assert stopped.outcome is Outcome.STOPPED_FOR_PAIN
    assert stopped.repetitions_done > 0
    echo.launch()
    token, _, _ = _played(_start(echo))
    assert token.variant is Variant.FULL  # the safety line again after pain
    echo.listen(seconds=60)
    echo.launch()
    token, _, _ = _played(_start(echo, "knee_presses"))  # the bridges are put aside
    assert token.variant is Variant.FULL
    aside = log.get(token.set_id)
    assert aside is not None
    echo.launch()
    token, _, _ = _played(_start(echo))
    assert token.variant is Variant.FULL


def test_a_stream_issued_before_short_tracks_still_maps_with_the_full_cue_map(
    app: Flask, log: ExerciseLog, manifest: Manifest
) -> None:
    full = _track(manifest, Variant.FULL)
    fresh = PlaybackToken.for_set(USER, "bridges", Pace.NORMAL, "a" * 32)
    legacy = ".".join(("sc1", fresh.patient, "bridges", "normal", "a" * 32, fresh.play))
    log.start(
        USER,
        "bridges",
        pace=Pace.NORMAL,
        delivery=Delivery.AUDIO,
        target=10,
        at=NOW,
        set_id="a" * 32,
        stream=legacy,
    )
    echo = Dialog(app.test_client(), at=NOW)
    echo.send(
        envelopes.audio_player_event(
            "PlaybackStopped", at=NOW, token=legacy, offset_ms=60_000, player_activity="STOPPED"
        )
    )
    stopped = log.get("a" * 32)
    assert stopped is not None
    assert stopped.repetitions_done == repetitions_completed_at(full, 60_000) > 0


def test_a_spoken_set_says_the_instructions_with_the_first_set_of_the_day_only(
    app: Flask, log: ExerciseLog
) -> None:
    echo = Dialog(app.test_client(), at=NOW)
    echo.launch()
    first = _start(echo)
    for text in (SAFETY, POSITION, instruction("bridges"), "it hurts"):
        assert text in first.speech
    assert first.speech.index(SAFETY) < first.speech.index("1.")
    echo.say("AMAZON.YesIntent")  # the next five: the set is complete
    assert log.current(USER) is None

    echo.launch()
    second = _start(echo)
    for text in (SAFETY, POSITION, instruction("bridges")):
        assert text not in second.speech
    opening = STRINGS.plain("session.start_short", exercise="bridges", pace="normal")
    assert second.speech.startswith(opening)
    assert "it hurts" in opening
    assert second.speech[len(opening) :].lstrip().startswith("1.")
    # The same repetitions follow: from the first count on, the two chunks are the same.
    assert second.speech[second.speech.index("1.") :] == first.speech[first.speech.index("1.") :]

    # Another exercise has its own first set; the next day, the bridges' is full again.
    assert POSITION in _start(echo, "knee_presses").speech
    echo.advance(days=1)
    echo.launch()
    assert SAFETY in _start(echo).speech


def test_starting_over_a_spoken_set_says_the_instructions_again_only_on_its_first_set(
    app: Flask, log: ExerciseLog
) -> None:
    echo = Dialog(app.test_client(), at=NOW)
    echo.launch()
    _start(echo)
    assert POSITION in echo.say("AMAZON.StartOverIntent").speech  # still the day's first set
    echo.say("AMAZON.YesIntent")
    echo.launch()
    _start(echo)
    again = echo.say("AMAZON.StartOverIntent").speech
    assert POSITION not in again
    assert again.startswith(STRINGS.plain("session.start_short", exercise="bridges", pace="normal"))


def _plays(echo: Dialog) -> list[tuple[str | None, PlaybackToken]]:
    """Every Play directive the skill sent, in order: its play behaviour and token."""
    found = []
    for reply in [*echo.history, *echo.events]:
        for directive in reply.directives:
            if directive.get("type") == "AudioPlayer.Play":
                token = parse_token(directive["audioItem"]["stream"]["token"])
                assert token is not None
                found.append((directive.get("playBehavior"), token))
    return found


def test_the_next_button_and_the_queued_routine_follow_the_same_rule(
    app: Flask, log: ExerciseLog, manifest: Manifest
) -> None:
    echo = Dialog(app.test_client(), at=NOW, player=Player(duration_of=track_durations(manifest)))
    echo.launch()
    _start(echo, "knee_lifts")
    echo.listen(milliseconds=_track(manifest, Variant.FULL, "knee_lifts").duration_ms + 1000)
    before = len(_plays(echo))
    echo.advance(hours=2)  # no longer "just done": offered again
    echo.launch()
    _start(echo, "knee_presses")
    echo.press("Next")  # the device's button: the next due exercise, as a stream
    echo.listen(seconds=600)  # and the rest of the routine, queued as each track nears its end
    plays = _plays(echo)[before:]
    started = {token.exercise_id: (behaviour, token) for behaviour, token in plays}
    assert set(started) == {"knee_presses", "knee_lifts", "bridges"}, plays
    # One started by the button, the other queued after it.
    assert sorted(str(started[e][0]) for e in ("knee_lifts", "bridges")) == [
        "ENQUEUE",
        "REPLACE_ALL",
    ]
    for exercise_id, (_, token) in started.items():
        # Only the knee lifts were completed today: only they go straight to the count.
        expected = Variant.SHORT if exercise_id == "knee_lifts" else Variant.FULL
        assert token.variant is expected, exercise_id
    done = log.get(started["knee_lifts"][1].set_id)
    assert done is not None
    assert done.stream == started["knee_lifts"][1].encode()
