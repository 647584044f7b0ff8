"""The guided-set service: a set's whole life, from its start to its last repetition.

It starts sets (streamed as the exercise's track when the device can play it and the audio is
hosted, spoken in chunks otherwise), speaks the next chunk, stops a stream where it is, resumes
where a set stopped (any device, any day), moves back, forward and on to the next exercise,
changes the pace, stops a set for pain, and keeps the exercise log where every AudioPlayer
event and device button says the stream is. It answers with plain outcomes
(skill/alexa/outcome.py: message keys and parameters, a question, directives) that handlers
turn into replies; it knows nothing of requests or handlers. Progress lives in the exercise
log, so any request on any device can take a set up where it stopped.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from ask_sdk_model import Directive
from ask_sdk_model.interfaces.audioplayer import PlayDirective
from markupsafe import Markup

from skill.alexa.outcome import Listed, Message, Outcome, message
from skill.alexa.pending import (
    NextChunkOffered,
    Pending,
    ResumeOffered,
    SetOffer,
    SetOffered,
)
from skill.alexa.speech import plain
from skill.coach_audio.manifest import Track, repetition_start_ms, repetitions_completed_at
from skill.content.plan import InBedExercise, Pace, RecoveryPlan, WakingHours, week_start
from skill.recovery.daily_targets import (
    Standing,
    due_order,
    is_allowed,
    local_day_bounds,
    standings,
)
from skill.recovery.timeline import NeedSurgeryDate
from skill.sets.coach_voice import CoachVoice
from skill.sets.player import PlaybackEvent, PlayerState, play, stop
from skill.sets.script import Variant
from skill.sets.spoken import SpokenChunk, SpokenSets
from skill.sets.tokens import PlaybackToken, parse_token
from skill.store.exercise_log import Delivery, ExerciseLog, ExerciseSet
from skill.store.exercise_log import Outcome as SetOutcome
from skill.store.keys import device_key
from skill.store.patients import PatientAndSet, PatientStore

log = logging.getLogger(__name__)

PACE_PREFERENCE = "pace"
SPEECH_ONLY_PREFIX = "speech_only:"
PACE_ORDER = (Pace.SLOW, Pace.NORMAL, Pace.BRISK)
RECENT = timedelta(hours=1)
# The line Alexa says as a set starts: with the full instructions, or a short one (the "it
# hurts" escape is in both).
START_LINE = {Variant.FULL: "session.start", Variant.SHORT: "session.start_short"}
START_AUDIO_LINE = {Variant.FULL: "session.start_audio", Variant.SHORT: "session.start_audio_short"}


class Command:
    """What a patient asks of a set in progress (by voice, or with a device's buttons)."""

    PLAY, PAUSE, NEXT, PREVIOUS, REPEAT, START_OVER = (
        "play",
        "pause",
        "next",
        "previous",
        "repeat",
        "start_over",
    )


class PatientNow(Protocol):
    """Who asks, on which device, in which language, and when: what the service needs of a
    request (the handlers' Turn provides it, each value read at most once, when needed)."""

    @property
    def user_id(self) -> str: ...
    @property
    def device_id(self) -> str: ...
    @property
    def locale(self) -> str: ...
    @property
    def now(self) -> datetime: ...
    @property
    def local_now(self) -> datetime: ...
    @property
    def today(self) -> date: ...
    @property
    def time_zone(self) -> ZoneInfo: ...
    @property
    def preferences(self) -> Mapping[str, Any]: ...
    @property
    def surgery_date(self) -> date | None: ...
    @property
    def audio_player(self) -> bool: ...
    @property
    def patient_and_set(self) -> PatientAndSet | None: ...
    @property
    def waking_hours(self) -> WakingHours: ...
    def require_surgery_date(self) -> date: ...


def pace_name(pace: Pace) -> Message:
    """'slow', 'normal' or 'brisk', said in the patient's language."""
    return message(f"pace.names.{pace.value}")


def new_pace(current: Pace, asked: str) -> Pace | None:
    """The pace a request asks for ('slower', 'faster' or a name); None if already at the end."""
    if asked in {pace.value for pace in Pace}:
        return Pace(asked)
    index = PACE_ORDER.index(current) + (1 if asked == "faster" else -1)
    if index < 0 or index >= len(PACE_ORDER):
        return None
    return PACE_ORDER[index]


class GuidedSets:
    """Starts, speaks, streams, pauses, resumes, moves and closes guided sets."""

    def __init__(
        self,
        plan: RecoveryPlan,
        exercise_log: ExerciseLog,
        patients: PatientStore,
        coach_voice: CoachVoice,
        spoken_sets: SpokenSets,
    ) -> None:
        self.plan = plan
        self.exercise_log = exercise_log
        self.patients = patients
        self.coach_voice = coach_voice
        self.spoken_sets = spoken_sets

    # What the patient may do today -------------------------------------------------------

    def exercise_name(self, exercise_id: str, locale: str) -> Markup:
        """The exercise's spoken name (its id if a clinic removed it from the plan)."""
        exercise = self.plan.exercise(exercise_id)
        return plain(exercise.name[locale] if exercise else exercise_id)

    def preferred_pace(self, who: PatientNow) -> Pace:
        """The pace the patient chose last, normal until they choose."""
        value = who.preferences.get(PACE_PREFERENCE)
        return Pace(value) if value in {pace.value for pace in Pace} else Pace.NORMAL

    def allowed(self, who: PatientNow) -> list[InBedExercise]:
        """The in-bed exercises the plan allows today (needs the surgery date)."""
        surgery_date = who.require_surgery_date()
        return [
            exercise
            for exercise in self.plan.in_bed_exercises.exercises
            if is_allowed(exercise, surgery_date, who.today)
        ]

    def standings_today(
        self, who: PatientNow, exercises: Sequence[InBedExercise]
    ) -> list[Standing]:
        """Sets done today against target, per exercise."""
        start, end = local_day_bounds(who.today, who.time_zone)
        done = self.exercise_log.completed_counts(who.user_id, start, end)
        return standings(exercises, done, who.waking_hours, who.local_now)

    def current(self, who: PatientNow) -> ExerciseSet | None:
        """The patient's set in progress, if any."""
        return self.exercise_log.current(who.user_id) if who.user_id else None

    def not_yet(self, who: PatientNow, exercise: InBedExercise) -> Outcome:
        """'Not yet …, from week N' from the plan, for an exercise gated to a later week."""
        surgery_date = who.require_surgery_date()
        because = exercise.not_yet_because or {}
        return (
            Outcome()
            .say(
                "session.not_yet",
                because=plain(because.get(who.locale, "")),
                week=exercise.from_week,
                date=week_start(surgery_date, exercise.from_week),
            )
            .ask_anything_else()
        )

    # Starting sets --------------------------------------------------------------------------

    def start(
        self, who: PatientNow, exercise: InBedExercise, *, up_next: Sequence[str] = ()
    ) -> Outcome:
        """Begin a set of `exercise`: as a track when it can stream, else spoken. The set is
        stored once, already with its stream or at its first chunk (one write, not two)."""
        pace = self.preferred_pace(who)
        name = self.exercise_name(exercise.id, who.locale)
        said = Outcome()

        def begin(delivery: Delivery, **details: Any) -> ExerciseSet:
            return self.exercise_log.start(
                who.user_id,
                exercise.id,
                pace=pace,
                delivery=delivery,
                target=exercise.repetitions,
                at=who.now,
                up_next=list(up_next),
                **details,
            )

        variant = self.variant_today(who, exercise.id)
        if self._can_stream(who, exercise.id, pace):
            track, variant = self._variant_track(who, exercise.id, pace, variant)
            set_id = uuid.uuid4().hex
            token = PlaybackToken.for_set(who.user_id, exercise.id, pace, set_id, variant)
            begin(Delivery.AUDIO, set_id=set_id, stream=token.encode())
            said.say(START_AUDIO_LINE[variant], exercise=name, pace=pace_name(pace))
            url = self.coach_voice.url(track.file)
            return said.directive(play(url, token, repetition_start_ms(track, 1)))
        said.say(START_LINE[variant], exercise=name, pace=pace_name(pace))
        spoken = self._chunk(who, exercise.id, pace, 1, variant)
        chunk = spoken.chunk
        done = 0 if chunk.finishes_set else chunk.last_repetition
        exercise_set = begin(Delivery.SPEECH, repetitions_done=done)
        return self._say_chunk(said, who, exercise_set, spoken)

    def start_asked(self, who: PatientNow, exercise: InBedExercise) -> Outcome:
        """'Start my bridges': that one, if the plan allows it this week."""
        if exercise not in self.allowed(who):
            return self.not_yet(who, exercise)
        return self.start(who, exercise)

    def start_most_due(self, who: PatientNow) -> Outcome:
        """'Start my exercises': the most due, the rest following; an extra set when all done."""
        allowed = self.allowed(who)
        if not allowed:
            return self.not_yet(who, self.plan.in_bed_exercises.exercises[0])
        order = due_order(self.standings_today(who, allowed))
        if not order:
            extra = allowed[0]
            return (
                Outcome()
                .say("session.all_done_today")
                .ask(
                    "session.offer_extra",
                    "session.offer_extra_reprompt",
                    exercise=self.exercise_name(extra.id, who.locale),
                )
                .expect(SetOffered(exercise=extra.id))
            )
        return self.start(who, order[0], up_next=[e.id for e in order[1:]])

    # Instructions once a day ------------------------------------------------------------------

    def variant_today(self, who: PatientNow, exercise_id: str) -> Variant:
        """Full instructions for the first set of an exercise in the patient's day, short once
        a guided set of it started today was completed. A set put aside or stopped for pain
        does not count: the next one says it all again, the safety line too."""
        start, end = local_day_bounds(who.today, who.time_zone)
        instructed = self.exercise_log.instructed_exercises(who.user_id, start, end)
        return Variant.SHORT if exercise_id in instructed else Variant.FULL

    def how_to(self, who: PatientNow, exercise: InBedExercise | None = None) -> Outcome:
        """'How do I do this?': the plan's starting position and the instruction of the exercise
        named, else of the set in progress, else of the most due one; then the offer to go on
        with that set, or to start one."""
        current = self.current(who)
        if exercise is None and current is not None:
            exercise = self.plan.exercise(current.exercise_id)
        if exercise is not None and current is not None and current.exercise_id == exercise.id:
            return (
                self._instructions(who, exercise)
                .ask(
                    "session.how_to_go_on",
                    "session.how_to_go_on_reprompt",
                    exercise=self.exercise_name(exercise.id, who.locale),
                )
                .expect(ResumeOffered(set_id=current.set_id, rest_on_no=True))
            )
        allowed = self.allowed(who)
        if exercise is None:
            order = due_order(self.standings_today(who, allowed))
            exercise = order[0] if order else allowed[0] if allowed else None
        if exercise is None or exercise not in allowed:
            return self.not_yet(who, exercise or self.plan.in_bed_exercises.exercises[0])
        return (
            self._instructions(who, exercise)
            .ask(
                "session.how_to_start",
                "session.how_to_start_reprompt",
                exercise=self.exercise_name(exercise.id, who.locale),
            )
            .expect(SetOffered(exercise=exercise.id))
        )

    def _instructions(self, who: PatientNow, exercise: InBedExercise) -> Outcome:
        in_bed = self.plan.in_bed_exercises
        return Outcome().say(
            "session.how_to",
            position=plain(in_bed.starting_position.text[who.locale]),
            instruction=plain(exercise.instruction[who.locale]),
        )

    # Spoken sets ----------------------------------------------------------------------------

    def _chunk(
        self,
        who: PatientNow,
        exercise_id: str,
        pace: Pace,
        repetition: int,
        variant: Variant = Variant.FULL,
    ) -> SpokenChunk:
        """The chunk of a spoken set from `repetition` on, in the patient's language (made once
        for every patient: the chunks do not depend on who is speaking); the variant shapes
        only the first chunk's opening."""
        return self.spoken_sets.chunk(who.locale, exercise_id, pace, repetition, variant)

    def _speak_next_chunk(
        self,
        said: Outcome,
        who: PatientNow,
        exercise_set: ExerciseSet,
        variant: Variant | None = None,
    ) -> Outcome:
        """Speak the next chunk of a spoken set, save progress, and ask to go on. From the first
        repetition it opens as `variant` says (by default, as today's rule says)."""
        exercise = self.plan.exercise(exercise_set.exercise_id)
        if exercise is None:
            self.exercise_log.finish(exercise_set.set_id, SetOutcome.PARTIAL, at=who.now)
            return said.say("session.nothing_to_resume").ask_anything_else()
        repetition = exercise_set.next_repetition
        if variant is None:
            variant = self.variant_today(who, exercise.id) if repetition == 1 else Variant.FULL
        spoken = self._chunk(who, exercise.id, exercise_set.pace, repetition, variant)
        chunk = spoken.chunk
        if not chunk.finishes_set:
            self.exercise_log.record_progress(
                exercise_set.set_id, chunk.last_repetition, at=who.now
            )
        return self._say_chunk(said, who, exercise_set, spoken)

    def _say_chunk(
        self, said: Outcome, who: PatientNow, exercise_set: ExerciseSet, spoken: SpokenChunk
    ) -> Outcome:
        """The chunk, then 'ready for the next five?' — or, at the end, the set logged complete
        and the next exercise offered. Progress up to the chunk is already saved."""
        chunk = spoken.chunk
        said.add(spoken.markup)
        if chunk.finishes_set:
            self.exercise_log.finish(exercise_set.set_id, SetOutcome.COMPLETE, at=who.now)
            return self._offer_next(said, who, after=exercise_set)
        following = self._chunk(
            who, exercise_set.exercise_id, exercise_set.pace, chunk.last_repetition + 1
        ).chunk
        return said.ask(
            "session.ready_next", "session.ready_reprompt", count=following.repetitions
        ).expect(NextChunkOffered(set_id=exercise_set.set_id))

    # Offers and their answers ---------------------------------------------------------------

    def unfinished_offer(self, who: PatientNow) -> Outcome | None:
        """At launch: 'You stopped at repetition 6 of your bridges. Shall we finish them?'."""
        read_with_patient = who.patient_and_set  # a launch reads both in one statement
        current = (
            read_with_patient.set_in_progress
            if read_with_patient is not None
            else self.current(who)
        )
        if current is None:
            return None
        return (
            Outcome()
            .ask(
                "session.unfinished",
                "session.unfinished_reprompt",
                repetition=current.next_repetition,
                exercise=self.exercise_name(current.exercise_id, who.locale),
            )
            .expect(ResumeOffered(set_id=current.set_id))
        )

    def answer_offer(self, who: PatientNow, offer: SetOffer, *, accepted: bool) -> Outcome:
        """'Yes' to 'ready for the next five?', 'shall we finish them?' or 'next, bridges?';
        'no': rest now (the set waits), put an old set aside, or end for today."""
        if not accepted:
            if isinstance(offer, NextChunkOffered) or (
                isinstance(offer, ResumeOffered) and offer.rest_on_no
            ):
                return Outcome().say("session.paused")
            if isinstance(offer, ResumeOffered):
                exercise_set = self._open_set(who, offer.set_id)
                if exercise_set is not None:
                    self.exercise_log.finish(exercise_set.set_id, SetOutcome.PARTIAL, at=who.now)
                return Outcome().say("session.set_closed").ask_anything_else()
            return Outcome().say("conversation.goodbye")
        if isinstance(offer, SetOffered):
            exercise = self.plan.exercise(offer.exercise)
            if exercise is None or exercise not in self.allowed(who):
                return self._nothing_to_resume(who)
            return self.start(who, exercise, up_next=offer.up_next)
        exercise_set = self._open_set(who, offer.set_id)
        if exercise_set is None:
            return self._nothing_to_resume(who)
        if isinstance(offer, NextChunkOffered):
            return self._speak_next_chunk(Outcome(), who, exercise_set)
        return self._resume(Outcome(), who, exercise_set)

    def _open_set(self, who: PatientNow, set_id: str) -> ExerciseSet | None:
        """The patient's set with this id, if it is still in progress."""
        exercise_set = self.exercise_log.get(set_id)
        if exercise_set is None or exercise_set.user_id != who.user_id:
            return None
        return exercise_set if exercise_set.outcome is SetOutcome.IN_PROGRESS else None

    def _nothing_to_resume(self, who: PatientNow) -> Outcome:
        said = Outcome().say("session.nothing_to_resume")
        if who.surgery_date is None:
            return said.ask_anything_else()
        return self._offer_next(said, who, after=None)

    def next_exercises(self, who: PatientNow, *, after: ExerciseSet | None) -> list[InBedExercise]:
        """What to do next: the rest of the patient's routine, else what is most due today."""
        allowed = self.allowed(who)
        by_id = {exercise.id: exercise for exercise in allowed}
        if after is not None and after.up_next:
            queued = [by_id[exercise_id] for exercise_id in after.up_next if exercise_id in by_id]
            if queued:
                return queued
        # Never offer again what was just done: an hourly set is due next hour, daily ones later.
        recent = self.exercise_log.completed_counts(
            who.user_id, who.now - RECENT, who.now + timedelta(seconds=1)
        )
        skip = set(recent) | ({after.exercise_id} if after else set())
        return [e for e in due_order(self.standings_today(who, allowed)) if e.id not in skip]

    def _offer_next(self, said: Outcome, who: PatientNow, *, after: ExerciseSet | None) -> Outcome:
        """After a set: offer the next exercise, or close with 'anything else?'."""
        upcoming = self.next_exercises(who, after=after)
        if not upcoming:
            return said.ask_anything_else()
        first, rest = upcoming[0], [exercise.id for exercise in upcoming[1:]]
        return said.ask(
            "session.offer_next",
            "session.offer_next_reprompt",
            exercise=self.exercise_name(first.id, who.locale),
        ).expect(SetOffered(exercise=first.id, up_next=rest))

    # Resuming and moving a set, spoken or streamed ----------------------------------------------

    def resume(self, who: PatientNow) -> Outcome:
        """'Resume': the unfinished set, from the repetition where it stopped, on any device."""
        current = self.current(who)
        if current is None:
            return self._nothing_to_resume(who)
        return self._resume(Outcome(), who, current)

    def _resume(self, said: Outcome, who: PatientNow, exercise_set: ExerciseSet) -> Outcome:
        """Go on with a set from the repetition where it stopped, on this device's delivery."""
        repetition = exercise_set.next_repetition
        name = self.exercise_name(exercise_set.exercise_id, who.locale)
        if repetition > 1:
            said.say("session.resume_at", exercise=name, repetition=repetition)
        if self._can_stream(who, exercise_set.exercise_id, exercise_set.pace):
            return said.directive(self._play(who, exercise_set, repetition=repetition))
        if exercise_set.delivery is not Delivery.SPEECH:
            moved = self.exercise_log.update(exercise_set.set_id, delivery=Delivery.SPEECH)
            exercise_set = moved or exercise_set
        if repetition > 1:
            return self._speak_next_chunk(said, who, exercise_set)
        variant = self.variant_today(who, exercise_set.exercise_id)
        said.say(START_LINE[variant], exercise=name, pace=pace_name(exercise_set.pace))
        return self._speak_next_chunk(said, who, exercise_set, variant)

    def pause_spoken(self, who: PatientNow) -> Outcome:
        """'Pause' in a spoken set: rest, the set waits; 'resume' goes on."""
        key = "session.paused" if self.current(who) is not None else "conversation.goodbye"
        return Outcome().say(key)

    def go_back(self, who: PatientNow, *, to_start: bool) -> Outcome:
        """'Start over' or 'previous' in a spoken set: from the first, or the previous,
        repetition."""
        current = self.current(who)
        if current is None:
            return self._nothing_to_resume(who)
        repetition = 1 if to_start else max(1, current.next_repetition - 1)
        moved = self.exercise_log.update(current.set_id, repetitions_done=repetition - 1)
        return self._resume(Outcome(), who, moved or current)

    def next_exercise(self, who: PatientNow) -> Outcome:
        """'Next exercise': put the current set aside and start the next one."""
        upcoming = self.next_exercises(who, after=self.current(who))
        if not upcoming:
            return Outcome().say("session.last_one").ask_anything_else()
        return self.start(who, upcoming[0], up_next=[exercise.id for exercise in upcoming[1:]])

    def change_pace(self, who: PatientNow, asked: str, *, open_question: Pending | None) -> Outcome:
        """'Slower' / 'faster' / 'normal': remembered; a spoken set that asked to go on goes on
        at it."""
        said = Outcome()
        current = self._apply_pace(said, who, asked)
        if (
            current is not None
            and isinstance(open_question, NextChunkOffered | ResumeOffered)
            and open_question.set_id == current.set_id
        ):
            return self._speak_next_chunk(said, who, current)
        return said.ask_anything_else()

    def _apply_pace(self, said: Outcome, who: PatientNow, asked: str) -> ExerciseSet | None:
        """Save the pace asked for, move the set in progress to it, and say so; return the set
        in progress (at its new pace)."""
        current = self.current(who)
        chosen = new_pace(self.preferred_pace(who), asked)
        if chosen is None:
            said.say("pace.already_fastest" if asked == "faster" else "pace.already_slowest")
            return current
        self.patients.update_preferences(who.user_id, {PACE_PREFERENCE: chosen.value})
        said.say("pace.changed", pace=pace_name(chosen))
        if current is not None and current.pace is not chosen:
            current = self.exercise_log.update(current.set_id, pace=chosen) or current
        return current

    # Logging and progress ---------------------------------------------------------------------

    def log_self_report(self, who: PatientNow, exercise: InBedExercise, *, key: str) -> Outcome:
        """'I did my knee presses': a set done without guidance, counted once per request."""
        self.exercise_log.log_self_report(
            who.user_id,
            exercise.id,
            pace=self.preferred_pace(who),
            target=exercise.repetitions,
            at=who.now,
            key=key,
        )
        standing = self.standings_today(who, [exercise])[0]
        return (
            Outcome()
            .say(
                "session.logged",
                exercise=self.exercise_name(exercise.id, who.locale),
                done=standing.done,
                target=standing.target,
            )
            .ask_anything_else()
        )

    def progress_today(self, who: PatientNow) -> Outcome:
        """'How many have I done today?': each exercise against today's target, then the next."""
        items = self.standings_today(who, self.allowed(who))
        said = Outcome().say(
            "session.progress",
            items=Listed(
                tuple(
                    message(
                        "session.progress_item",
                        exercise=self.exercise_name(item.exercise.id, who.locale),
                        done=item.done,
                        target=item.target,
                    )
                    for item in items
                )
            ),
        )
        order = due_order(items)
        if not order:
            return said.say("session.all_done_today").ask_anything_else()
        return self.offer_due(said, who, order)

    def offer_due(self, said: Outcome, who: PatientNow, order: list[InBedExercise]) -> Outcome:
        """End with 'Shall we do your knee presses now?' for the first of `order` (not empty);
        a yes starts it, the rest of `order` after it."""
        first = order[0]
        return said.ask(
            "session.offer_due",
            "session.offer_due_reprompt",
            exercise=self.exercise_name(first.id, who.locale),
        ).expect(SetOffered(exercise=first.id, up_next=[e.id for e in order[1:]]))

    # Streams: the rule from a stream's offset to repetitions, and every event -----------------

    def _track(
        self, who: PatientNow, exercise_id: str, pace: Pace, variant: Variant = Variant.FULL
    ) -> Track | None:
        """The hosted track of an exercise at a pace in a variant, if built."""
        return self.coach_voice.track(who.locale, exercise_id, pace, variant)

    def _variant_track(
        self, who: PatientNow, exercise_id: str, pace: Pace, variant: Variant
    ) -> tuple[Track, Variant]:
        """The track to play and its variant: the full one where the short is not built (audio
        built before short tracks). Only for a set that can stream (its full track is there)."""
        track = self._track(who, exercise_id, pace, variant)
        if track is not None:
            return track, variant
        track = self._track(who, exercise_id, pace)
        if track is None:
            raise LookupError(f"no track for {exercise_id} at {pace}")
        return track, Variant.FULL

    def _speech_only_key(self, who: PatientNow) -> str:
        return SPEECH_ONLY_PREFIX + device_key(who.device_id)

    def _can_stream(self, who: PatientNow, exercise_id: str, pace: Pace) -> bool:
        """Whether this set can play as a track on this device."""
        speech_only = bool(who.device_id and who.preferences.get(self._speech_only_key(who)))
        return (
            who.audio_player and not speech_only and self._track(who, exercise_id, pace) is not None
        )

    def repetitions_done(
        self, who: PatientNow, token: PlaybackToken, offset_ms: int, *, otherwise: int
    ) -> int:
        """Repetitions done when the stream named by `token` is at `offset_ms` (the one rule:
        the track's cue map), or `otherwise` when its track is not built."""
        done = self._repetitions_at(who, token, offset_ms)
        return otherwise if done is None else done

    def _repetitions_at(self, who: PatientNow, token: PlaybackToken, offset_ms: int) -> int | None:
        """Repetitions done at `offset_ms` by the track's cue map; None when it is not built."""
        track = self._track(who, token.exercise_id, token.pace, token.variant)
        return None if track is None else repetitions_completed_at(track, offset_ms)

    def _play(
        self, who: PatientNow, exercise_set: ExerciseSet, *, repetition: int
    ) -> PlayDirective:
        """Play the set's track from the start of `repetition`; the set remembers this stream.

        From the first repetition the track opens as today's rule says; from a later one the
        variants play the same, so the set keeps the one it played (its cue map then still
        applies to what the patient heard)."""
        if repetition == 1:
            wanted = self.variant_today(who, exercise_set.exercise_id)
        else:
            played = parse_token(exercise_set.stream)
            wanted = played.variant if played is not None else Variant.FULL
        track, variant = self._variant_track(
            who, exercise_set.exercise_id, exercise_set.pace, wanted
        )
        token = PlaybackToken.for_set(
            who.user_id, exercise_set.exercise_id, exercise_set.pace, exercise_set.set_id, variant
        )
        self.exercise_log.update(
            exercise_set.set_id,
            delivery=Delivery.AUDIO,
            stream=token.encode(),
            repetitions_done=repetition - 1,
        )
        offset = repetition_start_ms(track, repetition)
        return play(self.coach_voice.url(track.file), token, offset)

    def owned_set(self, who: PatientNow, token: PlaybackToken) -> ExerciseSet | None:
        """The set a stream token names, if it is this patient's (stale or forged: None)."""
        if not token.belongs_to(who.user_id):
            return None
        exercise_set = self.exercise_log.get(token.set_id)
        if exercise_set is None or exercise_set.user_id != who.user_id:
            return None
        return exercise_set

    def playing_set(self, who: PatientNow, state: PlayerState) -> ExerciseSet | None:
        """The set the player holds, if it is this patient's set in progress on that stream."""
        exercise_set = self.owned_set(who, state.token)
        if exercise_set is None or exercise_set.outcome is not SetOutcome.IN_PROGRESS:
            return None
        return exercise_set if exercise_set.stream == state.token.encode() else None

    def _save_position(
        self, who: PatientNow, exercise_set: ExerciseSet, token: PlaybackToken, offset_ms: int
    ) -> None:
        """Where the stream stopped, as repetitions done; past its last repetition it is done."""
        done = self.repetitions_done(who, token, offset_ms, otherwise=exercise_set.repetitions_done)
        if done >= exercise_set.repetitions_target:
            self.exercise_log.finish(exercise_set.set_id, SetOutcome.COMPLETE, at=who.now)
        else:
            self.exercise_log.record_position(exercise_set.set_id, done, stream=token.encode())

    def _record_stop(self, who: PatientNow, token: PlaybackToken, offset_ms: int) -> bool:
        """Where the stream named by `token` stopped, as `_save_position` records it, in one
        write and no read: only the patient's set still in progress on that stream takes it
        (the set's own repetitions stay when its track is not built). Whether one did."""
        if not token.belongs_to(who.user_id):
            return False
        stopped = self.exercise_log.record_stop(
            token.set_id,
            who.user_id,
            self._repetitions_at(who, token, offset_ms),
            stream=token.encode(),
            at=who.now,
        )
        return stopped is not None

    def _moved_to(
        self, who: PatientNow, state: PlayerState, exercise_set: ExerciseSet, command: str
    ) -> int:
        """The repetition to play after 'previous', 'repeat' or 'start over'."""
        if command == Command.START_OVER:
            return 1
        done = self.repetitions_done(
            who, state.token, state.offset_ms, otherwise=exercise_set.repetitions_done
        )
        current = min(done + 1, exercise_set.repetitions_target)
        return max(1, current - 1) if command == Command.PREVIOUS else current

    def stop_stream(self, who: PatientNow, state: PlayerState) -> list[Directive]:
        """'Alexa, pause' (or stop, or the pause button) while a set plays: its position is
        saved, the stream stops."""
        self._record_stop(who, state.token, state.offset_ms)
        return [stop()]

    def playing_command(self, who: PatientNow, command: str, state: PlayerState) -> Outcome:
        """'Next', 'previous', 'repeat' or 'start over' said while a set plays."""
        exercise_set = self.playing_set(who, state)
        if exercise_set is None:
            return Outcome().say("session.no_set_playing").ask_anything_else()
        if command == Command.NEXT:
            self._save_position(who, exercise_set, state.token, state.offset_ms)
            upcoming = self.next_exercises(who, after=exercise_set)
            if not upcoming:
                return Outcome().say("session.last_one")
            return self.start(who, upcoming[0], up_next=[e.id for e in upcoming[1:]])
        repetition = self._moved_to(who, state, exercise_set, command)
        return Outcome().directive(self._play(who, exercise_set, repetition=repetition))

    def change_pace_while_playing(self, who: PatientNow, asked: str, state: PlayerState) -> Outcome:
        """The new pace's track, from the start of the repetition under way."""
        exercise_set = self.playing_set(who, state)
        if exercise_set is None:
            return Outcome().say("session.no_set_playing").ask_anything_else()
        repetition = self._moved_to(who, state, exercise_set, Command.REPEAT)
        said = Outcome()
        current = self._apply_pace(said, who, asked)
        if (
            current is not None
            and current.set_id == exercise_set.set_id
            and current.pace != state.token.pace
            and self._can_stream(who, current.exercise_id, current.pace)
        ):
            said.directive(self._play(who, current, repetition=repetition))
        return said

    def on_button(
        self, who: PatientNow, command: str, state: PlayerState | None
    ) -> list[Directive]:
        """The device's buttons: play, pause, next, previous (directives only)."""
        if command == Command.PAUSE:
            if state is not None:
                self._record_stop(who, state.token, state.offset_ms)
            return [stop()]
        playing = self.playing_set(who, state) if state else None
        if command == Command.PLAY:
            current = self.current(who)
            if current is None or not self._can_stream(who, current.exercise_id, current.pace):
                return []
            return [self._play(who, current, repetition=current.next_repetition)]
        if playing is None or state is None:
            return []
        if command == Command.NEXT:
            self._save_position(who, playing, state.token, state.offset_ms)
            started = self._start_next_stream(who, after=playing)
            return [started] if started else []
        if command == Command.PREVIOUS:
            repetition = self._moved_to(who, state, playing, Command.PREVIOUS)
            return [self._play(who, playing, repetition=repetition)]
        return []

    def _start_next_stream(self, who: PatientNow, *, after: ExerciseSet) -> PlayDirective | None:
        """The next exercise started as a stream (silent: for the device's next button), stored
        once with its stream."""
        try:
            upcoming = self.next_exercises(who, after=after)
        except NeedSurgeryDate:
            return None
        pace = self.preferred_pace(who)
        for exercise in upcoming:
            if not self._can_stream(who, exercise.id, pace):
                continue
            track, variant = self._variant_track(
                who, exercise.id, pace, self.variant_today(who, exercise.id)
            )
            set_id = uuid.uuid4().hex
            token = PlaybackToken.for_set(who.user_id, exercise.id, pace, set_id, variant)
            self.exercise_log.start(
                who.user_id,
                exercise.id,
                pace=pace,
                delivery=after.delivery,
                target=exercise.repetitions,
                at=who.now,
                up_next=[e.id for e in upcoming if e.id != exercise.id],
                set_id=set_id,
                stream=token.encode(),
            )
            return play(self.coach_voice.url(track.file), token, repetition_start_ms(track, 1))
        return None

    def on_event(
        self, who: PatientNow, kind: str, event: PlaybackEvent, *, error: str | None = None
    ) -> list[Directive]:
        """Started, stopped, nearly finished, finished, failed: the log follows the stream."""
        if kind == "PlaybackStopped":  # the commonest event: one write, no read
            if not self._record_stop(who, event.token, event.offset_ms):
                log.info("ignored AudioPlayer.%s for an unknown, ended or stale stream", kind)
            return []
        exercise_set = self.owned_set(who, event.token)
        if exercise_set is None:
            log.info("ignored AudioPlayer.%s for an unknown or stale stream", kind)
            return []
        current_stream = exercise_set.stream == event.token.encode()
        in_progress = exercise_set.outcome is SetOutcome.IN_PROGRESS
        if kind == "PlaybackStarted" and exercise_set.outcome is SetOutcome.QUEUED:
            self.exercise_log.promote(exercise_set.set_id, at=who.now)
        elif kind == "PlaybackFinished" and current_stream:
            self.exercise_log.finish(exercise_set.set_id, SetOutcome.COMPLETE, at=who.now)
        elif kind == "PlaybackNearlyFinished" and current_stream:
            return self._enqueue_next(who, exercise_set, event.token)
        elif kind == "PlaybackFailed" and current_stream:
            # Only the stream the set plays now counts: a replaced one failing says nothing.
            log.warning("stream failed (%s): spoken sets on this device from now on", error)
            if who.device_id and who.user_id:
                self.patients.update_preferences(who.user_id, {self._speech_only_key(who): True})
            if in_progress:
                self._save_position(who, exercise_set, event.token, event.offset_ms)
        return []

    def _enqueue_next(
        self, who: PatientNow, exercise_set: ExerciseSet, token: PlaybackToken
    ) -> list[Directive]:
        """The next exercise of the routine, queued after this track, if one is planned now."""
        if not exercise_set.up_next or exercise_set.outcome is not SetOutcome.IN_PROGRESS:
            return []
        try:
            allowed = {exercise.id: exercise for exercise in self.allowed(who)}
        except NeedSurgeryDate:
            return []
        exercise = allowed.get(exercise_set.up_next[0])
        if exercise is None or self._track(who, exercise.id, exercise_set.pace) is None:
            return []
        queued = self.exercise_log.queue_next(
            exercise_set, exercise.id, target=exercise.repetitions, at=who.now
        )
        # A repeated NearlyFinished enqueues the same stream again, under the same token (and
        # so the same variant).
        next_token = parse_token(queued.stream)
        if next_token is None:
            variant = self.variant_today(who, exercise.id)
            next_token = PlaybackToken.for_set(
                who.user_id, exercise.id, queued.pace, queued.set_id, variant
            )
        track, variant = self._variant_track(who, exercise.id, queued.pace, next_token.variant)
        if variant is not next_token.variant:
            next_token = PlaybackToken.for_set(
                who.user_id, exercise.id, queued.pace, queued.set_id, variant
            )
        self.exercise_log.update(queued.set_id, stream=next_token.encode())
        return [play(self.coach_voice.url(track.file), next_token, 0, after=token)]

    # Pain -----------------------------------------------------------------------------------

    def stop_for_pain(
        self, who: PatientNow, state: PlayerState | None
    ) -> tuple[ExerciseSet | None, list[Directive]]:
        """'It hurts': the set under way stops at once (the stream now), logged with the
        repetitions done; the set stopped, if any, and the directives to send."""
        current = self.current(who)
        if current is None:
            return None, []
        done, directives = current.repetitions_done, list[Directive]()
        if state is not None and current.delivery is Delivery.AUDIO:
            playing = self.owned_set(who, state.token)
            if playing is not None and playing.set_id == current.set_id:
                done = self.repetitions_done(who, state.token, state.offset_ms, otherwise=done)
            directives.append(stop())
        self.exercise_log.finish(
            current.set_id, SetOutcome.STOPPED_FOR_PAIN, at=who.now, repetitions_done=done
        )
        return current, directives
