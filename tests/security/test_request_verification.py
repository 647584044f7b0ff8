"""Attack: make the skill download certificate chains. Unsigned, stale or malformed requests
must cost no download, and a chain URL that failed is not downloaded again for a while."""

from __future__ import annotations

import base64
import email.message
import json
import urllib.error
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import responses
from flask.testing import FlaskClient

from skill import create_app
from skill.alexa.endpoint import EXTENSION
from skill.devtools import envelopes
from skill.devtools.signing import DEFAULT_CHAIN_URL, LocalPki, make_pki
from tests.conftest import NOW, verified_config

NEW_URL = "https://s3.amazonaws.com/echo.api/never-seen-before.pem"


@pytest.fixture(scope="module")
def pki() -> LocalPki:
    return make_pki(now=NOW)


@pytest.fixture
def fetches() -> list[str]:
    return []


@pytest.fixture
def client(
    sqlite_url: str, pki: LocalPki, fetches: list[str], alexa_api: responses.RequestsMock
) -> Iterator[FlaskClient]:
    def fetch(url: str) -> bytes:
        """Amazon's bucket: the real chain at its URL, a 403 (an OSError) anywhere else."""
        fetches.append(url)
        if url != DEFAULT_CHAIN_URL:
            raise urllib.error.HTTPError(url, 403, "Forbidden", email.message.Message(), None)
        return pki.chain_pem()

    app = create_app(verified_config(sqlite_url, pki, fetch))
    yield app.test_client()
    app.extensions[EXTENSION].engine.dispose()


def body(*, age: timedelta = timedelta(0)) -> bytes:
    return json.dumps(envelopes.launch(at=NOW - age)).encode()


def post(client: FlaskClient, data: bytes, headers: dict[str, str]) -> Any:
    return client.post("/alexa", data=data, headers={"Content-Type": "application/json", **headers})


# A signature of the right form and length that no key made.
FORGED = base64.b64encode(b"\x01" * 256).decode("ascii")


@pytest.mark.parametrize(
    ("headers", "age"),
    [
        pytest.param({"SignatureCertChainUrl": NEW_URL}, timedelta(0), id="unsigned"),
        pytest.param(
            {"SignatureCertChainUrl": NEW_URL, "Signature-256": ""}, timedelta(0), id="empty"
        ),
        pytest.param(
            {"SignatureCertChainUrl": NEW_URL, "Signature-256": "not base64!"},
            timedelta(0),
            id="malformed-signature",
        ),
        pytest.param(
            {"SignatureCertChainUrl": NEW_URL, "Signature-256": FORGED},
            timedelta(minutes=10),
            id="stale",
        ),
        pytest.param(
            {"SignatureCertChainUrl": NEW_URL, "Signature-256": FORGED},
            timedelta(minutes=-10),
            id="future",
        ),
        pytest.param(
            {"SignatureCertChainUrl": "https://evil.example/echo.api/c", "Signature-256": FORGED},
            timedelta(0),
            id="foreign-url",
        ),
        pytest.param(
            {"SignatureCertChainUrl": "https://s3.amazonaws.com/x/c.pem", "Signature-256": FORGED},
            timedelta(0),
            id="url-outside-echo-api",
        ),
    ],
)
def test_cheap_failures_download_nothing(
    client: FlaskClient, fetches: list[str], headers: dict[str, str], age: timedelta
) -> None:
    for _ in range(3):
        assert post(client, body(age=age), headers).status_code == 400
    assert fetches == []


def test_a_failing_chain_url_is_downloaded_once(client: FlaskClient, fetches: list[str]) -> None:
    headers = {"SignatureCertChainUrl": NEW_URL, "Signature-256": FORGED}
    for _ in range(20):
        assert post(client, body(), headers).status_code == 400
    assert fetches == [NEW_URL]


def test_a_failing_url_does_not_block_alexas_own(
    client: FlaskClient, pki: LocalPki, fetches: list[str]
) -> None:
    post(client, body(), {"SignatureCertChainUrl": NEW_URL, "Signature-256": FORGED})
    genuine = body()
    assert post(client, genuine, pki.headers(genuine)).status_code == 200
    assert fetches == [NEW_URL, DEFAULT_CHAIN_URL]


def test_a_passing_network_fault_is_not_remembered(
    sqlite_url: str, pki: LocalPki, alexa_api: responses.RequestsMock
) -> None:
    """Amazon's own URL failing once (a reset connection) must not lock Alexa out for the
    minutes a failed URL is remembered: the next request downloads it again."""
    faults = [ConnectionResetError("connection reset by peer")]
    downloads: list[str] = []

    def fetch(url: str) -> bytes:
        downloads.append(url)
        if faults:
            raise faults.pop()
        return pki.chain_pem()

    app = create_app(verified_config(sqlite_url, pki, fetch))
    try:
        client = app.test_client()
        first, second = body(), body()
        assert post(client, first, pki.headers(first)).status_code == 400
        assert post(client, second, pki.headers(second)).status_code == 200
        assert downloads == [DEFAULT_CHAIN_URL, DEFAULT_CHAIN_URL]
    finally:
        app.extensions[EXTENSION].engine.dispose()
