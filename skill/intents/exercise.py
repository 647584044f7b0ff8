"""Guided in-bed exercises in conversation: start, how to, go on, resume, pace, log, progress.

Each handler reads the request's slots, asks the guided-set service (skill/sets/service.py)
and says its outcome.
"""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response
from ask_sdk_model.dialog import ElicitSlotDirective

from skill.alexa.outcome import Outcome
from skill.alexa.pending import SetOffer
from skill.alexa.request import intent_name, request_id, resolved_id, slot_value
from skill.content.plan import InBedExercise
from skill.intents.base import IntentHandler
from skill.intents.turn import Turn, turn_of
from skill.recovery.phrases import exercise_names


def _say(turn: Turn, outcome: Outcome) -> Response:
    return turn.reply().follow(outcome).build(turn.handler_input)


def _which(turn: Turn, *, unknown: bool) -> Response:
    reply = turn.reply()
    if unknown:
        reply.say("session.unknown", exercises=exercise_names(turn.strings, turn.plan))
    return reply.ask("session.which", "session.which_reprompt").build(turn.handler_input)


def _asked_exercise(turn: Turn) -> tuple[InBedExercise | None, bool]:
    """The exercise named in the `exercise` slot, and whether one was said at all."""
    said = slot_value(turn.handler_input, "exercise") is not None
    exercise_id = resolved_id(turn.handler_input, "exercise")
    exercise = turn.plan.exercise(exercise_id) if exercise_id else None
    return exercise, said


def answer_set_offer(turn: Turn, offer: SetOffer, *, accepted: bool) -> Response:
    """'Yes' or 'no' to 'ready for the next five?', 'shall we finish them?', 'next, bridges?'."""
    return _say(turn, turn.services.guided_sets.answer_offer(turn, offer, accepted=accepted))


def unfinished_set_offer(turn: Turn) -> Response | None:
    """At launch: 'You stopped at repetition 6 of your bridges. Shall we finish them?'."""
    outcome = turn.services.guided_sets.unfinished_offer(turn)
    return _say(turn, outcome) if outcome is not None else None


class StartExerciseIntentHandler(IntentHandler):
    """'Start my bridges' (that one) or 'start my exercises' (the most due, then the rest)."""

    intents = ("StartExerciseIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        sets = turn.services.guided_sets
        sets.allowed(turn)  # needs the surgery date, whichever exercise was asked for
        exercise, said = _asked_exercise(turn)
        if said and exercise is None:
            return _which(turn, unknown=True)
        if exercise is None:
            return _say(turn, sets.start_most_due(turn))
        return _say(turn, sets.start_asked(turn, exercise))


class HowToIntentHandler(IntentHandler):
    """'How do I do this?' / 'how do I do knee presses?': the position and instruction, then
    the offer to start (or go on with the set in progress)."""

    intents = ("HowToIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        exercise, said = _asked_exercise(turn)
        if said and exercise is None:
            return _which(turn, unknown=True)
        return _say(turn, turn.services.guided_sets.how_to(turn, exercise))


class ResumeIntentHandler(IntentHandler):
    """'Resume': the unfinished set, from the repetition where it stopped, on any device."""

    intents = ("AMAZON.ResumeIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        return _say(turn, turn.services.guided_sets.resume(turn))


class PauseIntentHandler(IntentHandler):
    """'Pause' in a spoken set: rest, the set waits; 'resume' goes on."""

    intents = ("AMAZON.PauseIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        return _say(turn, turn.services.guided_sets.pause_spoken(turn))


class GoBackIntentHandler(IntentHandler):
    """'Start over' or 'previous' in a spoken set: from the first, or the previous, repetition."""

    intents = ("AMAZON.StartOverIntent", "AMAZON.PreviousIntent")

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        to_start = intent_name(handler_input) == "AMAZON.StartOverIntent"
        return _say(turn, turn.services.guided_sets.go_back(turn, to_start=to_start))


class NextExerciseIntentHandler(IntentHandler):
    """'Next exercise': put the current set aside and start the next one."""

    intents = ("NextExerciseIntent", "AMAZON.NextIntent")

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        return _say(turn, turn.services.guided_sets.next_exercise(turn))


class SetPaceIntentHandler(IntentHandler):
    """'Slower' / 'faster' / 'normal': remembered; a spoken set in progress goes on at it."""

    intents = ("SetPaceIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        asked = resolved_id(handler_input, "pace")
        if asked is None:
            return turn.reply().ask("pace.which", "pace.which_reprompt").build(handler_input)
        outcome = turn.services.guided_sets.change_pace(turn, asked, open_question=turn.pending)
        return _say(turn, outcome)


class LogExerciseIntentHandler(IntentHandler):
    """'I did my knee presses': a set done without guidance, counted once."""

    intents = ("LogExerciseIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        sets = turn.services.guided_sets
        sets.allowed(turn)  # the log belongs to a known recovery: needs the surgery date
        exercise, said = _asked_exercise(turn)
        if exercise is None:
            handler_input.response_builder.add_directive(
                ElicitSlotDirective(slot_to_elicit="exercise")
            )
            return _which(turn, unknown=said)
        key = request_id(handler_input) or f"{turn.user_id}:{turn.now.isoformat()}"
        return _say(turn, sets.log_self_report(turn, exercise, key=key))


class ProgressTodayIntentHandler(IntentHandler):
    """'How many have I done today?': each exercise against today's target, then the next."""

    intents = ("ProgressTodayIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        return _say(turn, turn.services.guided_sets.progress_today(turn))


HANDLERS = [
    StartExerciseIntentHandler(),
    HowToIntentHandler(),
    ResumeIntentHandler(),
    PauseIntentHandler(),
    GoBackIntentHandler(),
    NextExerciseIntentHandler(),
    SetPaceIntentHandler(),
    LogExerciseIntentHandler(),
    ProgressTodayIntentHandler(),
]
