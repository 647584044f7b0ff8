"""Exception handlers: typed errors become spoken answers; anything else, a short apology."""

from __future__ import annotations

import logging

from ask_sdk_core.dispatch_components import AbstractExceptionHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from skill.alexa.request import request_attributes, request_type
from skill.alexa.speech import ssml
from skill.content.strings import Catalogue
from skill.intents.surgery_date import ask_for_surgery_date
from skill.intents.turn import TURN_KEY, Turn, turn_of
from skill.recovery.timeline import NeedSurgeryDate

log = logging.getLogger(__name__)
# Requests that have no conversation: their responses may not carry speech.
SILENT_REQUEST_PREFIXES = ("AudioPlayer.", "PlaybackController.", "AlexaSkillEvent.", "System.")


def _is_conversation(handler_input: HandlerInput) -> bool:
    kind = request_type(handler_input)
    return kind != "SessionEndedRequest" and not kind.startswith(SILENT_REQUEST_PREFIXES)


class NeedSurgeryDateHandler(AbstractExceptionHandler):
    """The answer needs the surgery date: ask for it."""

    def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
        return isinstance(exception, NeedSurgeryDate) and _is_conversation(handler_input)

    def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:
        reply = turn_of(handler_input).reply().say("surgery_date.needed")
        return ask_for_surgery_date(reply).build(handler_input)


class CatchAllExceptionHandler(AbstractExceptionHandler):
    """An unexpected error: logged with the request id, answered with a short apology."""

    def __init__(self, catalogue: Catalogue) -> None:
        self._catalogue = catalogue

    def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
        return True

    def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:
        request = handler_input.request_envelope.request
        log.error(
            "handler failed for request %s (%s)",
            getattr(request, "request_id", "?"),
            getattr(request, "object_type", "?"),
            exc_info=exception,
        )
        if not _is_conversation(handler_input):
            return handler_input.response_builder.response
        turn = request_attributes(handler_input).get(TURN_KEY)
        strings = turn.strings if isinstance(turn, Turn) else self._catalogue.for_locale(None)
        speech = ssml(strings.text("conversation.apology"))
        reprompt = ssml(strings.text("conversation.anything_else"))
        return handler_input.response_builder.speak(speech).ask(reprompt).response


def exception_handlers(catalogue: Catalogue) -> list[AbstractExceptionHandler]:
    """The exception handlers, most specific first."""
    return [NeedSurgeryDateHandler(), CatchAllExceptionHandler(catalogue)]
