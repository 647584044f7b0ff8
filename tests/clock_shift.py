"""The clock moved years ahead: proof that no test leans on the day the suite runs.

`pytest --clock-shift-days N` runs every test with the wall clock (`datetime.now`, `date.today`,
`time.time`) moved N days ahead by time-machine, still ticking. A test that sets its own clock
(a fixed `NOW`, a script's `now:`, `chat --today`) means the same in that run; a test that
reads today's date without saying so answers differently and fails. Processes a test starts
are given the moved day explicitly (`today()`), since time-machine reaches this process only.

`make test` runs the tests marked `date_sensitive` twice more this way (400 and 800 days ahead).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

OPTION = "--clock-shift-days"
MARKER = "date_sensitive"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        OPTION,
        type=int,
        default=0,
        metavar="DAYS",
        help="run every test with the wall clock moved DAYS days ahead (time-machine)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}: reads calendar dates; `make test` runs it again with the clock moved ahead",
    )


def pytest_report_header(config: pytest.Config) -> str | None:
    days = config.getoption(OPTION)
    if not days:
        return None
    return f"clock moved {days} days ahead: today is {date.today() + timedelta(days=days)}"


@pytest.fixture(autouse=True)
def shifted_clock(request: pytest.FixtureRequest) -> Iterator[int]:
    """The days the wall clock is moved ahead for this test (0: not moved)."""
    days: int = request.config.getoption(OPTION)
    if not days:
        yield 0
        return
    with time_machine.travel(datetime.now(UTC) + timedelta(days=days), tick=True):
        yield days


def today() -> date:
    """Today as this test process sees it (moved ahead in a shifted run): give it to processes."""
    return date.today()
