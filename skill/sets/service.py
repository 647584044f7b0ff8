"""Guided sets for one request: start, continue, resume, move, pause and close them.

Every function takes the request's Turn and either returns a Reply to finish (conversation
requests) or acts silently (AudioPlayer events). A set is delivered as the exercise's built
track through AudioPlayer when the device can stream it and the audio is hosted, and spoken
in chunks otherwise. Progress lives in the exercise log, so any request on any device can
take a set up where it stopped.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from ask_sdk_model.interfaces.audioplayer import PlayDirective
from markupsafe import Markup

from skill.alexa.pending import NextChunkOffered, SetOffered
from skill.alexa.speech import Reply, plain
from skill.coach_audio.manifest import Track, repetition_start_ms
from skill.content.plan import InBedExercise, week_start
from skill.intents.turn import Turn
from skill.recovery.daily_targets import (
    Standing,
    due_order,
    is_allowed,
    local_day_bounds,
    standings,
)
from skill.sets.player import play, supports_audio_player
from skill.sets.script import Pace
from skill.sets.spoken import SpokenChunk
from skill.sets.tokens import PlaybackToken
from skill.store.exercise_log import Delivery, ExerciseSet, Outcome

PACE_PREFERENCE = "pace"
SPEECH_ONLY_PREFIX = "speech_only:"
PACE_ORDER = (Pace.SLOW, Pace.NORMAL, Pace.BRISK)
RECENT = timedelta(hours=1)


def exercise_name(turn: Turn, exercise_id: str) -> Markup:
    """The exercise's spoken name (its id if a clinic removed it from the plan)."""
    exercise = turn.plan.exercise(exercise_id)
    return plain(exercise.name[turn.strings.locale] if exercise else exercise_id)


def pace_name(turn: Turn, pace: str) -> Markup:
    """'slow', 'normal' or 'brisk' in the patient's language."""
    return turn.strings.text(f"pace.names.{pace}")


def preferred_pace(turn: Turn) -> Pace:
    """The pace the patient chose last, normal until they choose."""
    value = turn.preferences.get(PACE_PREFERENCE)
    return Pace(value) if value in {pace.value for pace in Pace} else Pace.NORMAL


def _device_key(device_id: str) -> str:
    return SPEECH_ONLY_PREFIX + hashlib.sha256(device_id.encode("utf-8")).hexdigest()[:16]


def device_is_speech_only(turn: Turn) -> bool:
    """Whether a stream failed on this device before (then sets are spoken there)."""
    device = turn.device_id
    return bool(device and turn.preferences.get(_device_key(device)))


def mark_device_speech_only(turn: Turn) -> None:
    """Remember that this device could not play a track."""
    if turn.device_id and turn.user_id:
        turn.services.patients.update_preferences(turn.user_id, {_device_key(turn.device_id): True})


def track_for(turn: Turn, exercise_id: str, pace: str) -> Track | None:
    """The hosted track of an exercise at a pace, if built."""
    return turn.services.coach_voice.track(turn.strings.locale, exercise_id, pace)


def can_stream(turn: Turn, exercise_id: str, pace: str) -> bool:
    """Whether this set can play as a track on this device."""
    return (
        supports_audio_player(turn.handler_input)
        and not device_is_speech_only(turn)
        and track_for(turn, exercise_id, pace) is not None
    )


def spoken_chunk(turn: Turn, exercise_id: str, pace: str, from_repetition: int) -> SpokenChunk:
    """The chunk of a spoken set from `from_repetition` on, in the patient's language (made
    once for every patient: the chunks do not depend on who is speaking)."""
    return turn.services.spoken_sets.chunk(turn.strings.locale, exercise_id, pace, from_repetition)


def allowed_exercises(turn: Turn) -> list[InBedExercise]:
    """The in-bed exercises the plan allows today (needs the surgery date)."""
    surgery_date = turn.require_surgery_date()
    return [
        exercise
        for exercise in turn.plan.in_bed_exercises.exercises
        if is_allowed(exercise, surgery_date, turn.today)
    ]


def today_standings(turn: Turn, exercises: Sequence[InBedExercise]) -> list[Standing]:
    """Sets done today against target, per exercise."""
    start, end = local_day_bounds(turn.today, turn.time_zone)
    done = turn.services.exercise_log.completed_counts(turn.user_id, start, end)
    return standings(exercises, done, turn.plan.in_bed_exercises.waking_hours, turn.local_now)


def not_yet(turn: Turn, exercise: InBedExercise, reply: Reply) -> Reply:
    """'Not yet …, from week N' from the plan, for an exercise gated to a later week."""
    surgery_date = turn.require_surgery_date()
    because = exercise.not_yet_because or {}
    return reply.say(
        "session.not_yet",
        because=plain(because.get(turn.strings.locale, "")),
        week=exercise.from_week,
        date=turn.strings.date(week_start(surgery_date, exercise.from_week)),
    ).ask_anything_else()


# Starting and speaking sets ------------------------------------------------------------------


def start_set(
    turn: Turn, exercise: InBedExercise, reply: Reply, *, up_next: Sequence[str] = ()
) -> Reply:
    """Begin a set of `exercise`: as a track when it can stream, else spoken. The set is
    stored once, already at its first chunk or with its stream (one write, not two)."""
    pace = preferred_pace(turn).value
    log = turn.services.exercise_log
    name, spoken_pace = exercise_name(turn, exercise.id), pace_name(turn, pace)

    def begin(delivery: Delivery, **details: Any) -> ExerciseSet:
        return log.start(
            turn.user_id,
            exercise.id,
            pace=pace,
            delivery=delivery,
            target=exercise.repetitions,
            at=turn.now,
            up_next=list(up_next),
            **details,
        )

    track = track_for(turn, exercise.id, pace) if can_stream(turn, exercise.id, pace) else None
    if track is not None:
        set_id = uuid.uuid4().hex
        token = PlaybackToken.for_set(turn.user_id, exercise.id, pace, set_id)
        begin(Delivery.AUDIO, set_id=set_id, stream=token.encode())
        reply.say("session.start_audio", exercise=name, pace=spoken_pace)
        url = turn.services.coach_voice.url(track.file)
        return reply.directive(play(url, token, repetition_start_ms(track, 1)))
    reply.say("session.start", exercise=name, pace=spoken_pace)
    spoken = spoken_chunk(turn, exercise.id, pace, 1)
    chunk = spoken.chunk
    done = 0 if chunk.finishes_set else chunk.last_repetition
    exercise_set = begin(Delivery.SPEECH, repetitions_done=done)
    return _say_chunk(turn, exercise_set, spoken, reply)


def play_directive(turn: Turn, exercise_set: ExerciseSet, *, repetition: int) -> PlayDirective:
    """Play the set's track from the start of `repetition`; the set remembers this stream."""
    track = track_for(turn, exercise_set.exercise_id, exercise_set.pace)
    if track is None:
        raise LookupError(f"no track for {exercise_set.exercise_id} at {exercise_set.pace}")
    token = PlaybackToken.for_set(
        turn.user_id, exercise_set.exercise_id, exercise_set.pace, exercise_set.set_id
    )
    turn.services.exercise_log.update(
        exercise_set.set_id,
        delivery=Delivery.AUDIO,
        stream=token.encode(),
        repetitions_done=repetition - 1,
    )
    offset = repetition_start_ms(track, repetition)
    return play(turn.services.coach_voice.url(track.file), token, offset)


def play_set(turn: Turn, exercise_set: ExerciseSet, reply: Reply, *, repetition: int) -> Reply:
    """A reply that plays the set from `repetition` (the session then closes)."""
    return reply.directive(play_directive(turn, exercise_set, repetition=repetition))


def speak_chunk(turn: Turn, exercise_set: ExerciseSet, reply: Reply) -> Reply:
    """Speak the next chunk of a spoken set, save progress, and ask to go on (or offer next)."""
    exercise = turn.plan.exercise(exercise_set.exercise_id)
    if exercise is None:
        turn.services.exercise_log.finish(exercise_set.set_id, Outcome.PARTIAL, at=turn.now)
        return reply.say("session.nothing_to_resume").ask_anything_else()
    spoken = spoken_chunk(turn, exercise.id, exercise_set.pace, exercise_set.next_repetition)
    chunk = spoken.chunk
    if not chunk.finishes_set:
        turn.services.exercise_log.record_progress(
            exercise_set.set_id, chunk.last_repetition, at=turn.now
        )
    return _say_chunk(turn, exercise_set, spoken, reply)


def _say_chunk(turn: Turn, exercise_set: ExerciseSet, spoken: SpokenChunk, reply: Reply) -> Reply:
    """The chunk, then 'ready for the next five?' — or, at the end, the set logged complete
    and the next exercise offered. Progress up to the chunk is already saved."""
    chunk = spoken.chunk
    reply.add(spoken.markup)
    if chunk.finishes_set:
        turn.services.exercise_log.finish(exercise_set.set_id, Outcome.COMPLETE, at=turn.now)
        return offer_next(turn, reply, after=exercise_set)
    following = spoken_chunk(
        turn, exercise_set.exercise_id, exercise_set.pace, chunk.last_repetition + 1
    ).chunk
    return reply.ask(
        "session.ready_next", "session.ready_reprompt", count=following.repetitions
    ).expect(NextChunkOffered(set_id=exercise_set.set_id))


def resume_set(turn: Turn, exercise_set: ExerciseSet, reply: Reply) -> Reply:
    """Go on with a set from the repetition where it stopped, on this device's delivery."""
    repetition = exercise_set.next_repetition
    name = exercise_name(turn, exercise_set.exercise_id)
    if repetition > 1:
        reply.say("session.resume_at", exercise=name, repetition=repetition)
    if can_stream(turn, exercise_set.exercise_id, exercise_set.pace):
        return play_set(turn, exercise_set, reply, repetition=repetition)
    if exercise_set.delivery is not Delivery.SPEECH:
        moved = turn.services.exercise_log.update(exercise_set.set_id, delivery=Delivery.SPEECH)
        exercise_set = moved or exercise_set
    if repetition == 1:
        reply.say("session.start", exercise=name, pace=pace_name(turn, exercise_set.pace))
    return speak_chunk(turn, exercise_set, reply)


def next_exercises(turn: Turn, *, after: ExerciseSet | None) -> list[InBedExercise]:
    """What to do next: the rest of the patient's routine, else what is most due today."""
    allowed = allowed_exercises(turn)
    by_id = {exercise.id: exercise for exercise in allowed}
    if after is not None and after.up_next:
        queued = [by_id[exercise_id] for exercise_id in after.up_next if exercise_id in by_id]
        if queued:
            return queued
    # Never offer again what was just done: an hourly set is due next hour, daily ones later.
    recent = turn.services.exercise_log.completed_counts(
        turn.user_id, turn.now - RECENT, turn.now + timedelta(seconds=1)
    )
    skip = set(recent) | ({after.exercise_id} if after else set())
    return [e for e in due_order(today_standings(turn, allowed)) if e.id not in skip]


def offer_next(turn: Turn, reply: Reply, *, after: ExerciseSet | None) -> Reply:
    """After a set: offer the next exercise, or close with 'anything else?'."""
    upcoming = next_exercises(turn, after=after)
    if not upcoming:
        return reply.ask_anything_else()
    first, rest = upcoming[0], [exercise.id for exercise in upcoming[1:]]
    return reply.ask(
        "session.offer_next", "session.offer_next_reprompt", exercise=exercise_name(turn, first.id)
    ).expect(SetOffered(exercise=first.id, up_next=rest))


def owned_set(turn: Turn, token: PlaybackToken) -> ExerciseSet | None:
    """The set a stream token names, if it is this patient's (stale or forged tokens: None)."""
    if not token.belongs_to(turn.user_id):
        return None
    exercise_set = turn.services.exercise_log.get(token.set_id)
    if exercise_set is None or exercise_set.user_id != turn.user_id:
        return None
    return exercise_set


def apply_pace(turn: Turn, asked: str, reply: Reply) -> ExerciseSet | None:
    """Save the pace asked for ('slower', 'brisk' …), move the set in progress to it, and say
    so; return the set in progress (at its new pace)."""
    log = turn.services.exercise_log
    current = log.current(turn.user_id) if turn.user_id else None
    chosen = new_pace(preferred_pace(turn), asked)
    if chosen is None:
        reply.say("pace.already_fastest" if asked == "faster" else "pace.already_slowest")
        return current
    turn.services.patients.update_preferences(turn.user_id, {PACE_PREFERENCE: chosen.value})
    reply.say("pace.changed", pace=pace_name(turn, chosen.value))
    if current is not None and current.pace != chosen.value:
        current = log.update(current.set_id, pace=chosen.value) or current
    return current


def new_pace(current: Pace, asked: str) -> Pace | None:
    """The pace a request asks for ('slower', 'faster' or a name); None if already at the end."""
    if asked in {pace.value for pace in Pace}:
        return Pace(asked)
    index = PACE_ORDER.index(current) + (1 if asked == "faster" else -1)
    if index < 0 or index >= len(PACE_ORDER):
        return None
    return PACE_ORDER[index]
