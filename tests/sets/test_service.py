"""The guided-set service, through the real HTTP path: a set start is one write on every path
(counted in the SQL the database runs), and a stream's position means the same repetitions
wherever it is read (pause, pain, previous)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, event

from skill.alexa.endpoint import EXTENSION
from skill.coach_audio.manifest import (
    Manifest,
    load_manifest,
    repetition_start_ms,
    repetitions_completed_at,
)
from skill.content.plan import Pace
from skill.devtools import envelopes
from skill.devtools.dialog import AlexaReply, Dialog, Player
from skill.devtools.simulator.session import track_durations
from skill.store.exercise_log import Delivery, ExerciseLog, Outcome
from skill.store.patients import PatientStore
from tests.conftest import NOW

USER = envelopes.DEFAULT_USER
SURGERY = date(2026, 10, 21)
WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture
def engine(app: Flask) -> Engine:
    engine: Engine = app.extensions[EXTENSION].engine
    PatientStore(engine).save_surgery_date(USER, SURGERY, locale="en-US")
    return engine


class Statements:
    """Every SQL statement SQLite runs for the app (prepared or not), as it runs them."""

    def __init__(self, engine: Engine) -> None:
        self.seen: list[str] = []
        event.listen(engine, "connect", self._trace)
        engine.dispose()  # every connection from now on is traced

    def _trace(self, connection: Any, _record: Any) -> None:
        connection.set_trace_callback(self.seen.append)

    def during(self, action: Any) -> list[str]:
        """The reads and writes SQLite ran for `action` (not BEGIN, COMMIT, PRAGMA)."""
        before = len(self.seen)
        action()
        return [sql for sql in self.seen[before:] if _kind(sql) in (*WRITES, "SELECT")]

    def writes_during(self, action: Any) -> list[str]:
        return [sql for sql in self.during(action) if _kind(sql) in WRITES]


def _kind(sql: str) -> str:
    return sql.lstrip().split()[0].upper()


@pytest.fixture
def statements(engine: Engine) -> Statements:
    return Statements(engine)


@pytest.fixture
def manifest(built_audio: Path) -> Manifest:
    found = load_manifest(built_audio)
    assert found is not None
    return found


def _streaming_echo(client: Any, manifest: Manifest) -> Dialog:
    return Dialog(client, at=NOW, player=Player(duration_of=track_durations(manifest)))


def _exercise(exercise_id: str) -> dict[str, Any]:
    return envelopes.slot("exercise", exercise_id, resolved_id=exercise_id, authority="EXERCISE")


def _start_writes(engine: Engine, statements: Statements) -> list[str]:
    """What ExerciseLog.start itself writes: the one write a set start is."""
    log = ExerciseLog(engine)
    writes = statements.writes_during(
        lambda: log.start(
            "amzn1.ask.account.SOMEONE-ELSE",
            "bridges",
            pace=Pace.NORMAL,
            delivery=Delivery.SPEECH,
            target=10,
            at=NOW,
        )
    )
    assert any(sql.lstrip().upper().startswith("INSERT") for sql in writes)
    return writes


@pytest.mark.parametrize("device", ["spoken", "streamed"])
def test_a_set_starts_with_one_write(
    app: Flask, engine: Engine, statements: Statements, manifest: Manifest, device: str
) -> None:
    one_start = _start_writes(engine, statements)
    client = app.test_client()
    echo = _streaming_echo(client, manifest) if device == "streamed" else Dialog(client, at=NOW)
    echo.launch()
    replies: list[AlexaReply] = []
    writes = statements.writes_during(
        lambda: replies.append(echo.say("StartExerciseIntent", exercise=_exercise("bridges")))
    )
    assert len(writes) == len(one_start), writes
    streamed = replies[0].directive("AudioPlayer.Play") is not None
    assert streamed == (device == "streamed")


def test_the_next_button_saves_the_position_and_starts_the_next_set_with_one_write(
    app: Flask, engine: Engine, statements: Statements, manifest: Manifest
) -> None:
    one_start = _start_writes(engine, statements)
    echo = _streaming_echo(app.test_client(), manifest)
    echo.launch()
    echo.say("StartExerciseIntent")  # the most due, the rest of the routine after it
    echo.listen(seconds=20)
    left = ExerciseLog(engine).current(USER)
    assert left is not None
    writes = statements.writes_during(lambda: echo.press("Next"))
    # The button: the position of the set left (one write), then the next set, stored with its
    # stream. Then the device's PlaybackStopped for the replaced stream: its one conditional
    # UPDATE, which finds that set already closed and changes nothing.
    button, stopped = writes[:-1], writes[-1]
    assert len(button) == 1 + len(one_start), writes
    assert stopped.startswith("UPDATE exercise_sets"), writes
    assert stopped.endswith("RETURNING outcome"), writes
    closed = ExerciseLog(engine).get(left.set_id)
    assert closed is not None
    assert closed.outcome is Outcome.PARTIAL  # closed by the start, not completed by the stop


def test_a_stream_position_means_the_same_repetitions_for_pause_and_for_pain(
    app: Flask, engine: Engine, manifest: Manifest
) -> None:
    """Paused at an offset or stopped there for pain, a set records the same repetitions."""
    log = ExerciseLog(engine)
    recorded = []
    for ending in ("pause", "pain"):
        echo = _streaming_echo(app.test_client(), manifest)
        echo.launch()
        echo.say("StartExerciseIntent", exercise=_exercise("bridges"))
        echo.listen(seconds=47)
        current = log.current(USER)
        assert current is not None
        if ending == "pause":
            echo.say("AMAZON.PauseIntent")
            stopped = log.get(current.set_id)
            assert stopped is not None
            assert stopped.outcome is Outcome.IN_PROGRESS
        else:
            echo.say("PainReportIntent")
            stopped = log.get(current.set_id)
            assert stopped is not None
            assert stopped.outcome is Outcome.STOPPED_FOR_PAIN
        recorded.append(stopped.repetitions_done)
        if ending == "pause":
            log.finish(current.set_id, Outcome.PARTIAL, at=NOW)
    track = manifest.track("en-US", "bridges", Pace.NORMAL)
    assert track is not None
    offset = repetition_start_ms(track, 1) + 47_000  # the stream starts at repetition 1
    assert recorded[0] == recorded[1] == repetitions_completed_at(track, offset)
    assert recorded[0] > 0


def test_a_set_start_closes_the_open_sets_in_one_statement(
    engine: Engine, statements: Statements
) -> None:
    # Was three writes: two UPDATEs (the set in progress, the queued sets), then the INSERT.
    writes = _start_writes(engine, statements)
    assert [_kind(sql) for sql in writes] == ["UPDATE", "INSERT"], writes


def test_a_launch_with_a_set_in_progress_is_one_read(
    app: Flask, engine: Engine, statements: Statements
) -> None:
    PatientStore(engine).save_time_zone(USER, "America/New_York")  # the device's: nothing to save
    left = ExerciseLog(engine).start(
        USER, "bridges", pace=Pace.NORMAL, delivery=Delivery.SPEECH, target=10, at=NOW
    )
    ExerciseLog(engine).record_progress(left.set_id, 5, at=NOW)
    dialog = Dialog(app.test_client(), at=NOW)
    replies = []
    ran = statements.during(lambda: replies.append(dialog.launch()))
    assert "You stopped at repetition 6 of your" in replies[0].speech
    assert [_kind(sql) for sql in ran] == ["SELECT"], ran  # the patient and the set together


def test_a_playback_stopped_is_one_write_and_no_read(
    app: Flask, engine: Engine, statements: Statements, manifest: Manifest
) -> None:
    echo = _streaming_echo(app.test_client(), manifest)
    echo.launch()
    echo.say("StartExerciseIntent", exercise=_exercise("bridges"))
    echo.listen(seconds=40)
    playing = ExerciseLog(engine).current(USER)
    assert playing is not None
    assert playing.stream is not None
    assert echo.player is not None
    assert echo.player.current is not None
    offset = echo.player.current.offset_ms
    stopped = envelopes.audio_player_event(
        "PlaybackStopped",
        at=NOW,
        token=playing.stream,
        offset_ms=offset,
        player_activity="STOPPED",
        user_id=USER,
    )
    ran = statements.during(lambda: echo.client.post("/alexa", json=stopped))
    assert [_kind(sql) for sql in ran] == ["UPDATE"], ran
    track = manifest.tracks["en-US"]["bridges"][Pace.NORMAL.value]
    recorded = ExerciseLog(engine).get(playing.set_id)
    assert recorded is not None
    assert recorded.repetitions_done == repetitions_completed_at(track, offset) > 0
    assert recorded.outcome is Outcome.IN_PROGRESS
