"""The built-in conversation intents: yes, no, help, repeat, stop, fallback, session end."""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response
from markupsafe import Markup

from skill.alexa.speech import repeat_last
from skill.content.strings import Strings
from skill.intents.base import ANY_REQUEST, INTENT_REQUEST, IntentHandler, RequestHandler
from skill.intents.turn import Turn, turn_of


def goodbye(turn: Turn) -> Response:
    """A short goodbye; the session closes."""
    return turn.reply().say("conversation.goodbye").build(turn.handler_input)


def answer_repeat_offer(turn: Turn, *, accepted: bool) -> Response:
    """'Yes' to 'want me to say that again?': the last answer again; 'no': goodbye."""
    if not accepted:
        return goodbye(turn)
    return repeat_last(turn.handler_input) or _help(turn.handler_input)


# What the help suggests saying: at most three things, so a tired patient can keep them in mind.
HELP_OPTIONS = (
    "conversation.help_options.start_exercises",
    "conversation.help_options.phase",
    "conversation.help_options.contact",
)


def help_sentence(strings: Strings) -> Markup:
    """'You can say: start my exercises, what phase am I in, or who do I call.'"""
    options = strings.alternatives([strings.text(key) for key in HELP_OPTIONS])
    return strings.text("conversation.help", options=options)


def _help(handler_input: HandlerInput) -> Response:
    turn = turn_of(handler_input)
    return (
        turn.reply()
        .add(help_sentence(turn.strings))
        .ask("conversation.help_question")
        .build(handler_input)
    )


class YesIntentHandler(IntentHandler):
    """'Yes' when nothing was offered: ask what they would like."""

    intents = ("AMAZON.YesIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        return _help(handler_input)


class NoIntentHandler(IntentHandler):
    """'No' ends the conversation kindly."""

    intents = ("AMAZON.NoIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        return goodbye(turn_of(handler_input))


class HelpIntentHandler(IntentHandler):
    """What the patient can ask."""

    intents = ("AMAZON.HelpIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        return _help(handler_input)


class RepeatIntentHandler(IntentHandler):
    """'Repeat that': the last answer and its question again."""

    intents = ("AMAZON.RepeatIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        response = repeat_last(handler_input)
        if response is not None:
            return response
        return (
            turn_of(handler_input)
            .reply()
            .say("conversation.nothing_to_repeat")
            .ask("conversation.help_question")
            .build(handler_input)
        )


class StopIntentHandler(IntentHandler):
    """Stop, cancel or 'go home': a short goodbye, session closed."""

    intents = ("AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.NavigateHomeIntent")

    def handle(self, handler_input: HandlerInput) -> Response:
        return goodbye(turn_of(handler_input))


class FallbackIntentHandler(IntentHandler):
    """Anything not understood, or an intent this skill does not know: say so, offer help."""

    intents = ("AMAZON.FallbackIntent",)
    request_types = (INTENT_REQUEST,)  # and any intent no other handler took

    def handle(self, handler_input: HandlerInput) -> Response:
        return (
            turn_of(handler_input)
            .reply()
            .say("conversation.fallback")
            .add(help_sentence(turn_of(handler_input).strings))
            .ask("conversation.help_question")
            .build(handler_input)
        )


class SessionEndedRequestHandler(RequestHandler):
    """The session ended (the patient left, or said nothing): nothing may be said."""

    request_types = ("SessionEndedRequest",)

    def handle(self, handler_input: HandlerInput) -> Response:
        return handler_input.response_builder.response


class UnhandledRequestHandler(RequestHandler):
    """Any other request type (events this skill does not use): an empty, valid answer."""

    request_types = (ANY_REQUEST,)

    def handle(self, handler_input: HandlerInput) -> Response:
        return handler_input.response_builder.response


HANDLERS = [
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
