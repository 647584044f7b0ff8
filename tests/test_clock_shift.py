"""The clock-shift run catches a test that leans on today's date, today, not months from now."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

# Runs pytest three times, each in a process: not in `make test-fast`.
pytestmark = pytest.mark.slow

REPOSITORY = Path(__file__).resolve().parents[1]


def _write_suite(folder: Path) -> Path:
    """Four tests as a developer might write them on the day this runs."""
    written = date.today()
    ago = written - timedelta(days=21)
    (folder / "pytest.ini").write_text("[pytest]\n")
    test_file = folder / "test_written_today.py"
    test_file.write_text(
        f"""
from datetime import date, timedelta

from skill.recovery.timeline import elapsed


def test_bound_to_the_day_it_was_written():
    # "three weeks ago", written down as the date it was on the day this test was written
    assert elapsed(date({ago.year}, {ago.month}, {ago.day}), date.today()).weeks == 3


def test_with_its_own_clock():
    assert elapsed(date(2026, 10, 21), date(2026, 11, 20)).weeks == 4


def test_relative_to_today():
    assert elapsed(date.today() - timedelta(days=21), date.today()).weeks == 3


def test_the_clock_is_moved(shifted_clock):
    written = date({written.year}, {written.month}, {written.day})
    assert date.today() - written >= timedelta(days=shifted_clock - 1)
"""
    )
    return test_file


def _pytest(folder: Path, *options: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    return subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-p", "tests.clock_shift", "-p", "no:cacheprovider"),
            *("-c", str(folder / "pytest.ini"), "--rootdir", str(folder), *options),
            str(folder / "test_written_today.py"),
        ],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_test_bound_to_todays_date_passes_today_and_fails_with_the_clock_moved(
    tmp_path: Path,
) -> None:
    _write_suite(tmp_path)

    today = _pytest(tmp_path)
    assert today.returncode == 0, today.stdout + today.stderr
    assert "4 passed" in today.stdout

    for days in ("400", "800"):
        moved = _pytest(tmp_path, "--clock-shift-days", days)
        assert moved.returncode == 1, moved.stdout + moved.stderr
        assert "1 failed, 3 passed" in moved.stdout
        assert "FAILED test_written_today.py::test_bound_to_the_day_it_was_written" in moved.stdout
        assert f"clock moved {days} days ahead" in moved.stdout
