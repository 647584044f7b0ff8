"""The spoken daily check-in: four short questions, skippable, worrying answers acted on."""

from __future__ import annotations

import re

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_request_type
from ask_sdk_model import Response

from skill.alexa import pending as pending_question
from skill.alexa.pending import NO, SKIP, YES, CheckInAnswer, CheckInStep
from skill.alexa.request import intent_name, session_attributes, slot_value
from skill.alexa.speech import Reply, plain, telephone
from skill.content.check_in import QUESTIONS, Question, accepts, alerts_for, all_alerts
from skill.intents.base import IntentHandler, RequestHandler
from skill.intents.turn import Turn, turn_of

NUMBER_INTENTS = (pending_question.PAIN_SCORE, pending_question.MINUTES)
MOST_MINUTES = 24 * 60  # the longest duration understood: a day
_WHOLE_NUMBER = re.compile(r"[0-9]{1,5}")  # ASCII digits only: int() would take '٣' or '²'
_DURATION = re.compile(r"PT(?:([0-9]{1,2})H)?(?:([0-9]{1,4})M)?")  # hours and minutes only


def _number(handler_input: HandlerInput) -> int | None:
    """A number said: '7', 'twenty minutes' or a duration ('PT20M', 'PT1H30M'), as whole minutes.

    A duration is understood only in hours and minutes, up to MOST_MINUTES (a day); anything
    else (years, days, seconds, fractions, longer) is not understood and asked again.
    """
    for name in ("score", "minutes"):
        value = slot_value(handler_input, name)
        if value is not None and _WHOLE_NUMBER.fullmatch(value):
            return int(value)
    duration = _DURATION.fullmatch(slot_value(handler_input, "duration") or "")
    if duration is None or not any(duration.groups()):
        return None
    hours, minutes = (int(part or 0) for part in duration.groups())
    total = hours * 60 + minutes
    return total if total <= MOST_MINUTES else None


def _heard(handler_input: HandlerInput, question: Question) -> tuple[bool, CheckInAnswer]:
    """(understood, value) for the answer to `question`; a skip is understood as None."""
    name = intent_name(handler_input)
    if name == SKIP:
        return True, None
    if name in (YES, NO):
        said = name == YES
        if question.kind == "yes_no":
            return True, said
        if question.answer == "walk_minutes" and not said:
            return True, 0  # "Did you walk?" "No."
        return False, None
    number = _number(handler_input) if name in NUMBER_INTENTS else None
    if number is None or not accepts(question, number):
        return False, None
    return True, number


def _ask(reply: Reply, state: CheckInStep) -> Reply:
    question = QUESTIONS[state.step]
    return reply.ask(
        f"check_in.questions.{question.answer}", f"check_in.reprompts.{question.answer}"
    ).expect(state)


def _advise(turn: Turn, reply: Reply, answer: str, value: CheckInAnswer) -> None:
    contact = turn.plan.contacts[turn.plan.check_in.contact]
    for alert in alerts_for(turn.plan, answer, value):
        reply.say(
            "check_in.urgent",
            advice=plain(alert.advice[turn.strings.locale]),
            contact=plain(contact.name[turn.strings.locale]),
            phone=telephone(contact.phone),
            emergency=telephone(turn.strings.plain("check_in.emergency_number")),
        )


def save_check_in(turn: Turn, answers: dict[str, CheckInAnswer]) -> None:
    """Store what was answered, with the alerts the plan finds in it."""
    alerts = [alert.id for alert in all_alerts(turn.plan, answers)]
    turn.services.check_ins.save(turn.user_id, at=turn.now, answers=answers, alerts=alerts)


class CheckInIntentHandler(IntentHandler):
    """'Let's do my check-in'."""

    intents = ("CheckInIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        return _ask(turn.reply().say("check_in.intro"), CheckInStep(step=0)).build(handler_input)


def answer(turn: Turn, state: CheckInStep) -> Response:
    """An answer, a skip, or something not understood, while a check-in question is open."""
    handler_input = turn.handler_input
    step = min(state.step, len(QUESTIONS) - 1)
    question = QUESTIONS[step]
    understood, value = _heard(handler_input, question)
    reply = turn.reply()
    if not understood:
        return _ask(reply.say("check_in.not_understood"), state).build(handler_input)
    answers = {**state.answers, question.answer: value}
    _advise(turn, reply, question.answer, value)
    if step + 1 < len(QUESTIONS):
        return _ask(reply, CheckInStep(step=step + 1, answers=answers)).build(handler_input)
    save_check_in(turn, answers)
    return reply.say("check_in.saved").ask_anything_else().build(handler_input)


class CheckInSessionEndedHandler(RequestHandler):
    """The session ended mid check-in: keep what was answered."""

    request_types = ("SessionEndedRequest",)

    def can_handle(self, handler_input: HandlerInput) -> bool:
        if not is_request_type("SessionEndedRequest")(handler_input):
            return False
        state = pending_question.load(session_attributes(handler_input))
        return isinstance(state, CheckInStep) and bool(state.answers)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        if isinstance(turn.pending, CheckInStep):
            save_check_in(turn, dict(turn.pending.answers))
        return handler_input.response_builder.response


EVENT_HANDLERS = [CheckInSessionEndedHandler()]
HANDLERS = [CheckInIntentHandler()]
