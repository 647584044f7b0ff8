"""Setting the surgery date: understand it, confirm it, then store it."""

from __future__ import annotations

from datetime import date

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from skill.alexa.pending import YES, SurgeryDateAsked, SurgeryDateToConfirm
from skill.alexa.request import slot_value
from skill.alexa.speech import Reply
from skill.intents.base import IntentHandler
from skill.intents.turn import Turn, turn_of
from skill.recovery.phrases import elapsed_sentence, phase_name
from skill.recovery.spoken_dates import (
    DateProblem,
    SpokenDate,
    resolve_date_slot,
    resolve_duration_slot,
)
from skill.recovery.timeline import current_phase, elapsed


def ask_for_surgery_date(reply: Reply) -> Reply:
    """End a reply with the surgery-date question."""
    return reply.ask("surgery_date.ask", "surgery_date.ask_reprompt").expect(SurgeryDateAsked())


def _spoken_date(handler_input: HandlerInput, today: date) -> SpokenDate:
    if duration := slot_value(handler_input, "surgeryAgo"):
        return resolve_duration_slot(duration, today)
    return resolve_date_slot(slot_value(handler_input, "surgeryDate"), today)


def answer_confirmation(turn: Turn, pending: SurgeryDateToConfirm, intent: str) -> Response:
    """'Yes' to 'so your surgery was on …?': store it and say where the patient is; 'no': ask
    again."""
    if intent != YES:
        reply = turn.reply().say("surgery_date.rejected")
        return ask_for_surgery_date(reply).build(turn.handler_input)
    surgery_date = pending.day
    turn.services.patients.save_surgery_date(turn.user_id, surgery_date, locale=turn.strings.locale)
    day = min(surgery_date, turn.today)
    phase = current_phase(turn.plan, day, turn.today)
    return (
        turn.reply()
        .say(
            "surgery_date.saved",
            date=turn.strings.date(surgery_date),
            elapsed=elapsed_sentence(turn.strings, elapsed(day, turn.today)),
            phase=phase_name(turn.strings, phase),
        )
        .ask_anything_else()
        .build(turn.handler_input)
    )


def answer_not_understood(turn: Turn) -> Response:
    """Anything unrecognised right after 'when was your surgery?': ask once more."""
    reply = turn.reply().say("surgery_date.not_understood")
    return ask_for_surgery_date(reply).build(turn.handler_input)


class SetSurgeryDateIntentHandler(IntentHandler):
    """'My surgery was on November third' / 'three weeks ago': confirm before storing."""

    intents = ("SetSurgeryDateIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        spoken = _spoken_date(handler_input, turn.today)
        reply = turn.reply()
        if spoken.day is None:
            problem = spoken.problem or DateProblem.NOT_UNDERSTOOD
            said_something = any(
                slot_value(handler_input, name) for name in ("surgeryDate", "surgeryAgo")
            )
            if said_something:
                reply.say(f"surgery_date.{problem.value}")
            return ask_for_surgery_date(reply).build(handler_input)
        spoken_day = turn.strings.date(spoken.day)
        return (
            reply.ask("surgery_date.confirm", "surgery_date.confirm_reprompt", date=spoken_day)
            .expect(SurgeryDateToConfirm(day=spoken.day))
            .build(handler_input)
        )


HANDLERS = [SetSurgeryDateIntentHandler()]
