"""`python -m bench.profile`: where a Spine Coach request spends its time, in one process.

Both apps of `python -m bench` (the bare ask-sdk skill and Spine Coach, on the seeded SQLite
database and, for the write scenarios, a throw-away PostgreSQL schema) are built in this
process and sent the very envelopes the bench sends, signed by its local test CA, with
verification on, through Flask's test client. For each scenario:

- plain timing: warm-up, then the two apps interleaved request by request (A B, B A, …); each
  request's time is taken around the app's WSGI call (a WSGI middleware, `perf_counter_ns`),
  so the test client's own work is left out; the medians and their ratio;
- a sampling profile: the same requests again under an interval timer (SIGALRM at random
  intervals, ~200 µs apart); each sample's Python stack is put in one layer (the innermost
  frame that belongs to one: a C call such as sqlite3's or RSA's counts for the Python frame
  that made it). A layer's share of the samples times the plain median is its cost in µs.
  Sampling slows the requests a little but evenly; a deterministic profiler (cProfile) would
  inflate whatever makes many small calls (SQLAlchemy, the ask-sdk models) several times over;
- plain timings of two layers alone, as a check on the sampled figures: the signature
  verification and the envelope's deserialization, called directly many times.

With PostgreSQL, also the floor a durable write sets on that server: one INSERT and COMMIT
per transaction on a regular table, single client, as production commits
(`synchronous_commit` on), and on a second connection with `synchronous_commit = off` for
comparison only (a patient's logged set must survive a crash: production keeps it on).

Prints a table and writes JSON (`--output`, default /tmp/profile.json).
"""

from __future__ import annotations

import argparse
import cProfile
import ctypes
import gc
import json
import linecache
import os
import platform
import pstats
import random
import secrets
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

from ask_sdk_model import RequestEnvelope
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, event, text

from bench import growth, hello_skill, probe, spine_app
from bench.fixtures import Fixtures, prepare
from bench.scenarios import HELLO, POSTGRESQL, SCENARIOS, SPINE, SPINE_POSTGRES, Scenario, select
from skill.alexa.endpoint import EXTENSION, AlexaEndpoint
from skill.config import ENV_PREFIX
from skill.devtools.dialog import ssml_to_text
from skill.store.engine import make_engine

DEFAULT_REQUESTS = 3000
DEFAULT_OUTPUT = Path("/tmp/profile.json")
SAMPLE_INTERVAL_US = 200
# Verification refuses a request signed more than 150 s ago: sign again well before that.
RESIGN_AFTER_S = 60.0
COMMIT_FLOOR_TRANSACTIONS = 1000
CONCURRENT_CLIENTS = 4  # production's threads per worker (skill.production.THREADS)
HOTSPOTS = 12

# The layers a request's time is put in.
VERIFY = "signature verification"
DECODE = "JSON + envelope (de)serialization"
DB_SQL = "database: statements (driver, SQLAlchemy)"
DB_POOL = "database: connection checkout/checkin"
DB_COMMIT = "database: COMMIT"
STORE = "store code (skill/store)"
HANDLER = "handler + reply (intents, sets, speech, strings)"
DISPATCH = "ask-sdk dispatch (incl. can_handle)"
FLASK = "Flask/Werkzeug request + response"
ENDPOINT = "endpoint glue (skill/alexa/endpoint.py)"
HOOKS = "app hooks (skill/web: request id, access log)"
LOGGING = "logging"
LAYERS = (
    VERIFY,
    DECODE,
    DB_SQL,
    DB_POOL,
    DB_COMMIT,
    STORE,
    HANDLER,
    DISPATCH,
    FLASK,
    ENDPOINT,
    HOOKS,
    LOGGING,
)
# A sample outside the app's WSGI call: the test client building the request or reading the
# answer (not part of either app's time).
DRIVER = "test client (outside the app)"

# Path fragments (with "/" separators), the first that matches wins; then the frame's layer.
_DATABASE_PATHS = ("/sqlalchemy/", "/psycopg/", "/psycopg_pool/", "/sqlite3/", "/skill/store/")
_LAYER_PATHS: tuple[tuple[str, str], ...] = (
    ("/skill/alexa/verification.py", VERIFY),
    ("/skill/alexa/serializer.py", DECODE),
    ("/ask_sdk_core/serialize.py", DECODE),
    ("/json/", DECODE),
    ("/ask_sdk_core/response_helper.py", HANDLER),
    ("/ask_sdk_core/", DISPATCH),
    ("/ask_sdk_runtime/", DISPATCH),
    ("/skill/skill_builder.py", DISPATCH),
    ("/skill/alexa/endpoint.py", ENDPOINT),
    ("/skill/web/", HOOKS),
    ("/skill/__init__.py", HOOKS),
    ("/skill/", HANDLER),  # intents, sets, recovery, content, the rest of skill/alexa
    ("/werkzeug/test.py", DRIVER),
    ("/flask/testing.py", DRIVER),
    ("/flask/", FLASK),
    ("/flask_wtf/", FLASK),
    ("/werkzeug/", FLASK),
    ("/logging/", LOGGING),
)
_COMMIT_NAMES = frozenset({"commit", "do_commit", "_commit_impl"})


@dataclass(frozen=True)
class _Frame:
    """What one code object says about the layer of the time spent in it."""

    layer: str | None  # an anchor layer, or None: the frame counts for its caller's layer
    database: bool = False
    store: bool = False  # skill/store: its C calls (execute, fetch, commit) read off the line
    pool: bool = False
    commit: bool = False
    wsgi_app: bool = False  # Flask.wsgi_app: the sample is inside the app


def _describe(code: CodeType) -> _Frame:
    path = code.co_filename.replace(os.sep, "/")
    name = code.co_name
    wsgi_app = path.endswith("/flask/app.py") and name == "wsgi_app"
    if any(fragment in path for fragment in _DATABASE_PATHS):
        pool = "/sqlalchemy/pool/" in path or (
            path.endswith("/skill/store/request_connection.py") and name in ("connection", "close")
        )
        return _Frame(
            layer=None,
            database=True,
            store="/skill/store/" in path,
            pool=pool,
            commit=name in _COMMIT_NAMES,
        )
    if name == "can_handle":
        return _Frame(DISPATCH)
    if path.endswith("/bench/hello_skill.py"):
        return _Frame(ENDPOINT if name == "alexa" else HANDLER)
    for fragment, layer in _LAYER_PATHS:
        if fragment in path:
            return _Frame(layer, wsgi_app=wsgi_app)
    return _Frame(None, wsgi_app=wsgi_app)


class Classifier:
    """Puts a sampled stack in one layer; remembers what it learnt of each code object."""

    def __init__(self) -> None:
        self._frames: dict[CodeType, _Frame] = {}
        self._lines: dict[tuple[CodeType, int], str] = {}

    def _frame(self, code: CodeType) -> _Frame:
        described = self._frames.get(code)
        if described is None:
            described = self._frames[code] = _describe(code)
        return described

    def _store_line(self, frame: FrameType) -> str:
        """The database layer of a store frame's current line: a C call to the driver (its
        time counts for this frame), a commit, or the store's own Python."""
        key = (frame.f_code, frame.f_lineno)
        layer = self._lines.get(key)
        if layer is None:
            line = linecache.getline(frame.f_code.co_filename, frame.f_lineno)
            if ".commit(" in line:
                layer = DB_COMMIT
            elif "execute(" in line or ".fetch" in line:
                layer = DB_SQL
            else:
                layer = STORE
            self._lines[key] = layer
        return layer

    def layer(self, frame: FrameType | None) -> tuple[str, str]:
        """The layer of the stack whose innermost frame is `frame`, and the function that
        decided it (the innermost database frame, or the innermost frame of a layer)."""
        layer: str | None = None
        database: str | None = None  # the innermost database frame's layer
        where = ""
        pool = commit = in_app = False
        while frame is not None:
            code = frame.f_code
            described = self._frame(code)
            in_app = in_app or described.wsgi_app
            if layer is None:
                if described.database:
                    if database is None:
                        database = self._store_line(frame) if described.store else DB_SQL
                        where = _where(code)
                    pool = pool or described.pool
                    commit = commit or described.commit
                elif database is not None:  # left the database frames: they decide
                    layer = DB_COMMIT if commit or database == DB_COMMIT else database
                    layer = DB_POOL if pool and layer != DB_COMMIT else layer
                elif described.layer is not None:
                    layer, where = described.layer, _where(code)
            frame = frame.f_back
        if not in_app:
            return DRIVER, ""
        return layer or FLASK, where


def _where(code: CodeType) -> str:
    """`path/module.py:function`, from the package or the repository's root."""
    path = code.co_filename.replace(os.sep, "/")
    if "/site-packages/" in path:
        path = path.split("/site-packages/", 1)[1]
    elif path.startswith(_ROOT):
        path = path.removeprefix(_ROOT)
    else:
        path = "/".join(path.split("/")[-2:])
    return f"{path}:{code.co_name}"


_ROOT = Path(__file__).resolve().parents[1].as_posix() + "/"


class Sampler:
    """SIGALRM at random intervals; each sample's layer counted for the app being driven."""

    def __init__(self, mean_interval_us: int, seed: int = 14) -> None:
        self.counts: dict[str, Counter[str]] = {}
        self.functions: dict[str, Counter[tuple[str, str]]] = {}
        self.current = ""
        self._classifier = Classifier()
        self._mean_s = mean_interval_us / 1_000_000
        self._random = random.Random(seed)

    def _next(self) -> float:
        return self._mean_s * (0.5 + self._random.random())  # no beat with the requests' rhythm

    def _sample(self, signum: int, frame: FrameType | None) -> None:
        layer, where = self._classifier.layer(frame)
        self.counts.setdefault(self.current, Counter())[layer] += 1
        self.functions.setdefault(self.current, Counter())[layer, where] += 1
        signal.setitimer(signal.ITIMER_REAL, self._next())

    @contextmanager
    def running(self) -> Iterator[None]:
        """Sample while the block runs (in the main thread)."""
        previous = signal.signal(signal.SIGALRM, self._sample)
        signal.setitimer(signal.ITIMER_REAL, self._next())
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class TimedWsgi:
    """WSGI middleware: the time of the app's call, including reading its answer, and the
    CPU time this thread spent in it (no waiting for the database server, nor for a CPU)."""

    def __init__(self, app: WsgiApp) -> None:
        self._app = app
        self.last_ns = 0
        self.last_cpu_ns = 0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        cpu_started = time.thread_time_ns()
        started = time.perf_counter_ns()
        answer = self._app(environ, start_response)
        try:
            chunks = list(answer)
        finally:
            close = getattr(answer, "close", None)
            if close is not None:
                close()
        self.last_ns = time.perf_counter_ns() - started
        self.last_cpu_ns = time.thread_time_ns() - cpu_started
        return chunks


@dataclass
class Driven:
    """One app with its test client and timer."""

    name: str
    app: Flask
    timer: TimedWsgi
    client: FlaskClient

    @classmethod
    def of(cls, name: str, app: Flask) -> Driven:
        """Wrap `app` in the timer (Flask's documented middleware pattern)."""
        timer = TimedWsgi(app.wsgi_app)
        app.wsgi_app = timer  # type: ignore[method-assign]
        return cls(name, app, timer, app.test_client())


class Signed:
    """A scenario's envelope signed as the bench signs it, signed again before it goes stale."""

    def __init__(self, scenario: Scenario, fixtures: Fixtures) -> None:
        self._scenario = scenario
        self._fixtures = fixtures
        self._signed_at = -RESIGN_AFTER_S
        self.body = b""
        self.headers: dict[str, str] = {}

    def fresh(self) -> Signed:
        """This request, signed again if it was signed over a minute ago."""
        if time.monotonic() - self._signed_at > RESIGN_AFTER_S:
            envelope = self._scenario.envelope(datetime.now(UTC))
            self.body = json.dumps(envelope).encode("utf-8")
            self.headers = self._fixtures.pki.headers(self.body)
            self._signed_at = time.monotonic()
        return self


def send(driven: Driven, signed: Signed) -> int:
    """POST the request; the app's time in ns (its CPU time: `driven.timer.last_cpu_ns`).
    RuntimeError unless HTTP 200."""
    response = driven.client.post(
        "/alexa", data=signed.body, headers=signed.headers, content_type="application/json"
    )
    if response.status_code != 200:
        raise RuntimeError(f"{driven.name} answered HTTP {response.status_code}")
    return driven.timer.last_ns


def check_answer(driven: Driven, signed: Signed, expected_speech: str | None) -> None:
    """RuntimeError unless the app gives the answer the bench's probe expects."""
    response = driven.client.post(
        "/alexa", data=signed.body, headers=signed.headers, content_type="application/json"
    )
    answer: Any = response.get_json(silent=True)
    if response.status_code != 200 or not isinstance(answer, dict):
        raise RuntimeError(f"{driven.name} answered HTTP {response.status_code}")
    speech_part = answer.get("response", {}).get("outputSpeech")
    if expected_speech is None:
        if speech_part is not None:
            raise RuntimeError(f"{driven.name} did not answer silently: {answer}")
        return
    speech = ssml_to_text(str((speech_part or {}).get("ssml", "")))
    if expected_speech not in speech or any(m in speech for m in probe.APOLOGY_MARKERS):
        raise RuntimeError(f"{driven.name} said {speech!r}, expected {expected_speech!r}")


def interleaved(
    pair: Sequence[Driven],
    signed: Signed,
    requests: int,
    before: Callable[[str], None],
    cpu: dict[str, list[int]] | None = None,
) -> dict[str, list[int]]:
    """`requests` of each app, alternating which goes first; each request's time by app (and
    its CPU time in `cpu`, when given)."""
    times: dict[str, list[int]] = {driven.name: [] for driven in pair}
    for number in range(requests):
        order = pair if number % 2 == 0 else tuple(reversed(pair))
        for driven in order:
            request = signed.fresh()
            before(driven.name)
            times[driven.name].append(send(driven, request))
            if cpu is not None:
                cpu.setdefault(driven.name, []).append(driven.timer.last_cpu_ns)
    return times


def median_us(values: Sequence[int]) -> float:
    """The median of nanosecond times, in µs."""
    return statistics.median(values) / 1000


def _nothing(name: str) -> None:
    pass


@dataclass
class ScenarioProfile:
    """One scenario's figures."""

    name: str
    baseline: str
    database: str
    target_ratio: float
    requests: int
    bare_us: float
    spine_us: float
    ratio: float
    # The medians of the CPU time of the same requests: without the waits for the database
    # server (or for a CPU on a busy machine). The bench's one-thread worker waits out each
    # request's round trips and commit in full; production's threads (skill.production) work
    # on other requests meanwhile, so there throughput follows these more closely.
    bare_cpu_us: float
    spine_cpu_us: float
    # How much slower than the bare skill Spine Coach may be, in-process, to meet the target
    # (in the bench both also pay the same HTTP serving, so the bench allows a little more).
    allowed_excess_us: float
    # The medians while sampled (the profile's own cost shows as the difference).
    sampled_us: dict[str, float]
    layers_us: dict[str, float]
    bare_layers_us: dict[str, float]
    samples: dict[str, int]
    driver_samples: dict[str, int]
    # Spine Coach's costliest functions: (layer, the function that decided it, µs).
    hotspots: list[tuple[str, str, float]] = field(default_factory=list)
    isolated_us: dict[str, float] = field(default_factory=dict)
    per_request: dict[str, float] = field(default_factory=dict)

    @property
    def top(self) -> list[tuple[str, float]]:
        """Spine Coach's layers, most costly first."""
        return sorted(self.layers_us.items(), key=lambda item: -item[1])


def _layers(counts: Counter[str], median: float) -> tuple[dict[str, float], int, int]:
    inside = sum(n for layer, n in counts.items() if layer != DRIVER)
    if inside == 0:
        return {layer: 0.0 for layer in LAYERS}, 0, counts[DRIVER]
    return (
        {layer: median * counts[layer] / inside for layer in LAYERS},
        inside,
        counts[DRIVER],
    )


def call_counts(driven: Driven, signed: Signed, requests: int) -> dict[str, float]:
    """Per request, from a deterministic profile (cProfile) of `requests` requests: the
    SQLite statements and commits, the handlers asked `can_handle`, and the request's time
    under cProfile, which inflates what makes many small calls (hence the sampled layers);
    on PostgreSQL, from libpq's trace of the same requests, the round trips to the server."""
    profiler = cProfile.Profile()
    elapsed = 0
    engine = driven.app.extensions[EXTENSION].engine
    counts = Counter[str]()
    with tempfile.TemporaryFile("w+") as trace:
        with libpq_trace(engine, trace.fileno()):
            for _ in range(requests):
                request = signed.fresh()
                profiler.enable()
                elapsed += send(driven, request)
                profiler.disable()
        trace.seek(0)
        for line in trace:
            fields = line.rstrip("\n").split("\t")
            if len(fields) > 3 and fields[1] == "F":
                if fields[3] in ("Query", "Sync"):  # each waits for the server's answer
                    counts["postgresql round trips"] += 1
                if fields[3] == "Bind":
                    counts["postgresql statements"] += 1
    stats: dict[tuple[str, int, str], tuple[int, int, float, float, Any]]
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    for (_, _, function), (_, calls, _, _, _) in stats.items():
        if "sqlite3.Cursor" in function and "execute" in function:
            counts["sqlite3 statements"] += calls
        elif "sqlite3.Connection" in function and "commit" in function:
            counts["sqlite3 commits"] += calls
        elif function == "can_handle":
            counts["can_handle calls"] += calls
    per_request = {name: counts[name] / requests for name in sorted(counts)}
    per_request["µs under cProfile"] = elapsed / requests / 1000
    return per_request


@contextmanager
def libpq_trace(engine: Engine, fileno: int) -> Iterator[None]:
    """On PostgreSQL, libpq's protocol trace (psycopg's `PGconn.trace`) of every connection
    checked out of `engine`'s pool while the block runs, into `fileno`; elsewhere nothing."""
    if engine.dialect.name != "postgresql":
        yield
        return
    traced: dict[int, Any] = {}

    def on_checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if id(dbapi_connection) not in traced:
            traced[id(dbapi_connection)] = dbapi_connection
            dbapi_connection.pgconn.trace(fileno)

    event.listen(engine, "checkout", on_checkout)
    try:
        yield
    finally:
        event.remove(engine, "checkout", on_checkout)
        for dbapi_connection in traced.values():
            dbapi_connection.pgconn.untrace()
        # libpq writes through a buffered C stream that nothing closes: flush them all.
        ctypes.CDLL(None).fflush(None)


def isolated(endpoint: AlexaEndpoint, signed: Signed, requests: int) -> dict[str, float]:
    """Plain medians of the verification, the JSON parse and the deserialization alone."""
    figures: dict[str, list[int]] = {"verify": [], "json.loads": [], "deserialize": []}
    for _ in range(requests):
        request = signed.fresh()
        started = time.perf_counter_ns()
        parsed = json.loads(request.body)
        parsed_at = time.perf_counter_ns()
        endpoint.serializer.deserialize_parsed(parsed, RequestEnvelope)
        deserialized_at = time.perf_counter_ns()
        if endpoint.verifier is not None:
            endpoint.verifier.verify(
                cert_chain_url=request.headers["SignatureCertChainUrl"],
                signature=request.headers["Signature-256"],
                body=request.body,
                envelope=parsed,
            )
        verified_at = time.perf_counter_ns()
        figures["json.loads"].append(parsed_at - started)
        figures["deserialize"].append(deserialized_at - parsed_at)
        figures["verify"].append(verified_at - deserialized_at)
    return {name: median_us(values) for name, values in figures.items()}


def profile_scenario(
    scenario: Scenario,
    bare_scenario: Scenario,
    bare: Driven,
    spine: Driven,
    fixtures: Fixtures,
    *,
    requests: int,
    warmup: int,
    sample_interval_us: int,
) -> ScenarioProfile:
    """Warm up, time the two apps interleaved, then sample them; the scenario's figures."""
    signed = Signed(scenario, fixtures)
    check_answer(bare, signed.fresh(), bare_scenario.expected_speech)
    check_answer(spine, signed.fresh(), scenario.expected_speech)
    pair = (bare, spine)
    interleaved(pair, signed, warmup, _nothing)
    cpu: dict[str, list[int]] = {}
    times = interleaved(pair, signed, requests, _nothing, cpu)
    bare_us, spine_us = median_us(times[bare.name]), median_us(times[spine.name])
    sampler = Sampler(sample_interval_us)

    def driving(name: str) -> None:
        sampler.current = name

    with sampler.running():
        sampled = interleaved(pair, signed, requests, driving)
    spine_layers, spine_inside, spine_driver = _layers(
        sampler.counts.get(spine.name, Counter()), spine_us
    )
    bare_layers, bare_inside, bare_driver = _layers(
        sampler.counts.get(bare.name, Counter()), bare_us
    )
    endpoint: AlexaEndpoint = spine.app.extensions[EXTENSION]
    target = scenario.target_ratio or 0.0
    functions = sampler.functions.get(spine.name, Counter())
    hotspots = [
        (layer, where, spine_us * count / spine_inside)
        for (layer, where), count in functions.most_common(HOTSPOTS + 1)
        if layer != DRIVER and spine_inside
    ][:HOTSPOTS]
    return ScenarioProfile(
        name=scenario.name,
        baseline=bare_scenario.name,
        database=scenario.database or "",
        target_ratio=target,
        requests=requests,
        bare_us=bare_us,
        spine_us=spine_us,
        ratio=bare_us / spine_us,
        bare_cpu_us=median_us(cpu[bare.name]),
        spine_cpu_us=median_us(cpu[spine.name]),
        sampled_us={name: median_us(values) for name, values in sampled.items()},
        allowed_excess_us=bare_us / target - bare_us if target else 0.0,
        layers_us=spine_layers,
        bare_layers_us=bare_layers,
        samples={"spine": spine_inside, "bare": bare_inside},
        driver_samples={"spine": spine_driver, "bare": bare_driver},
        hotspots=hotspots,
        isolated_us=isolated(endpoint, signed, max(requests // 3, 10)),
        per_request=call_counts(spine, signed, max(requests // 10, 10)),
    )


@dataclass(frozen=True)
class CommitFloor:
    """One INSERT + COMMIT per transaction on a regular table, single client, median µs."""

    transactions: int
    select_1_us: float  # one round trip, no write, no transaction (autocommit)
    # BEGIN (sent by psycopg), INSERT, COMMIT: three round trips, synchronous_commit on, as
    # production.
    insert_commit_us: float
    insert_commit_async_us: float  # synchronous_commit off: for comparison only
    # Durable commits a second with one client (the bench's one thread) and with as many as
    # a production worker's threads.
    commits_per_s: dict[int, float]
    server_settings: dict[str, str]


def commit_floor(database_url: str, transactions: int) -> CommitFloor:
    """The floor a durable write sets on the PostgreSQL at `database_url` (a throw-away
    schema: the table is dropped with it). Durable and asynchronous commits interleaved on
    two connections, so the machine's drift hits both alike."""
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "CREATE TABLE commit_floor (id bigserial PRIMARY KEY, "
                    "at timestamptz NOT NULL DEFAULT now(), note text NOT NULL)"
                )
            )
            settings = {
                name: str(connection.execute(text(f"SHOW {name}")).scalar_one())
                for name in ("synchronous_commit", "fsync", "wal_sync_method", "server_version")
            }
        durable, relaxed = engine.raw_connection(), engine.raw_connection()
        # One round trip and no transaction: psycopg would send BEGIN before a first SELECT.
        probe = engine.raw_connection()
        probe.dbapi_connection.autocommit = True  # type: ignore[union-attr]
        try:
            cursor = relaxed.cursor()
            cursor.execute("SET synchronous_commit = off")
            relaxed.commit()
            times: dict[str, list[int]] = {"select": [], "durable": [], "relaxed": []}
            insert = "INSERT INTO commit_floor (note) VALUES (%s)"
            for number in range(transactions):
                for name, raw in (("durable", durable), ("relaxed", relaxed)):
                    cursor = raw.cursor()
                    started = time.perf_counter_ns()
                    cursor.execute(insert, (f"{name} {number}",))
                    raw.commit()
                    times[name].append(time.perf_counter_ns() - started)
                cursor = probe.cursor()
                started = time.perf_counter_ns()
                cursor.execute("SELECT 1")
                cursor.fetchall()
                times["select"].append(time.perf_counter_ns() - started)
        finally:
            durable.close()
            relaxed.close()
            probe.close()
        throughput = {
            clients: durable_commits_per_s(engine, clients, transactions // clients)
            for clients in (1, CONCURRENT_CLIENTS)
        }
    finally:
        engine.dispose()
    return CommitFloor(
        transactions=transactions,
        select_1_us=median_us(times["select"]),
        insert_commit_us=median_us(times["durable"]),
        insert_commit_async_us=median_us(times["relaxed"]),
        commits_per_s=throughput,
        server_settings=settings,
    )


def durable_commits_per_s(engine: Engine, clients: int, transactions: int) -> float:
    """Durable INSERT + COMMIT transactions a second, `clients` threads each on its own
    connection (`transactions` each): a commit waiting for the disk lets the others work."""
    connections = [engine.raw_connection() for _ in range(clients)]
    ready = threading.Barrier(clients + 1)

    def commit(raw: Any, client: int) -> None:
        ready.wait()
        for number in range(transactions):
            raw.cursor().execute(
                "INSERT INTO commit_floor (note) VALUES (%s)", (f"client {client} {number}",)
            )
            raw.commit()

    threads = [
        threading.Thread(target=commit, args=(raw, client))
        for client, raw in enumerate(connections)
    ]
    try:
        for thread in threads:
            thread.start()
        ready.wait()
        started = time.perf_counter_ns()
        for thread in threads:
            thread.join()
        elapsed_s = (time.perf_counter_ns() - started) / 1e9
    finally:
        for raw in connections:
            raw.close()
    return clients * transactions / elapsed_s


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """`os.environ` with `values` set, as before afterwards."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def spine_coach(fixtures: Fixtures, database_url: str) -> Flask:
    """Spine Coach as the bench's gunicorn workers build it (bench.spine_app)."""
    with environment(
        {
            spine_app.DATABASE_URL_ENV: database_url,
            spine_app.ROOT_PEM_ENV: str(fixtures.root_pem),
            spine_app.CHAIN_PEM_ENV: str(fixtures.chain_pem),
            # Else create_app makes one in the instance folder of the checkout.
            f"{ENV_PREFIX}_SECRET_KEY": secrets.token_urlsafe(48),
        }
    ):
        return spine_app.create()


_LABELS = {
    "LaunchRequest": "Launch",
    "CurrentPhaseIntent": "Phase",
    "StartExerciseIntent": "SetStart",
    "PlaybackStopped": "Stopped",
    "ProgressSummaryIntent": "Summary",
}


def label(profile: ScenarioProfile) -> str:
    """A short column heading: `Launch`, `pg SetStart`."""
    app, kind = profile.name.split(" ", 1)
    short = _LABELS.get(kind, kind[:10])
    return f"pg {short}" if app == "pg" else short


def table(profiles: Sequence[ScenarioProfile], floor: CommitFloor | None) -> str:
    """The figures as text."""
    lines = [
        f"{'scenario':<28} {'bare µs':>8} {'spine µs':>9} {'ratio':>6} {'target':>6} "
        f"{'CPU µs: bare':>13} {'spine':>6} {'ratio':>6}  top costs of Spine Coach (µs)",
    ]
    for profile in profiles:
        top = "; ".join(f"{layer} {us:.0f}" for layer, us in profile.top[:4])
        lines.append(
            f"{profile.name:<28} {profile.bare_us:8.0f} {profile.spine_us:9.0f} "
            f"{profile.ratio:5.2f}x {profile.target_ratio:5.1f}x {profile.bare_cpu_us:13.0f} "
            f"{profile.spine_cpu_us:6.0f} {profile.bare_cpu_us / profile.spine_cpu_us:5.2f}x  {top}"
        )
    lines += ["", "µs per request by layer: Spine Coach (the bare skill)"]
    lines.append(f"{'layer':<50}" + "".join(f"{label(p):>13}" for p in profiles))
    for layer in LAYERS:
        cells = "".join(
            f"{p.layers_us[layer]:7.0f} ({p.bare_layers_us[layer]:3.0f})" for p in profiles
        )
        lines.append(f"{layer:<50}{cells}")
    lines.append(
        f"{'alone: verify / json.loads / deserialize':<50}"
        + "".join(
            f"{p.isolated_us['verify']:.0f}/{p.isolated_us['json.loads']:.0f}/"
            f"{p.isolated_us['deserialize']:.0f}".rjust(13)
            for p in profiles
        )
    )
    for profile in profiles:
        counts = ", ".join(f"{name} {value:.1f}" for name, value in profile.per_request.items())
        lines.append(f"per request in {label(profile)}: {counts}")
    for profile in profiles:
        spots = "; ".join(f"{where} {us:.0f}" for _, where, us in profile.hotspots[:6])
        lines.append(f"costliest in {label(profile)}: {spots}")
    if floor is not None:
        lines.append("")
        lines.append(
            f"PostgreSQL {floor.server_settings.get('server_version', '?')} (fsync "
            f"{floor.server_settings.get('fsync', '?')}), {floor.transactions} transactions: "
            f"one round trip (SELECT 1) {floor.select_1_us:.0f} µs; BEGIN, INSERT, COMMIT "
            f"{floor.insert_commit_us:.0f} µs (synchronous_commit on); "
            f"{floor.insert_commit_async_us:.0f} µs with it off "
            "(comparison only); durable commits a second: "
            + ", ".join(f"{n} client(s) {rate:.0f}" for n, rate in floor.commits_per_s.items())
        )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.profile", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument(
        "--postgres",
        default="auto",
        metavar="URL|auto|none",
        help="the PostgreSQL server for the pg scenarios and the commit floor: 'auto' takes "
        "TEST_DATABASE_URL or the machine's, if it answers (default %(default)s)",
    )
    parser.add_argument(
        "--requests",
        type=int,
        default=DEFAULT_REQUESTS,
        help="timed requests per app and scenario, and as many sampled (default %(default)s)",
    )
    parser.add_argument(
        "--warmup", type=int, help="warm-up requests per app and scenario (default requests/5)"
    )
    parser.add_argument(
        "--scenarios",
        default="",
        metavar="WORD[,WORD...]",
        help="only the Spine Coach scenarios whose name contains one of these words",
    )
    parser.add_argument(
        "--sample-interval-us",
        type=int,
        default=SAMPLE_INTERVAL_US,
        help="mean time between samples (default %(default)s)",
    )
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT, help="the JSON (default %(default)s)"
    )
    args = parser.parse_args(argv)
    if args.requests < 1 or args.sample_interval_us < 20:
        parser.error("--requests must be at least 1 and --sample-interval-us at least 20")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Profile every chosen scenario; 0, or 2 when an app does not give the real answer."""
    args = parse_args(argv)
    words = [word.strip() for word in args.scenarios.split(",") if word.strip()]
    try:
        chosen = [s for s in select(SCENARIOS, words) if s.baseline is not None]
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    server_url = None
    if args.postgres == "auto":
        server_url = growth.postgres_server()
    elif args.postgres != "none":
        server_url = args.postgres
    if server_url is None:
        chosen = [s for s in chosen if s.database != POSTGRESQL]
    by_name = {s.name: s for s in SCENARIOS}
    warmup = args.requests // 5 if args.warmup is None else args.warmup
    started = time.monotonic()
    load_before = os.getloadavg()
    profiles: list[ScenarioProfile] = []
    floor: CommitFloor | None = None
    with tempfile.TemporaryDirectory(prefix="spine-coach-profile-") as workdir, ExitStack() as db:
        postgres_url = None
        if server_url is not None:
            from skill.devtools.databases import postgres_schema

            postgres_url = db.enter_context(postgres_schema(server_url, prefix="profile"))
        fixtures = prepare(Path(workdir), postgres_url)
        apps = {HELLO: Driven.of(HELLO, hello_skill.create())}
        apps[SPINE] = Driven.of(SPINE, spine_coach(fixtures, fixtures.database_url))
        if postgres_url is not None:
            apps[SPINE_POSTGRES] = Driven.of(SPINE_POSTGRES, spine_coach(fixtures, postgres_url))
        # As the bench's workers do once they have built their app (bench.gunicorn_settings).
        gc.freeze()
        try:
            for scenario in chosen:
                assert scenario.baseline is not None
                profile = profile_scenario(
                    scenario,
                    by_name[scenario.baseline],
                    apps[HELLO],
                    apps[scenario.app],
                    fixtures,
                    requests=args.requests,
                    warmup=warmup,
                    sample_interval_us=args.sample_interval_us,
                )
                profiles.append(profile)
                print(
                    f"  {scenario.name:<28} bare {profile.bare_us:6.0f} µs, "
                    f"spine {profile.spine_us:6.0f} µs ({profile.ratio:.2f}x)",
                    file=sys.stderr,
                    flush=True,
                )
            if postgres_url is not None:
                floor = commit_floor(postgres_url, COMMIT_FLOOR_TRANSACTIONS)
        except RuntimeError as error:
            print(f"profile failed: {error}", file=sys.stderr)
            return 2
        finally:
            gc.unfreeze()
            for driven in apps.values():
                endpoint = driven.app.extensions.get(EXTENSION)
                if endpoint is not None:
                    endpoint.engine.dispose()
    print(table(profiles, floor))
    result = {
        "settings": {
            "requests": args.requests,
            "warmup": warmup,
            "sample_interval_us": args.sample_interval_us,
            "postgres": server_url is not None,
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_before": load_before,
            "load_average_after": os.getloadavg(),
            "seconds": round(time.monotonic() - started, 1),
            "layers": list(LAYERS),
        },
        "scenarios": [{**asdict(p), "top": p.top[:4]} for p in profiles],
        "postgres_commit_floor": asdict(floor) if floor is not None else None,
    }
    args.output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
