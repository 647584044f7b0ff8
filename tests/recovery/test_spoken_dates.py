"""AMAZON.DATE and AMAZON.DURATION slot values → a surgery date, or the reason there is none.

Alexa's AMAZON.DATE forms: a day `2026-11-24`, a day without a year `XXXX-11-24`, a week
`2026-W48`, a weekend `2026-W48-WE`, a month `2026-11`, a year `2026`, a decade `202X`, a season
`2026-WI` (WI/SP/SU/FA) and "now" as `PRESENT_REF`. AMAZON.DURATION values are ISO 8601.
A surgery date must be today or earlier, and at most two years back.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from skill.recovery.spoken_dates import (
    DateProblem,
    SpokenDate,
    resolve_date_slot,
    resolve_duration_slot,
)

# Reads calendar dates: `make test` runs it again with the clock moved years ahead.
pytestmark = pytest.mark.date_sensitive

# A Friday.
TODAY = date(2026, 11, 20)


def ok(day: date) -> SpokenDate:
    return SpokenDate(day=day)


def problem(reason: DateProblem) -> SpokenDate:
    return SpokenDate(problem=reason)


# --- AMAZON.DATE: full dates and PRESENT_REF -----------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("2026-11-03", ok(date(2026, 11, 3)), id="earlier-this-month"),
        pytest.param("2026-01-01", ok(date(2026, 1, 1)), id="earlier-this-year"),
        pytest.param("2025-12-31", ok(date(2025, 12, 31)), id="last-year"),
        pytest.param("2026-11-20", ok(TODAY), id="today"),
        pytest.param("PRESENT_REF", ok(TODAY), id="now"),
        pytest.param(" 2026-11-03 ", ok(date(2026, 11, 3)), id="surrounding-spaces"),
        pytest.param("2026-11-21", problem(DateProblem.IN_FUTURE), id="tomorrow"),
        pytest.param("2027-11-03", problem(DateProblem.IN_FUTURE), id="next-year"),
        pytest.param("2024-11-20", ok(date(2024, 11, 20)), id="exactly-two-years-back"),
        pytest.param("2024-11-19", problem(DateProblem.TOO_LONG_AGO), id="two-years-and-a-day"),
        pytest.param("2019-06-01", problem(DateProblem.TOO_LONG_AGO), id="years-ago"),
    ],
)
def test_full_dates(value: str, expected: SpokenDate) -> None:
    assert resolve_date_slot(value, TODAY) == expected


def test_two_year_limit_computed_by_hand() -> None:
    limit = date(TODAY.year - 2, TODAY.month, TODAY.day)
    assert resolve_date_slot(limit.isoformat(), TODAY) == ok(limit)
    day_before = limit - timedelta(days=1)
    assert resolve_date_slot(day_before.isoformat(), TODAY) == problem(DateProblem.TOO_LONG_AGO)


# --- AMAZON.DATE: a day without a year ------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("XXXX-11-03", ok(date(2026, 11, 3)), id="passed-this-year"),
        pytest.param("XXXX-01-05", ok(date(2026, 1, 5)), id="january-this-year"),
        pytest.param("XXXX-11-20", ok(TODAY), id="today-itself"),
        pytest.param("XXXX-11-21", ok(date(2025, 11, 21)), id="tomorrow-means-last-year"),
        pytest.param("XXXX-12-25", ok(date(2025, 12, 25)), id="later-in-year-means-last-year"),
    ],
)
def test_date_without_year_is_the_most_recent_not_in_the_future(
    value: str, expected: SpokenDate
) -> None:
    assert resolve_date_slot(value, TODAY) == expected


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        # 29 Feb 2028 is two days before 1 Mar 2028.
        pytest.param(date(2028, 3, 1), ok(date(2028, 2, 29)), id="leap-day-this-year"),
        pytest.param(date(2028, 2, 29), ok(date(2028, 2, 29)), id="leap-day-is-today"),
        # Two years back from 28 Feb 2030 is 28 Feb 2028: 29 Feb 2028 is inside the range.
        pytest.param(date(2030, 2, 28), ok(date(2028, 2, 29)), id="leap-day-within-two-years"),
        # Two years back from 1 Mar 2030 is 1 Mar 2028: 29 Feb 2028 is one day outside.
        pytest.param(
            date(2030, 3, 1), problem(DateProblem.TOO_LONG_AGO), id="leap-day-two-years-and-a-day"
        ),
        # The most recent 29 February before 20 Nov 2026 is 29 Feb 2024: more than two years.
        pytest.param(TODAY, problem(DateProblem.TOO_LONG_AGO), id="last-leap-day-too-long-ago"),
        # Before 29 Feb 2028 the most recent leap day is 29 Feb 2024, over two years back: it
        # was understood, it is just too long ago.
        pytest.param(
            date(2027, 6, 1), problem(DateProblem.TOO_LONG_AGO), id="2027-leap-day-too-long-ago"
        ),
        pytest.param(
            date(2028, 2, 28), problem(DateProblem.TOO_LONG_AGO), id="eve-of-leap-day-too-long-ago"
        ),
    ],
)
def test_leap_day_without_year(today: date, expected: SpokenDate) -> None:
    assert resolve_date_slot("XXXX-02-29", today) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2028-02-29", ok(date(2028, 2, 29))),
        ("2027-02-29", problem(DateProblem.NOT_UNDERSTOOD)),
        ("2028-03-01", ok(date(2028, 3, 1))),
        ("2028-03-02", problem(DateProblem.IN_FUTURE)),
    ],
)
def test_full_dates_around_a_leap_day(value: str, expected: SpokenDate) -> None:
    assert resolve_date_slot(value, date(2028, 3, 1)) == expected


# --- AMAZON.DATE: periods --------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("2026-W45", id="week"),
        pytest.param("2026-W45-WE", id="weekend"),
        pytest.param("2026-11", id="month"),
        pytest.param("2026", id="year"),
        pytest.param("202X", id="decade"),
        pytest.param("2026-WI", id="winter"),
        pytest.param("2026-SP", id="spring"),
        pytest.param("2026-SU", id="summer"),
        pytest.param("2026-FA", id="fall"),
        pytest.param("2025-W52", id="last-year-week"),
        pytest.param("2025", id="last-year"),
    ],
)
def test_periods_need_an_exact_day(value: str) -> None:
    assert resolve_date_slot(value, TODAY) == problem(DateProblem.NEED_EXACT_DAY)


# --- AMAZON.DATE: not understood -------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("banana", id="garbage"),
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param(None, id="none"),
        pytest.param("2026-13-45", id="impossible-full-date"),
        pytest.param("2026-02-30", id="february-30"),
        pytest.param("XXXX-13-01", id="month-13-without-year"),
        pytest.param("XXXX-00-10", id="month-0-without-year"),
        pytest.param("XXXX-11-31", id="november-31-without-year"),
        pytest.param("2026-11-3", id="unpadded-day"),
        pytest.param("20261103", id="basic-format"),
        pytest.param("P3W", id="a-duration"),
        pytest.param("present_ref", id="lower-case-present-ref"),
    ],
)
def test_not_understood(value: str | None) -> None:
    assert resolve_date_slot(value, TODAY) == problem(DateProblem.NOT_UNDERSTOOD)


# --- AMAZON.DURATION -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # 20 Nov minus 21 days: 20 days back is 31 Oct, one more is 30 Oct.
        pytest.param("P3W", ok(date(2026, 10, 30)), id="three-weeks"),
        pytest.param("P10D", ok(date(2026, 11, 10)), id="ten-days"),
        pytest.param("P2M", ok(date(2026, 9, 20)), id="two-months"),
        pytest.param("PT5H", ok(TODAY), id="five-hours-is-today"),
        pytest.param("P0D", ok(TODAY), id="zero-days"),
        pytest.param("P1Y", ok(date(2025, 11, 20)), id="one-year"),
        pytest.param("P2Y", ok(date(2024, 11, 20)), id="exactly-two-years"),
        pytest.param("P2Y1D", problem(DateProblem.TOO_LONG_AGO), id="two-years-and-a-day"),
        pytest.param("P3Y", problem(DateProblem.TOO_LONG_AGO), id="three-years"),
        pytest.param("P100000Y", problem(DateProblem.TOO_LONG_AGO), id="before-year-1"),
    ],
)
def test_durations_count_back_from_today(value: str, expected: SpokenDate) -> None:
    assert resolve_duration_slot(value, TODAY) == expected


def test_durations_computed_with_timedelta() -> None:
    assert resolve_duration_slot("P3W", TODAY) == ok(TODAY - timedelta(weeks=3))
    assert resolve_duration_slot("P10D", TODAY) == ok(TODAY - timedelta(days=10))


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("banana", id="garbage"),
        pytest.param("", id="empty"),
        pytest.param(None, id="none"),
        pytest.param("P", id="bare-p"),
        pytest.param("3 weeks", id="words"),
        pytest.param("PXD", id="letters"),
        pytest.param("2026-11-03", id="a-date"),
    ],
)
def test_nonsense_durations_are_not_understood(value: str | None) -> None:
    assert resolve_duration_slot(value, TODAY) == problem(DateProblem.NOT_UNDERSTOOD)
