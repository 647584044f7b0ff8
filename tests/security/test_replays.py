"""Replays: the same signed request sent again is refused and changes nothing, on SQLite and
PostgreSQL, whichever instance of the skill it reaches (they share the database)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import responses
from flask import Flask
from sqlalchemy import func, select

from skill import create_app
from skill.alexa.endpoint import EXTENSION
from skill.devtools import envelopes
from skill.devtools.signing import LocalPki, make_pki
from skill.store.patients import PatientStore
from skill.store.tables import CAREGIVER_CODES, PAIN_REPORTS, PATIENTS
from tests.conftest import NOW, verified_config

USER = envelopes.DEFAULT_USER


@pytest.fixture(scope="module")
def pki() -> LocalPki:
    return make_pki(now=NOW)


def _verified_app(database_url: str, pki: LocalPki) -> Flask:
    config = verified_config(
        database_url, pki, lambda url: pki.chain_pem(), clock=lambda: NOW + timedelta(seconds=2)
    )
    return create_app(config)


@pytest.fixture
def instances(
    database_url: str, pki: LocalPki, alexa_api: responses.RequestsMock
) -> Iterator[tuple[Flask, Flask]]:
    """Two instances of the skill on one database, as two workers or two machines run it."""
    first, second = _verified_app(database_url, pki), _verified_app(database_url, pki)
    PatientStore(first.extensions[EXTENSION].engine).save_surgery_date(
        USER, NOW.date() - timedelta(days=30), locale="en-US"
    )
    yield first, second
    for app in (first, second):
        app.extensions[EXTENSION].engine.dispose()


def _send(app: Flask, pki: LocalPki, body: bytes) -> Any:
    headers = {"Content-Type": "application/json", **pki.headers(body)}
    return app.test_client().post("/alexa", data=body, headers=headers)


def _count(app: Flask, table: Any) -> int:
    with app.extensions[EXTENSION].engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def _pain_report() -> bytes:
    envelope = envelopes.intent(
        "PainReportIntent", {"score": envelopes.slot("score", "8")}, at=NOW, user_id=USER
    )
    return json.dumps(envelope).encode()


def test_a_replayed_pain_report_is_refused_and_stored_once(
    instances: tuple[Flask, Flask], pki: LocalPki
) -> None:
    first, _ = instances
    body = _pain_report()
    assert _send(first, pki, body).status_code == 200
    assert _send(first, pki, body).status_code == 400
    assert _count(first, PAIN_REPORTS) == 1


def test_a_replay_to_another_instance_is_refused_too(
    instances: tuple[Flask, Flask], pki: LocalPki
) -> None:
    first, second = instances
    body = _pain_report()
    assert _send(first, pki, body).status_code == 200
    assert _send(second, pki, body).status_code == 400
    assert _count(second, PAIN_REPORTS) == 1


def test_a_replayed_caregiver_code_request_issues_no_code(
    instances: tuple[Flask, Flask], pki: LocalPki
) -> None:
    """The attack: replaying 'give my caregiver access' would cancel the patient's code and
    read a new one to whoever replayed it."""
    first, second = instances
    body = json.dumps(envelopes.intent("CaregiverCodeIntent", at=NOW, user_id=USER)).encode()
    answer = _send(first, pki, body)
    assert answer.status_code == 200
    replay = _send(second, pki, body)
    assert replay.status_code == 400
    assert "say-as" not in replay.get_data(as_text=True)  # no code in the refusal
    assert _count(first, CAREGIVER_CODES) == 1


def test_a_replayed_skill_disabled_event_deletes_nothing_more(
    instances: tuple[Flask, Flask], pki: LocalPki
) -> None:
    first, second = instances
    event = envelopes.request_of_type("AlexaSkillEvent.SkillDisabled", at=NOW)
    event["request"]["body"] = {"userInformationPersistenceStatus": "NOT_PERSISTED"}
    body = json.dumps(event).encode()
    assert _send(first, pki, body).status_code == 200
    assert _count(first, PATIENTS) == 0
    PatientStore(first.extensions[EXTENSION].engine).save_surgery_date(
        USER, NOW.date(), locale="en-US"
    )  # the patient enables the skill again and starts over
    assert _send(second, pki, body).status_code == 400
    assert _count(first, PATIENTS) == 1


def test_new_requests_keep_being_answered(instances: tuple[Flask, Flask], pki: LocalPki) -> None:
    first, second = instances
    for app in (first, second, first):
        body = json.dumps(envelopes.launch(at=NOW, user_id=USER)).encode()  # a new requestId
        assert _send(app, pki, body).status_code == 200


def test_a_failing_replay_check_is_an_apology_and_does_nothing(
    instances: tuple[Flask, Flask], pki: LocalPki, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database failing at the replay check: a spoken apology, never a 500, and the
    request is not carried out (it could not be checked)."""
    from sqlalchemy.exc import OperationalError

    from skill.store.seen_requests import SeenRequests

    def locked(self: SeenRequests, request_id: str, **_: Any) -> bool:
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    first, _ = instances
    monkeypatch.setattr(SeenRequests, "first_time", locked)
    response = _send(first, pki, _pain_report())
    assert response.status_code == 200
    assert "Sorry, something went wrong" in response.get_json()["response"]["outputSpeech"]["ssml"]
    assert _count(first, PAIN_REPORTS) == 0


def test_a_failing_sweep_does_not_fail_the_request(
    instances: tuple[Flask, Flask], pki: LocalPki, monkeypatch: pytest.MonkeyPatch
) -> None:
    from skill.store.seen_requests import SeenRequests

    def broken(self: SeenRequests, now: Any) -> int:
        raise RuntimeError("sweep failed")

    first, _ = instances
    monkeypatch.setattr(SeenRequests, "forget_expired", broken)
    body = _pain_report()
    assert _send(first, pki, body).status_code == 200
    assert _send(first, pki, body).status_code == 400
    assert _count(first, PAIN_REPORTS) == 1
