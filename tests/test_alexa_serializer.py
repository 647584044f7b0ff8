"""Alexa's timestamps are read by the standard library; other forms by ask-sdk's parser."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import dateutil.parser
import pytest
from ask_sdk_model import RequestEnvelope

from skill.alexa_serializer import AlexaSerializer
from skill.testing import envelopes

AT = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
EASTERN = timezone(-timedelta(hours=5))


def deserialize_with_timestamp(value: str) -> datetime:
    body = envelopes.launch(at=AT)
    body["request"]["timestamp"] = value
    envelope = AlexaSerializer().deserialize(json.dumps(body), RequestEnvelope)
    timestamp: datetime = envelope.request.timestamp
    return timestamp


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-20T15:00:00Z", AT),
        ("2026-11-20T15:00:00.123Z", AT + timedelta(milliseconds=123)),
        ("2026-11-20T16:00:00+01:00", AT),
        (
            "2026-11-20T10:00:00-05:00",
            datetime(2026, 11, 20, 10, tzinfo=timezone(-timedelta(hours=5))),
        ),
    ],
)
def test_alexa_timestamps_are_read_without_dateutil(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: datetime
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("dateutil was called: the override no longer applies")

    monkeypatch.setattr(dateutil.parser, "parse", refuse)
    parsed = deserialize_with_timestamp(value)
    assert parsed == expected
    assert parsed.tzinfo is not None


def test_other_forms_fall_back_to_ask_sdks_parser() -> None:
    # Not ISO 8601, but dateutil reads it: the fallback keeps ask-sdk's behaviour.
    assert deserialize_with_timestamp("November 20 2026 15:00 UTC") == AT
