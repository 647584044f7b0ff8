"""Faults around the skill, through the real HTTP path: the database going away (PostgreSQL behind
a proxy the test cuts, SQLite files removed, corrupted or locked), a certificate-chain download
that hangs, two processes writing for one patient at once, and AudioPlayer events for a deleted
patient or with stale and forged tokens. Every request gets a valid answer (a spoken apology, or
silence where Alexa allows no speech), never a 500."""

from __future__ import annotations

import contextlib
import http.client
import json
import multiprocessing
import shutil
import socket
import sqlite3
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import responses
from cryptography.hazmat.primitives import serialization
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url

from skill import create_app
from skill.alexa.endpoint import EXTENSION
from skill.alexa.verification import VerificationError, fetch_chain_over_https
from skill.content.plan import Pace
from skill.devtools import envelopes
from skill.devtools.dialog import Dialog
from skill.devtools.signing import DEFAULT_CHAIN_URL, LocalPki, make_pki
from skill.sets.tokens import PlaybackToken
from skill.store import engine as database
from skill.store.engine import make_engine, upgrade
from skill.store.exercise_log import Delivery, ExerciseLog, ExerciseSet, Outcome
from skill.store.keys import patient_key
from skill.store.patient_data import patient_tables
from skill.store.patients import PatientStore
from skill.store.tables import EXERCISE_SETS
from tests.browser_support import LiveServer
from tests.conftest import NOW, TEST_SECRET_KEY
from tests.fault_support import PATIENT, TcpProxy, write_for_one_patient

# Processes, proxies and hanging servers take seconds: not in `make test-fast`.
pytestmark = [pytest.mark.slow, pytest.mark.both_databases]

USER = envelopes.DEFAULT_USER
OTHER = "amzn1.ask.account.SOMEONEELSE"
SURGERY = date(2026, 10, 21)
APOLOGY = "Sorry, something went wrong on my side"
SETS = EXERCISE_SETS


# --- shared helpers -------------------------------------------------------------------------


def post(client: FlaskClient, body: dict[str, Any]) -> Any:
    return client.post("/alexa", json=body)


def log_exercise(request_id: str, user_id: str = USER) -> dict[str, Any]:
    """'I did my bridges', with this request id (the key that makes it count once)."""
    slot = envelopes.slot("exercise", "bridges", resolved_id="bridges", authority="EXERCISE")
    body = envelopes.intent("LogExerciseIntent", {"exercise": slot}, at=NOW, user_id=user_id)
    body["request"]["requestId"] = f"amzn1.echo-api.request.{request_id}"
    return body


def audio_event(event: str, token: str, user_id: str = USER) -> dict[str, Any]:
    return envelopes.audio_player_event(
        event, at=NOW, token=token, offset_ms=12_000, player_activity="STOPPED", user_id=user_id
    )


def button(command: str, token: str, user_id: str = USER) -> dict[str, Any]:
    state = {"token": token, "offsetInMilliseconds": 12_000, "playerActivity": "PLAYING"}
    return envelopes.request_of_type(
        f"PlaybackController.{command}CommandIssued",
        at=NOW,
        options={"user_id": user_id, "audio_player": state, "interfaces": {"AudioPlayer": {}}},
    )


def speech(response: Any) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)
    payload = response.get_json()
    assert payload["version"] == "1.0"
    return str(payload["response"].get("outputSpeech", {}).get("ssml", ""))


def assert_apology(response: Any) -> None:
    ssml = speech(response)
    assert ssml.startswith("<speak>")
    assert APOLOGY in ssml


def assert_answered(response: Any) -> None:
    ssml = speech(response)
    assert ssml.startswith("<speak>")
    assert APOLOGY not in ssml


def assert_silent(response: Any) -> None:
    """What Alexa allows in answer to AudioPlayer and PlaybackController requests."""
    assert speech(response) == ""
    payload = response.get_json()["response"]
    for field in ("outputSpeech", "reprompt", "card", "shouldEndSession"):
        assert field not in payload, payload
    assert all(d["type"].startswith("AudioPlayer.") for d in payload.get("directives", []))


def assert_valid(response: Any, kind: str) -> None:
    if kind == "apology":
        assert_apology(response)
    else:
        assert_silent(response)


def play(engine: Engine, user_id: str) -> tuple[ExerciseSet, PlaybackToken]:
    """A set of bridges playing as a track for the patient; its stream token."""
    exercise_log = ExerciseLog(engine)
    playing = exercise_log.start(
        user_id,
        "bridges",
        pace=Pace.NORMAL,
        delivery=Delivery.AUDIO,
        target=10,
        at=NOW - timedelta(minutes=2),
        up_next=["knee_presses"],
    )
    token = PlaybackToken.for_set(user_id, "bridges", Pace.NORMAL, playing.set_id)
    exercise_log.update(playing.set_id, stream=token.encode())
    return playing, token


def enrol(engine: Engine, user_id: str) -> None:
    """A patient with a surgery date, in the device's zone (so no request rewrites the zone)."""
    patients = PatientStore(engine)
    patients.save_surgery_date(user_id, SURGERY, locale="en-US")
    patients.save_time_zone(user_id, "America/New_York")


def self_reports(engine: Engine, user_id: str = USER) -> int:
    statement = (
        select(func.count())
        .select_from(SETS)
        .where(SETS.c.user_id == user_id, SETS.c.delivery == Delivery.SELF_REPORT.value)
    )
    with engine.connect() as connection:
        return int(connection.scalar(statement) or 0)


def logged_errors(caplog: pytest.LogCaptureFixture, body: dict[str, Any]) -> list[str]:
    """Errors the skill logged for this request (with their exception type)."""
    request_id = body["request"]["requestId"]
    return [
        f"{record.getMessage()} {type(record.exc_info[1]).__name__ if record.exc_info else ''}"
        for record in caplog.records
        if record.levelname == "ERROR" and request_id in record.getMessage()
    ]


def app_on(url: str, **settings: Any) -> Flask:
    return create_app({"DATABASE_URL": url, "VERIFY_REQUESTS": False, "SKILL_ID": None, **settings})


# --- the database goes away: PostgreSQL behind a proxy ---------------------------------------


@pytest.fixture
def proxy(postgres_url: str) -> Iterator[TcpProxy]:
    """A TCP proxy in front of the PostgreSQL server of `postgres_url` (a fresh schema)."""
    server = make_url(postgres_url)
    proxy = TcpProxy(server.host or "127.0.0.1", server.port or 5432)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()


def requests_while_down(token: PlaybackToken) -> list[tuple[str, dict[str, Any]]]:
    """A launch, an intent, an AudioPlayer event and a device button: each reads the database."""
    return [
        ("apology", envelopes.launch(at=NOW)),
        ("apology", log_exercise("while-down")),
        ("silent", audio_event("PlaybackStopped", token.encode())),
        ("silent", button("Pause", token.encode())),
    ]


@pytest.mark.postgres
def test_postgres_going_away_and_coming_back(
    postgres_url: str,
    proxy: TcpProxy,
    alexa_api: responses.RequestsMock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    through_proxy = make_url(postgres_url).set(host="127.0.0.1", port=proxy.port)
    app = app_on(through_proxy.render_as_string(hide_password=False))
    engine: Engine = app.extensions[EXTENSION].engine
    direct = make_engine(postgres_url)
    try:
        client = app.test_client()
        enrol(engine, USER)
        _, token = play(engine, USER)
        assert client.get("/readyz").status_code == 200
        assert_answered(post(client, log_exercise("before")))
        assert proxy.connections > 0  # the app's connections really go through the proxy

        proxy.stop()  # the database host goes away, and every open connection with it
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 503
        for kind, body in requests_while_down(token):
            started = time.monotonic()
            response = post(client, body)
            assert time.monotonic() - started < 3
            assert_valid(response, kind)
            errors = logged_errors(caplog, body)
            assert errors, f"{body['request']['type']} did not reach the database"
            assert any("OperationalError" in error for error in errors), errors
        session_ended = envelopes.session_ended(at=NOW)
        assert_silent(post(client, session_ended))

        proxy.start()  # back on the same port; the same app, its pool holding dead connections
        assert client.get("/readyz").status_code == 200
        assert_answered(post(client, envelopes.launch(at=NOW)))
        assert_answered(post(client, log_exercise("after")))
        assert self_reports(direct) == 2  # before and after; nothing half-written meanwhile
    finally:
        engine.dispose()
        direct.dispose()


# --- the database goes away: SQLite ------------------------------------------------------------


def sqlite_files(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


@pytest.mark.parametrize("fault", ["removed", "corrupted", "replaced by a folder"])
def test_sqlite_file_gone_or_broken_mid_run(
    tmp_path: Path, alexa_api: responses.RequestsMock, caplog: pytest.LogCaptureFixture, fault: str
) -> None:
    path = tmp_path / "spine_coach.sqlite3"
    upgrade(f"sqlite:///{path}")
    app = app_on(f"sqlite:///{path}")
    engine: Engine = app.extensions[EXTENSION].engine
    try:
        client = app.test_client()
        enrol(engine, USER)
        _, token = play(engine, USER)
        assert_answered(post(client, log_exercise("before")))
        engine.dispose()  # closes (and checkpoints) every connection, so the file is complete
        backup = tmp_path / "backup.sqlite3"
        shutil.copy(path, backup)

        for file in sqlite_files(path):
            file.unlink(missing_ok=True)
        if fault == "corrupted":
            path.write_bytes(b"not a database, whatever the name says\n" * 200)
        elif fault == "replaced by a folder":
            path.mkdir()
        # The pool opens its next connection on the file as it is now, as after a recycle or
        # in another worker (a connection open before the fault would keep the unlinked inode).
        for kind, body in requests_while_down(token):
            response = post(client, body)
            assert_valid(response, kind)
            assert logged_errors(caplog, body), f"{body['request']['type']} met no fault"
        assert client.get("/healthz").status_code == 200
        # A removed file is made anew, empty: readiness checks the schema, not just an answer.
        assert client.get("/readyz").status_code == 503

        engine.dispose()
        if path.is_dir():
            path.rmdir()
        for file in sqlite_files(path):
            file.unlink(missing_ok=True)
        shutil.copy(backup, path)  # restored: the same app answers again
        assert client.get("/readyz").status_code == 200
        assert_answered(post(client, log_exercise("after")))
        assert self_reports(engine) == 2
    finally:
        engine.dispose()


def test_sqlite_locked_beyond_the_busy_timeout(
    tmp_path: Path,
    alexa_api: responses.RequestsMock,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    busy_ms = 300
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", busy_ms)
    path = tmp_path / "spine_coach.sqlite3"
    upgrade(f"sqlite:///{path}")
    app = app_on(f"sqlite:///{path}")
    engine: Engine = app.extensions[EXTENSION].engine
    try:
        client = app.test_client()
        enrol(engine, USER)
        playing, token = play(engine, USER)
        assert_answered(post(client, log_exercise("warm")))
        locker = sqlite3.connect(path, isolation_level=None, timeout=0)
        try:
            locker.execute("BEGIN IMMEDIATE")  # another writer holds the lock, and keeps it
            body = log_exercise("while-locked")
            started = time.monotonic()
            response = post(client, body)
            waited = time.monotonic() - started
            assert_apology(response)
            assert busy_ms / 1000 <= waited < busy_ms / 1000 + 2  # waited out the busy timeout
            assert any("OperationalError" in error for error in logged_errors(caplog, body))
            # A write from an AudioPlayer event fails the same way, silently.
            finished = audio_event("PlaybackFinished", token.encode())
            assert_silent(post(client, finished))
            assert logged_errors(caplog, finished)
            # Reading goes on meanwhile (WAL): questions that only read are answered.
            assert_answered(post(client, envelopes.intent("ProgressTodayIntent", at=NOW)))
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        exercise_log = ExerciseLog(engine)
        current = exercise_log.get(playing.set_id)
        assert current is not None
        assert current.outcome is Outcome.IN_PROGRESS  # the failed event wrote nothing
        assert self_reports(engine) == 1
        # Alexa retries with the same request id: now it counts, once.
        assert_answered(post(client, body))
        assert_answered(post(client, body))
        assert self_reports(engine) == 2
    finally:
        engine.dispose()


# --- a certificate-chain download that hangs --------------------------------------------------

CHAIN_HOST = "s3.amazonaws.com"
HANG_URL = "https://s3.amazonaws.com/echo.api/hang.pem"  # passes the URL rules


@pytest.fixture(scope="module")
def signing_pki() -> LocalPki:
    """Signs the requests, as Amazon's echo-api certificate does (valid at NOW)."""
    return make_pki(now=NOW)


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A certificate for s3.amazonaws.com from a local CA (valid now, by the wall clock): the
    server's chain and key, and the CA's root for the client's trust store."""
    pki = make_pki(now=datetime.now(UTC), san=CHAIN_HOST)
    folder = tmp_path_factory.mktemp("tls")
    files = {
        "chain": folder / "chain.pem",
        "key": folder / "key.pem",
        "root": folder / "root.pem",
    }
    files["chain"].write_bytes(pki.chain_pem())
    files["key"].write_bytes(
        pki.leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    files["root"].write_bytes(pki.root_pem())
    return files


class _ChainHandler(BaseHTTPRequestHandler):
    server: _ChainServer

    def setup(self) -> None:
        self.request.do_handshake()  # in this thread, so a stalled client stalls only itself
        super().setup()

    def do_GET(self) -> None:
        with contextlib.suppress(OSError):  # the client gave up: what the hang provokes
            if self.path == "/echo.api/" + DEFAULT_CHAIN_URL.rsplit("/", 1)[1]:
                self.server.chain_fetches += 1
                self.send_response(200)
                self.send_header("Content-Length", str(len(self.server.chain_pem)))
                self.end_headers()
                self.wfile.write(self.server.chain_pem)
            elif self.path == "/echo.api/hang.pem":
                self.server.hanging.set()
                self.server.release.wait(10)  # accepted, request read, never answered
            else:
                self.send_error(404)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _ChainServer(ThreadingHTTPServer):
    """HTTPS on 127.0.0.1 (a free port) serving Amazon's chain URL paths; one path hangs."""

    daemon_threads = False  # server_close() joins the handler threads
    block_on_close = True

    def __init__(self, files: dict[str, Path], chain_pem: bytes) -> None:
        super().__init__(("127.0.0.1", 0), _ChainHandler)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(files["chain"], files["key"])
        self.chain_pem = chain_pem
        self.chain_fetches = 0
        self.hanging = threading.Event()
        self.release = threading.Event()

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        wrapped = self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return wrapped, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out mid-handshake or mid-request


@pytest.fixture
def chain_server(tls_files: dict[str, Path], signing_pki: LocalPki) -> Iterator[_ChainServer]:
    server = _ChainServer(tls_files, signing_pki.chain_pem())
    thread = threading.Thread(target=server.serve_forever, name="chain server", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def black_hole() -> Iterator[int]:
    """A port whose connections are accepted (by the kernel) and never answered."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch, tls_files: dict[str, Path]) -> Callable[[int], list[int]]:
    """Route s3.amazonaws.com:443 to a local port (DNS alone is replaced: the real fetcher,
    urllib, TLS and the hostname check all run), trusting the local CA; `route(port)` returns
    the list of ports connections were routed to. Nothing reaches the real host."""
    real_create_connection = socket.create_connection
    routed: list[int] = []
    target: list[int] = []

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        host, port = address[0], address[1]
        if str(host).lower() == CHAIN_HOST:
            if port != 443 or not target:
                raise ConnectionRefusedError(f"no local stand-in for {host}:{port}")
            routed.append(target[0])
            return real_create_connection(("127.0.0.1", target[0]), *args, **kwargs)
        return real_create_connection(address, *args, **kwargs)

    def route(port: int) -> list[int]:
        target[:] = [port]
        return routed

    monkeypatch.setattr(socket, "create_connection", create_connection)
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_files["root"]))
    return route


def signed(pki: LocalPki, url: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(envelopes.launch(at=NOW)).encode()
    return body, {**pki.headers(body, url), "Content-Type": "application/json"}


def verifying_app(url: str, signing_pki: LocalPki, timeout: float) -> Flask:
    """Verification on, with the app's own chain fetcher (none injected)."""
    return create_app(
        {
            "DATABASE_URL": url,
            "VERIFY_REQUESTS": True,
            "SKILL_ID": envelopes.DEFAULT_SKILL_ID,
            "TRUST_ROOTS": [signing_pki.root_cert],
            "CLOCK": lambda: NOW,
            "CERT_FETCH_TIMEOUT": timeout,
        }
    )


@pytest.mark.parametrize("scheme", ["https", "http"])
def test_fetch_gives_up_on_a_server_that_accepts_and_never_answers(
    black_hole: int, scheme: str
) -> None:
    started = time.monotonic()
    with pytest.raises(VerificationError, match="download failed"):
        fetch_chain_over_https(
            f"{scheme}://127.0.0.1:{black_hole}/echo.api/cert.pem", timeout=0.3, max_bytes=65536
        )
    assert 0.3 <= time.monotonic() - started < 1.3


@pytest.mark.parametrize("timeout", [0.3, 0.8])
def test_a_chain_download_that_hangs_gets_a_400_within_the_timeout(
    sqlite_url: str,
    signing_pki: LocalPki,
    s3: Callable[[int], list[int]],
    black_hole: int,
    alexa_api: responses.RequestsMock,
    timeout: float,
) -> None:
    routed = s3(black_hole)  # the TLS handshake with "s3.amazonaws.com" never completes
    app = verifying_app(sqlite_url, signing_pki, timeout)
    try:
        body, headers = signed(signing_pki, DEFAULT_CHAIN_URL)
        started = time.monotonic()
        response = app.test_client().post("/alexa", data=body, headers=headers)
        waited = time.monotonic() - started
        assert response.status_code == 400
        assert routed == [black_hole]  # the app's own fetcher went to the network
        assert timeout <= waited < timeout + 1.0  # bounded by CERT_FETCH_TIMEOUT
    finally:
        app.extensions[EXTENSION].engine.dispose()


def post_over_http(base_url: str, body: bytes, headers: dict[str, str]) -> tuple[int, float]:
    host, port = base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=15)
    started = time.monotonic()
    try:
        connection.request("POST", "/alexa", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, time.monotonic() - started
    finally:
        connection.close()


def test_a_cached_chain_is_answered_while_another_download_hangs(
    sqlite_url: str,
    signing_pki: LocalPki,
    s3: Callable[[int], list[int]],
    chain_server: _ChainServer,
    alexa_api: responses.RequestsMock,
) -> None:
    timeout = 1.5
    s3(chain_server.server_address[1])
    app = verifying_app(sqlite_url, signing_pki, timeout)
    try:
        with LiveServer(app) as live:
            # Warm the cache: a real HTTPS download of the chain, verified against the roots.
            status, _ = post_over_http(live.url, *signed(signing_pki, DEFAULT_CHAIN_URL))
            assert status == 200
            assert chain_server.chain_fetches == 1

            hung: dict[str, Any] = {}

            def hang() -> None:
                hung["status"], hung["waited"] = post_over_http(
                    live.url, *signed(signing_pki, HANG_URL)
                )

            worker = threading.Thread(target=hang, name="hanging request")
            worker.start()
            try:
                assert chain_server.hanging.wait(5), "the hanging download never started"
                status, waited = post_over_http(live.url, *signed(signing_pki, DEFAULT_CHAIN_URL))
                still_hanging = worker.is_alive()
            finally:
                worker.join(10)
            assert status == 200
            assert waited < 0.5  # answered from the cache, not queued behind the download
            assert still_hanging
            assert hung["status"] == 400
            assert timeout <= hung["waited"] < timeout + 1.0
            assert chain_server.chain_fetches == 1
    finally:
        app.extensions[EXTENSION].engine.dispose()


# --- two processes writing for one patient at once --------------------------------------------


def test_two_processes_writing_for_one_patient(
    database_url: str, empty_audio_dir: Path, alexa_api: responses.RequestsMock
) -> None:
    engine = make_engine(database_url)
    try:
        enrol(engine, PATIENT)
    finally:
        engine.dispose()
    distinct, shared, start_every = 40, 20, 5
    shared_ids = [f"shared-{n}" for n in range(shared)]
    config = {
        "DATABASE_URL": database_url,
        "VERIFY_REQUESTS": False,
        "SKILL_ID": None,
        "SECRET_KEY": TEST_SECRET_KEY,
        "AUDIO_DIR": str(empty_audio_dir),
    }
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    results = context.Queue()
    workers = [
        context.Process(
            target=write_for_one_patient,
            args=(
                config,
                number,
                [f"w{number}-{n}" for n in range(distinct)] + shared_ids,
                start_every,
                barrier,
                results,
            ),
        )
        for number in (0, 1)
    ]
    for worker in workers:
        worker.start()
    try:
        reports = [results.get(timeout=120) for _ in workers]
    finally:
        for worker in workers:
            worker.join(30)
            if worker.is_alive():
                worker.kill()
                worker.join()
        results.close()
    assert [worker.exitcode for worker in workers] == [0, 0]
    for report in reports:
        assert report["statuses"] == {"logged": distinct + shared}, report

    engine = make_engine(database_url)
    try:
        exercise_log = ExerciseLog(engine)
        sets = exercise_log.sets_of(PATIENT)
    finally:
        engine.dispose()
    reported = [s for s in sets if s.delivery is Delivery.SELF_REPORT]
    assert len(reported) == 2 * distinct + shared  # one per distinct request id
    assert len({s.set_id for s in reported}) == len(reported)
    started = [set_id for report in reports for set_id in report["started"]]
    finished = {k: v for report in reports for k, v in report["finished"].items()}
    guided = {s.set_id: s for s in sets if s.delivery is Delivery.SPEECH}
    assert sorted(guided) == sorted(started)  # every start kept, none twice
    in_progress = [s for s in guided.values() if s.outcome is Outcome.IN_PROGRESS]
    assert len(in_progress) == 1
    assert in_progress[0].set_id in {report["started"][-1] for report in reports}
    complete = {s.set_id for s in guided.values() if s.outcome is Outcome.COMPLETE}
    assert complete == {set_id for set_id, ended in finished.items() if ended}
    for set_id, exercise_set in guided.items():
        if exercise_set.outcome is Outcome.PARTIAL:
            assert not finished.get(set_id, False)  # closed by a later start, never finished
    assert any(finished.values())


# --- AudioPlayer events for a deleted patient, and with stale or forged tokens ---------------


Snapshot = dict[str, list[tuple[Any, ...]]]


def snapshot(engine: Engine) -> Snapshot:
    """Every row of every table that holds patient data."""
    with engine.connect() as connection:
        return {
            table.name: sorted((tuple(row) for row in connection.execute(select(table))), key=repr)
            for table in patient_tables()
        }


EVENTS = ["PlaybackStarted", "PlaybackStopped", "PlaybackNearlyFinished", "PlaybackFinished"]
BUTTONS = ["Next", "Pause", "Play", "Previous"]


def test_stale_and_forged_tokens_are_ignored(client: FlaskClient, app: Flask) -> None:
    engine: Engine = app.extensions[EXTENSION].engine
    enrol(engine, USER)
    enrol(engine, OTHER)
    playing, token = play(engine, USER)
    others_set, others_token = play(engine, OTHER)
    stale = PlaybackToken.for_set(USER, "bridges", Pace.NORMAL, playing.set_id)  # a new `play`
    forged = [
        stale.encode(),
        PlaybackToken(patient_key(OTHER), "bridges", Pace.NORMAL, playing.set_id, "0" * 8).encode(),
        others_token.encode(),  # another patient's live stream, sent as USER
        PlaybackToken.for_set(USER, "bridges", Pace.NORMAL, others_set.set_id).encode(),
        PlaybackToken.for_set(USER, "bridges", Pace.NORMAL, "f" * 32).encode(),
        # The live token under another version or variant: not the stream that plays.
        token.encode().replace("sc2.full.", "sc1.", 1),
        token.encode().replace("sc2.full.", "sc2.short.", 1),
        token.encode().replace("sc2.", "sc3.", 1),
        token.encode() + "0",
        "",
        "x" * 2000,
    ]
    assert all(candidate != token.encode() for candidate in forged)
    before = snapshot(engine)
    for candidate in forged:
        for event in [*EVENTS, "PlaybackFailed"]:
            if event == "PlaybackFailed" and candidate == stale.encode():
                continue  # see test_a_stale_stream_failing_writes_nothing
            assert_silent(post(client, audio_event(event, candidate)))
        for command in BUTTONS:
            # "Play" resumes the patient's set whatever the token; with no audio built, silently.
            assert_silent(post(client, button(command, candidate)))
    assert snapshot(engine) == before
    # The real token does move the set on: the checks above could have failed.
    assert_silent(post(client, audio_event("PlaybackFinished", token.encode())))
    finished = ExerciseLog(engine).get(playing.set_id)
    assert finished is not None
    assert finished.outcome is Outcome.COMPLETE
    assert snapshot(engine) != before


def stale_stream_failing(client: FlaskClient, app: Flask) -> tuple[Snapshot, Snapshot]:
    """The patient's set plays; PlaybackFailed arrives for an older stream of it."""
    engine: Engine = app.extensions[EXTENSION].engine
    enrol(engine, USER)
    playing, _ = play(engine, USER)
    stale = PlaybackToken.for_set(USER, "bridges", Pace.NORMAL, playing.set_id)
    before = snapshot(engine)
    assert_silent(post(client, audio_event("PlaybackFailed", stale.encode())))
    return before, snapshot(engine)


def test_a_stale_stream_failing_keeps_the_sets_and_row_counts(
    client: FlaskClient, app: Flask
) -> None:
    before, after = stale_stream_failing(client, app)
    assert {name: len(rows) for name, rows in after.items()} == {
        name: len(rows) for name, rows in before.items()
    }
    assert after["exercise_sets"] == before["exercise_sets"]
    assert after["pain_reports"] == before["pain_reports"]


def test_a_stale_stream_failing_writes_nothing(client: FlaskClient, app: Flask) -> None:
    before, after = stale_stream_failing(client, app)
    assert after == before


def test_audio_player_events_for_a_deleted_patient(
    client: FlaskClient, app: Flask, dialog: Dialog
) -> None:
    engine: Engine = app.extensions[EXTENSION].engine
    enrol(engine, USER)
    enrol(engine, OTHER)
    playing, token = play(engine, USER)
    play(engine, OTHER)
    dialog.launch()
    dialog.say("DeleteMyDataIntent")
    assert "deleted" in dialog.say("AMAZON.YesIntent").speech.lower()
    before = snapshot(engine)
    with engine.connect() as connection:
        for table in patient_tables():
            count = connection.scalar(
                select(func.count()).select_from(table).where(table.c.user_id == USER)
            )
            assert count == 0, table.name
    assert ExerciseLog(engine).get(playing.set_id) is None
    for event in [*EVENTS, "PlaybackFailed"]:
        assert_silent(post(client, audio_event(event, token.encode())))
    for command in BUTTONS:
        assert_silent(post(client, button(command, token.encode())))
    assert snapshot(engine) == before  # nothing written, no patient made again
    assert PatientStore(engine).get(OTHER) is not None  # the other patient untouched
