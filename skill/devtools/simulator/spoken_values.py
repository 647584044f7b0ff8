"""Slot values as Alexa fills them, from typed words: numbers, dates and durations.

Number words become digits with text2num; dates are read by dateparser (relative phrases like
"three weeks ago", "drie weken geleden" and "last tuesday" included) and written in
AMAZON.DATE's format; a date said without a year comes as XXXX-MM-DD, as Alexa sends it. Both
libraries read the locale's language; the words around the values are the locale's
(spoken_language.py). The module-level functions hear en-US.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import cache

import dateparser
from text_to_num import alpha2digit

from skill.devtools.simulator.spoken_language import SpokenLanguage, alternatives, load_language

_YEAR = re.compile(r"\b(19|20)\d{2}\b")
# AMAZON.TIME: "9", "9:30", "9 pm"; "o'clock" and Dutch "uur" say nothing more.
_CLOCK = re.compile(r"(?P<hour>\d{1,2})(?:[:. ](?P<minute>\d{2}))?(?:\s*(?P<half>[^\d]+))?")
# The half of the day said after the hour: "9 pm", "9 in the evening", "9 uur 's avonds".
_HALVES = {
    **dict.fromkeys(("am", "a.m.", "in the morning", "'s ochtends", "'s morgens"), 0),
    **dict.fromkeys(
        ("pm", "p.m.", "in the afternoon", "in the evening", "at night", "'s middags", "'s avonds"),
        12,
    ),
}
_CLOCK_WORDS = re.compile(r"\s*\b(?:o'clock|uur)\b")
_NAMED_TIMES = {"noon": "12:00", "midday": "12:00", "midnight": "00:00", "middernacht": "00:00"}
_UNITS = {
    "minutes": "PT{}M",
    "hours": "PT{}H",
    "days": "P{}D",
    "weeks": "P{}W",
    "months": "P{}M",
    "years": "P{}Y",
}


class SpokenValues:
    """Reads AMAZON.NUMBER, AMAZON.DURATION, AMAZON.DATE and AMAZON.TIME values in one locale."""

    def __init__(self, spoken: SpokenLanguage) -> None:
        self.spoken = spoken
        durations, dates = spoken.durations, spoken.dates
        units = {**durations.units, **durations.multiples}
        self._duration = re.compile(
            rf"^(?:(?:{alternatives(durations.hedges)})\s+)?"
            rf"(?P<count>\d+|{alternatives(durations.one)})\s+(?P<unit>{alternatives(units)})$"
        )
        self._relative = re.compile(rf"\b({alternatives(dates.relative)})\b")
        self._weekday = re.compile(f"({alternatives(dates.weekdays)})")
        self._previous = re.compile(
            rf"^(?:{alternatives(dates.previous)})\s+(?={self._weekday.pattern}$)"
        )
        self._in_last_week = re.compile(
            rf"^(?:{alternatives(dates.last_week)})\s+(?P<weekday>{self._weekday.pattern})$"
        )
        self._leading = re.compile(rf"^(?:{alternatives(dates.leading)})\s+")
        self._ordinal = re.compile(rf"\b(\d+)(?:{alternatives(dates.ordinal_suffixes)})\b")

    def digits(self, text: str) -> str:
        """Number words as digits: 'twenty one minutes' → '21 minutes', 'seven' → '7'."""
        converted = alpha2digit(text, self.spoken.language, threshold=0)
        words = self.spoken.number_words
        return " ".join(str(words[word]) if word in words else word for word in converted.split())

    def number(self, text: str) -> str | None:
        """An AMAZON.NUMBER value ('7', '21'), or None when the words are not one number."""
        said = self.digits(text.strip().lower()).replace(",", "")
        return said if re.fullmatch(r"-?\d+", said) else None

    def duration(self, text: str) -> str | None:
        """An AMAZON.DURATION value ('P3W', 'PT20M'), or None."""
        match = self._duration.match(self.digits(text.strip().lower()))
        if match is None:
            return None
        count = match["count"]
        amount = 1 if count in self.spoken.durations.one else int(count)
        unit = match["unit"]
        multiple = self.spoken.durations.multiples.get(unit)
        if multiple is not None:
            return _UNITS[multiple[1]].format(amount * multiple[0])
        return _UNITS[self.spoken.durations.units[unit]].format(amount)

    def date(self, text: str, now: datetime) -> str | None:
        """An AMAZON.DATE value ('2026-11-03', 'XXXX-11-03'), or None when it is not a date."""
        said = self.digits(text.strip().lower())
        if not said or said.isdigit() or self.duration(said) is not None:
            return None  # "3 weeks" is a duration, not a date
        if said in self.spoken.dates.now:
            return "PRESENT_REF"
        said = self._as_dateparser_reads(said)
        in_last_week = self._in_last_week.match(said) if self.spoken.dates.last_week else None
        if in_last_week is not None:
            weekday = self.spoken.dates.weekdays.index(in_last_week["weekday"])
            monday = now.date() - timedelta(days=now.weekday() + 7)
            return (monday + timedelta(days=weekday)).isoformat()
        parsed = dateparser.parse(
            said,
            languages=[self.spoken.language],
            settings={"RELATIVE_BASE": now.replace(tzinfo=None), "PREFER_DATES_FROM": "past"},
        )
        if parsed is None:
            return None
        day: date = parsed.date()
        if _YEAR.search(said) or self._is_relative(said):
            return day.isoformat()
        return f"XXXX-{day.month:02d}-{day.day:02d}"

    def time(self, text: str) -> str | None:
        """An AMAZON.TIME value ('09:00', '21:30'), or None when it is not a time of day:
        'nine' and "nine o'clock" come as '09:00' (Alexa does not guess the evening), 'nine pm'
        or 'nine in the evening' as '21:00', 'negen uur' as '09:00', "tien uur 's avonds" as
        '22:00'."""
        said = self.digits(text.strip().lower())
        said = _CLOCK_WORDS.sub("", said).strip()
        if said in _NAMED_TIMES:
            return _NAMED_TIMES[said]
        match = _CLOCK.fullmatch(said)
        if match is None:
            return None
        hour, minute = int(match["hour"]), int(match["minute"] or 0)
        if match["half"] is not None:
            half = _HALVES.get(match["half"].strip())
            if half is None or hour > 12:
                return None
            hour = hour % 12 + half
        if hour > 23 or minute > 59:
            return None
        return f"{hour:02d}:{minute:02d}"

    def _as_dateparser_reads(self, said: str) -> str:
        """'op de 21e oktober' → '21 oktober', 'vorige dinsdag' → 'dinsdag' (the last one)."""
        dates = self.spoken.dates
        if dates.leading:
            said = self._leading.sub("", said)
        if dates.ordinal_suffixes:
            said = self._ordinal.sub(r"\1", said)
        if dates.previous:
            said = self._previous.sub("", said)
        return said

    def _is_relative(self, said: str) -> bool:
        """'yesterday', 'three weeks ago', 'last tuesday': a day Alexa resolves in full."""
        return bool(self._relative.search(said) or self._weekday.fullmatch(said))


@cache
def _en_us() -> SpokenValues:
    return SpokenValues(load_language("en-US"))


def digits(text: str) -> str:
    """Number words as digits in en-US: 'twenty one minutes' → '21 minutes'."""
    return _en_us().digits(text)


def number_value(text: str) -> str | None:
    """An en-US AMAZON.NUMBER value ('7', '21'), or None when the words are not one number."""
    return _en_us().number(text)


def duration_value(text: str) -> str | None:
    """An en-US AMAZON.DURATION value ('P3W', 'PT20M'), or None."""
    return _en_us().duration(text)


def date_value(text: str, now: datetime) -> str | None:
    """An en-US AMAZON.DATE value ('2026-11-03', 'XXXX-11-03'), or None when it is not a date."""
    return _en_us().date(text, now)
