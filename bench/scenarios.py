"""What is measured: each scenario is one request kind sent to one app.

Later request kinds are new entries in SCENARIOS; a Spine Coach scenario names the hello-world
scenario it is compared with (`baseline`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from skill.content.plan import Pace
from skill.devtools import envelopes
from skill.sets.tokens import PlaybackToken
from skill.store.keys import patient_key

# A second patient with a set playing as a track, so PlaybackStopped has a stream to record
# (the first patient's sets are started and put aside by the StartExerciseIntent scenario).
AUDIO_USER = "amzn1.ask.account.BENCHAUDIO"
# A third, who starts a set with every request (the launch patient has none unfinished).
EXERCISE_USER = "amzn1.ask.account.BENCHEXERCISE"
AUDIO_SET = "benchset"
AUDIO_TOKEN = PlaybackToken(patient_key(AUDIO_USER), "bridges", Pace.NORMAL, AUDIO_SET, "0badcafe")

HELLO = "hello"
SPINE = "spine"
# The gunicorn app of each name ("module:factory()").
APPS = {HELLO: "bench.hello_skill:create()", SPINE: "bench.spine_app:create()"}
TARGET_RATIO = 0.6


@dataclass(frozen=True)
class Scenario:
    """One request kind against one app, and what a correct answer says."""

    name: str
    app: str
    envelope: Callable[[datetime], dict[str, Any]]
    expected_speech: str | None
    baseline: str | None = None


def _launch(at: datetime) -> dict[str, Any]:
    return envelopes.launch(at=at)


def _current_phase(at: datetime) -> dict[str, Any]:
    return envelopes.intent("CurrentPhaseIntent", at=at)


def _start_exercise(at: datetime) -> dict[str, Any]:
    exercise = envelopes.slot("exercise", "bridges", resolved_id="bridges", authority="EXERCISE")
    return envelopes.intent(
        "StartExerciseIntent", {"exercise": exercise}, at=at, user_id=EXERCISE_USER
    )


def _playback_stopped(at: datetime) -> dict[str, Any]:
    return envelopes.audio_player_event(
        "PlaybackStopped",
        at=at,
        token=AUDIO_TOKEN.encode(),
        offset_ms=60_000,
        player_activity="STOPPED",
        user_id=AUDIO_USER,
    )


def _progress_summary(at: datetime) -> dict[str, Any]:
    return envelopes.intent("ProgressSummaryIntent", at=at)


# The hello skill gets the very same envelopes, so body sizes and parsing work are equal.
SCENARIOS: tuple[Scenario, ...] = (
    Scenario("hello LaunchRequest", HELLO, _launch, "Hello world"),
    Scenario("hello IntentRequest", HELLO, _current_phase, "Hello world"),
    Scenario(
        "spine LaunchRequest", SPINE, _launch, "Welcome back.", baseline="hello LaunchRequest"
    ),
    Scenario(
        "spine CurrentPhaseIntent",
        SPINE,
        _current_phase,
        "You're in",
        baseline="hello IntentRequest",
    ),
    Scenario("hello StartExercise", HELLO, _start_exercise, "Hello world"),
    Scenario(
        "spine StartExerciseIntent",
        SPINE,
        _start_exercise,
        "Let's do your bridges",
        baseline="hello StartExercise",
    ),
    Scenario("hello PlaybackStopped", HELLO, _playback_stopped, None),
    Scenario(
        "spine PlaybackStopped", SPINE, _playback_stopped, None, baseline="hello PlaybackStopped"
    ),
    Scenario("hello ProgressSummary", HELLO, _progress_summary, "Hello world"),
    Scenario(
        "spine ProgressSummaryIntent",
        SPINE,
        _progress_summary,
        "In the last 7 days",
        baseline="hello ProgressSummary",
    ),
)
