"""POST /alexa over HTTP: bad input gets a 400 or a spoken answer, never a 500; verification on."""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import responses
from ask_sdk_model import RequestEnvelope
from flask import request
from flask.testing import FlaskClient
from flask_wtf.csrf import CSRFProtect

from skill import create_app
from skill.alexa.endpoint import EXTENSION
from skill.devtools import envelopes
from skill.devtools.signing import DEFAULT_CHAIN_URL, LocalPki, make_pki
from skill.store.patients import PatientStore
from tests.conftest import NOW, verified_config


def post(client: FlaskClient, body: bytes, **headers: str) -> Any:
    return client.post("/alexa", data=body, headers={"Content-Type": "application/json", **headers})


def launch_body(**options: Any) -> bytes:
    return json.dumps(envelopes.launch(at=NOW, **options)).encode()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"not json at all", "application/json"),
        (b"\xff\xfe\x00garbage", "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b'"a string"', "application/json"),
        (b"{}", "application/json"),
        (b'{"request": {"type": "LaunchRequest"}}', "application/json"),  # no context
        (b'{"context": {"System": {}}}', "application/json"),  # no request
        (b'{"context": {"System": {}}, "request": {"type": 7}}', "application/json"),
        (b'{"context": [], "request": {"type": "LaunchRequest"}}', "application/json"),
        (launch_body(), "text/plain"),
        (launch_body(), "application/x-www-form-urlencoded"),
    ],
)
def test_malformed_requests_get_a_generic_400(
    client: FlaskClient, body: bytes, content_type: str
) -> None:
    response = client.post("/alexa", data=body, headers={"Content-Type": content_type})
    assert response.status_code == 400
    assert response.get_json() == {"error": "bad request"}


def test_a_request_that_does_not_deserialize_gets_a_400(client: FlaskClient) -> None:
    body = envelopes.launch(at=NOW)
    body["request"]["timestamp"] = {"not": "a timestamp"}
    assert post(client, json.dumps(body).encode()).status_code == 400


def test_a_body_over_128_kib_gets_a_413(client: FlaskClient) -> None:
    body = envelopes.launch(at=NOW)
    body["padding"] = "x" * (128 * 1024)
    response = post(client, json.dumps(body).encode())
    assert response.status_code == 413


def test_a_body_just_under_the_limit_is_answered(client: FlaskClient) -> None:
    body = envelopes.launch(at=NOW)
    size = len(json.dumps(body)) + len(', "padding": ""')
    body["padding"] = "x" * (128 * 1024 - size - 1)
    response = post(client, json.dumps(body).encode())
    assert response.status_code == 200
    assert "Spine Coach" in response.get_json()["response"]["outputSpeech"]["ssml"]


@pytest.mark.parametrize(("depth", "status"), [(20, 200), (400, 400), (2500, 400)])
def test_session_attributes_nested_too_deep_to_send_back_get_a_400(
    client: FlaskClient, depth: int, status: int
) -> None:
    # Sent back with the answer: deep enough to break serializing (400 levels) or parsing.
    body = envelopes.launch(at=NOW)
    text = json.dumps(body).replace(
        '"attributes": {}', '"attributes": {"x": ' + '{"a": ' * depth + "1" + "}" * depth + "}"
    )
    response = post(client, text.encode())
    assert response.status_code == status
    if status == 200:
        assert response.get_json()["response"]["outputSpeech"]["type"] == "SSML"


def test_an_unknown_request_type_gets_a_valid_empty_response(client: FlaskClient) -> None:
    body = envelopes.request_of_type("Alexa.Something.New", at=NOW)
    response = post(client, json.dumps(body).encode())
    assert response.status_code == 200
    assert response.get_json() == {"version": "1.0", "response": {}}


def test_a_known_request_type_the_skill_does_not_use_gets_an_empty_response(
    client: FlaskClient,
) -> None:
    body = envelopes.request_of_type("AlexaSkillEvent.SkillEnabled", at=NOW)
    response = post(client, json.dumps(body).encode())
    assert response.status_code == 200
    assert "outputSpeech" not in response.get_json()["response"]


def test_a_failing_handler_becomes_a_spoken_apology_logged_with_the_request_id(
    client: FlaskClient, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_read(self: PatientStore, user_id: str) -> None:
        raise RuntimeError("database on fire")

    # However the patient is read (alone, or with the set in progress as Launch reads it).
    monkeypatch.setattr(PatientStore, "get", broken_read)
    monkeypatch.setattr(PatientStore, "get_with_set_in_progress", broken_read)
    body = envelopes.launch(at=NOW)
    response = post(client, json.dumps(body).encode())
    assert response.status_code == 200
    payload = response.get_json()["response"]
    assert "Sorry, something went wrong on my side" in payload["outputSpeech"]["ssml"]
    assert payload["shouldEndSession"] is False
    assert payload["reprompt"]["outputSpeech"]["ssml"]
    logged = [record for record in caplog.records if record.levelname == "ERROR"]
    assert logged
    assert body["request"]["requestId"] in logged[0].getMessage()
    assert "test-api-access-token" not in caplog.text


@pytest.mark.parametrize(
    "body",
    [
        envelopes.launch(at=NOW),
        envelopes.intent("CurrentPhaseIntent", at=NOW),
        envelopes.audio_player_event(
            "PlaybackStopped", at=NOW, token="t", offset_ms=60_000, player_activity="STOPPED"
        ),
    ],
    ids=["launch", "intent", "playback-stopped"],
)
def test_the_body_is_parsed_once_and_the_skill_gets_a_request_envelope(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch, body: dict[str, Any]
) -> None:
    raw = json.dumps(body).encode()
    parsed: list[object] = []
    real_loads = json.loads

    def loads(text: Any, *args: Any, **kwargs: Any) -> Any:
        if text in (raw, raw.decode()):
            parsed.append(text)
        return real_loads(text, *args, **kwargs)

    invoked: list[object] = []
    skill = client.application.extensions[EXTENSION].skill
    real_invoke = skill.invoke

    def invoke(request_envelope: Any, context: Any = None) -> Any:
        invoked.append(request_envelope)
        return real_invoke(request_envelope, context)

    monkeypatch.setattr(json, "loads", loads)
    monkeypatch.setattr(skill, "invoke", invoke)
    response = post(client, raw)
    assert response.status_code == 200
    assert len(parsed) == 1
    (request_envelope,) = invoked
    assert isinstance(request_envelope, RequestEnvelope)
    assert request_envelope.request is not None
    assert request_envelope.request.request_id == body["request"]["requestId"]


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: codecs.BOM_UTF8 + text.encode(),
        lambda text: text.encode("utf-16-le"),
        lambda text: text.encode("utf-16"),
        lambda text: text.encode("utf-32-be"),
        lambda text: text.replace("Launch", "Launch\\ud800").encode(),
        lambda text: text[:-1].encode() + b', "x": "\xed\xa0\x80"}',  # a surrogate, encoded
    ],
    ids=["utf-8-bom", "utf-16-le", "utf-16-bom", "utf-32", "escaped-surrogate", "surrogate"],
)
def test_a_body_json_reads_but_ask_sdk_did_not_as_utf8_is_refused_as_before(
    client: FlaskClient, encode: Callable[[str], bytes]
) -> None:
    text = json.dumps(envelopes.launch(at=NOW))
    body = encode(text)
    json.loads(body)  # JSON reads them all
    escaped = b"\\ud800" in body  # plain UTF-8 text, the surrogate escaped: fine for ask-sdk
    assert post(client, body).status_code == (200 if escaped else 400)


def test_alexas_requests_run_no_csrf_code_the_caregivers_forms_do(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks: list[str] = []
    real_protect = CSRFProtect.protect

    def protect(self: CSRFProtect, *args: Any, **kwargs: Any) -> None:
        checks.append(request.path)
        real_protect(self, *args, **kwargs)

    monkeypatch.setattr(CSRFProtect, "protect", protect)
    assert post(client, launch_body()).status_code == 200
    assert client.get("/healthz").status_code == 200
    assert checks == []
    assert client.post("/care", data={"code": "123456"}).status_code == 400  # no token
    assert checks == ["/care"]


def test_healthz_says_the_process_is_up(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_checks_the_database(client: FlaskClient, tmp_path: Any) -> None:
    assert client.get("/readyz").status_code == 200
    unreachable = create_app(
        {"DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none", "VERIFY_REQUESTS": False}
    )
    response = unreachable.test_client().get("/readyz")
    assert response.status_code == 503
    unreachable.extensions[EXTENSION].engine.dispose()


# --- verification on, through the real HTTP path ----------------------------------------------


@pytest.fixture(scope="module")
def pki() -> LocalPki:
    return make_pki(now=NOW)


@pytest.fixture
def fetches() -> list[str]:
    return []


@pytest.fixture
def verified_client(
    sqlite_url: str, pki: LocalPki, fetches: list[str], alexa_api: responses.RequestsMock
) -> Iterator[FlaskClient]:
    def fetch(url: str) -> bytes:
        fetches.append(url)
        return pki.chain_pem()

    app = create_app(
        verified_config(sqlite_url, pki, fetch, clock=lambda: NOW + timedelta(seconds=2))
    )
    yield app.test_client()
    app.extensions[EXTENSION].engine.dispose()


def test_a_signed_request_is_answered_and_the_chain_fetched_once(
    verified_client: FlaskClient, pki: LocalPki, fetches: list[str]
) -> None:
    for _ in range(3):
        body = launch_body()
        response = post(verified_client, body, **pki.headers(body))
        assert response.status_code == 200
        assert "Spine Coach" in response.get_json()["response"]["outputSpeech"]["ssml"]
    assert fetches == [DEFAULT_CHAIN_URL]


Tamper = Callable[[bytes, dict[str, str]], tuple[bytes, dict[str, str]]]


def _drop(header: str) -> Tamper:
    return lambda body, headers: (body, {k: v for k, v in headers.items() if k != header})


def _set(header: str, value: str) -> Tamper:
    return lambda body, headers: (body, {**headers, header: value})


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda b, h: (b.replace(b"LaunchRequest", b"LaunchRequesT"), h), id="body"),
        pytest.param(_drop("Signature-256"), id="no-signature"),
        pytest.param(_drop("SignatureCertChainUrl"), id="no-chain-url"),
        pytest.param(
            _set("SignatureCertChainUrl", "http://s3.amazonaws.com/echo.api/c.pem"), id="http"
        ),
        pytest.param(
            _set("SignatureCertChainUrl", "https://evil.com/echo.api/c.pem"), id="other-host"
        ),
        pytest.param(
            _set("SignatureCertChainUrl", "https://s3.amazonaws.com/echo.api/../evil/c.pem"),
            id="escape",
        ),
        pytest.param(
            _set("SignatureCertChainUrl", "https://s3.amazonaws.com:8443/echo.api/c.pem"), id="port"
        ),
        pytest.param(_set("Signature-256", "bm90IGEgc2lnbmF0dXJl"), id="wrong-signature"),
    ],
)
def test_tampered_or_unsigned_requests_get_a_400(
    verified_client: FlaskClient, pki: LocalPki, tamper: Tamper
) -> None:
    body = launch_body()
    body, headers = tamper(body, pki.headers(body))
    response = post(verified_client, body, **headers)
    assert response.status_code == 400
    assert response.get_json() == {"error": "bad request"}


@pytest.mark.parametrize("age", [timedelta(seconds=151), timedelta(seconds=-151)])
def test_stale_and_future_requests_get_a_400(
    verified_client: FlaskClient, pki: LocalPki, age: timedelta
) -> None:
    body = json.dumps(envelopes.launch(at=NOW + timedelta(seconds=2) - age)).encode()
    assert post(verified_client, body, **pki.headers(body)).status_code == 400


def test_a_request_for_another_skill_gets_a_400(
    verified_client: FlaskClient, pki: LocalPki
) -> None:
    body = launch_body(skill_id="amzn1.ask.skill.someone-else")
    assert post(verified_client, body, **pki.headers(body)).status_code == 400


def test_a_chain_from_an_untrusted_ca_gets_a_400(
    verified_client: FlaskClient, fetches: list[str]
) -> None:
    stranger = make_pki(now=NOW)
    body = launch_body()
    response = post(verified_client, body, **stranger.headers(body))
    assert response.status_code == 400


def test_verification_failures_are_logged_with_a_reason(
    verified_client: FlaskClient, pki: LocalPki, caplog: pytest.LogCaptureFixture
) -> None:
    body = launch_body()
    headers = {**pki.headers(body), "SignatureCertChainUrl": "https://evil.com/echo.api/c.pem"}
    post(verified_client, body, **headers)
    assert "refused request" in caplog.text
    assert "host" in caplog.text.lower()
