"""The built-in conversation intents: yes, no, help, repeat, stop, fallback, session end."""

from __future__ import annotations

from typing import Any

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name, is_request_type
from ask_sdk_model import Response

from skill.intents.recovery import OFFER, milestone_response
from skill.speech import repeat_last
from skill.turn import turn_of


def _offer(handler_input: HandlerInput) -> dict[str, Any] | None:
    offer = handler_input.attributes_manager.session_attributes.get(OFFER)
    return offer if isinstance(offer, dict) else None


def has_offer(handler_input: HandlerInput) -> bool:
    """Whether the last question offered something a 'yes' accepts."""
    return _offer(handler_input) is not None


def _help(handler_input: HandlerInput) -> Response:
    return (
        turn_of(handler_input)
        .reply()
        .say("conversation.help")
        .ask("conversation.help_question", "conversation.anything_else_reprompt")
        .build(handler_input)
    )


class AcceptOfferHandler(AbstractRequestHandler):  # type: ignore[misc]
    """'Yes' to an offer: the next milestone, or the last answer again."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("AMAZON.YesIntent")(handler_input)) and has_offer(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        offer = _offer(handler_input) or {}
        if offer.get("kind") == "milestone" and isinstance(offer.get("index"), int):
            return milestone_response(turn_of(handler_input), offer["index"])
        if offer.get("kind") == "repeat" and (response := repeat_last(handler_input)) is not None:
            return response
        return _help(handler_input)


class YesIntentHandler(AbstractRequestHandler):  # type: ignore[misc]
    """'Yes' when nothing was offered: ask what they would like."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("AMAZON.YesIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        return _help(handler_input)


class NoIntentHandler(AbstractRequestHandler):  # type: ignore[misc]
    """'No' ends the conversation kindly."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("AMAZON.NoIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        return turn_of(handler_input).reply().say("conversation.goodbye").build(handler_input)


class HelpIntentHandler(AbstractRequestHandler):  # type: ignore[misc]
    """What the patient can ask."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("AMAZON.HelpIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        return _help(handler_input)


class RepeatIntentHandler(AbstractRequestHandler):  # type: ignore[misc]
    """'Repeat that': the last answer and its question again."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("AMAZON.RepeatIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        response = repeat_last(handler_input)
        if response is not None:
            return response
        return (
            turn_of(handler_input)
            .reply()
            .say("conversation.nothing_to_repeat")
            .ask("conversation.help_question", "conversation.anything_else_reprompt")
            .build(handler_input)
        )


class StopIntentHandler(AbstractRequestHandler):  # type: ignore[misc]
    """Stop, cancel or 'go home': a short goodbye, session closed."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return any(
            is_intent_name(name)(handler_input)
            for name in ("AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.NavigateHomeIntent")
        )

    def handle(self, handler_input: HandlerInput) -> Response:
        return turn_of(handler_input).reply().say("conversation.goodbye").build(handler_input)


class FallbackIntentHandler(AbstractRequestHandler):  # type: ignore[misc]
    """Anything not understood, or an intent this skill does not know: say so, offer help."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_request_type("IntentRequest")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        return (
            turn_of(handler_input)
            .reply()
            .say("conversation.fallback")
            .say("conversation.help")
            .ask("conversation.help_question", "conversation.anything_else_reprompt")
            .build(handler_input)
        )


class SessionEndedRequestHandler(AbstractRequestHandler):  # type: ignore[misc]
    """The session ended (the patient left, or said nothing): nothing may be said."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_request_type("SessionEndedRequest")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        return handler_input.response_builder.response


class UnhandledRequestHandler(AbstractRequestHandler):  # type: ignore[misc]
    """Any other request type (events this skill does not use): an empty, valid answer."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return True

    def handle(self, handler_input: HandlerInput) -> Response:
        return handler_input.response_builder.response


HANDLERS = [
    AcceptOfferHandler(),
    YesIntentHandler(),
    NoIntentHandler(),
    HelpIntentHandler(),
    RepeatIntentHandler(),
    StopIntentHandler(),
]

CATCH_ALL_HANDLERS = [
    FallbackIntentHandler(),
    SessionEndedRequestHandler(),
    UnhandledRequestHandler(),
]
