"""Opening the skill."""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from skill.alexa.outcome import Outcome
from skill.alexa.speech import Reply
from skill.intents.base import RequestHandler
from skill.intents.exercise import unfinished_set_offer
from skill.intents.surgery_date import ask_for_surgery_date
from skill.intents.turn import Turn, turn_of
from skill.recovery.daily_targets import due_order
from skill.recovery.phrases import elapsed_sentence, exercise_names, phase_name
from skill.recovery.timeline import current_phase, elapsed


def _offer_due_now(turn: Turn, reply: Reply) -> Reply:
    """End with the one thing due now, 'Shall we do your knee presses now?' (the rest of what
    is due follows a yes); or, with nothing due, the reminders offer once ('Shall I remind you
    …?': only then, so it never crowds out the day's exercise, one question per answer); or
    'What would you like to know?'."""
    sets = turn.services.guided_sets
    standings = sets.standings_today(turn, sets.allowed(turn))
    due = due_order([standing for standing in standings if standing.behind > 0])
    if due:
        return reply.follow(sets.offer_due(Outcome(), turn, due))
    offer = turn.services.reminders.launch_offer(turn)
    if offer is not None:
        return reply.follow(offer)
    return reply.ask("welcome.question", "welcome.reprompt")


class LaunchRequestHandler(RequestHandler):
    """First time: the disclaimer and the surgery date. Later: an unfinished set to finish, or
    where the patient is and the one exercise due now."""

    request_types = ("LaunchRequest",)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        if turn.surgery_date is None:
            reply = turn.reply().say("welcome.first_time")
            return ask_for_surgery_date(reply).build(handler_input)
        surgery_date = turn.require_surgery_date()
        # Reminders owed from an earlier failure or a moved zone are set now (no call if none).
        turn.services.reminders.catch_up(turn)
        unfinished = unfinished_set_offer(turn)
        if unfinished is not None:
            return unfinished
        reply = turn.reply().say(
            "welcome.returning",
            elapsed=elapsed_sentence(turn.strings, elapsed(surgery_date, turn.today)),
            phase=phase_name(turn.strings, current_phase(turn.plan, surgery_date, turn.today)),
            exercises=exercise_names(turn.strings, turn.plan),
        )
        return _offer_due_now(turn, reply).build(handler_input)


HANDLERS = [LaunchRequestHandler()]
