"""The spoken daily check-in: four short questions, skippable, worrying answers acted on."""

from __future__ import annotations

from typing import Any

import isodate
from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_request_type
from ask_sdk_model import Response

from skill.alexa.request import intent_name, session_attributes, slot_value
from skill.alexa.speech import Reply, plain, telephone
from skill.content.check_in import QUESTIONS, Question, accepts, alerts_for, all_alerts
from skill.intents.base import IntentHandler
from skill.intents.turn import Turn, turn_of

AWAITING = "awaiting"
AWAITING_CHECK_IN = "check_in"
STATE = "check_in"
NUMBER_INTENTS = ("PainScoreIntent", "CheckInMinutesIntent")
ANSWER_INTENTS = (*NUMBER_INTENTS, "AMAZON.YesIntent", "AMAZON.NoIntent", "SkipIntent")


def _state(handler_input: HandlerInput) -> dict[str, Any] | None:
    session = session_attributes(handler_input)
    state = session.get(STATE)
    if session.get(AWAITING) != AWAITING_CHECK_IN or not isinstance(state, dict):
        return None
    return state


def _number(handler_input: HandlerInput) -> int | None:
    """A number said: '7', 'twenty minutes' or a duration ('PT20M'), as whole minutes."""
    for name in ("score", "minutes"):
        value = slot_value(handler_input, name)
        if value is not None and value.isdigit():
            return int(value)
    duration = slot_value(handler_input, "duration")
    if duration:
        try:
            parsed = isodate.parse_duration(duration)
        except (isodate.ISO8601Error, ValueError):
            return None
        if hasattr(parsed, "total_seconds"):
            return int(parsed.total_seconds() // 60)
    return None


def _heard(handler_input: HandlerInput, question: Question) -> tuple[bool, int | bool | None]:
    """(understood, value) for the answer to `question`; a skip is understood as None."""
    name = intent_name(handler_input)
    if name == "SkipIntent":
        return True, None
    if name in ("AMAZON.YesIntent", "AMAZON.NoIntent"):
        said = name == "AMAZON.YesIntent"
        if question.kind == "yes_no":
            return True, said
        if question.answer == "walk_minutes" and not said:
            return True, 0  # "Did you walk?" "No."
        return False, None
    number = _number(handler_input) if name in NUMBER_INTENTS else None
    if number is None or not accepts(question, number):
        return False, None
    return True, number


def _ask(reply: Reply, state: dict[str, Any]) -> Reply:
    question = QUESTIONS[state["step"]]
    return reply.ask(
        f"check_in.questions.{question.answer}", f"check_in.reprompts.{question.answer}"
    ).expect(AWAITING, AWAITING_CHECK_IN)


def _advise(turn: Turn, reply: Reply, answer: str, value: int | bool | None) -> None:
    contact = turn.plan.contacts[turn.plan.check_in.contact]
    for alert in alerts_for(turn.plan, answer, value):
        reply.say(
            "check_in.urgent",
            advice=plain(alert.advice[turn.strings.locale]),
            contact=plain(contact.name[turn.strings.locale]),
            phone=telephone(contact.phone),
            emergency=telephone(turn.strings.plain("check_in.emergency_number")),
        )


def save_check_in(turn: Turn, answers: dict[str, Any]) -> None:
    """Store what was answered, with the alerts the plan finds in it."""
    alerts = [alert.id for alert in all_alerts(turn.plan, answers)]
    turn.services.check_ins.save(turn.user_id, at=turn.now, answers=answers, alerts=alerts)


class CheckInIntentHandler(IntentHandler):
    """'Let's do my check-in'."""

    intents = ("CheckInIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        state: dict[str, Any] = {"step": 0, "answers": {}}
        turn.session[STATE] = state
        return _ask(turn.reply().say("check_in.intro"), state).build(handler_input)


class CheckInAnswerHandler(IntentHandler):
    """An answer, a skip, or something not understood, while a check-in question is open."""

    intents = (*ANSWER_INTENTS, "AMAZON.FallbackIntent")

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return super().can_handle(handler_input) and _state(handler_input) is not None

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        state = _state(handler_input) or {"step": 0, "answers": {}}
        step = state["step"] if isinstance(state.get("step"), int) else 0
        question = QUESTIONS[min(step, len(QUESTIONS) - 1)]
        understood, value = _heard(handler_input, question)
        reply = turn.reply()
        if not understood:
            return _ask(reply.say("check_in.not_understood"), state).build(handler_input)
        answers = dict(state.get("answers") or {})
        answers[question.answer] = value
        _advise(turn, reply, question.answer, value)
        if step + 1 < len(QUESTIONS):
            state = {"step": step + 1, "answers": answers}
            turn.session[STATE] = state
            return _ask(reply, state).build(handler_input)
        turn.session.pop(STATE, None)
        save_check_in(turn, answers)
        return reply.say("check_in.saved").ask_anything_else().build(handler_input)


class CheckInSessionEndedHandler(AbstractRequestHandler):
    """The session ended mid check-in: keep what was answered."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        if not is_request_type("SessionEndedRequest")(handler_input):
            return False
        state = session_attributes(handler_input).get(STATE)
        return isinstance(state, dict) and bool(state.get("answers"))

    def handle(self, handler_input: HandlerInput) -> Response:
        state = session_attributes(handler_input).get(STATE) or {}
        save_check_in(turn_of(handler_input), dict(state.get("answers") or {}))
        return handler_input.response_builder.response


HANDLERS = [CheckInSessionEndedHandler(), CheckInIntentHandler(), CheckInAnswerHandler()]
