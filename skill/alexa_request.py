"""Reading slot values the way Alexa resolved them."""

from __future__ import annotations

from typing import Any


def resolved_id(slot: Any) -> str | None:
    """The custom-type id Alexa matched for a slot (entity resolution), or None."""
    resolutions = getattr(slot, "resolutions", None)
    for authority in getattr(resolutions, "resolutions_per_authority", None) or []:
        code = getattr(getattr(authority, "status", None), "code", None)
        if getattr(code, "value", code) != "ER_SUCCESS_MATCH":
            continue
        for item in authority.values or []:
            value_id = getattr(getattr(item, "value", None), "id", None)
            if isinstance(value_id, str) and value_id:
                return value_id
    return None
