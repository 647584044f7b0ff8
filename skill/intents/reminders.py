"""Reminders: 'remind me to do my exercises', 'what reminders do I have', 'stop reminding me',
'remind me from nine till nine'; Alexa's answer to the permission ask; Amazon's reminder and
permission events.

The reminder service (skill/reminders/service.py) owns what is created at Amazon and what is
said; these handlers read the request and say its outcome. The answers to its two questions
(the launch's offer, 'stop all your reminders?') are in skill/intents/answers.py.
"""

from __future__ import annotations

import logging
from datetime import time

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response
from pydantic import ValidationError

from skill.alexa.request import raw_request, request_type, slot_value
from skill.content.plan import WakingHours
from skill.intents.base import IntentHandler, RequestHandler
from skill.intents.turn import Turn, turn_of
from skill.recovery.reminder_schedule import whole_hours

log = logging.getLogger(__name__)

ASK_FOR = "AskFor"
# What Alexa answers to a permission ask (payload.status), when it could ask (status.code 200).
PERMISSION_ANSWERS = frozenset({"ACCEPTED", "DENIED", "NOT_ANSWERED"})
HALF_DAY = 12
# A waking day said shorter than this ('seven till ten') has its end in the evening: nobody
# asks to be reminded for three hours of the morning only, and Alexa sends "ten" as 10:00.
SHORTEST_DAY_HOURS = 8


def spoken_time(value: str | None) -> time | None:
    """An AMAZON.TIME value as a time of day ('09:00', '21:30'), or None for anything else
    (a part of the day, 'MO', 'EV', says no hour)."""
    if not value:
        return None
    try:
        moment = time.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(second=0, microsecond=0)


def spoken_window(start: str | None, end: str | None, current: WakingHours) -> WakingHours | None:
    """The reminder window 'from {start} till {end}', said as AMAZON.TIME values: either one
    unsaid keeps the `current` window's; an end not after the start is in the evening ('nine
    till nine' is 9:00 to 21:00). None when it makes no sense (no time of day, an end before
    the start even then, or not one whole hour in it); a morning end that would make the day
    shorter than SHORTEST_DAY_HOURS is the evening's too ('seven till ten' is 7:00 to 22:00)."""
    start_at = current.start if start is None else spoken_time(start)
    end_at = current.end if end is None else spoken_time(end)
    if start_at is None or end_at is None:
        return None
    short = end_at.hour * 60 + end_at.minute - (start_at.hour * 60 + start_at.minute)
    if end is not None and end_at.hour < HALF_DAY and short < SHORTEST_DAY_HOURS * 60:
        end_at = end_at.replace(hour=end_at.hour + HALF_DAY)
    try:
        window = WakingHours(start=start_at, end=end_at)
    except ValidationError:
        return None
    return window if whole_hours(window) else None


def ask_for_window(turn: Turn) -> Response:
    """A window that makes no sense: say so, briefly, and ask for it again."""
    return (
        turn.reply()
        .say("reminders.window_unclear")
        .ask("reminders.window_question", "reminders.window_question_reprompt")
        .build(turn.handler_input)
    )


class SetRemindersIntentHandler(IntentHandler):
    """'Remind me to do my exercises', 'remind me from nine till nine': set them up (asking
    for the permission first when it is missing), in the window said, if one was. Without a
    surgery date, that is asked first (the reminders follow from it)."""

    intents = ("SetRemindersIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        turn.require_surgery_date()
        start, end = slot_value(handler_input, "start"), slot_value(handler_input, "end")
        window = None
        if start is not None or end is not None:
            window = spoken_window(start, end, turn.waking_hours)
            if window is None:
                return ask_for_window(turn)
        outcome = turn.services.reminders.set_up(turn, window)
        return turn.reply().follow(outcome).build(handler_input)


class ListRemindersIntentHandler(IntentHandler):
    """'What reminders do I have?': one sentence."""

    intents = ("ListRemindersIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        return turn.reply().follow(turn.services.reminders.describe(turn)).build(handler_input)


class CancelRemindersIntentHandler(IntentHandler):
    """'Stop reminding me': ask to be sure (the yes is answered in answers.py)."""

    intents = ("CancelRemindersIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        outcome = turn.services.reminders.confirm_cancel(turn)
        return turn.reply().follow(outcome).build(handler_input)


def permission_answer(handler_input: HandlerInput) -> str | None:
    """What the patient answered Alexa's permission ask: ACCEPTED, DENIED or NOT_ANSWERED;
    None when Alexa could not ask by voice (a status code other than 200)."""
    request = raw_request(handler_input)
    status = request.get("status")
    payload = request.get("payload")
    code = status.get("code") if isinstance(status, dict) else None
    answer = payload.get("status") if isinstance(payload, dict) else None
    if str(code) != "200" or answer not in PERMISSION_ANSWERS:
        return None
    return str(answer)


class PermissionAnswerHandler(RequestHandler):
    """The Connections.Response to the AskFor this skill sent: the reminders, or a kind word.
    Any other Connections.Response (this skill sends no other request) is answered empty."""

    request_types = ("Connections.Response",)

    def handle(self, handler_input: HandlerInput) -> Response:
        name = raw_request(handler_input).get("name")
        if name != ASK_FOR:
            log.warning("a Connections.Response named %r, which this skill never asks", name)
            return handler_input.response_builder.response
        turn = turn_of(handler_input)
        outcome = turn.services.reminders.answer_permission(turn, permission_answer(handler_input))
        return turn.reply().follow(outcome).build(handler_input)


class ReminderEventHandler(RequestHandler):
    """Amazon's events: a reminder went off, was created, changed or deleted (Reminders.*);
    the permission was given or taken back. They carry no session: nothing may be said."""

    request_types = (
        "Reminders.*",
        "AlexaSkillEvent.SkillPermissionAccepted",
        "AlexaSkillEvent.SkillPermissionChanged",
    )

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        body = raw_request(handler_input).get("body")
        if turn.user_id:
            turn.services.reminders.on_event(
                turn, request_type(handler_input), body if isinstance(body, dict) else {}
            )
        return handler_input.response_builder.response


def answer_offer(turn: Turn, *, accepted: bool) -> Response:
    """'Shall I remind you …?': yes sets them up (or asks for the permission); no is kept, and
    the offer is not made again."""
    outcome = turn.services.reminders.answer_offer(turn, accepted)
    return turn.reply().follow(outcome).build(turn.handler_input)


def answer_cancel(turn: Turn, *, accepted: bool) -> Response:
    """'Stop all your reminders?': yes deletes them all; no keeps them."""
    if not accepted:
        return turn.reply().say("reminders.kept").ask_anything_else().build(turn.handler_input)
    outcome = turn.services.reminders.cancel(turn)
    return turn.reply().follow(outcome).build(turn.handler_input)


EVENT_HANDLERS = [PermissionAnswerHandler(), ReminderEventHandler()]
HANDLERS = [
    SetRemindersIntentHandler(),
    ListRemindersIntentHandler(),
    CancelRemindersIntentHandler(),
]
