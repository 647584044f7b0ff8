"""Opening the skill."""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from skill.intents.base import RequestHandler
from skill.intents.exercise import unfinished_set_offer
from skill.intents.surgery_date import ask_for_surgery_date
from skill.intents.turn import turn_of
from skill.recovery.phrases import elapsed_sentence, exercise_names, phase_name
from skill.recovery.timeline import current_phase, elapsed


class LaunchRequestHandler(RequestHandler):
    """First time: the disclaimer and the surgery date. Later: an unfinished set to finish, or
    where the patient is today."""

    request_types = ("LaunchRequest",)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        if turn.surgery_date is None:
            reply = turn.reply().say("welcome.first_time")
            return ask_for_surgery_date(reply).build(handler_input)
        surgery_date = turn.require_surgery_date()
        unfinished = unfinished_set_offer(turn)
        if unfinished is not None:
            return unfinished
        return (
            turn.reply()
            .say(
                "welcome.returning",
                elapsed=elapsed_sentence(turn.strings, elapsed(surgery_date, turn.today)),
                phase=phase_name(turn.strings, current_phase(turn.plan, surgery_date, turn.today)),
                exercises=exercise_names(turn.strings, turn.plan),
            )
            .ask("welcome.question", "welcome.reprompt")
            .build(handler_input)
        )


HANDLERS = [LaunchRequestHandler()]
