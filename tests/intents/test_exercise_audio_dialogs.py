"""Guided sets played as tracks through AudioPlayer, with the requests Alexa sends around them.

The device is simulated by skill.devtools.dialog.Player: Play and Stop directives drive it, and
it sends PlaybackStarted, PlaybackStopped, PlaybackNearlyFinished and PlaybackFinished as
Alexa does, without a session and with `context.AudioPlayer`. The audio is really built
(espeak-ng) and its cue maps decide where each repetition starts.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine

from skill import create_app
from skill.alexa.endpoint import EXTENSION
from skill.coach_audio.manifest import Manifest, Track, load_manifest
from skill.content.plan import Pace, load_plan
from skill.devtools import envelopes
from skill.devtools.dialog import AlexaReply, Dialog, Player
from skill.sets.tokens import PlaybackToken, parse_token
from skill.store.exercise_log import Delivery, ExerciseLog, ExerciseSet, Outcome
from skill.store.patients import PatientStore
from tests.conftest import NOW

pytestmark = pytest.mark.both_databases

BASE_URL = "https://audio.example.org/spine-coach/"
SURGERY = date(2026, 10, 21)
USER = envelopes.DEFAULT_USER
PLAN = load_plan()


@pytest.fixture
def manifest(built_audio: Path) -> Manifest:
    found = load_manifest(built_audio)
    assert found is not None
    return found


@pytest.fixture
def app_config(app_config: dict[str, Any], built_audio: Path) -> dict[str, Any]:
    """Built audio hosted over HTTPS."""
    return {**app_config, "AUDIO_DIR": str(built_audio), "AUDIO_BASE_URL": BASE_URL}


@pytest.fixture
def engine(app: Flask) -> Engine:
    engine: Engine = app.extensions[EXTENSION].engine
    PatientStore(engine).save_surgery_date(USER, SURGERY, locale="en-US")
    return engine


@pytest.fixture
def exercise_log(engine: Engine) -> ExerciseLog:
    return ExerciseLog(engine)


@pytest.fixture
def echo(client: Any, manifest: Manifest, engine: Engine) -> Dialog:
    """A patient with an Echo that plays streams."""
    durations = {
        BASE_URL + track.file: track.duration_ms
        for tracks in manifest.tracks["en-US"].values()
        for track in tracks.values()
    }
    return Dialog(client, at=NOW, player=Player(duration_of=durations.__getitem__))


def exercise(exercise_id: str) -> dict[str, Any]:
    return envelopes.slot("exercise", exercise_id, resolved_id=exercise_id, authority="EXERCISE")


def track(manifest: Manifest, exercise_id: str, pace: str = "normal") -> Track:
    found = manifest.track("en-US", exercise_id, pace)
    assert found is not None
    return found


def span_start(track_: Track, repetition: int) -> int:
    return next(s.start_ms for s in track_.repetitions if s.repetition == repetition)


def span_middle(track_: Track, repetition: int) -> int:
    span = next(s for s in track_.repetitions if s.repetition == repetition)
    return (span.start_ms + span.end_ms) // 2


def played(reply: AlexaReply) -> tuple[PlaybackToken, int, str]:
    """The token, offset and behaviour of the response's Play directive."""
    directive = reply.directive("AudioPlayer.Play")
    assert directive is not None, reply.body
    stream = directive["audioItem"]["stream"]
    token = parse_token(stream["token"])
    assert token is not None
    return token, stream["offsetInMilliseconds"], directive["playBehavior"]


def played_url(reply: AlexaReply) -> str:
    directive = reply.directive("AudioPlayer.Play")
    assert directive is not None
    return str(directive["audioItem"]["stream"]["url"])


def listen_until(dialog: Dialog, offset_ms: int) -> None:
    """Let the track play on to `offset_ms`."""
    assert dialog.player is not None
    assert dialog.player.current is not None
    dialog.listen(milliseconds=offset_ms - dialog.player.current.offset_ms)
    assert dialog.player.current.offset_ms == offset_ms


def assert_silent(reply: AlexaReply) -> None:
    """What Alexa allows in answer to AudioPlayer and PlaybackController requests."""
    response = reply.response
    assert "outputSpeech" not in response
    assert "reprompt" not in response
    assert "card" not in response
    assert "shouldEndSession" not in response
    assert all(d["type"].startswith("AudioPlayer.") for d in reply.directives)


def current(exercise_log: ExerciseLog) -> ExerciseSet:
    found = exercise_log.current(USER)
    assert found is not None
    return found


def test_start_pause_resume_the_next_day_and_finish_a_set_of_bridges(
    echo: Dialog, exercise_log: ExerciseLog, manifest: Manifest
) -> None:
    bridges = track(manifest, "bridges")
    start = echo.say("StartExerciseIntent", exercise=exercise("bridges"))
    assert start.speech.startswith("Here are your bridges, at a normal pace.")
    assert start.ends_session
    token, offset, behaviour = played(start)
    assert (token.exercise_id, token.pace, offset, behaviour) == (
        "bridges",
        "normal",
        0,
        "REPLACE_ALL",
    )
    assert token.belongs_to(USER)
    assert USER not in token.encode()
    assert played_url(start) == BASE_URL + bridges.file
    assert [reply.body.get("response") for reply in echo.events] == [{}]  # PlaybackStarted
    in_progress = current(exercise_log)
    assert (in_progress.delivery, in_progress.set_id) == (Delivery.AUDIO, token.set_id)

    listen_until(echo, span_middle(bridges, 6))
    pause = echo.say("AMAZON.PauseIntent")
    assert pause.directive("AudioPlayer.Stop") is not None
    assert "outputSpeech" not in pause.response
    assert echo.player is not None
    assert echo.player.activity == "STOPPED"
    assert current(exercise_log).repetitions_done == 5

    echo.advance(days=1)
    resume = echo.say("AMAZON.ResumeIntent")
    assert resume.speech == "Back to your bridges, from repetition 6."
    resumed_token, offset, _ = played(resume)
    assert offset == span_start(bridges, 6)
    assert resumed_token.set_id == token.set_id
    assert resumed_token != token

    echo.listen(minutes=5)
    done = exercise_log.get(token.set_id)
    assert done is not None
    assert (done.outcome, done.repetitions_done) == (Outcome.COMPLETE, 10)
    for reply in echo.events:
        assert_silent(reply)


@pytest.mark.parametrize("exercise_id", [e.id for e in PLAN.in_bed_exercises.exercises])
def test_a_pause_at_any_point_resumes_at_the_interrupted_repetition(
    echo: Dialog, exercise_log: ExerciseLog, manifest: Manifest, exercise_id: str
) -> None:
    played_track = track(manifest, exercise_id)
    chance = random.Random(exercise_id)
    echo.say("StartExerciseIntent", exercise=exercise(exercise_id))
    # Once in the introduction, then once inside every repetition (its rest included).
    stops = [chance.randrange(0, span_start(played_track, 1))]
    for span in played_track.repetitions:
        stops.append(chance.randrange(max(span.start_ms, stops[-1] + 1), span.end_ms))
    for stop_at in stops:
        listen_until(echo, stop_at)
        interrupted = 1 + sum(1 for s in played_track.repetitions if s.end_ms <= stop_at)
        echo.say("AMAZON.PauseIntent")
        assert current(exercise_log).repetitions_done == interrupted - 1
        echo.advance(minutes=3)
        _, offset, _ = played(echo.say("AMAZON.ResumeIntent"))
        assert offset == (0 if interrupted == 1 else span_start(played_track, interrupted))
    echo.listen(minutes=10)
    assert exercise_log.current(USER) is None
    day = (NOW - timedelta(hours=12), NOW + timedelta(hours=12))
    assert exercise_log.completed_counts(USER, *day) == {exercise_id: 1}


def test_all_three_exercises_play_one_after_another_hands_free(
    echo: Dialog, exercise_log: ExerciseLog, manifest: Manifest
) -> None:
    start = echo.say("StartExerciseIntent")  # "start my exercises"
    first, _, _ = played(start)
    assert first.exercise_id == "knee_presses"
    echo.listen(minutes=30)
    enqueued = [
        directive
        for reply in echo.events
        for directive in reply.directives
        if directive["type"] == "AudioPlayer.Play"
    ]
    assert [d["playBehavior"] for d in enqueued] == ["ENQUEUE", "ENQUEUE"]
    assert enqueued[0]["audioItem"]["stream"]["expectedPreviousToken"] == first.encode()
    second = parse_token(enqueued[0]["audioItem"]["stream"]["token"])
    assert second is not None
    assert enqueued[1]["audioItem"]["stream"]["expectedPreviousToken"] == second.encode()
    for reply in echo.events:
        assert_silent(reply)
    day = (NOW - timedelta(hours=12), NOW + timedelta(hours=12))
    assert exercise_log.completed_counts(USER, *day) == {
        "knee_presses": 1,
        "knee_lifts": 1,
        "bridges": 1,
    }
    assert exercise_log.current(USER) is None


def test_a_failed_stream_falls_back_to_speech_from_the_same_repetition(
    echo: Dialog, exercise_log: ExerciseLog, manifest: Manifest, engine: Engine
) -> None:
    lifts = track(manifest, "knee_lifts")
    echo.say("StartExerciseIntent", exercise=exercise("knee_lifts"))
    listen_until(echo, span_middle(lifts, 4))
    failed = echo.fail_stream()
    assert_silent(failed)
    assert current(exercise_log).repetitions_done == 3
    patient = PatientStore(engine).get(USER)
    assert patient is not None
    assert any(k.startswith("speech_only:") for k in patient.preferences)
    resumed = echo.say("AMAZON.ResumeIntent")
    assert resumed.directive("AudioPlayer.Play") is None
    assert resumed.speech.startswith("Back to your knee lifts, from repetition 4. 4.")
    assert resumed.speech.endswith("?")
    assert current(exercise_log).delivery is Delivery.SPEECH
    # Later sets on this device are spoken too.
    echo.say("AMAZON.NoIntent")
    again = echo.say("StartExerciseIntent", exercise=exercise("bridges"))
    assert again.directive("AudioPlayer.Play") is None
    assert again.speech.startswith("Let's do your bridges")


def test_device_buttons_pause_play_previous_and_next_without_a_word(
    echo: Dialog, exercise_log: ExerciseLog, manifest: Manifest
) -> None:
    presses = track(manifest, "knee_presses")
    echo.say("StartExerciseIntent", exercise=exercise("knee_presses"))
    listen_until(echo, span_middle(presses, 3))
    pause = echo.press("Pause")
    assert pause.directive("AudioPlayer.Stop") is not None
    assert current(exercise_log).repetitions_done == 2
    play = echo.press("Play")
    assert played(play)[1] == span_start(presses, 3)
    listen_until(echo, span_middle(presses, 5))
    previous = echo.press("Previous")
    assert played(previous)[1] == span_start(presses, 4)
    assert current(exercise_log).repetitions_done == 3
    following = echo.press("Next")
    next_token, offset, _ = played(following)
    assert (next_token.exercise_id, offset) == ("knee_lifts", 0)
    assert current(exercise_log).exercise_id == "knee_lifts"
    for reply in echo.events:
        assert_silent(reply)


def test_start_over_repeat_previous_and_loop_while_playing(
    echo: Dialog, exercise_log: ExerciseLog, manifest: Manifest
) -> None:
    bridges = track(manifest, "bridges")
    echo.say("StartExerciseIntent", exercise=exercise("bridges"))
    listen_until(echo, span_middle(bridges, 7))
    assert played(echo.say("AMAZON.RepeatIntent"))[1] == span_start(bridges, 7)
    listen_until(echo, span_middle(bridges, 7))
    assert played(echo.say("AMAZON.PreviousIntent"))[1] == span_start(bridges, 6)
    loop = echo.say("AMAZON.LoopOnIntent")
    assert loop.speech.startswith("I can't loop or shuffle exercises.")
    assert loop.directive("AudioPlayer.Play") is None
    listen_until(echo, span_middle(bridges, 8))
    stale = echo.player.current.token if echo.player and echo.player.current else ""
    assert played(echo.say("AMAZON.StartOverIntent"))[1] == 0
    assert current(exercise_log).repetitions_done == 0
    # A late event from the replaced stream changes nothing.
    late = envelopes.audio_player_event(
        "PlaybackStopped",
        at=echo.at,
        token=stale,
        offset_ms=span_middle(bridges, 9),
        player_activity="STOPPED",
    )
    assert_silent(AlexaReply(echo.client.post("/alexa", json=late).get_json()))
    assert current(exercise_log).repetitions_done == 0


def test_forged_foreign_and_unknown_tokens_are_ignored(
    echo: Dialog, exercise_log: ExerciseLog, manifest: Manifest
) -> None:
    echo.say("StartExerciseIntent", exercise=exercise("bridges"))
    listen_until(echo, span_middle(track(manifest, "bridges"), 4))
    mine = echo.player.current.token if echo.player and echo.player.current else ""
    parsed = parse_token(mine)
    assert parsed is not None
    other_user = PlaybackToken.for_set(
        "amzn1.ask.account.SOMEONE", "bridges", Pace.NORMAL, parsed.set_id
    )
    for token in (other_user.encode(), "not-a-token", mine.replace(parsed.set_id, "f" * 32)):
        for event in (
            "PlaybackStopped",
            "PlaybackFinished",
            "PlaybackNearlyFinished",
            "PlaybackFailed",
        ):
            body = envelopes.audio_player_event(
                event, at=echo.at, token=token, offset_ms=999_999, player_activity="STOPPED"
            )
            assert_silent(AlexaReply(echo.client.post("/alexa", json=body).get_json()))
    still = current(exercise_log)
    assert (still.outcome, still.repetitions_done) == (Outcome.IN_PROGRESS, 0)


def test_pain_while_a_track_plays_stops_it_at_once(
    echo: Dialog, exercise_log: ExerciseLog, manifest: Manifest
) -> None:
    lifts = track(manifest, "knee_lifts")
    echo.say("StartExerciseIntent", exercise=exercise("knee_lifts"))
    listen_until(echo, span_middle(lifts, 5))
    hurt = echo.say("PainReportIntent")
    assert hurt.directive("AudioPlayer.Stop") is not None
    assert hurt.speech == "I've stopped the set. On a scale from 0 to 10, how bad is the pain?"
    assert not hurt.ends_session
    assert exercise_log.current(USER) is None
    advice = echo.say("PainScoreIntent", score="6")
    assert advice.speech.startswith("Noted: 6 out of 10.")
    (stopped,) = [each for each in exercise_log.sets_of(USER) if each.finished]
    assert (stopped.outcome, stopped.repetitions_done, stopped.pain_score) == (
        Outcome.STOPPED_FOR_PAIN,
        4,
        6,
    )


def test_a_slower_pace_while_playing_switches_track_at_the_same_repetition(
    echo: Dialog, exercise_log: ExerciseLog, manifest: Manifest
) -> None:
    normal, slow = track(manifest, "bridges"), track(manifest, "bridges", "slow")
    echo.say("StartExerciseIntent", exercise=exercise("bridges"))
    listen_until(echo, span_middle(normal, 3))
    reply = echo.say(
        "SetPaceIntent",
        pace=envelopes.slot("pace", "slower", resolved_id="slower", authority="PACE"),
    )
    assert reply.speech == "Okay, a slow pace from now on."
    token, offset, _ = played(reply)
    assert (token.pace, offset) == ("slow", span_start(slow, 3))
    assert played_url(reply) == BASE_URL + slow.file
    assert current(exercise_log).pace == "slow"


def test_stop_while_playing_keeps_the_set_for_later(
    echo: Dialog, exercise_log: ExerciseLog, manifest: Manifest
) -> None:
    presses = track(manifest, "knee_presses")
    echo.say("StartExerciseIntent", exercise=exercise("knee_presses"))
    listen_until(echo, span_middle(presses, 8))
    stop = echo.say("AMAZON.StopIntent")
    assert stop.directive("AudioPlayer.Stop") is not None
    echo.advance(hours=3)
    greeting = echo.launch()
    assert (
        greeting.speech == "You stopped at repetition 8 of your knee presses. Shall we finish them?"
    )
    _, offset, _ = played(echo.say("AMAZON.YesIntent"))
    assert offset == span_start(presses, 8)


def test_without_hosted_audio_an_echo_gets_the_spoken_set(
    app_config: dict[str, Any], alexa_api: Any
) -> None:
    """Audio served over plain HTTP cannot stream on Alexa: the set is spoken instead."""
    app = create_app({**app_config, "AUDIO_BASE_URL": "http://localhost:5000/audio/"})
    try:
        PatientStore(app.extensions[EXTENSION].engine).save_surgery_date(
            USER, SURGERY, locale="en-US"
        )
        echo = Dialog(app.test_client(), at=NOW, player=Player(duration_of=lambda url: 0))
        reply = echo.say("StartExerciseIntent", exercise=exercise("bridges"))
        assert reply.directive("AudioPlayer.Play") is None
        assert reply.speech.startswith("Let's do your bridges")
    finally:
        app.extensions[EXTENSION].engine.dispose()


def test_after_a_set_ends_repeat_and_next_belong_to_the_conversation_again(
    echo: Dialog, exercise_log: ExerciseLog
) -> None:
    echo.say("StartExerciseIntent", exercise=exercise("bridges"))
    echo.listen(minutes=5)
    assert exercise_log.current(USER) is None
    assert echo.player is not None
    assert echo.player.activity == "FINISHED"
    repeat = echo.say("AMAZON.RepeatIntent")
    assert repeat.directive("AudioPlayer.Play") is None
    assert repeat.speech.startswith("There's nothing to repeat yet.")
    following = echo.say("AMAZON.NextIntent")
    token, offset, _ = played(following)
    assert (token.exercise_id, offset) == ("knee_presses", 0)
