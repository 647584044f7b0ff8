"""Serving a WSGI app with gunicorn on a free 127.0.0.1 port, and always stopping it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from skill.config import ENV_PREFIX

HOST = "127.0.0.1"
REPO_ROOT = Path(__file__).resolve().parent.parent
# One worker with one thread by default: on a small machine that leaves a core to wrk, and it
# is stable. With several gthread workers, wrk's keep-alive connections are all accepted by
# whichever worker wakes first (seen: 16 of 16 in one worker), so runs differ by up to 2x;
# more threads in one worker only add GIL contention. Whatever is chosen, both apps get it.
DEFAULT_WORKERS = 1
DEFAULT_THREADS = 1
# gunicorn's gthread by default; production serves with skill.production.WaitressWorker
# (`python -m bench --worker-class production`), which imports the skill into both apps' workers.
WORKER_CLASSES = {"gthread": "gthread", "production": "skill.production.WaitressWorker"}
DEFAULT_WORKER_CLASS = "gthread"
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0


class ServerError(RuntimeError):
    """gunicorn did not come up; the message carries the end of its log."""


# The gunicorn master's pid of each base URL being served (to read its workers' memory).
MASTERS: dict[str, int] = {}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def options(
    *,
    workers: int = DEFAULT_WORKERS,
    threads: int = DEFAULT_THREADS,
    worker_class: str = DEFAULT_WORKER_CLASS,
) -> tuple[str, ...]:
    """The gunicorn options every app is served with (`worker_class`: a WORKER_CLASSES key)."""
    return (
        # Production's worker hook, for both apps alike (bench/gunicorn_settings.py).
        "--config",
        "python:bench.gunicorn_settings",
        "--workers",
        str(workers),
        "--worker-class",
        WORKER_CLASSES[worker_class],
        "--threads",
        str(threads),
        "--keep-alive",
        "5",
        "--log-level",
        "warning",
    )


@contextmanager
def gunicorn(
    app: str, *, gunicorn_options: Sequence[str], env: Mapping[str, str], log_path: Path
) -> Iterator[str]:
    """Serve `app` ("module:factory()"); yields the base URL once /healthz answers."""
    port = free_port()
    command: Sequence[str] = (
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"{HOST}:{port}",
        "--chdir",
        str(REPO_ROOT),
        "--no-control-socket",  # gunicorn 27 would make one in $HOME
        *gunicorn_options,
        app,
    )
    base_url = f"http://{HOST}:{port}"
    # The app's settings come from the benchmark alone, not from SPINE_COACH_* in this shell.
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(f"{ENV_PREFIX}_")}
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            command, env={**inherited, **env}, stdout=log_file, stderr=subprocess.STDOUT
        )
        try:
            _wait_healthy(process, base_url, log_path)
            MASTERS[base_url] = process.pid
            yield base_url
        finally:
            MASTERS.pop(base_url, None)
            _stop(process)


def _wait_healthy(process: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerError(f"gunicorn exited with {process.returncode}:\n{_tail(log_path)}")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.1)
    raise ServerError(
        f"gunicorn did not answer /healthz in {START_TIMEOUT_S:.0f} s:\n{_tail(log_path)}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _tail(log_path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
