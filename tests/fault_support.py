"""Helpers for tests/test_faults.py: a TCP proxy that can cut the database off, and the worker
process that writes for one patient (run with multiprocessing's spawn, so it lives here, in a
module a fresh interpreter can import)."""

from __future__ import annotations

import logging
import random
import selectors
import socket
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any

from skill.content.plan import Pace
from skill.devtools import envelopes

PATIENT = "amzn1.ask.account.TWOPROCESSES"
APOLOGY = "Sorry, something went wrong"
# Friday 20 November 2026, 10:00 in New York: tests/conftest.py's NOW (not imported from there,
# which would load the browser fixtures into every worker process).
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


class TcpProxy:
    """Forwards 127.0.0.1:`port` to `target`, from one background thread.

    `stop()` closes the listening socket and every connection through it (both sides), as a
    database host that goes away would; `start()` listens again on the same port.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self.port = 0  # chosen by the OS on the first start, then kept
        self.connections = 0  # connections accepted and forwarded, over all starts
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the proxy is already running")
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind(("127.0.0.1", self.port))
            listener.listen(64)
        except OSError:
            listener.close()
            raise
        self.port = listener.getsockname()[1]
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._serve, args=(listener,), name=f"TcpProxy :{self.port}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Close everything; returns once the port is free and no connection is left open."""
        if self._thread is None:
            return
        self._stopping.set()
        self._thread.join()
        self._thread = None

    def _serve(self, listener: socket.socket) -> None:
        selector = selectors.DefaultSelector()
        peers: dict[socket.socket, socket.socket] = {}
        selector.register(listener, selectors.EVENT_READ)
        try:
            while not self._stopping.is_set():
                for key, _ in selector.select(timeout=0.02):
                    sock = key.fileobj
                    assert isinstance(sock, socket.socket)
                    if sock is listener:
                        self._accept(listener, selector, peers)
                    elif sock in peers:
                        self._forward(sock, selector, peers)
        finally:
            for sock in list(peers):
                selector.unregister(sock)
                sock.close()
            selector.unregister(listener)
            listener.close()
            selector.close()

    def _accept(
        self,
        listener: socket.socket,
        selector: selectors.BaseSelector,
        peers: dict[socket.socket, socket.socket],
    ) -> None:
        client, _ = listener.accept()
        try:
            upstream = socket.create_connection(self._target, timeout=5)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        peers[client], peers[upstream] = upstream, client
        selector.register(client, selectors.EVENT_READ)
        selector.register(upstream, selectors.EVENT_READ)
        self.connections += 1

    @staticmethod
    def _forward(
        sock: socket.socket,
        selector: selectors.BaseSelector,
        peers: dict[socket.socket, socket.socket],
    ) -> None:
        peer = peers[sock]
        try:
            data = sock.recv(65536)
            if data:
                peer.sendall(data)
                return
        except OSError:
            pass
        for end in (sock, peer):  # one side closed or failed: close the pair
            selector.unregister(end)
            del peers[end]
            end.close()


def log_exercise_body(request_id: str) -> dict[str, Any]:
    """'I did my bridges', from PATIENT, with this request id."""
    slot = envelopes.slot("exercise", "bridges", resolved_id="bridges", authority="EXERCISE")
    body = envelopes.intent("LogExerciseIntent", {"exercise": slot}, at=NOW, user_id=PATIENT)
    body["request"]["requestId"] = f"amzn1.echo-api.request.{request_id}"
    return body


def write_for_one_patient(
    config: dict[str, Any],
    worker: int,
    request_ids: list[str],
    start_every: int,
    barrier: Barrier,
    results: Queue[dict[str, Any]],
) -> None:
    """A worker process: its own app and engine; logs a set per request id over HTTP (the
    Flask test client), and every `start_every` requests starts a set for PATIENT, finishing
    every other one it starts. Ends with a start. Puts what it saw on `results`."""
    logging.getLogger("skill").setLevel(logging.ERROR)  # no "verification is off" banner
    from skill import create_app
    from skill.alexa.endpoint import EXTENSION
    from skill.devtools.simulator.local_api import LocalAlexaApi
    from skill.store.exercise_log import Delivery, ExerciseLog, Outcome

    app = create_app({**config, "ALEXA_API_CLIENT": LocalAlexaApi("America/New_York")})
    engine = app.extensions[EXTENSION].engine
    exercise_log = ExerciseLog(engine)
    client = app.test_client()
    statuses: Counter[str] = Counter()
    started: list[str] = []
    finished: dict[str, bool] = {}
    ids = list(request_ids)
    random.Random(worker).shuffle(ids)
    moment = NOW

    def start() -> str:
        exercise_set = exercise_log.start(
            PATIENT,
            "bridges",
            pace=Pace.NORMAL,
            delivery=Delivery.SPEECH,
            target=10,
            at=moment,
        )
        started.append(exercise_set.set_id)
        return exercise_set.set_id

    try:
        barrier.wait(timeout=60)
        for number, request_id in enumerate(ids):
            response = client.post("/alexa", json=log_exercise_body(request_id))
            ssml = (response.get_json(silent=True) or {}).get("response", {}).get("outputSpeech")
            if response.status_code != 200:
                statuses[f"HTTP {response.status_code}"] += 1
            elif ssml is None or APOLOGY in ssml.get("ssml", ""):
                statuses["apology"] += 1
            else:
                statuses["logged"] += 1
            if number % start_every == 0:
                moment += timedelta(seconds=1)
                set_id = start()
                if len(started) % 2 == 0:
                    finished[set_id] = exercise_log.finish(set_id, Outcome.COMPLETE, at=moment)
        moment += timedelta(seconds=1)
        start()
    finally:
        engine.dispose()
    results.put(
        {"worker": worker, "statuses": dict(statuses), "started": started, "finished": finished}
    )
