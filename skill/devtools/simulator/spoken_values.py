"""Slot values as Alexa fills them, from typed words: numbers, dates and durations.

Number words become digits with text2num; dates are read by dateparser (relative phrases like
"three weeks ago" and "last tuesday" included) and written in AMAZON.DATE's format; a date said
without a year comes as XXXX-MM-DD, as Alexa sends it.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import dateparser
from text_to_num import alpha2digit

_YEAR = re.compile(r"\b(19|20)\d{2}\b")
_DURATION = re.compile(
    r"^(?:(?:about|around|roughly|nearly|almost|over|maybe)\s+)?"
    r"(?P<count>\d+|an?|one)\s+(?P<unit>minute|hour|day|week|month|year)s?$"
)
_UNITS = {
    "minute": "PT{}M",
    "hour": "PT{}H",
    "day": "P{}D",
    "week": "P{}W",
    "month": "P{}M",
    "year": "P{}Y",
}
_SMALL_NUMBERS = {
    "zero": 0,
    "oh": 0,
    "none": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}


def digits(text: str) -> str:
    """Number words as digits: 'twenty one minutes' → '21 minutes', 'seven' → '7'."""
    converted = alpha2digit(text, "en", threshold=0)
    return " ".join(
        str(_SMALL_NUMBERS[word]) if word in _SMALL_NUMBERS else word for word in converted.split()
    )


def number_value(text: str) -> str | None:
    """An AMAZON.NUMBER value ('7', '21'), or None when the words are not one number."""
    said = digits(text.strip().lower()).replace(",", "")
    return said if re.fullmatch(r"-?\d+", said) else None


def duration_value(text: str) -> str | None:
    """An AMAZON.DURATION value ('P3W', 'PT20M'), or None."""
    match = _DURATION.match(digits(text.strip().lower()))
    if match is None:
        return None
    count = match["count"]
    amount = 1 if count in ("a", "an", "one") else int(count)
    return _UNITS[match["unit"]].format(amount)


def date_value(text: str, now: datetime) -> str | None:
    """An AMAZON.DATE value ('2026-11-03', 'XXXX-11-03'), or None when it is not a date."""
    said = digits(text.strip().lower())
    if not said or said.isdigit() or duration_value(said) is not None:
        return None  # "3 weeks" is a duration, not a date
    if said in ("now", "right now"):
        return "PRESENT_REF"
    parsed = dateparser.parse(
        said,
        languages=["en"],
        settings={"RELATIVE_BASE": now.replace(tzinfo=None), "PREFER_DATES_FROM": "past"},
    )
    if parsed is None:
        return None
    day: date = parsed.date()
    if _YEAR.search(said) or _is_relative(said):
        return day.isoformat()
    return f"XXXX-{day.month:02d}-{day.day:02d}"


def _is_relative(said: str) -> bool:
    """'yesterday', 'three weeks ago', 'last tuesday': a day Alexa resolves in full."""
    return bool(
        re.search(r"\b(ago|yesterday|today|tomorrow|last|this|next|before)\b", said)
        or re.fullmatch(r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday)", said)
    )
