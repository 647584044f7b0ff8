"""Where the patient is in recovery: phase, activities, milestones, exercises, contacts."""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response
from ask_sdk_model.dialog import ElicitSlotDirective

from skill.alexa.outcome import Outcome
from skill.alexa.pending import MilestoneOffered, OtherContactOffered, RepeatOffered
from skill.alexa.request import resolved_id, slot_value
from skill.intents.base import IntentHandler
from skill.intents.turn import Turn, turn_of
from skill.recovery.daily_targets import due_order
from skill.recovery.phrases import (
    activity_answer,
    call_sentence,
    contact_name,
    due_now_sentence,
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
    """'What are my exercises today?': what is still due now, offering to start the first."""

    intents = ("TodayExercisesIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        sets = turn.services.guided_sets
        items = sets.standings_today(turn, sets.allowed(turn))
        reply = turn.reply().add(due_now_sentence(turn.strings, items))
        due = [item.exercise for item in items if item.behind > 0]
        if not due:
            return reply.ask_anything_else().build(handler_input)
        later = [exercise for exercise in due_order(items) if exercise not in due]
        return reply.follow(sets.offer_due(Outcome(), turn, due + later)).build(handler_input)


def contact_response(turn: Turn, key: str) -> Response:
    """Whom to call (the plan's contact `key`), offering the next contact's number."""
    contacts = turn.plan.contacts
    reply = turn.reply().add(call_sentence(turn.strings, contacts[key]))
    others = list(contacts)
    following = others[(others.index(key) + 1) % len(others)]
    if following == key:
        return reply.ask("contact.offer_repeat").expect(RepeatOffered()).build(turn.handler_input)
    return (
        reply.ask(
            "contact.offer_other",
            "contact.offer_other_reprompt",
            name=contact_name(turn.strings, contacts[following]),
        )
        .expect(OtherContactOffered(contact=following))
        .build(turn.handler_input)
    )


def answer_other_contact(turn: Turn, pending: OtherContactOffered, *, accepted: bool) -> Response:
    """'Yes' to 'want the number for … too?': that contact, offering to repeat; 'no': anything
    else?"""
    contact = turn.plan.contacts.get(pending.contact)
    reply = turn.reply()
    if not accepted or contact is None:  # None: a plan replaced since the question
        return reply.ask_anything_else().build(turn.handler_input)
    return (
        reply.add(call_sentence(turn.strings, contact))
        .ask("contact.offer_repeat")
        .expect(RepeatOffered())
        .build(turn.handler_input)
    )


class ContactIntentHandler(IntentHandler):
    """'Who do I call?' (or "… about my pain"): the one to call for that, the other offered."""

    intents = ("ContactIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        key = turn.plan.contact_for(resolved_id(handler_input, "topic"))
        return contact_response(turn, key)


HANDLERS = [
    CurrentPhaseIntentHandler(),
    ActivityCheckIntentHandler(),
    MilestonesIntentHandler(),
    TodayExercisesIntentHandler(),
    ContactIntentHandler(),
]
