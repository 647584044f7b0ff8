"""The base of request handlers: each declares what it answers, so the dispatch table
(skill/skill_builder.py) and the contract tests can read it.

A handler declares `intents` (IntentRequests naming one of them) and/or `request_types`
(every request of those types: 'LaunchRequest' names one type, 'AudioPlayer.*' every type it
begins, '*' every request). Its can_handle is true only for what it declares; a subclass
narrows it with a state check, never widens it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput

from skill.alexa.request import intent_name, request_type

INTENT_REQUEST = "IntentRequest"
ANY_REQUEST = "*"


def intent_in(handler_input: HandlerInput, names: frozenset[str]) -> bool:
    """Whether the request is an IntentRequest for one of `names` (built once, by the caller)."""
    return intent_name(handler_input) in names


class RequestHandler(AbstractRequestHandler):
    """A handler asked only about the requests it declares (see the module's docstring)."""

    request_types: ClassVar[tuple[str, ...]] = ()
    intents: ClassVar[tuple[str, ...]] = ()
    # The declarations as sets and prefixes, made once per class.
    intent_set: ClassVar[frozenset[str]] = frozenset()
    exact_types: ClassVar[frozenset[str]] = frozenset()
    type_prefixes: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.intent_set = frozenset(cls.intents)
        cls.exact_types = frozenset(p for p in cls.request_types if not p.endswith("*"))
        cls.type_prefixes = tuple(p[:-1] for p in cls.request_types if p.endswith("*"))

    @classmethod
    def declares(cls, request: str, intent: str | None) -> bool:
        """Whether a request of type `request` (naming `intent`, for an IntentRequest) is one
        this handler declares."""
        if request == INTENT_REQUEST and intent in cls.intent_set:
            return True
        return request in cls.exact_types or request.startswith(cls.type_prefixes)

    def can_handle(self, handler_input: HandlerInput) -> bool:
        if self.intent_set and intent_in(handler_input, self.intent_set):
            return True
        return bool(self.request_types) and self.declares(request_type(handler_input), None)


class IntentHandler(RequestHandler):
    """Handles the intents in `intents`; subclasses narrow can_handle with a state check."""
