"""A fake Amazon for every reminders test, and a patient talking to the app through it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine

from skill.alexa.endpoint import EXTENSION
from skill.devtools import envelopes
from skill.devtools.dialog import AlexaReply
from skill.store.patients import PatientStore
from tests.conftest import NOW
from tests.reminders_support import FakeAmazon, LocalTls

SURGERY = date(2026, 11, 6)  # two weeks before NOW: every in-bed exercise is allowed


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> LocalTls:
    """The fake Amazon's certificate."""
    return LocalTls.make(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def app_config(app_config: dict[str, Any], tls: LocalTls) -> dict[str, Any]:
    """The app, calling Alexa's APIs with its own client, trusting the fake's certificate."""
    return {**app_config, "ALEXA_API_CLIENT": tls.api_client()}


@pytest.fixture
def amazon(alexa_api: responses.RequestsMock, tls: LocalTls) -> Iterator[FakeAmazon]:
    """Amazon's Reminders API on a local port, the reminders permission granted."""
    with FakeAmazon(tls, clock=lambda: NOW) as fake:
        alexa_api.add_passthru(fake.url)
        yield fake


@pytest.fixture
def engine(app: Flask) -> Engine:
    """The app's database, with the patient and their surgery date."""
    engine: Engine = app.extensions[EXTENSION].engine
    PatientStore(engine).save_surgery_date(envelopes.DEFAULT_USER, SURGERY, locale="en-US")
    return engine


@dataclass
class Patient:
    """One patient's requests to /alexa through the fake Amazon, the session carried."""

    client: FlaskClient
    amazon: FakeAmazon
    at: datetime = NOW
    locale: str = "en-US"
    device_id: str = envelopes.DEFAULT_DEVICE
    granted: tuple[str, ...] = (envelopes.REMINDERS_SCOPE,)
    attributes: dict[str, Any] = field(default_factory=dict)

    def options(self) -> dict[str, Any]:
        """Envelope options: this device, locale, permissions and the fake's endpoint."""
        return {
            "locale": self.locale,
            "device_id": self.device_id,
            "granted": self.granted,
            "api_endpoint": self.amazon.url,
        }

    def post(self, body: dict[str, Any]) -> AlexaReply:
        response = self.client.post("/alexa", json=body)
        assert response.status_code == 200, response.get_data()
        reply = AlexaReply(response.get_json())
        self.attributes = reply.session_attributes if not reply.ends_session else {}
        return reply

    def launch(self) -> AlexaReply:
        self.attributes = {}
        return self.post(envelopes.launch(at=self.at, **self.options()))

    def say(self, intent: str, **slots: str) -> AlexaReply:
        slot_data = {name: envelopes.slot(name, value) for name, value in slots.items()}
        return self.post(
            envelopes.intent(
                intent,
                slot_data,
                at=self.at,
                session_attributes=self.attributes,
                **self.options(),
            )
        )

    def answer_permission(self, status: str, *, code: str = "200") -> AlexaReply:
        return self.post(
            envelopes.permission_answer(
                status,
                at=self.at,
                code=code,
                token="reminders",
                session_attributes=self.attributes,
                **self.options(),
            )
        )

    def event(self, body: dict[str, Any]) -> AlexaReply:
        return self.post(body)

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@pytest.fixture
def patient(client: FlaskClient, amazon: FakeAmazon, engine: Engine) -> Patient:
    """A patient with a surgery date, who allowed reminders, on an en-US device in New York."""
    return Patient(client, amazon)
