"""Guided in-bed exercises in conversation: start, go on, resume, pace, log, progress."""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response
from ask_sdk_model.dialog import ElicitSlotDirective

from skill.alexa.pending import NextChunkOffered, ResumeOffered, SetOffer, SetOffered
from skill.alexa.request import intent_name, request_id, resolved_id, slot_value
from skill.alexa.speech import Reply
from skill.content.plan import InBedExercise
from skill.intents.base import IntentHandler
from skill.intents.turn import Turn, turn_of
from skill.recovery.daily_targets import due_order
from skill.recovery.phrases import exercise_names
from skill.sets.service import (
    allowed_exercises,
    apply_pace,
    exercise_name,
    next_exercises,
    not_yet,
    offer_next,
    preferred_pace,
    resume_set,
    speak_chunk,
    start_set,
    today_standings,
)
from skill.store.exercise_log import ExerciseSet, Outcome


def _which(turn: Turn, reply: Reply, *, unknown: bool) -> Reply:
    if unknown:
        reply.say("session.unknown", exercises=exercise_names(turn.strings, turn.plan))
    return reply.ask("session.which", "session.which_reprompt")


def _open_set(turn: Turn, set_id: str) -> ExerciseSet | None:
    """The patient's set with this id, if it is still in progress."""
    exercise_set = turn.services.exercise_log.get(set_id)
    if exercise_set is None or exercise_set.user_id != turn.user_id:
        return None
    return exercise_set if exercise_set.outcome is Outcome.IN_PROGRESS else None


def _nothing_to_resume(turn: Turn, reply: Reply) -> Reply:
    reply.say("session.nothing_to_resume")
    if turn.surgery_date is None:
        return reply.ask_anything_else()
    return offer_next(turn, reply, after=None)


def _start_extra_or_due(turn: Turn, reply: Reply) -> Reply:
    """Start the most due exercise, the rest following; or offer an extra set when all done."""
    allowed = allowed_exercises(turn)
    if not allowed:
        gated = turn.plan.in_bed_exercises.exercises[0]
        return not_yet(turn, gated, reply)
    order = due_order(today_standings(turn, allowed))
    if not order:
        extra = allowed[0]
        return (
            reply.say("session.all_done_today")
            .ask(
                "session.offer_extra",
                "session.offer_extra_reprompt",
                exercise=exercise_name(turn, extra.id),
            )
            .expect(SetOffered(exercise=extra.id))
        )
    return start_set(turn, order[0], reply, up_next=[e.id for e in order[1:]])


def _asked_exercise(turn: Turn) -> tuple[InBedExercise | None, bool]:
    """The exercise named in the `exercise` slot, and whether one was said at all."""
    said = slot_value(turn.handler_input, "exercise") is not None
    exercise_id = resolved_id(turn.handler_input, "exercise")
    exercise = turn.plan.exercise(exercise_id) if exercise_id else None
    return exercise, said


class StartExerciseIntentHandler(IntentHandler):
    """'Start my bridges' (that one) or 'start my exercises' (the most due, then the rest)."""

    intents = ("StartExerciseIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        reply = turn.reply()
        allowed = allowed_exercises(turn)
        exercise, said = _asked_exercise(turn)
        if said and exercise is None:
            return _which(turn, reply, unknown=True).build(handler_input)
        if exercise is None:
            return _start_extra_or_due(turn, reply).build(handler_input)
        if exercise not in allowed:
            return not_yet(turn, exercise, reply).build(handler_input)
        return start_set(turn, exercise, reply).build(handler_input)


def answer_set_offer(turn: Turn, offer: SetOffer, *, accepted: bool) -> Response:
    """'Yes' to 'ready for the next five?', 'shall we finish them?' or 'next, bridges?'; 'no':
    rest now (the set waits), put an old set aside, or end for today."""
    reply = turn.reply()
    if not accepted:
        if isinstance(offer, NextChunkOffered):
            return reply.say("session.paused").build(turn.handler_input)
        if isinstance(offer, ResumeOffered):
            exercise_set = _open_set(turn, offer.set_id)
            if exercise_set is not None:
                turn.services.exercise_log.finish(exercise_set.set_id, Outcome.PARTIAL, at=turn.now)
            return reply.say("session.set_closed").ask_anything_else().build(turn.handler_input)
        return reply.say("conversation.goodbye").build(turn.handler_input)
    if isinstance(offer, SetOffered):
        exercise = turn.plan.exercise(offer.exercise)
        if exercise is None or exercise not in allowed_exercises(turn):
            return _nothing_to_resume(turn, reply).build(turn.handler_input)
        return start_set(turn, exercise, reply, up_next=offer.up_next).build(turn.handler_input)
    exercise_set = _open_set(turn, offer.set_id)
    if exercise_set is None:
        return _nothing_to_resume(turn, reply).build(turn.handler_input)
    if isinstance(offer, NextChunkOffered):
        return speak_chunk(turn, exercise_set, reply).build(turn.handler_input)
    return resume_set(turn, exercise_set, reply).build(turn.handler_input)


class ResumeIntentHandler(IntentHandler):
    """'Resume': the unfinished set, from the repetition where it stopped, on any device."""

    intents = ("AMAZON.ResumeIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        current = turn.services.exercise_log.current(turn.user_id) if turn.user_id else None
        if current is None:
            return _nothing_to_resume(turn, turn.reply()).build(handler_input)
        return resume_set(turn, current, turn.reply()).build(handler_input)


class PauseIntentHandler(IntentHandler):
    """'Pause' in a spoken set: rest, the set waits; 'resume' goes on."""

    intents = ("AMAZON.PauseIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        current = turn.services.exercise_log.current(turn.user_id) if turn.user_id else None
        key = "session.paused" if current is not None else "conversation.goodbye"
        return turn.reply().say(key).build(handler_input)


class GoBackIntentHandler(IntentHandler):
    """'Start over' or 'previous' in a spoken set: from the first, or the previous, repetition."""

    intents = ("AMAZON.StartOverIntent", "AMAZON.PreviousIntent")

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        current = turn.services.exercise_log.current(turn.user_id) if turn.user_id else None
        if current is None:
            return _nothing_to_resume(turn, turn.reply()).build(handler_input)
        if intent_name(handler_input) == "AMAZON.StartOverIntent":
            repetition = 1
        else:
            repetition = max(1, current.next_repetition - 1)
        moved = turn.services.exercise_log.update(current.set_id, repetitions_done=repetition - 1)
        return resume_set(turn, moved or current, turn.reply()).build(handler_input)


class NextExerciseIntentHandler(IntentHandler):
    """'Next exercise': put the current set aside and start the next one."""

    intents = ("NextExerciseIntent", "AMAZON.NextIntent")

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        current = turn.services.exercise_log.current(turn.user_id)
        upcoming = next_exercises(turn, after=current)
        reply = turn.reply()
        if not upcoming:
            return reply.say("session.last_one").ask_anything_else().build(handler_input)
        rest = [exercise.id for exercise in upcoming[1:]]
        return start_set(turn, upcoming[0], reply, up_next=rest).build(handler_input)


class SetPaceIntentHandler(IntentHandler):
    """'Slower' / 'faster' / 'normal': remembered; a spoken set in progress goes on at it."""

    intents = ("SetPaceIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        reply = turn.reply()
        asked = resolved_id(handler_input, "pace")
        if asked is None:
            return reply.ask("pace.which", "pace.which_reprompt").build(handler_input)
        current = apply_pace(turn, asked, reply)
        offer = turn.pending
        if (
            current is not None
            and isinstance(offer, NextChunkOffered | ResumeOffered)
            and offer.set_id == current.set_id
        ):
            return speak_chunk(turn, current, reply).build(handler_input)
        return reply.ask_anything_else().build(handler_input)


class LogExerciseIntentHandler(IntentHandler):
    """'I did my knee presses': a set done without guidance, counted once."""

    intents = ("LogExerciseIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        reply = turn.reply()
        allowed_exercises(turn)  # the log belongs to a known recovery: needs the surgery date
        exercise, said = _asked_exercise(turn)
        if exercise is None:
            handler_input.response_builder.add_directive(
                ElicitSlotDirective(slot_to_elicit="exercise")
            )
            return _which(turn, reply, unknown=said).build(handler_input)
        turn.services.exercise_log.log_self_report(
            turn.user_id,
            exercise.id,
            pace=preferred_pace(turn).value,
            target=exercise.repetitions,
            at=turn.now,
            key=request_id(handler_input) or f"{turn.user_id}:{turn.now.isoformat()}",
        )
        standing = next(s for s in today_standings(turn, [exercise]))
        return (
            reply.say(
                "session.logged",
                exercise=exercise_name(turn, exercise.id),
                done=standing.done,
                target=standing.target,
            )
            .ask_anything_else()
            .build(handler_input)
        )


class ProgressTodayIntentHandler(IntentHandler):
    """'How many have I done today?': each exercise against today's target, then the next."""

    intents = ("ProgressTodayIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        allowed = allowed_exercises(turn)
        items = today_standings(turn, allowed)
        reply = turn.reply()
        reply.say(
            "session.progress",
            items=turn.strings.join(
                [
                    turn.strings.text(
                        "session.progress_item",
                        exercise=exercise_name(turn, item.exercise.id),
                        done=item.done,
                        target=item.target,
                    )
                    for item in items
                ]
            ),
        )
        order = due_order(items)
        if not order:
            return reply.say("session.all_done_today").ask_anything_else().build(handler_input)
        first = order[0]
        return (
            reply.ask(
                "session.offer_due",
                "session.offer_due_reprompt",
                exercise=exercise_name(turn, first.id),
            )
            .expect(SetOffered(exercise=first.id, up_next=[e.id for e in order[1:]]))
            .build(handler_input)
        )


def unfinished_set_offer(turn: Turn, reply: Reply) -> Reply | None:
    """At launch: 'You stopped at repetition 6 of your bridges. Shall we finish them?'."""
    current = turn.services.exercise_log.current(turn.user_id) if turn.user_id else None
    if current is None:
        return None
    return reply.ask(
        "session.unfinished",
        "session.unfinished_reprompt",
        repetition=current.next_repetition,
        exercise=exercise_name(turn, current.exercise_id),
    ).expect(ResumeOffered(set_id=current.set_id))


HANDLERS = [
    StartExerciseIntentHandler(),
    ResumeIntentHandler(),
    PauseIntentHandler(),
    GoBackIntentHandler(),
    NextExerciseIntentHandler(),
    SetPaceIntentHandler(),
    LogExerciseIntentHandler(),
    ProgressTodayIntentHandler(),
]
