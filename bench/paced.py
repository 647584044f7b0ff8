"""Latency at a set request rate (open loop): each request is sent at its scheduled time and
its latency counted from then, so a slow answer cannot hide the ones queued behind it.

wrk measures the most a server can do; this measures how fast it answers at half that.
"""

from __future__ import annotations

import http.client
import statistics
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

P99_TARGET_MS = 25.0
CLIENT_THREADS = 8


@dataclass(frozen=True)
class PacedFigures:
    """One paced run."""

    rate_per_s: float
    sent: int
    failed: int
    p50_ms: float
    p99_ms: float
    target_p99_ms: float = P99_TARGET_MS

    @property
    def passed(self) -> bool:
        """p99 within the target, and no failures."""
        return self.failed == 0 and self.p99_ms <= self.target_p99_ms


def run(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    rate_per_s: float,
    duration_s: float,
    threads: int = CLIENT_THREADS,
) -> PacedFigures:
    """POST `body` to `url` at `rate_per_s` for `duration_s`, from `threads` keep-alive clients."""
    parts = urlsplit(url)
    total = max(1, int(rate_per_s * duration_s))
    interval = 1.0 / rate_per_s
    start = time.perf_counter() + 0.2
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    all_headers = {"Content-Type": "application/json", **headers}

    def client(offset: int) -> None:
        connection = http.client.HTTPConnection(
            parts.hostname or "127.0.0.1", parts.port, timeout=10
        )
        mine: list[float] = []
        failed = 0
        try:
            for index in range(offset, total, threads):
                scheduled = start + index * interval
                delay = scheduled - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                try:
                    connection.request("POST", parts.path, body=body, headers=all_headers)
                    response = connection.getresponse()
                    response.read()
                    if response.status != 200:
                        failed += 1
                except OSError:
                    failed += 1
                    connection.close()
                mine.append((time.perf_counter() - scheduled) * 1000)
        finally:
            connection.close()
        with lock:
            latencies.extend(mine)
            failures[0] += failed

    workers = [threading.Thread(target=client, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    ordered = sorted(latencies)
    p99 = ordered[max(0, int(len(ordered) * 0.99) - 1)]
    return PacedFigures(rate_per_s, len(ordered), failures[0], statistics.median(ordered), p99)
