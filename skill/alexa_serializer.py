"""ask-sdk's serializer, with Alexa's ISO 8601 timestamps parsed by the standard library."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ask_sdk_core.serialize import DefaultSerializer


class AlexaSerializer(DefaultSerializer):
    """DefaultSerializer parses every timestamp with dateutil, a third of its deserializing time.

    Alexa sends ISO 8601 ('2026-11-20T15:00:00Z'), which `datetime.fromisoformat` reads
    directly; anything it cannot read goes to ask-sdk's own parser, unchanged. The base class
    calls the name-mangled method below; a test fails if an ask-sdk release stops doing so.
    """

    def _DefaultSerializer__deserialize_datetime(self, payload: Any, obj_type: Any) -> Any:
        if isinstance(payload, str):
            try:
                parsed = datetime.fromisoformat(payload)
            except ValueError:
                pass
            else:
                return parsed.date() if obj_type is date else parsed
        fallback = DefaultSerializer._DefaultSerializer__deserialize_datetime  # type: ignore[attr-defined]
        return fallback(self, payload, obj_type)
