"""Production serving: JSON logs with request ids and redaction, and `serve --production` run
as a real gunicorn process (workers, requests, SIGTERM)."""

from __future__ import annotations

import contextlib
import gc
import io
import json
import logging
import os
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from flask import Flask
from flask.testing import FlaskClient

from skill import create_app, logs
from skill.cli import cli
from skill.content.plan import Pace
from skill.devtools import envelopes
from skill.devtools.signing import make_pki
from skill.production import (
    GRACEFUL_TIMEOUT_S,
    REQUEST_READ_TIMEOUT_S,
    TcpServer,
    bind_address,
    default_workers,
    post_worker_init,
    production_settings,
    startup_problems,
    startup_warnings,
)
from skill.sets.tokens import PlaybackToken, parse_token
from skill.store.keys import device_key, patient_key
from tests.conftest import TEST_SECRET_KEY

USER = "amzn1.ask.account.AFSECRETUSERQ6WAXGN3WPHU7IXZB4Y7RAKCN2KF5ZEM3JMBXSL4TQ"
OTHER_USER = "amzn1.ask.account.AFOTHERUSERVXJ3QO2PN7KS5GA4NGUKFZ4PRX6T2MV"
DEVICE = "amzn1.ask.device.AFSECRETDEVICEMBHYJBGKUB4H6QQ6NUQ3ZZR4NG7CAIJ2FTF"
PERSON = "amzn1.ask.person.AFSECRETPERSONLZ6CK3V7C4NVC7N6FCN7"
# A JWT's shape, as Alexa's apiAccessToken has; and a Login with Amazon token.
API_TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJzZWNyZXQiOiJBUElUT0tFTiJ9.c2lnbmF0dXJlU0VDUkVU"
LWA_TOKEN = "Atza|IwEBISECRETLWATOKENxZpQ8n3Kq0RGq2v"
OPAQUE_TOKEN = "opaque-secret-token-7f3a9c"
SECRETS = (USER, OTHER_USER, DEVICE, PERSON, API_TOKEN, LWA_TOKEN, OPAQUE_TOKEN)
# Fragments that would betray any of them, even cut short or lower-cased.
TELLTALES = (
    "amzn1.ask.account.",
    "amzn1.ask.device.",
    "amzn1.ask.person.",
    "afsecret",
    "afother",
    "eyJ0eXAiOiJKV1Qi",
    "c2lnbmF0dXJlU0VDUkVU",
    "Atza|",
    "iwebisecret",
    "opaque-secret",
)


def assert_no_secret(text: str) -> None:
    for telltale in TELLTALES:
        assert telltale.lower() not in text.lower(), f"{telltale!r} is in {text!r}"


# Redaction -----------------------------------------------------------------------------------


def test_a_user_id_becomes_the_hash_the_stream_token_names_the_patient_by() -> None:
    redacted = logs.redact(f"no surgery date for {USER}, asked again")
    assert redacted == f"no surgery date for user:{patient_key(USER)}, asked again"
    assert logs.redact(USER) == logs.redact(USER)
    assert logs.redact(USER) != logs.redact(OTHER_USER)


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        (DEVICE, "device:"),
        (PERSON, "person:"),
        ("amzn1.ask.account.", "user:"),  # the bare prefix too: no readable part is left
        (USER.lower(), "user:"),
    ],
)
def test_device_and_person_ids_are_hashed(text: str, tag: str) -> None:
    redacted = logs.redact(f"/v2/devices/{text}/settings/System.timeZone")
    assert tag in redacted
    assert_no_secret(redacted)


@pytest.mark.parametrize(
    "text",
    [
        f"Authorization: Bearer {API_TOKEN}",
        f"Authorization: Bearer {OPAQUE_TOKEN}",
        f"authorization=Basic {OPAQUE_TOKEN}",
        f"{{'Authorization': 'bearer {OPAQUE_TOKEN}', 'Accept': 'application/json'}}",
        f'{{"apiAccessToken": "{OPAQUE_TOKEN}", "apiEndpoint": "https://api.amazonalexa.com"}}',
        f"{{'apiAccessToken': '{OPAQUE_TOKEN}'}}",
        f'{{"user": {{"userId": "{USER}", "accessToken": "{LWA_TOKEN}"}}}}',
        f'{{\\"consentToken\\": \\"{OPAQUE_TOKEN}\\"}}',  # JSON inside a JSON string
        f"https://example.org/callback?access_token={OPAQUE_TOKEN}&state=1",
        f"the token was {API_TOKEN}.",
        f"lwa said {LWA_TOKEN} then",
    ],
)
def test_tokens_are_replaced_wherever_they_appear(text: str) -> None:
    redacted = logs.redact(text)
    assert "<token:" in redacted
    assert_no_secret(redacted)
    assert logs.redact(redacted) == redacted  # redacting twice changes nothing


def test_the_same_token_always_gets_the_same_hash() -> None:
    first = logs.redact(f"Bearer {OPAQUE_TOKEN}")
    assert first == logs.redact(f"Bearer {OPAQUE_TOKEN}")
    assert first != logs.redact("Bearer another-token-entirely")


def test_ordinary_text_is_left_alone() -> None:
    text = "POST /alexa 200 for amzn1.echo-api.request.1234 (skill amzn1.ask.skill.abc)"
    assert logs.redact(text) == text
    assert logs.redact("the stream token sc1.0123456789abcdef.bridges") == (
        "the stream token sc1.0123456789abcdef.bridges"
    )


# JSON lines ----------------------------------------------------------------------------------


@pytest.fixture
def json_log() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    logger = logging.getLogger(f"tests.production.{uuid.uuid4().hex}")
    handler = logs.json_handler(stream)
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def lines_of(stream: io.StringIO) -> list[dict[str, Any]]:
    text = stream.getvalue()
    assert_no_secret(text)
    return [json.loads(line) for line in text.splitlines()]


def test_a_line_is_one_json_object_with_time_level_logger_message_and_request_id(
    json_log: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = json_log
    logger.warning("two\nlines for %s", "someone")
    (line,) = lines_of(stream)
    assert line["message"] == "two\nlines for someone"
    assert line["level"] == "WARNING"
    assert line["logger"] == logger.name
    assert line["request_id"] is None
    assert datetime.fromisoformat(line["time"]).tzinfo is not None
    assert line["time"].endswith("Z")
    assert stream.getvalue().count("\n") == 1


def test_a_log_line_and_a_stream_token_name_the_patient_by_the_same_key(
    json_log: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = json_log
    token = parse_token(PlaybackToken.for_set(USER, "bridges", Pace.NORMAL, "set-1").encode())
    assert token is not None
    logger.info("stream started for %s, token %s", USER, token.encode())
    logger.info("stream started for %s", OTHER_USER)
    mine, other = lines_of(stream)
    assert mine["message"] == f"stream started for user:{token.patient}, token {token.encode()}"
    assert f"user:{token.patient}" not in other["message"]


def test_ids_and_tokens_in_arguments_dicts_and_extra_fields_are_redacted(
    json_log: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = json_log
    envelope = envelopes.launch(at=envelopes.now(), user_id=USER, device_id=DEVICE)
    envelope["context"]["System"]["apiAccessToken"] = OPAQUE_TOKEN
    envelope["context"]["System"]["user"]["accessToken"] = LWA_TOKEN
    logger.info("envelope %s", envelope)  # a dict's repr
    logger.info("envelope %s", json.dumps(envelope))  # JSON text
    logger.info("headers", extra={"headers": {"Authorization": f"Bearer {API_TOKEN}"}})
    logger.info("who", extra={"user": USER, "ids": [DEVICE, PERSON], "patient": object()})
    first, second, third, fourth = lines_of(stream)
    assert f"user:{patient_key(USER)}" in first["message"]
    assert "device:" in second["message"]
    assert third["headers"]["Authorization"].startswith("Bearer <token:")
    assert fourth["user"] == f"user:{patient_key(USER)}"
    assert fourth["ids"][0].startswith("device:")


def test_exceptions_are_logged_with_their_traceback_redacted(
    json_log: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = json_log

    def call_alexa() -> None:
        raise ConnectionError(f"GET /v2/devices/{DEVICE}/settings with Bearer {API_TOKEN}")

    try:
        try:
            call_alexa()
        except ConnectionError as error:
            raise RuntimeError(
                f"no zone for {USER}: {{'apiAccessToken': {OPAQUE_TOKEN!r}}}"
            ) from error
    except RuntimeError:
        logger.exception("handler failed for %s", USER)
    (line,) = lines_of(stream)
    assert line["message"] == f"handler failed for user:{patient_key(USER)}"
    trace = line["exception"]
    assert trace.startswith("Traceback (most recent call last):")
    assert "ConnectionError: GET /v2/devices/device:" in trace
    assert "Bearer <token:" in trace
    assert (
        f"RuntimeError: no zone for user:{patient_key(USER)}: {{'apiAccessToken': '<token:" in trace
    )
    assert "call_alexa" in trace


def test_stack_info_is_redacted(json_log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = json_log

    def deep(user_id: str) -> None:
        logger.info("here", stack_info=True)

    deep(USER)
    (line,) = lines_of(stream)
    assert "deep" in line["stack"]


def test_a_record_with_wrong_arguments_is_still_logged(
    json_log: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = json_log
    logger.info("%d sets for %s", "many", USER)  # would raise in formatting
    (line,) = lines_of(stream)
    assert "unformattable arguments" in line["message"]


def test_the_formatter_redacts_on_its_own_too() -> None:
    record = logging.makeLogRecord(
        {"msg": "for %s", "args": (USER,), "levelname": "INFO", "device": DEVICE}
    )
    line = json.loads(logs.JsonFormatter().format(record))
    assert line["message"] == f"for user:{patient_key(USER)}"
    assert line["device"].startswith("device:")


def test_the_redacting_filter_protects_other_handlers_on_the_same_record() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(logs.RedactingFilter())
    logger = logging.getLogger(f"tests.production.{uuid.uuid4().hex}")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        raise ValueError(USER)
    except ValueError:
        logger.error("failed for %s with %s", USER, {"apiAccessToken": OPAQUE_TOKEN}, exc_info=True)
    logger.removeHandler(handler)
    text = stream.getvalue()
    assert "ValueError: user:" in text
    assert_no_secret(text)


# Request ids ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            b'{"request": {"type": "LaunchRequest", "requestId": "amzn1.echo-api.request.1"}}',
            "amzn1.echo-api.request.1",
        ),
        # Another "requestId" key (a session attribute): the request's own is read.
        (
            b'{"session": {"attributes": {"requestId": "mine"}}, '
            b'"request": {"requestId": "amzn1.echo-api.request.2"}}',
            "amzn1.echo-api.request.2",
        ),
        (b'{"request": {"requestId": "bad id\\nwith a newline"}}', None),
        (b'{"request": {"type": "LaunchRequest"}}', None),
        (b"not json, requestId", None),
        (b"[" * 100_000 + b'"requestId"' + b"]" * 100_000, None),  # too deep to parse
    ],
)
def test_the_alexa_request_id_is_read_from_the_envelope(body: bytes, expected: str | None) -> None:
    assert logs.alexa_request_id(body) == expected


@pytest.fixture
def access_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logs.json_handler(stream)
    access = logging.getLogger(logs.ACCESS_LOGGER)
    endpoint = logging.getLogger("skill.alexa.endpoint")
    previous = access.level
    access.setLevel(logging.DEBUG)
    access.addHandler(handler)
    endpoint.addHandler(handler)
    yield stream
    access.removeHandler(handler)
    endpoint.removeHandler(handler)
    access.setLevel(previous)


def test_an_alexa_request_carries_alexas_request_id_in_the_header_and_every_line(
    client: FlaskClient, access_lines: io.StringIO
) -> None:
    body = envelopes.launch(at=envelopes.now(), user_id=USER, device_id=DEVICE)
    response = client.post("/alexa", json=body)
    assert response.status_code == 200
    request_id = body["request"]["requestId"]
    assert response.headers[logs.REQUEST_ID_HEADER] == request_id
    (line,) = lines_of(access_lines)
    assert line["request_id"] == request_id
    assert line["message"] == "POST /alexa 200"
    assert (line["method"], line["path"], line["status"]) == ("POST", "/alexa", 200)
    assert line["duration_ms"] > 0


def test_other_requests_get_a_random_id_and_health_probes_log_at_debug(
    client: FlaskClient, access_lines: io.StringIO
) -> None:
    first = client.get("/healthz").headers[logs.REQUEST_ID_HEADER]
    second = client.get("/healthz").headers[logs.REQUEST_ID_HEADER]
    refused = client.post("/alexa", data=b"{}", content_type=f"application/{USER}")
    assert refused.status_code == 400
    assert first != second
    assert len(first) == 32
    health, _, warning, access = lines_of(access_lines)
    assert (health["level"], health["request_id"]) == ("DEBUG", first)
    # The refusal was logged while handling the request: with its id, the id redacted.
    assert warning["request_id"] == access["request_id"]
    assert warning["request_id"] == refused.headers[logs.REQUEST_ID_HEADER]
    assert "user:" in warning["message"]
    assert access["status"] == 400


@pytest.fixture
def uuids_made(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every uuid4 made from now on (as hex)."""
    made: list[str] = []
    real = uuid.uuid4

    def spy() -> uuid.UUID:
        value = real()
        made.append(value.hex)
        return value

    monkeypatch.setattr(uuid, "uuid4", spy)
    return made


def test_an_alexa_request_gets_alexas_id_alone_with_no_random_one_made(
    client: FlaskClient, access_lines: io.StringIO, uuids_made: list[str]
) -> None:
    body = envelopes.intent("CurrentPhaseIntent", at=envelopes.now(), user_id=USER)
    uuids_made.clear()  # the envelope's own ids
    response = client.post("/alexa", json=body)
    assert response.status_code == 200
    assert uuids_made == []
    (line,) = lines_of(access_lines)
    assert line["request_id"] == response.headers[logs.REQUEST_ID_HEADER]
    assert line["request_id"] == body["request"]["requestId"]


def test_an_alexa_request_without_a_usable_id_gets_one_random_id(
    client: FlaskClient, access_lines: io.StringIO, uuids_made: list[str]
) -> None:
    body = envelopes.launch(at=envelopes.now(), user_id=USER)
    body["request"]["requestId"] = "not an id\n"
    body["context"] = "no System"  # refused, and the refusal logged
    uuids_made.clear()  # the envelope's own ids
    response = client.post("/alexa", json=body)
    assert response.status_code == 400
    (made,) = uuids_made
    warning, access = lines_of(access_lines)
    assert warning["message"].startswith("refused request")
    assert warning["request_id"] == access["request_id"] == made
    assert response.headers[logs.REQUEST_ID_HEADER] == made


def test_other_requests_make_one_random_id_each(
    client: FlaskClient, access_lines: io.StringIO, uuids_made: list[str]
) -> None:
    first, second = client.get("/healthz"), client.get("/care")
    assert uuids_made == [
        first.headers[logs.REQUEST_ID_HEADER],
        second.headers[logs.REQUEST_ID_HEADER],
    ]
    assert [line["request_id"] for line in lines_of(access_lines)] == uuids_made


# Settings and refusals -----------------------------------------------------------------------


def test_production_settings_use_waitress_workers_no_preload_and_a_graceful_timeout() -> None:
    settings = production_settings(bind=bind_address("::1", 8000), log_level="info")
    assert settings["worker_class"] == "skill.production.WaitressWorker"
    assert settings["workers"] == default_workers() >= 2
    assert settings["threads"] == 4
    assert settings["graceful_timeout"] == GRACEFUL_TIMEOUT_S
    assert settings["preload_app"] is False
    assert settings["bind"] == ["[::1]:8000"]
    assert production_settings(workers=3, threads=2)["workers"] == 3
    assert settings["post_worker_init"] is post_worker_init


def test_a_worker_freezes_what_it_built_so_full_collections_skip_it() -> None:
    kept = [object() for _ in range(1000)]
    try:
        post_worker_init(worker=None)
        assert gc.get_freeze_count() >= len(kept)
    finally:
        gc.unfreeze()


@pytest.fixture
def insecure_app(sqlite_url: str) -> Flask:
    return create_app(
        {"VERIFY_REQUESTS": False, "DATABASE_URL": sqlite_url, "SECRET_KEY": TEST_SECRET_KEY}
    )


def test_production_is_refused_without_verification_unless_local_and_insecure_on_purpose(
    insecure_app: Flask,
) -> None:
    refused = startup_problems(insecure_app, host="0.0.0.0", insecure_local=False)
    assert refused
    assert "request verification is off" in refused[0]
    assert startup_problems(insecure_app, host="127.0.0.1", insecure_local=True) == []
    assert startup_problems(insecure_app, host="::1", insecure_local=True) == []
    (not_local,) = startup_problems(insecure_app, host="0.0.0.0", insecure_local=True)
    assert "loopback address only" in not_local


def test_production_is_refused_with_the_simulator_on(sqlite_url: str) -> None:
    app = create_app(
        {
            "VERIFY_REQUESTS": True,
            "SKILL_ID": envelopes.DEFAULT_SKILL_ID,
            "SIMULATOR": True,
            "DATABASE_URL": sqlite_url,
            "SECRET_KEY": TEST_SECRET_KEY,
        }
    )
    (problem,) = startup_problems(app, host="0.0.0.0", insecure_local=False)
    assert "simulator" in problem


def test_production_is_refused_with_replays_let_through(sqlite_url: str) -> None:
    app = create_app(
        {
            "VERIFY_REQUESTS": True,
            "SKILL_ID": envelopes.DEFAULT_SKILL_ID,
            "REFUSE_REPLAYS": False,
            "DATABASE_URL": sqlite_url,
            "SECRET_KEY": TEST_SECRET_KEY,
        }
    )
    (problem,) = startup_problems(app, host="0.0.0.0", insecure_local=False)
    assert "REFUSE_REPLAYS=0" in problem
    assert startup_problems(app, host="127.0.0.1", insecure_local=True) == []


@pytest.fixture
def verifying_app_config(sqlite_url: str) -> dict[str, Any]:
    return {
        "VERIFY_REQUESTS": True,
        "SKILL_ID": envelopes.DEFAULT_SKILL_ID,
        "DATABASE_URL": sqlite_url,
        "SECRET_KEY": TEST_SECRET_KEY,
    }


def test_code_attempts_counted_in_memory_are_refused_with_more_than_one_process(
    verifying_app_config: dict[str, Any],
) -> None:
    app = create_app({**verifying_app_config, "RATELIMIT_STORAGE_URL": "memory://"})
    assert startup_problems(app, host="0.0.0.0", insecure_local=False, processes=1) == []
    (problem,) = startup_problems(app, host="0.0.0.0", insecure_local=False, processes=2)
    assert "2 worker processes" in problem
    assert "SPINE_COACH_RATELIMIT_STORAGE_URL=redis://" in problem
    assert "--workers 1" in problem
    # The default storage is memory too.
    default = create_app(verifying_app_config)
    assert startup_problems(default, host="0.0.0.0", insecure_local=False, processes=4)
    # A local load test on loopback may count in memory.
    assert startup_problems(default, host="127.0.0.1", insecure_local=True, processes=4) == []


def test_shared_rate_limit_storage_allows_several_processes(
    verifying_app_config: dict[str, Any],
) -> None:
    app = create_app({**verifying_app_config, "RATELIMIT_STORAGE_URL": "redis://127.0.0.1:1"})
    assert startup_problems(app, host="0.0.0.0", insecure_local=False, processes=4) == []


def test_insecure_session_cookies_are_warned_about(verifying_app_config: dict[str, Any]) -> None:
    assert startup_warnings(create_app(verifying_app_config)) == []
    app = create_app({**verifying_app_config, "SESSION_COOKIE_SECURE": False})
    (warning,) = startup_warnings(app)
    assert "SPINE_COACH_SESSION_COOKIE_SECURE=0" in warning


def test_waitress_connections_are_closed_after_the_read_or_idle_timeout() -> None:
    """The deadlines on waitress's own objects (the internals WaitressWorker relies on): a
    request half read for longer than the read timeout, however recently a byte came, an
    answer not taken for as long, and a connection idle for the keep-alive, are closed; a
    fresh one is not."""
    from waitress import wasyncore
    from waitress.adjustments import Adjustments
    from waitress.task import ThreadedTaskDispatcher

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    socket_map: dict[int, Any] = {}
    tasks = ThreadedTaskDispatcher()
    tasks.set_thread_count(1)
    server = TcpServer(
        lambda environ, start_response: [],
        socket_map,
        _sock=listener,
        dispatcher=tasks,
        adj=Adjustments(cleanup_interval=3600),
        bind_socket=False,
        sockinfo=(listener.family, listener.type, listener.proto, listener.getsockname()),
    )
    port = listener.getsockname()[1]
    half_read, idle = (
        socket.create_connection(("127.0.0.1", port)),
        socket.create_connection(("127.0.0.1", port)),
    )
    try:
        half_read.sendall(b"POST /alexa HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not (
            len(server.active_channels) == 2
            and any(channel.reading_since for channel in server.active_channels.values())
        ):
            wasyncore.loop(timeout=0.05, map=socket_map, use_poll=True, count=1)
        reading, waiting = sorted(
            server.active_channels.values(), key=lambda channel: channel.reading_since is None
        )
        assert reading.reading_since is not None
        assert waiting.reading_since is None
        now = reading.reading_since
        server.maintenance(now + 1)
        assert not reading.will_close
        assert not waiting.will_close
        # An answer the client is slow to take: closed once no byte has gone for the read
        # timeout, not at the keep-alive.
        waiting.total_outbufs_len, waiting.last_activity = 1, now
        server.maintenance(now + 5)
        assert not waiting.will_close
        server.maintenance(now + REQUEST_READ_TIMEOUT_S + 0.1)
        assert waiting.will_close
        waiting.will_close, waiting.total_outbufs_len = False, 0
        reading.last_activity = now + REQUEST_READ_TIMEOUT_S  # a byte just came: still cut off
        server.maintenance(now + REQUEST_READ_TIMEOUT_S + 0.1)
        assert reading.will_close
        assert waiting.will_close  # idle longer than the keep-alive (2 s)
        deadline = time.monotonic() + 5
        while server.active_channels and time.monotonic() < deadline:
            wasyncore.loop(timeout=0.05, map=socket_map, use_poll=True, count=1)
        assert not server.active_channels
        half_read.settimeout(5)
        assert half_read.recv(100) == b""  # closed by the server
    finally:
        half_read.close()
        idle.close()
        tasks.shutdown(timeout=1)
        server.close()


@pytest.mark.slow
def test_production_counts_the_workers_gunicorn_cmd_args_asks_for(tmp_path: Path) -> None:
    env = environment(
        tmp_path,
        SPINE_COACH_SKILL_ID=envelopes.DEFAULT_SKILL_ID,
        GUNICORN_CMD_ARGS="--workers 3",
    )
    result = run(["serve", "--production", "--port", str(free_port()), "--workers", "1"], env)
    assert result.returncode == 2
    (line,) = json_lines(result.stderr + result.stdout)
    assert line["level"] == "CRITICAL"
    assert "3 worker processes" in line["message"]
    assert "--workers 1" in line["message"]


def test_production_options_are_refused_without_production() -> None:
    result = CliRunner().invoke(cli, ["serve", "--workers", "2"])
    assert result.exit_code == 2
    assert "--workers: only with --production" in result.output


# The real process ----------------------------------------------------------------------------

SPINE_COACH = [sys.executable, "-c", "from skill.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPINE_COACH_")}
    env.pop("GUNICORN_CMD_ARGS", None)
    env["SPINE_COACH_DATABASE_URL"] = f"sqlite:///{tmp_path / 'production.sqlite3'}"
    env["SPINE_COACH_AUDIO_DIR"] = str(tmp_path / "audio")
    env["SPINE_COACH_SECRET_KEY"] = TEST_SECRET_KEY
    env.update(extra)
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SPINE_COACH, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def json_lines(text: str) -> list[dict[str, Any]]:
    """Every line parsed as JSON (a line that is not JSON fails the test)."""
    parsed = []
    for line in text.splitlines():
        try:
            parsed.append(json.loads(line))
        except ValueError:
            pytest.fail(f"not a JSON line: {line!r}")
    return parsed


@pytest.mark.slow
def test_production_refuses_to_start_without_verification(tmp_path: Path) -> None:
    result = run(
        ["serve", "--production", "--port", str(free_port())],
        environment(tmp_path, SPINE_COACH_VERIFY_REQUESTS="0"),
    )
    assert result.returncode == 2
    lines = json_lines(result.stderr + result.stdout)
    assert any(
        line["level"] == "CRITICAL" and "refusing to serve in production" in line["message"]
        for line in lines
    )


@pytest.mark.slow
def test_production_reports_a_configuration_error_as_a_json_line(tmp_path: Path) -> None:
    result = run(["serve", "--production", "--port", str(free_port())], environment(tmp_path))
    assert result.returncode == 2
    (line,) = json_lines(result.stderr + result.stdout)
    assert line["level"] == "CRITICAL"
    assert "SPINE_COACH_SKILL_ID is required" in line["message"]


class AlexaApi:
    """Amazon's settings API, played locally over HTTPS (the skill's client calls nothing else)
    with a certificate from a local CA: answers 500, so the skill falls back to its default
    zone; slowly for devices whose id contains SLOW. Remembers what it was sent."""

    def __init__(self, tmp_path: Path) -> None:
        self.authorizations: list[str] = []
        self.slow_request_arrived = threading.Event()
        pki = make_pki(now=datetime.now(UTC), san="localhost")
        self.ca_bundle = tmp_path / "local-root.pem"
        self.ca_bundle.write_bytes(pki.root_pem())
        chain, key = tmp_path / "api-chain.pem", tmp_path / "api-key.pem"
        chain.write_bytes(pki.chain_pem())
        key.write_bytes(
            pki.leaf_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                api.authorizations.append(self.headers.get("Authorization", ""))
                if "SLOW" in self.path:
                    api.slow_request_arrived.set()
                    time.sleep(1.0)
                self.send_response(500)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(chain, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://localhost:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> AlexaApi:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()


SURGERY_AGO = {"surgeryAgo": envelopes.slot("surgeryAgo", "P3W")}


def post_alexa(base: str, body: dict[str, Any]) -> tuple[int, dict[str, Any], str]:
    request = urllib.request.Request(
        f"{base}/alexa",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {OPAQUE_TOKEN}"},
    )
    with urllib.request.urlopen(request, timeout=15) as response:
        return response.status, json.load(response), response.headers[logs.REQUEST_ID_HEADER]


def secret_envelope(
    kind: str, api: AlexaApi, *, user: str = USER, device: str = DEVICE, **options: Any
) -> Any:
    at = datetime.now(UTC)
    if kind == "launch":
        body = envelopes.launch(at=at, user_id=user, device_id=device, **options)
    else:
        body = envelopes.intent(kind, at=at, user_id=user, device_id=device, **options)
    system = body["context"]["System"]
    system["apiEndpoint"] = api.url
    system["apiAccessToken"] = API_TOKEN
    system["user"]["accessToken"] = LWA_TOKEN
    system["person"] = {"personId": PERSON}
    return body


@pytest.mark.slow
def test_serve_production_runs_gunicorn_with_json_logs_and_stops_gracefully(
    tmp_path: Path,
) -> None:
    env = environment(tmp_path, SPINE_COACH_VERIFY_REQUESTS="0")
    migrated = run(["db", "upgrade"], env)
    assert migrated.returncode == 0, migrated.stderr
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    out_path, err_path = tmp_path / "stdout.log", tmp_path / "stderr.log"
    command = [
        *SPINE_COACH, "serve", "--production", "--port", str(port), "--workers", "2",
        "--insecure-local", "--log-level", "debug",
    ]  # fmt: skip
    with (
        AlexaApi(tmp_path) as api,
        out_path.open("w") as out,
        err_path.open("w") as err,
    ):
        env["REQUESTS_CA_BUNDLE"] = str(api.ca_bundle)  # the skill's client trusts the local CA
        process = subprocess.Popen(command, env=env, stdout=out, stderr=err, text=True)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(f"{base}/healthz", timeout=1):
                        break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise AssertionError(err_path.read_text()) from None
                    time.sleep(0.1)

            # A launch: Alexa's request id comes back in the header.
            launch = secret_envelope("launch", api)
            status, answer, request_id = post_alexa(base, launch)
            assert status == 200
            assert "When was your surgery?" in answer["response"]["outputSpeech"]["ssml"]
            assert request_id == launch["request"]["requestId"]
            # "My surgery was three weeks ago": the skill asks Amazon for the device's zone.
            dated = secret_envelope("SetSurgeryDateIntent", api, slots=SURGERY_AGO)
            status, answer, dated_id = post_alexa(base, dated)
            assert status == 200
            assert dated_id == dated["request"]["requestId"]
            # A handler error: the database fails under "give my caregiver access", and
            # SQLAlchemy's message (in the traceback) carries the user id among its parameters.
            database = tmp_path / "production.sqlite3"
            with contextlib.closing(sqlite3.connect(database, timeout=10)) as db:
                db.execute("ALTER TABLE caregiver_codes RENAME TO caregiver_codes_away")
                db.commit()
                status, answer, failed_id = post_alexa(
                    base, secret_envelope("CaregiverCodeIntent", api)
                )
                db.execute("ALTER TABLE caregiver_codes_away RENAME TO caregiver_codes")
                db.commit()
            assert status == 200
            assert "Sorry, something went wrong" in answer["response"]["outputSpeech"]["ssml"]
            # A refused request whose logged content type carries a user id.
            refused = urllib.request.Request(
                f"{base}/alexa", data=b"{}", headers={"Content-Type": f"text/{USER}"}
            )
            with pytest.raises(urllib.error.HTTPError) as bad:
                urllib.request.urlopen(refused, timeout=5)
            assert bad.value.code == 400
            bad.value.close()
            with urllib.request.urlopen(f"{base}/readyz", timeout=5) as ready:
                assert json.load(ready) == {"status": "ready"}
                assert len(ready.headers[logs.REQUEST_ID_HEADER]) == 32

            # A request still waiting on Amazon when SIGTERM comes is answered, then gunicorn
            # exits 0 well within its graceful timeout.
            slow = secret_envelope(
                "SetSurgeryDateIntent",
                api,
                user=OTHER_USER,
                device=DEVICE + "SLOW",
                slots=SURGERY_AGO,
            )
            answered: list[int] = []
            in_flight = threading.Thread(
                target=lambda: answered.append(post_alexa(base, slow)[0]), daemon=True
            )
            in_flight.start()
            assert api.slow_request_arrived.wait(10)
            stopping = time.monotonic()
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=GRACEFUL_TIMEOUT_S + 10) == 0
            assert time.monotonic() - stopping < GRACEFUL_TIMEOUT_S
            in_flight.join(5)
            assert answered == [200]
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()

    assert api.authorizations, "the skill never called the Alexa API"
    assert all(value == f"Bearer {API_TOKEN}" for value in api.authorizations)
    output = out_path.read_text() + err_path.read_text()
    assert_no_secret(output)
    lines = json_lines(output)
    for line in lines:
        assert {"time", "level", "logger", "message", "request_id"} <= line.keys()
    by_request = {line["request_id"]: line for line in lines if line["logger"] == "skill.access"}
    for access in by_request.values():
        assert {"method", "path", "status", "duration_ms"} <= access.keys()
    assert by_request[request_id]["path"] == "/alexa"
    assert by_request[launch["request"]["requestId"]]["status"] == 200
    # Lines logged while handling a request carry its id.
    (error,) = [line for line in lines if line["level"] == "ERROR"]
    assert error["request_id"] == failed_id
    assert "Traceback" in error["exception"]
    assert "no such table: caregiver_codes" in error["exception"]
    assert f"user:{patient_key(USER)}" in error["exception"]  # from [parameters: (…)]
    time_zone = [line for line in lines if line["message"].startswith("time zone lookup failed")]
    assert {line["request_id"] for line in time_zone} >= {dated_id}
    refusal = next(line for line in lines if "refused request: content type" in line["message"])
    assert refusal["request_id"] in by_request
    assert "user:" in refusal["message"]
    # The device id was in urllib3's debug lines, hashed.
    assert any(f"device:{device_key(DEVICE)}" in line["message"] for line in lines)
    messages = [line["message"] for line in lines]
    assert "Handling signal: term" in messages
    assert any("insecure-local" in message for message in messages)
