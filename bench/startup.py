"""Cold start (import and app creation, in a fresh interpreter) and memory per worker."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

COLD_START_TARGET_S = 1.0
_PROGRAM = """
import time
started = time.perf_counter()
from skill import create_app
app = create_app({{"DATABASE_URL": {url!r}, "VERIFY_REQUESTS": False,
                  "SECRET_KEY": "bench-cold-start-secret-key-0123456789"}})
print(time.perf_counter() - started)
app.extensions["spine_coach"].engine.dispose()
"""


@dataclass(frozen=True)
class ColdStart:
    """Seconds from the first import to a built app, median and worst of `runs`."""

    median_s: float
    worst_s: float
    runs: int
    target_s: float = COLD_START_TARGET_S

    @property
    def passed(self) -> bool:
        """Whether the median is under the target."""
        return self.median_s < self.target_s


def cold_start(workdir: Path, runs: int = 5) -> ColdStart:
    """Import skill and call create_app in fresh interpreters, with the bytecode cached as
    in a deployment (pip compiles installed packages; a shell with PYTHONDONTWRITEBYTECODE
    set would otherwise have the skill's own modules compiled again in every run)."""
    url = f"sqlite:///{workdir / 'cold.sqlite3'}"
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    times = []
    for _ in range(runs + 1):  # the first run writes the bytecode cache; it is not counted
        result = subprocess.run(
            [sys.executable, "-c", _PROGRAM.format(url=url)],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
            env=env,
        )
        times.append(float(result.stdout.strip().splitlines()[-1]))
    counted = times[1:]
    return ColdStart(statistics.median(counted), max(counted), runs)


def _parent(pid: int) -> int | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1])


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def worker_memory_mb(master_pid: int) -> list[float]:
    """Resident memory of each worker of a gunicorn master, in MiB (Linux /proc)."""
    workers = [
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and _parent(int(entry.name)) == master_pid
    ]
    return [round(_rss_mb(pid), 1) for pid in sorted(workers)]
