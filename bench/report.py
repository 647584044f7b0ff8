"""The results: a table for people and bench/results.json for machines."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.load import Figures
from bench.scenarios import TARGET_RATIOS, Scenario

RESULTS_PATH = Path(__file__).resolve().parent / "results.json"
_PACKAGES = ("gunicorn", "Flask", "Werkzeug", "ask-sdk-core", "cryptography", "SQLAlchemy")


@dataclass(frozen=True)
class Row:
    """One scenario: medians over its rounds and, against its baseline, the throughput ratio.

    The ratio is the median of per-round ratios: each round measures the baseline right before
    and right after the scenario and compares the scenario with their mean, so the machine's
    own ups and downs (and load elsewhere on it) affect both sides alike.
    """

    scenario: str
    app: str
    database: str | None
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    baseline: str | None
    ratio: float | None
    ratio_min: float | None
    ratio_max: float | None
    target_ratio: float | None
    passed: bool | None
    rounds: list[Figures]


def rows(scenarios: Sequence[Scenario], figures: Mapping[str, Sequence[Figures]]) -> list[Row]:
    """A row per scenario, in the order given; `figures` holds each scenario's rounds."""
    result = []
    for scenario in scenarios:
        rounds = list(figures[scenario.name])
        ratio = ratio_min = ratio_max = passed = None
        if scenario.baseline is not None:
            # The baseline ran before and after the scenario in every round: two per round.
            theirs = figures[scenario.baseline]
            if len(theirs) != 2 * len(rounds):
                raise ValueError(f"{scenario.baseline} was not measured around {scenario.name}")
            ratios = [
                mine.requests_per_second
                / statistics.fmean(t.requests_per_second for t in theirs[2 * i : 2 * i + 2])
                for i, mine in enumerate(rounds)
            ]
            ratio, ratio_min, ratio_max = statistics.median(ratios), min(ratios), max(ratios)
            if scenario.target_ratio is not None:
                passed = ratio >= scenario.target_ratio
        result.append(
            Row(
                scenario=scenario.name,
                app=scenario.app,
                database=scenario.database,
                requests_per_second=statistics.median(r.requests_per_second for r in rounds),
                p50_ms=statistics.median(r.p50_ms for r in rounds),
                p99_ms=statistics.median(r.p99_ms for r in rounds),
                baseline=scenario.baseline,
                ratio=ratio,
                ratio_min=ratio_min,
                ratio_max=ratio_max,
                target_ratio=scenario.target_ratio,
                passed=passed,
                rounds=rounds,
            )
        )
    return result


def table(result: Sequence[Row]) -> str:
    """A plain-text table, one line per scenario (medians over rounds)."""
    header = (
        f"{'scenario':<28} {'database':<10} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'vs hello':>8} {'(range)':>11} {'target':>7}"
    )
    lines = [header, "-" * len(header)]
    for row in result:
        ratio = spread = target = verdict = ""
        if row.ratio is not None and row.ratio_min is not None and row.ratio_max is not None:
            ratio = f"{row.ratio:.2f}x"
            spread = f"{row.ratio_min:.2f}-{row.ratio_max:.2f}"
        if row.target_ratio is not None:
            target = f">={row.target_ratio:.1f}x"
            verdict = "PASS" if row.passed else "FAIL"
        lines.append(
            f"{row.scenario:<28} {row.database or '':<10} {row.requests_per_second:>8.1f} "
            f"{row.p50_ms:>7.2f} {row.p99_ms:>7.2f} {ratio:>8} {spread:>11} {target:>7}  {verdict}"
        )
    return "\n".join(lines)


def write(path: Path, result: Sequence[Row], settings: Mapping[str, Any]) -> None:
    """Write the figures with the date, machine and settings they were measured with."""
    document = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": dict(settings),
        "target_ratios": TARGET_RATIOS,
        "scenarios": [asdict(row) for row in result],
    }
    path.write_text(json.dumps(document, indent=2) + "\n")


def machine() -> dict[str, Any]:
    """What the figures depend on besides the code."""
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "packages": {name: _version(name) for name in _PACKAGES},
        "wrk": _wrk_version(),
    }


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _wrk_version() -> str | None:
    try:
        completed = subprocess.run(
            ["wrk", "--version"], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    first_line = (completed.stdout or completed.stderr).splitlines()[:1]
    return first_line[0].strip() if first_line else None
