"""Driving wrk: a Lua script that POSTs one signed body, and parsing what wrk prints."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# The same for every scenario: one wrk thread (a core of its own on a small machine) with a few
# connections keeps a worker always busy without long queues.
WRK_THREADS = 1
WRK_CONNECTIONS = 4
WARMUP_S = 2
DURATION_S = 3
ROUNDS = 6
TIMEOUT_S = 5

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_REQUESTS_PER_SECOND = re.compile(r"^Requests/sec:\s+([\d.]+)\s*$", re.MULTILINE)
_PERCENTILE = r"^\s+{}%\s+([\d.]+)(us|ms|s|m|h)\s*$"
_TOTAL = re.compile(r"^\s+(\d+) requests in ", re.MULTILINE)
_NON_2XX = re.compile(r"^\s+Non-2xx or 3xx responses:\s+(\d+)", re.MULTILINE)
_SOCKET_ERRORS = re.compile(
    r"^\s+Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", re.MULTILINE
)


class LoadError(RuntimeError):
    """wrk failed, or the run had errors that make its figures meaningless."""


@dataclass(frozen=True)
class Figures:
    """One measured run."""

    requests: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float


def wrk_path() -> str:
    """The wrk executable; `make bench` installs it."""
    path = shutil.which("wrk")
    if path is None:
        raise LoadError("wrk is not installed: run `make bench` or `apt-get install wrk`")
    return path


def write_script(path: Path, body_path: Path, headers: Mapping[str, str]) -> None:
    """A wrk Lua script that POSTs the bytes of `body_path` with `headers`."""
    lines = [
        'wrk.method = "POST"',
        f'local file = assert(io.open({_lua_string(str(body_path))}, "rb"))',
        'wrk.body = file:read("*a")',
        "file:close()",
        f'wrk.headers["Content-Type"] = {_lua_string("application/json")}',
        *(
            f"wrk.headers[{_lua_string(name)}] = {_lua_string(value)}"
            for name, value in headers.items()
        ),
    ]
    path.write_text("\n".join(lines) + "\n")


def run(
    url: str,
    script: Path,
    *,
    duration_s: int,
    threads: int = WRK_THREADS,
    connections: int = WRK_CONNECTIONS,
) -> Figures:
    """Run wrk against `url` for `duration_s`; LoadError if any request failed."""
    command = [
        wrk_path(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration_s}s",
        f"--timeout={TIMEOUT_S}s",
        "--latency",
        "-s",
        str(script),
        url,
    ]
    try:
        completed = subprocess.run(
            command, capture_output=True, text=True, timeout=duration_s + 30, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise LoadError(f"wrk did not finish: {' '.join(command)}") from error
    if completed.returncode != 0:
        raise LoadError(f"wrk failed ({completed.returncode}): {completed.stderr.strip()}")
    return parse(completed.stdout)


def parse(output: str) -> Figures:
    """Figures from wrk's --latency output; LoadError on errors or an unexpected format."""
    non_2xx = _NON_2XX.search(output)
    if non_2xx:
        raise LoadError(f"{non_2xx.group(1)} responses were not 2xx/3xx:\n{output}")
    socket_errors = _SOCKET_ERRORS.search(output)
    if socket_errors and any(int(count) for count in socket_errors.groups()):
        raise LoadError(f"socket errors during the run:\n{output}")
    rate, total = _REQUESTS_PER_SECOND.search(output), _TOTAL.search(output)
    p50 = re.search(_PERCENTILE.format(50), output, re.MULTILINE)
    p99 = re.search(_PERCENTILE.format(99), output, re.MULTILINE)
    if not (rate and total and p50 and p99):
        raise LoadError(f"unexpected wrk output:\n{output}")
    return Figures(
        requests=int(total.group(1)),
        requests_per_second=float(rate.group(1)),
        p50_ms=_to_ms(p50.group(1), p50.group(2)),
        p99_ms=_to_ms(p99.group(1), p99.group(2)),
    )


def _to_ms(value: str, unit: str) -> float:
    return float(value) * _UNITS_MS[unit]


def _lua_string(text: str) -> str:
    # JSON string escapes of printable ASCII are valid Lua; anything else would not be.
    if not text.isascii() or not text.isprintable():
        raise ValueError(f"not a plain ASCII string: {text!r}")
    return json.dumps(text)
