"""Turning AMAZON.DATE and AMAZON.DURATION slot values into a surgery date, or a reason not to."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import Enum

import isodate

MAX_YEARS_BACK = 2
_FULL_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DATE_WITHOUT_YEAR = re.compile(r"^XXXX-(\d{2})-(\d{2})$")
# A week, weekend, month, year, decade or season: Alexa heard a period, not a day.
_PERIOD = re.compile(
    r"^(\d{4}|XXXX)-W\d{2}(-WE)?$|^(\d{4}|XXXX)-\d{2}$|^\d{4}$|^\d{3}X$|^(\d{4}|XXXX)-(WI|SP|SU|FA)$"
)


class DateProblem(Enum):
    """Why a spoken date cannot be the surgery date."""

    NOT_UNDERSTOOD = "not_understood"
    NEED_EXACT_DAY = "need_exact_day"
    IN_FUTURE = "in_future"
    TOO_LONG_AGO = "too_long_ago"


@dataclass(frozen=True)
class SpokenDate:
    """A resolved surgery date, or the problem with what was said."""

    day: date | None = None
    problem: DateProblem | None = None


def _years_back(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def _check_range(day: date, today: date) -> SpokenDate:
    if day > today:
        return SpokenDate(problem=DateProblem.IN_FUTURE)
    if day < _years_back(today, MAX_YEARS_BACK):
        return SpokenDate(problem=DateProblem.TOO_LONG_AGO)
    return SpokenDate(day=day)


def _most_recent(month: int, day_of_month: int, today: date) -> date | None:
    """The latest date with this month and day that is not after today."""
    # Eight years always hold a 29 February; the range check then judges the date found.
    for year in range(today.year, today.year - 9, -1):
        try:
            candidate = date(year, month, day_of_month)
        except ValueError:
            continue
        if candidate <= today:
            return candidate
    return None


def resolve_date_slot(value: str | None, today: date) -> SpokenDate:
    """Resolve an AMAZON.DATE value ('2026-11-03', 'XXXX-11-03', '2026-W45', 'PRESENT_REF' …)."""
    value = (value or "").strip()
    if value == "PRESENT_REF":
        return SpokenDate(day=today)
    if match := _FULL_DATE.match(value):
        try:
            day = date(*(int(part) for part in match.groups()))
        except ValueError:
            return SpokenDate(problem=DateProblem.NOT_UNDERSTOOD)
        return _check_range(day, today)
    if match := _DATE_WITHOUT_YEAR.match(value):
        month, day_of_month = (int(part) for part in match.groups())
        if not 1 <= month <= 12:
            return SpokenDate(problem=DateProblem.NOT_UNDERSTOOD)
        recent = _most_recent(month, day_of_month, today)
        if recent is None:
            return SpokenDate(problem=DateProblem.NOT_UNDERSTOOD)
        return _check_range(recent, today)
    if _PERIOD.match(value):
        return SpokenDate(problem=DateProblem.NEED_EXACT_DAY)
    return SpokenDate(problem=DateProblem.NOT_UNDERSTOOD)


def resolve_duration_slot(value: str | None, today: date) -> SpokenDate:
    """Resolve an AMAZON.DURATION value said as 'N ago' ('P3W', 'P10D', 'P2M') to a date."""
    try:
        duration = isodate.parse_duration((value or "").strip())
    except (isodate.ISO8601Error, ValueError, TypeError):
        return SpokenDate(problem=DateProblem.NOT_UNDERSTOOD)
    try:
        day = today - duration
    except (OverflowError, ValueError):
        return SpokenDate(problem=DateProblem.TOO_LONG_AGO)
    if not isinstance(day, date):
        return SpokenDate(problem=DateProblem.NOT_UNDERSTOOD)
    return _check_range(day, today)
