"""What is measured: each scenario is one request kind sent to one app.

Later request kinds are new entries in SCENARIOS; a Spine Coach scenario names the hello-world
scenario it is compared with (`baseline`) and the database it runs on. The write scenarios run
on SQLite and again on PostgreSQL (production's database), each served by its own gunicorn.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
SPINE_POSTGRES = "spine-postgresql"
SQLITE = "sqlite"
POSTGRESQL = "postgresql"
# The gunicorn app of each name ("module:factory()"); the two Spine Coach apps differ only in
# their database (bench.__main__.app_env).
APPS = {
    HELLO: "bench.hello_skill:create()",
    SPINE: "bench.spine_app:create()",
    SPINE_POSTGRES: "bench.spine_app:create()",
}
# Each Spine Coach scenario's throughput at least this share of the bare skill's, by database.
TARGET_RATIOS = {SQLITE: 0.8, POSTGRESQL: 0.6}


@dataclass(frozen=True)
class Scenario:
    """One request kind against one app, and what a correct answer says."""

    name: str
    app: str
    envelope: Callable[[datetime], dict[str, Any]]
    expected_speech: str | None
    baseline: str | None = None
    database: str | None = None  # a Spine Coach scenario's: SQLITE or POSTGRESQL

    @property
    def target_ratio(self) -> float | None:
        """The least throughput ratio to the baseline that meets the target (None: none)."""
        return TARGET_RATIOS[self.database] if self.database else None


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
        "spine LaunchRequest",
        SPINE,
        _launch,
        "Welcome back.",
        baseline="hello LaunchRequest",
        database=SQLITE,
    ),
    Scenario(
        "spine CurrentPhaseIntent",
        SPINE,
        _current_phase,
        "You're in",
        baseline="hello IntentRequest",
        database=SQLITE,
    ),
    Scenario("hello StartExercise", HELLO, _start_exercise, "Hello world"),
    Scenario(
        "spine StartExerciseIntent",
        SPINE,
        _start_exercise,
        "Let's do your bridges",
        baseline="hello StartExercise",
        database=SQLITE,
    ),
    Scenario(
        "pg StartExerciseIntent",
        SPINE_POSTGRES,
        _start_exercise,
        "Let's do your bridges",
        baseline="hello StartExercise",
        database=POSTGRESQL,
    ),
    Scenario("hello PlaybackStopped", HELLO, _playback_stopped, None),
    Scenario(
        "spine PlaybackStopped",
        SPINE,
        _playback_stopped,
        None,
        baseline="hello PlaybackStopped",
        database=SQLITE,
    ),
    Scenario(
        "pg PlaybackStopped",
        SPINE_POSTGRES,
        _playback_stopped,
        None,
        baseline="hello PlaybackStopped",
        database=POSTGRESQL,
    ),
    Scenario("hello ProgressSummary", HELLO, _progress_summary, "Hello world"),
    Scenario(
        "spine ProgressSummaryIntent",
        SPINE,
        _progress_summary,
        "This week,",
        baseline="hello ProgressSummary",
        database=SQLITE,
    ),
)


def select(scenarios: Sequence[Scenario], wanted: Sequence[str]) -> tuple[Scenario, ...]:
    """The Spine Coach scenarios whose name contains one of `wanted` (any case), with their
    baselines; all of them when `wanted` is empty. ValueError naming a word that matches none."""
    if not wanted:
        return tuple(scenarios)
    spine = [s for s in scenarios if s.baseline is not None]
    chosen = set()
    for word in wanted:
        matched = {s.name for s in spine if word.lower() in s.name.lower()}
        if not matched:
            raise ValueError(f"no scenario matches {word!r}: {', '.join(s.name for s in spine)}")
        chosen |= matched
    baselines = {s.baseline for s in spine if s.name in chosen}
    return tuple(s for s in scenarios if s.name in chosen or s.name in baselines)
