"""Where the patient is in recovery: phase, activities, milestones, exercises, contacts."""

from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_slot, is_intent_name
from ask_sdk_model import Response

from skill.phrases import (
    activity_answer,
    contacts_sentence,
    exercises_sentence,
    milestone_sentence,
    no_guidance_sentence,
    phase_sentence,
)
from skill.slots import resolved_id
from skill.timeline import current_phase, elapsed, upcoming_milestones
from skill.turn import Turn, turn_of

OFFER = "offer"


def milestone_response(turn: Turn, index: int) -> Response:
    """The upcoming milestone at `index` (0 = the next one), offering the one after."""
    surgery_date = turn.require_surgery_date()
    upcoming = upcoming_milestones(turn.plan, surgery_date, turn.today)
    reply = turn.reply()
    if index >= len(upcoming):
        reply.say("milestones.none_left")
        return reply.ask("conversation.anything_else", "conversation.anything_else_reprompt").build(
            turn.handler_input
        )
    reply.add(milestone_sentence(turn.strings, upcoming[index]))
    if index + 1 < len(upcoming):
        reply.ask("milestones.offer_more").expect(OFFER, {"kind": "milestone", "index": index + 1})
    else:
        reply.ask("conversation.anything_else", "conversation.anything_else_reprompt")
    return reply.build(turn.handler_input)


class CurrentPhaseIntentHandler(AbstractRequestHandler):  # type: ignore[misc]
    """'What phase am I in?'"""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("CurrentPhaseIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        surgery_date = turn.require_surgery_date()
        phase = current_phase(turn.plan, surgery_date, turn.today)
        return (
            turn.reply()
            .add(phase_sentence(turn.strings, phase, elapsed(surgery_date, turn.today)))
            .ask("phase.offer_next")
            .expect(OFFER, {"kind": "milestone", "index": 0})
            .build(handler_input)
        )


class ActivityCheckIntentHandler(AbstractRequestHandler):  # type: ignore[misc]
    """'Can I drive yet?': the plan's rule for this week, or an honest 'no guidance'."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("ActivityCheckIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        slot = get_slot(handler_input, "activity")
        reply = turn.reply()
        if slot is None or not slot.value:
            return reply.ask("activity.which").build(handler_input)
        activity_id = resolved_id(slot)
        rule = turn.plan.activities.get(activity_id) if activity_id else None
        if rule is None:
            reply.add(no_guidance_sentence(turn.strings, turn.plan.primary_contact))
        else:
            surgery_date = turn.require_surgery_date() if rule.from_week else None
            reply.add(activity_answer(turn.strings, rule, surgery_date, turn.today))
        return reply.ask(
            "conversation.anything_else", "conversation.anything_else_reprompt"
        ).build(handler_input)


class MilestonesIntentHandler(AbstractRequestHandler):  # type: ignore[misc]
    """'What's next?': the next milestone and its date."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("MilestonesIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        return milestone_response(turn_of(handler_input), 0)


class TodayExercisesIntentHandler(AbstractRequestHandler):  # type: ignore[misc]
    """'What are my exercises today?'"""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("TodayExercisesIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        return (
            turn.reply()
            .add(exercises_sentence(turn.strings, turn.plan))
            .ask("conversation.anything_else", "conversation.anything_else_reprompt")
            .build(handler_input)
        )


class ContactIntentHandler(AbstractRequestHandler):  # type: ignore[misc]
    """'Who do I call?'"""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("ContactIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        return (
            turn.reply()
            .add(contacts_sentence(turn.strings, turn.plan))
            .ask("contact.offer_repeat")
            .expect(OFFER, {"kind": "repeat"})
            .build(handler_input)
        )


HANDLERS = [
    CurrentPhaseIntentHandler(),
    ActivityCheckIntentHandler(),
    MilestonesIntentHandler(),
    TodayExercisesIntentHandler(),
    ContactIntentHandler(),
]
