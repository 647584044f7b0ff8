"""The base of intent handlers: each declares its intents, so a contract test can read them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput

from skill.alexa.request import intent_name


def intent_in(handler_input: HandlerInput, names: Iterable[str]) -> bool:
    """Whether the request is an IntentRequest for one of `names`."""
    return intent_name(handler_input) in set(names)


class IntentHandler(AbstractRequestHandler):
    """Handles the intents in `intents`; subclasses narrow can_handle with a state check."""

    intents: ClassVar[tuple[str, ...]] = ()

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return intent_in(handler_input, self.intents)
