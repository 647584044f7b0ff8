"""Replays refused: a request id is taken once until its window passes, on SQLite and
PostgreSQL, also when two workers are given the same request at the same moment."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, select

from skill.store.seen_requests import SeenRequests
from skill.store.tables import SEEN_REQUESTS

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
WINDOW = timedelta(seconds=150)


def _rows(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(SEEN_REQUESTS)).scalar_one())


def test_a_request_id_is_taken_once(engine: Engine) -> None:
    seen = SeenRequests(engine)
    assert seen.first_time("amzn1.echo-api.request.1", now=NOW, until=NOW + WINDOW)
    assert not seen.first_time("amzn1.echo-api.request.1", now=NOW, until=NOW + WINDOW)
    assert seen.first_time("amzn1.echo-api.request.2", now=NOW, until=NOW + WINDOW)
    # Another instance, the same database: the replay is refused there too.
    assert not SeenRequests(engine).first_time(
        "amzn1.echo-api.request.2", now=NOW, until=NOW + WINDOW
    )


def test_expired_ids_are_forgotten(engine: Engine) -> None:
    seen = SeenRequests(engine)
    seen.first_time("old", now=NOW, until=NOW + WINDOW)
    seen.first_time("fresh", now=NOW, until=NOW + timedelta(hours=1))
    assert seen.forget_expired(NOW + timedelta(minutes=5)) == 1
    assert _rows(engine) == 1
    assert not seen.first_time("fresh", now=NOW, until=NOW + WINDOW)


def test_the_same_request_at_once_on_many_threads_is_taken_by_one(engine: Engine) -> None:
    seen = SeenRequests(engine)
    results: list[bool] = []
    start = threading.Barrier(8)

    def take() -> None:
        start.wait()
        results.append(seen.first_time("amzn1.echo-api.request.X", now=NOW, until=NOW + WINDOW))

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [False] * 7 + [True]
