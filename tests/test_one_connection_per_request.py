"""Through POST /alexa, on SQLite and PostgreSQL: every statement of a request runs on one
pooled connection (counted with the pool's checkout events), whatever the request reads and
writes, and the connection is back in the pool when the answer is sent."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, event

from skill.alexa.endpoint import EXTENSION
from skill.content.plan import Pace
from skill.devtools import envelopes
from skill.sets.tokens import PlaybackToken
from skill.store.exercise_log import Delivery, ExerciseLog, Outcome
from skill.store.patients import PatientStore
from tests.conftest import NOW

pytestmark = pytest.mark.both_databases

USER = envelopes.DEFAULT_USER


class Pool:
    """Checkouts and checkins of the app's pool."""

    def __init__(self, engine: Engine) -> None:
        self.checkouts = self.checkins = 0
        event.listen(engine, "checkout", self._out)
        event.listen(engine, "checkin", self._in)

    def _out(self, *_: object) -> None:
        self.checkouts += 1

    def _in(self, *_: object) -> None:
        self.checkins += 1


@pytest.fixture
def engine(app: Flask) -> Engine:
    engine: Engine = app.extensions[EXTENSION].engine
    patients = PatientStore(engine)
    patients.save_surgery_date(USER, date(2026, 10, 21), locale="en-US")
    patients.save_time_zone(USER, "America/New_York")
    return engine


def playing(engine: Engine) -> PlaybackToken:
    """A set of bridges in progress on a stream (no track built: the set keeps its count)."""
    exercise_log = ExerciseLog(engine)
    started = exercise_log.start(
        USER, "bridges", pace=Pace.NORMAL, delivery=Delivery.AUDIO, target=10, at=NOW
    )
    token = PlaybackToken.for_set(USER, "bridges", Pace.NORMAL, started.set_id)
    exercise_log.update(started.set_id, stream=token.encode())
    return token


def bridges() -> dict[str, Any]:
    return {
        "exercise": envelopes.slot(
            "exercise", "bridges", resolved_id="bridges", authority="EXERCISE"
        )
    }


def post(client: FlaskClient, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/alexa", json=body)
    assert response.status_code == 200
    answer: dict[str, Any] = response.get_json()
    return answer


def test_each_request_checks_out_one_connection(app: Flask, engine: Engine) -> None:
    token = playing(engine)
    client = app.test_client()
    pool = Pool(engine)
    requests = {
        "launch": envelopes.launch(at=NOW),
        "stopped": envelopes.audio_player_event(
            "PlaybackStopped",
            at=NOW,
            token=token.encode(),
            offset_ms=9_000,
            player_activity="STOPPED",
        ),
        "start": envelopes.intent("StartExerciseIntent", bridges(), at=NOW),
        "summary": envelopes.intent("ProgressSummaryIntent", at=NOW),
        "self report": envelopes.intent("LogExerciseIntent", bridges(), at=NOW),
        "pain": envelopes.intent("PainReportIntent", at=NOW + timedelta(minutes=1)),
    }
    counted = {}
    for name, body in requests.items():
        before = pool.checkouts
        answer = post(client, body)
        counted[name] = pool.checkouts - before
        assert pool.checkins == pool.checkouts, name  # given back before the answer
        assert "went wrong" not in str(answer), (name, answer)
    assert counted == dict.fromkeys(requests, 1)
    # The requests did their work: the stop kept the set, the start closed it and began another.
    closed = ExerciseLog(engine).get(token.set_id)
    assert closed is not None
    assert closed.outcome is Outcome.PARTIAL
    assert len(ExerciseLog(engine).sets_of(USER)) >= 2
