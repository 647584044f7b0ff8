"""Which intents a handler answers: declared on the class, so a contract test can read them."""

from __future__ import annotations

from collections.abc import Iterable

from ask_sdk_core.handler_input import HandlerInput

from skill.alexa_request import intent_name


def intent_in(handler_input: HandlerInput, names: Iterable[str]) -> bool:
    """Whether the request is an IntentRequest for one of `names`."""
    return intent_name(handler_input) in set(names)
