"""Slow clients (issue 15): `serve --production` keeps answering `/healthz` while 200
connections trickle their headers or bodies a byte at a time, and closes them after its
request read timeout.

Run for real: the production server as a process on a free loopback port, raw sockets for
the slow clients, urllib for the probes.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from skill.production import REQUEST_READ_TIMEOUT_S
from tests.web.test_production import SPINE_COACH, environment, free_port, run

pytestmark = pytest.mark.slow

SLOW_CLIENTS = 200
TRICKLE_EVERY_S = 2.0
PROBE_FOR_S = 8.0
WORST_ALLOWED_S = 1.0


@contextlib.contextmanager
def production_server(tmp_path: Path) -> Iterator[str]:
    env = environment(tmp_path, SPINE_COACH_VERIFY_REQUESTS="0")
    migrated = run(["db", "upgrade"], env)
    assert migrated.returncode == 0, migrated.stderr
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [
        *SPINE_COACH, "serve", "--production", "--port", str(port), "--workers", "2",
        "--insecure-local",
    ]  # fmt: skip
    err_path = tmp_path / "stderr.log"
    with err_path.open("w") as err:
        process = subprocess.Popen(command, env=env, stdout=err, stderr=err)
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
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def slow_request(kind: str, index: int) -> tuple[bytes, bytes]:
    """What a slow client sends at once, then what it trickles a byte at a time."""
    if kind == "headers":  # headers never finished
        return b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n", b"X-Slow: " + b"a" * 1000
    body = b'{"version": "1.0", "request": {"type": "LaunchRequest"}}' * 20
    head = (
        f"POST /alexa HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body) + 1000}\r\n\r\n"  # a declared body never finished
    ).encode()
    return head, body


class SlowClients:
    """`count` sockets, half trickling headers and half bodies, a byte each every few
    seconds from one thread; records when the server closed each."""

    def __init__(self, base: str, count: int) -> None:
        port = int(base.rsplit(":", 1)[1])
        self.sockets: list[socket.socket] = []
        self.pending: list[bytes] = []
        self.closed_at: dict[int, float] = {}
        self.opened: list[float] = []
        for index in range(count):
            kind = "headers" if index % 2 else "body"
            head, rest = slow_request(kind, index)
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(head)
            self.opened.append(time.monotonic())
            self.sockets.append(sock)
            self.pending.append(rest)
        self.opened_at = time.monotonic()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.trickle, daemon=True)
        self.thread.start()

    def trickle(self) -> None:
        while not self.stop.wait(TRICKLE_EVERY_S):
            for index, sock in enumerate(self.sockets):
                if index in self.closed_at or not self.pending[index]:
                    continue
                try:
                    sock.sendall(self.pending[index][:1])
                    self.pending[index] = self.pending[index][1:]
                except OSError:
                    self.closed_at[index] = time.monotonic()
            for index, sock in enumerate(self.sockets):
                if index not in self.closed_at and self.closed_by_server(sock):
                    self.closed_at[index] = time.monotonic()

    @staticmethod
    def closed_by_server(sock: socket.socket) -> bool:
        """Whether the server closed its end (EOF, a reset, or any answer before closing)."""
        sock.setblocking(False)
        try:
            sock.recv(65536)  # b"" at EOF; an error page before closing counts too
            return True
        except BlockingIOError:
            return False
        except OSError:
            return True
        finally:
            sock.setblocking(True)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(10)
        for sock in self.sockets:
            sock.close()


def probe_latencies(base: str, seconds: float) -> list[float]:
    latencies = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
                assert response.status == 200
            latencies.append(time.monotonic() - started)
        except OSError:
            latencies.append(float("inf"))
        time.sleep(0.2)
    return latencies


def test_health_probes_stay_fast_while_200_slow_clients_hold_connections_then_they_are_closed(
    tmp_path: Path,
) -> None:
    with production_server(tmp_path) as base:
        clients = SlowClients(base, SLOW_CLIENTS)
        try:
            latencies = probe_latencies(base, PROBE_FOR_S)
            worst = max(latencies)
            print(
                f"\n/healthz under {SLOW_CLIENTS} slow clients: worst {worst * 1000:.0f} ms "
                f"over {len(latencies)} probes"
            )
            assert worst < WORST_ALLOWED_S, latencies
            # The server closes every slow connection once its read timeout has passed.
            deadline = clients.opened_at + REQUEST_READ_TIMEOUT_S + 2 * TRICKLE_EVERY_S + 3
            while len(clients.closed_at) < SLOW_CLIENTS and time.monotonic() < deadline:
                time.sleep(0.5)
            assert len(clients.closed_at) == SLOW_CLIENTS
            latest = max(clients.closed_at.values()) - clients.opened_at
            print(f"all {SLOW_CLIENTS} closed by the server within {latest:.1f} s")
            # Not before the timeout: a slow but honest client gets its read timeout.
            earliest = min(at - clients.opened[index] for index, at in clients.closed_at.items())
            assert earliest >= REQUEST_READ_TIMEOUT_S - 1
            # Still answering afterwards.
            assert max(probe_latencies(base, 1.0)) < WORST_ALLOWED_S
        finally:
            clients.close()
