"""Where the patient is in recovery: phase, activities, milestones, exercises, contacts."""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response
from ask_sdk_model.dialog import ElicitSlotDirective

from skill.alexa.pending import MilestoneOffered, RepeatOffered
from skill.alexa.request import resolved_id, slot_value
from skill.intents.base import IntentHandler
from skill.intents.turn import Turn, turn_of
from skill.recovery.phrases import (
    activity_answer,
    contacts_sentence,
    exercises_sentence,
    milestone_sentence,
    no_guidance_sentence,
    phase_sentence,
)
from skill.recovery.timeline import current_phase, elapsed, upcoming_milestones


def milestone_response(turn: Turn, index: int) -> Response:
    """The upcoming milestone at `index` (0 = the next one), offering the one after."""
    surgery_date = turn.require_surgery_date()
    upcoming = upcoming_milestones(turn.plan, surgery_date, turn.today)
    reply = turn.reply()
    if index >= len(upcoming):
        reply.say("milestones.none_left")
        return reply.ask_anything_else().build(turn.handler_input)
    reply.add(milestone_sentence(turn.strings, upcoming[index]))
    if index + 1 < len(upcoming):
        reply.ask("milestones.offer_more").expect(MilestoneOffered(index=index + 1))
    else:
        reply.ask_anything_else()
    return reply.build(turn.handler_input)


class CurrentPhaseIntentHandler(IntentHandler):
    """'What phase am I in?'"""

    intents = ("CurrentPhaseIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        surgery_date = turn.require_surgery_date()
        phase = current_phase(turn.plan, surgery_date, turn.today)
        return (
            turn.reply()
            .add(phase_sentence(turn.strings, phase, elapsed(surgery_date, turn.today)))
            .ask("phase.offer_next")
            .expect(MilestoneOffered(index=0))
            .build(handler_input)
        )


class ActivityCheckIntentHandler(IntentHandler):
    """'Can I drive yet?': the plan's rule for this week, or an honest 'no guidance'."""

    intents = ("ActivityCheckIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        reply = turn.reply()
        if slot_value(handler_input, "activity") is None:
            # Elicit the slot, so Alexa listens for an activity ("driving") as the answer.
            handler_input.response_builder.add_directive(
                ElicitSlotDirective(slot_to_elicit="activity")
            )
            return reply.ask("activity.which").build(handler_input)
        activity_id = resolved_id(handler_input, "activity")
        rule = turn.plan.activities.get(activity_id) if activity_id else None
        if rule is None:
            reply.add(no_guidance_sentence(turn.strings, turn.plan.primary_contact))
        else:
            surgery_date = turn.require_surgery_date() if rule.from_week else None
            reply.add(activity_answer(turn.strings, rule, surgery_date, turn.today))
        return reply.ask_anything_else().build(handler_input)


class MilestonesIntentHandler(IntentHandler):
    """'What's next?': the next milestone and its date."""

    intents = ("MilestonesIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        return milestone_response(turn_of(handler_input), 0)


class TodayExercisesIntentHandler(IntentHandler):
    """'What are my exercises today?'"""

    intents = ("TodayExercisesIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        return (
            turn.reply()
            .add(exercises_sentence(turn.strings, turn.plan))
            .ask_anything_else()
            .build(handler_input)
        )


class ContactIntentHandler(IntentHandler):
    """'Who do I call?'"""

    intents = ("ContactIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        return (
            turn.reply()
            .add(contacts_sentence(turn.strings, turn.plan))
            .ask("contact.offer_repeat")
            .expect(RepeatOffered())
            .build(handler_input)
        )


HANDLERS = [
    CurrentPhaseIntentHandler(),
    ActivityCheckIntentHandler(),
    MilestonesIntentHandler(),
    TodayExercisesIntentHandler(),
    ContactIntentHandler(),
]
