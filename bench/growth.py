"""Growth: the spoken summary and the caregiver dashboard with 1k to 1M adherence rows.

The rows are spread over 1,000 patients and the last 120 days, with a pain score for one set
in ten, and a check-in a day over the last 30 days for every patient. One patient's summary
(ProgressSummaryIntent through /alexa) and dashboard (GET /care with a caregiver session) are
timed at each size, on SQLite and on PostgreSQL; the target is the 1M case within 2x of the 1k
case (indexes, no full scans). All sizes of one database are seeded first and then timed in
turns, so the machine's own ups and downs fall on every size alike.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from skill import create_app
from skill.alexa.endpoint import EXTENSION
from skill.devtools import envelopes
from skill.devtools.databases import postgres_schema
from skill.devtools.simulator.local_api import LocalAlexaApi
from skill.store.caregivers import CaregiverAccess
from skill.store.engine import make_engine, upgrade
from skill.web.care import COOKIE

SIZES = (1_000, 10_000, 100_000, 1_000_000)
PATIENTS = 1_000
DAYS = 120
TARGET = 2.0
CHECK_IN_DAYS = 30
EXERCISES = ("knee_presses", "knee_lifts", "bridges")
SECRET = "bench-growth-secret-key-0123456789abcdef"
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def patient(index: int) -> str:
    """The user id of patient `index` (patient 0 is the one measured)."""
    return envelopes.DEFAULT_USER if index == 0 else f"amzn1.ask.account.GROWTH{index:05d}"


@dataclass(frozen=True)
class Timing:
    """One size on one database: median and p90 of the summary and dashboard, in ms."""

    database: str
    rows: int
    summary_ms: float
    summary_p90_ms: float
    dashboard_ms: float
    dashboard_p90_ms: float
    seed_s: float


def _set_rows(count: int) -> Iterator[tuple[Any, ...]]:
    for n in range(count):
        user = patient(n % PATIENTS)
        ended = NOW - timedelta(minutes=(n // PATIENTS) * (DAYS * 24 * 60 * PATIENTS // count))
        yield (
            f"g{n:08d}",
            user,
            EXERCISES[n % 3],
            "normal",
            "self_report",
            "complete",
            ended,
            ended,
            10,
            10,
            (n % 11) if (n // PATIENTS) % 10 == 0 else None,  # every tenth set of each patient
            "",
            None,
            None,
        )


def seed(url: str, count: int) -> None:
    """Patients, `count` sets, a pain score on every tenth set, a check-in a day for 30 days."""
    engine = make_engine(url)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        postgres = engine.dialect.name == "postgresql"
        mark = "%s" if postgres else "?"

        def many(sql: str, rows: Iterator[tuple[Any, ...]] | list[tuple[Any, ...]]) -> None:
            cursor.executemany(sql.replace("?", mark), list(rows))

        surgery = date(2026, 8, 1)
        many(
            "INSERT INTO patients (user_id, surgery_date, time_zone, locale, preferences, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (patient(i), surgery, "America/New_York", "en-US", "{}", NOW, NOW)
                for i in range(PATIENTS)
            ],
        )
        batch: list[tuple[Any, ...]] = []
        for row in _set_rows(count):
            batch.append(row)
            if len(batch) == 50_000:
                many(_INSERT_SET, batch)
                batch.clear()
        if batch:
            many(_INSERT_SET, batch)
        many(
            "INSERT INTO pain_reports (user_id, reported_at, score, set_id) VALUES (?, ?, ?, ?)",
            [(row[1], row[7], row[10], row[0]) for row in _set_rows(count) if row[10] is not None],
        )
        days = CHECK_IN_DAYS  # the same at every size: the rows that grow are the sets
        many(
            "INSERT INTO check_ins (user_id, checked_at, pain, walk_minutes, sitting_minutes, "
            "worried, alerts) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (patient(i), NOW - timedelta(days=d, hours=3), 3, 20, 15, False, "")
                for i in range(PATIENTS)
                for d in range(days)
            ],
        )
        raw.commit()
        if postgres:
            # After a bulk load, what autovacuum does in time: statistics, and the visibility
            # map that lets a covering index answer without reading the table.
            raw.driver_connection.autocommit = True  # type: ignore[union-attr]
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")
            raw.commit()
    finally:
        raw.close()
        engine.dispose()


_INSERT_SET = (
    "INSERT INTO exercise_sets (set_id, user_id, exercise_id, pace, delivery, outcome, "
    "started_at, ended_at, repetitions_done, repetitions_target, pain_score, up_next, follows, "
    "stream) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _median_p90(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.9) - 1]


@dataclass
class _Views:
    """One seeded database's two views, ready to time."""

    summary: Callable[[], None]
    dashboard: Callable[[], None]
    close: Callable[[], None]


def _views(url: str) -> _Views:
    """The measured patient's summary (through /alexa) and dashboard (GET /care)."""
    app = create_app(
        {
            "DATABASE_URL": url,
            "VERIFY_REQUESTS": False,
            "SECRET_KEY": SECRET,
            "CLOCK": lambda: NOW,
            "ALEXA_API_CLIENT": LocalAlexaApi("America/New_York"),
        }
    )
    engine = app.extensions[EXTENSION].engine
    client = app.test_client()
    body = envelopes.intent("ProgressSummaryIntent", at=NOW, new_session=True)

    def summary() -> None:
        response = client.post("/alexa", json=body)
        if b"This week," not in response.data:
            raise RuntimeError(f"unexpected summary: {response.data[:200]!r}")

    token = CaregiverAccess(engine, SECRET.encode()).open_session(patient(0), at=NOW)
    client.set_cookie(COOKIE, token, path="/care")

    def dashboard() -> None:
        response = client.get("/care")
        if response.status_code != 200 or b"sets-chart" not in response.data:
            raise RuntimeError(f"unexpected dashboard: {response.status_code}")

    summary()  # warm caches and the connection pool
    dashboard()
    return _Views(summary, dashboard, engine.dispose)


def _interleaved(calls: list[Callable[[], None]], runs: int) -> list[list[float]]:
    """Each call's times in ms, taken in turns (the order rotating every round), so a machine
    that slows down for a while slows every size alike."""
    samples: list[list[float]] = [[] for _ in calls]
    for round_number in range(runs):
        shift = round_number % len(calls)
        for index in [*range(shift, len(calls)), *range(shift)]:
            started = time.perf_counter()
            calls[index]()
            samples[index].append((time.perf_counter() - started) * 1000)
    return samples


def measure(database: str, urls: dict[int, str], runs: int = 60) -> list[Timing]:
    """Seed each size into its empty database and time one patient's views, all sizes in
    turns."""
    seeded: dict[int, float] = {}
    views: dict[int, _Views] = {}
    try:
        for count, url in urls.items():
            started = time.monotonic()
            seed(url, count)
            seeded[count] = time.monotonic() - started
            views[count] = _views(url)
        sizes = list(views)
        summaries = _interleaved([views[size].summary for size in sizes], runs)
        dashboards = _interleaved([views[size].dashboard for size in sizes], runs)
    finally:
        for view in views.values():
            view.close()
    timings = []
    for size, summary_samples, dashboard_samples in zip(sizes, summaries, dashboards, strict=True):
        summary_ms, summary_p90 = _median_p90(summary_samples)
        dashboard_ms, dashboard_p90 = _median_p90(dashboard_samples)
        timings.append(
            Timing(
                database, size, summary_ms, summary_p90, dashboard_ms, dashboard_p90, seeded[size]
            )
        )
    return timings


DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_server() -> str | None:
    """TEST_DATABASE_URL, else the machine's PostgreSQL, if it answers; None (and a note)."""
    url = os.environ.get("TEST_DATABASE_URL") or DEFAULT_POSTGRES
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:
        print(
            f"  growth: no PostgreSQL at {url} ({type(error).__name__}); SQLite only",
            file=sys.stderr,
        )
        return None
    finally:
        engine.dispose()
    return url


@contextmanager
def sqlite_database(workdir: Path) -> Iterator[str]:
    """A fresh migrated SQLite file."""
    url = f"sqlite:///{workdir / f'growth-{uuid.uuid4().hex[:8]}.sqlite3'}"
    upgrade(url)
    yield url


def postgres_database(server_url: str) -> AbstractContextManager[str]:
    """A fresh migrated schema on the PostgreSQL server, dropped afterwards."""
    return postgres_schema(server_url, prefix="growth")


def run(workdir: Path, postgres_url: str | None, sizes: tuple[int, ...] = SIZES) -> list[Timing]:
    """Every size on SQLite, and on PostgreSQL when its URL is given."""
    timings = []
    databases: list[tuple[str, Callable[[], Any]]] = [("sqlite", lambda: sqlite_database(workdir))]
    if postgres_url:
        databases.append(("postgresql", lambda: postgres_database(postgres_url)))
    for name, make in databases:
        with ExitStack() as stack:
            urls = {size: stack.enter_context(make()) for size in sizes}
            measured = measure(name, urls)
        for timing in measured:
            print(
                f"  growth {name:<10} {timing.rows:>9,} rows: summary {timing.summary_ms:6.1f} ms, "
                f"dashboard {timing.dashboard_ms:6.1f} ms (seeded in {timing.seed_s:.0f} s)",
                file=sys.stderr,
                flush=True,
            )
        timings.extend(measured)
    return timings


def verdicts(timings: list[Timing]) -> list[dict[str, Any]]:
    """Per database and view: the largest size's median against the smallest's."""
    result = []
    for database in sorted({t.database for t in timings}):
        mine = sorted((t for t in timings if t.database == database), key=lambda t: t.rows)
        small, large = mine[0], mine[-1]
        for view in ("summary", "dashboard"):
            ratio = getattr(large, f"{view}_ms") / getattr(small, f"{view}_ms")
            result.append(
                {
                    "database": database,
                    "view": view,
                    "rows": [small.rows, large.rows],
                    "ratio": round(ratio, 2),
                    "target": TARGET,
                    "passed": ratio <= TARGET,
                }
            )
    return result


def table(timings: list[Timing]) -> str:
    """The growth figures for people."""
    lines = [
        "growth (one patient of 1,000; median ms)",
        f"{'database':<11}{'rows':>11}{'summary':>10}{'dashboard':>11}",
    ]
    for t in timings:
        lines.append(f"{t.database:<11}{t.rows:>11,}{t.summary_ms:>10.1f}{t.dashboard_ms:>11.1f}")
    for verdict in verdicts(timings):
        mark = "ok" if verdict["passed"] else "MISSED"
        lines.append(
            f"  {verdict['database']} {verdict['view']}: {verdict['rows'][1]:,} vs "
            f"{verdict['rows'][0]:,} rows = {verdict['ratio']:.2f}x (target <= {TARGET}x) {mark}"
        )
    return "\n".join(lines)


def as_json(timings: list[Timing]) -> dict[str, Any]:
    """For results.json."""
    return {"timings": [asdict(t) for t in timings], "verdicts": verdicts(timings)}
