"""'It hurts': stop the set at once, ask how bad, log it; a severe score gets whom to call now,
with the number (and "shall I repeat the number?"), a milder one the plan's rule once a day."""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from skill.alexa.pending import NumberOffered, PainScoreAsked
from skill.alexa.request import slot_value
from skill.alexa.speech import plain, telephone
from skill.intents.base import IntentHandler
from skill.intents.turn import Turn, turn_of
from skill.recovery.daily_targets import local_day_bounds
from skill.recovery.phrases import pain_advice
from skill.sets.player import player_state


def _score(handler_input: HandlerInput) -> int | None:
    value = slot_value(handler_input, "score")
    if value is None or not value.isdigit():
        return None
    score = int(value)
    return score if 0 <= score <= 10 else None


def _ask_score(turn: Turn, set_id: str | None, *, lead: str | None) -> Response:
    reply = turn.reply()
    if lead:
        reply.say(lead)
    return (
        reply.ask("pain.ask_score", "pain.ask_score_reprompt")
        .expect(PainScoreAsked(set_id=set_id))
        .build(turn.handler_input)
    )


def _record(turn: Turn, score: int, set_id: str | None, *, stopped: bool) -> Response:
    log = turn.services.exercise_log
    start_of_day, _ = local_day_bounds(turn.today, turn.time_zone)
    earlier_today = [earlier for _, earlier in log.pain_reports(turn.user_id, start_of_day)]
    log.record_pain(turn.user_id, score, at=turn.now, set_id=set_id)
    advice = pain_advice(
        turn.strings, turn.plan, score, earlier_today=earlier_today, stopped=stopped
    )
    reply = turn.reply().add(advice.speech)
    if advice.call_now is None:
        return reply.ask_anything_else().build(turn.handler_input)
    return (
        reply.ask("phone.offer_repeat", "phone.offer_repeat_reprompt")
        .expect(NumberOffered(contact=advice.call_now))
        .build(turn.handler_input)
    )


class PainReportIntentHandler(IntentHandler):
    """'It hurts' / 'stop, my back hurts': the set stops at once; then the pain score."""

    intents = ("PainReportIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        sets = turn.services.guided_sets
        stopped, directives = sets.stop_for_pain(turn, player_state(handler_input))
        for directive in directives:
            handler_input.response_builder.add_directive(directive)
        set_id = stopped.set_id if stopped else None
        score = _score(handler_input)
        if score is not None:
            return _record(turn, score, set_id, stopped=stopped is not None)
        return _ask_score(turn, set_id, lead="pain.stopped" if stopped else None)


class PainScoreIntentHandler(IntentHandler):
    """The pain score, from 0 to 10: logged, with the plan's advice."""

    intents = ("PainScoreIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        set_id = turn.pending.set_id if isinstance(turn.pending, PainScoreAsked) else None
        score = _score(handler_input)
        if score is None:
            return _ask_score(turn, set_id, lead="pain.score_not_understood")
        return _record(turn, score, set_id, stopped=False)


def answer_not_understood(turn: Turn, pending: PainScoreAsked) -> Response:
    """Anything else right after 'how bad is the pain?': ask once more for a number."""
    return _ask_score(turn, pending.set_id, lead="pain.score_not_understood")


def answer_number_offer(turn: Turn, pending: NumberOffered, *, accepted: bool) -> Response:
    """'Shall I repeat the number?': 'yes' says it again; then, or after 'no', 'anything else?'.
    ('Repeat that' says the whole answer again: skill/alexa/speech.py repeat_last.)"""
    reply = turn.reply()
    contact = turn.plan.contacts.get(pending.contact)  # None if the plan changed since
    if accepted and contact is not None:
        reply.say(
            "phone.again",
            contact=plain(contact.name[turn.locale]),
            phone=telephone(contact.phone),
        )
    return reply.ask_anything_else().build(turn.handler_input)


HANDLERS = [PainReportIntentHandler(), PainScoreIntentHandler()]
