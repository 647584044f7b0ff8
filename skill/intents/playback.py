"""A set playing as a track: AudioPlayer events, device buttons, and the playback intents.

AudioPlayer and PlaybackController requests carry no session, and their responses may hold
only AudioPlayer directives: these handlers say nothing there. Intents spoken while a set
plays ("Alexa, pause", "Alexa, start over") arrive with `context.AudioPlayer`, whose token
and offset say which set and where.
"""

from __future__ import annotations

import logging

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Directive, Response
from ask_sdk_model.interfaces.audioplayer import PlayDirective

from skill.alexa.request import intent_name, request_type, resolved_id
from skill.alexa.speech import Reply
from skill.coach_audio.manifest import repetitions_completed_at
from skill.intents.base import IntentHandler
from skill.intents.turn import NeedSurgeryDate, Turn, turn_of
from skill.sets.player import PlayerState, play, playback_event, player_state, stop
from skill.sets.service import (
    allowed_exercises,
    apply_pace,
    can_stream,
    mark_device_speech_only,
    next_exercises,
    owned_set,
    play_directive,
    play_set,
    preferred_pace,
    start_set,
    track_for,
)
from skill.sets.tokens import PlaybackToken, parse_token
from skill.store.exercise_log import ExerciseSet, Outcome

log = logging.getLogger(__name__)

PAUSE, RESUME = "AMAZON.PauseIntent", "AMAZON.ResumeIntent"
STOP, CANCEL = "AMAZON.StopIntent", "AMAZON.CancelIntent"
NEXT, PREVIOUS = "AMAZON.NextIntent", "AMAZON.PreviousIntent"
START_OVER, REPEAT = "AMAZON.StartOverIntent", "AMAZON.RepeatIntent"
LOOP_AND_SHUFFLE = (
    "AMAZON.LoopOnIntent",
    "AMAZON.LoopOffIntent",
    "AMAZON.ShuffleOnIntent",
    "AMAZON.ShuffleOffIntent",
)
# Intents that only mean "stop the stream" while it plays; otherwise the usual handlers answer.
STOPPING = (PAUSE, STOP, CANCEL)


def _silent(handler_input: HandlerInput, *directives: Directive) -> Response:
    """A response with directives only: all Alexa allows for AudioPlayer and button requests."""
    builder = handler_input.response_builder
    for directive in directives:
        builder.add_directive(directive)
    return builder.response


def _completed(turn: Turn, token: PlaybackToken, offset_ms: int, fallback: int) -> int:
    """Repetitions done when the stream named by `token` is at `offset_ms`."""
    track = track_for(turn, token.exercise_id, token.pace)
    return fallback if track is None else repetitions_completed_at(track, offset_ms)


def _playing_set(turn: Turn, state: PlayerState) -> ExerciseSet | None:
    """The set the player holds, if it is this patient's set in progress on that stream."""
    exercise_set = owned_set(turn, state.token)
    if exercise_set is None or exercise_set.outcome is not Outcome.IN_PROGRESS:
        return None
    return exercise_set if exercise_set.stream == state.token.encode() else None


def _save_position(
    turn: Turn, exercise_set: ExerciseSet, token: PlaybackToken, offset: int
) -> None:
    """Where the stream stopped, as repetitions done; a stream past its last repetition is done."""
    done = _completed(turn, token, offset, exercise_set.repetitions_done)
    log_ = turn.services.exercise_log
    if done >= exercise_set.repetitions_target:
        log_.finish(exercise_set.set_id, Outcome.COMPLETE, at=turn.now)
    else:
        log_.record_position(exercise_set.set_id, done, stream=token.encode())


def _moved(turn: Turn, state: PlayerState, exercise_set: ExerciseSet, command: str) -> int:
    """The repetition to play after 'previous', 'repeat' or 'start over'."""
    current = _completed(turn, state.token, state.offset_ms, exercise_set.repetitions_done) + 1
    current = min(current, exercise_set.repetitions_target)
    if command == START_OVER:
        return 1
    if command == PREVIOUS:
        return max(1, current - 1)
    return current


def _next_set_directive(turn: Turn, exercise_set: ExerciseSet) -> PlayDirective | None:
    """Start the next exercise as a stream (silent: for device buttons)."""
    try:
        upcoming = next_exercises(turn, after=exercise_set)
    except NeedSurgeryDate:
        return None
    pace = preferred_pace(turn).value
    for exercise in upcoming:
        if not can_stream(turn, exercise.id, pace):
            continue
        rest = [e.id for e in upcoming if e.id != exercise.id]
        started = turn.services.exercise_log.start(
            turn.user_id,
            exercise.id,
            pace=pace,
            delivery=exercise_set.delivery,
            target=exercise.repetitions,
            at=turn.now,
            up_next=rest,
        )
        return play_directive(turn, started, repetition=1)
    return None


class PlayingSetIntentHandler(IntentHandler):
    """Pause, stop, previous, repeat, start over, next and pace while a set plays."""

    intents = (PAUSE, STOP, CANCEL, NEXT, PREVIOUS, START_OVER, REPEAT, "SetPaceIntent")

    def can_handle(self, handler_input: HandlerInput) -> bool:
        if not super().can_handle(handler_input):
            return False
        state = player_state(handler_input)
        turn = turn_of(handler_input)
        if state is None or not state.token.belongs_to(turn.user_id):
            return False
        if intent_name(handler_input) in STOPPING:
            return state.active
        # "Repeat" or "next" after the set ended mean the conversation, not the stream.
        return _playing_set(turn, state) is not None

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        state = player_state(handler_input)
        assert state is not None  # checked in can_handle
        exercise_set = _playing_set(turn, state)
        command = intent_name(handler_input) or ""
        if command in STOPPING:
            if exercise_set is not None:
                _save_position(turn, exercise_set, state.token, state.offset_ms)
            return _silent(handler_input, stop())
        reply = turn.reply()
        if exercise_set is None:
            return reply.say("session.no_set_playing").ask_anything_else().build(handler_input)
        if command == NEXT:
            _save_position(turn, exercise_set, state.token, state.offset_ms)
            upcoming = next_exercises(turn, after=exercise_set)
            if not upcoming:
                return reply.say("session.last_one").build(handler_input)
            rest = [exercise.id for exercise in upcoming[1:]]
            return start_set(turn, upcoming[0], reply, up_next=rest).build(handler_input)
        if command == "SetPaceIntent":
            return self._change_pace(turn, state, exercise_set, reply)
        repetition = _moved(turn, state, exercise_set, command)
        return play_set(turn, exercise_set, reply, repetition=repetition).build(handler_input)

    def _change_pace(
        self, turn: Turn, state: PlayerState, exercise_set: ExerciseSet, reply: Reply
    ) -> Response:
        """The new pace's track from the start of the repetition under way."""
        asked = resolved_id(turn.handler_input, "pace")
        if asked is None:
            return reply.ask("pace.which", "pace.which_reprompt").build(turn.handler_input)
        repetition = _moved(turn, state, exercise_set, REPEAT)
        current = apply_pace(turn, asked, reply)
        if (
            current is not None
            and current.set_id == exercise_set.set_id
            and current.pace != state.token.pace
            and can_stream(turn, current.exercise_id, current.pace)
        ):
            play_set(turn, current, reply, repetition=repetition)
        return reply.build(turn.handler_input)


class LoopShuffleIntentHandler(IntentHandler):
    """Loop and shuffle mean nothing for a guided set: say so kindly."""

    intents = LOOP_AND_SHUFFLE

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        reply = turn.reply().say("session.cannot_loop")
        state = player_state(handler_input)
        if state is not None and state.active:
            return reply.build(handler_input)  # the set plays on after this
        return reply.ask_anything_else().build(handler_input)


class AudioPlayerEventHandler(AbstractRequestHandler):
    """Started, stopped, nearly finished, finished, failed: keep the log where the stream is."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return request_type(handler_input).startswith("AudioPlayer.")

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        event = playback_event(handler_input)
        kind = request_type(handler_input).removeprefix("AudioPlayer.")
        exercise_set = owned_set(turn, event.token) if event else None
        if event is None or exercise_set is None:
            log.info("ignored AudioPlayer.%s for an unknown or stale stream", kind)
            return _silent(handler_input)
        log_ = turn.services.exercise_log
        current_stream = exercise_set.stream == event.token.encode()
        if kind == "PlaybackStarted" and exercise_set.outcome is Outcome.QUEUED:
            log_.promote(exercise_set.set_id, at=turn.now)
        elif kind == "PlaybackStopped" and current_stream:
            if exercise_set.outcome is Outcome.IN_PROGRESS:
                _save_position(turn, exercise_set, event.token, event.offset_ms)
        elif kind == "PlaybackFinished" and current_stream:
            log_.finish(exercise_set.set_id, Outcome.COMPLETE, at=turn.now)
        elif kind == "PlaybackNearlyFinished" and current_stream:
            return _silent(handler_input, *self._enqueue_next(turn, exercise_set, event.token))
        elif kind == "PlaybackFailed" and current_stream:
            # Only the stream the set plays now counts: a replaced one failing says nothing.
            error = getattr(handler_input.request_envelope.request, "error", None)
            log.warning(
                "stream failed (%s): spoken sets on this device from now on",
                getattr(error, "object_type", None),
            )
            mark_device_speech_only(turn)
            if exercise_set.outcome is Outcome.IN_PROGRESS:
                _save_position(turn, exercise_set, event.token, event.offset_ms)
        return _silent(handler_input)

    def _enqueue_next(
        self, turn: Turn, exercise_set: ExerciseSet, token: PlaybackToken
    ) -> list[PlayDirective]:
        """The next exercise of the routine, queued after this track, if one is planned now."""
        if not exercise_set.up_next or exercise_set.outcome is not Outcome.IN_PROGRESS:
            return []
        try:
            allowed = {exercise.id: exercise for exercise in allowed_exercises(turn)}
        except NeedSurgeryDate:
            return []
        exercise = allowed.get(exercise_set.up_next[0])
        track = track_for(turn, exercise.id, exercise_set.pace) if exercise else None
        if exercise is None or track is None:
            return []
        queued = turn.services.exercise_log.queue_next(
            exercise_set, exercise.id, target=exercise.repetitions, at=turn.now
        )
        # A repeated NearlyFinished enqueues the same stream again, under the same token.
        next_token = parse_token(queued.stream) or PlaybackToken.for_set(
            turn.user_id, exercise.id, queued.pace, queued.set_id
        )
        turn.services.exercise_log.update(queued.set_id, stream=next_token.encode())
        url = turn.services.coach_voice.url(track.file)
        return [play(url, next_token, 0, after=token)]


class PlaybackControllerHandler(AbstractRequestHandler):
    """The device's buttons: play, pause, next, previous (directives only, never speech)."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return request_type(handler_input).startswith("PlaybackController.")

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        command = request_type(handler_input).removeprefix("PlaybackController.")
        state = player_state(handler_input)
        playing = _playing_set(turn, state) if state else None
        if command == "PauseCommandIssued":
            if playing is not None and state is not None:
                _save_position(turn, playing, state.token, state.offset_ms)
            return _silent(handler_input, stop())
        if command == "PlayCommandIssued":
            current = turn.services.exercise_log.current(turn.user_id) if turn.user_id else None
            if current is None or not can_stream(turn, current.exercise_id, current.pace):
                return _silent(handler_input)
            directive = play_directive(turn, current, repetition=current.next_repetition)
            return _silent(handler_input, directive)
        if playing is None or state is None:
            return _silent(handler_input)
        if command == "NextCommandIssued":
            _save_position(turn, playing, state.token, state.offset_ms)
            directive_or_none = _next_set_directive(turn, playing)
            return _silent(handler_input, *([directive_or_none] if directive_or_none else []))
        if command == "PreviousCommandIssued":
            repetition = _moved(turn, state, playing, PREVIOUS)
            return _silent(handler_input, play_directive(turn, playing, repetition=repetition))
        return _silent(handler_input)


INTENT_HANDLERS = [PlayingSetIntentHandler(), LoopShuffleIntentHandler()]
EVENT_HANDLERS = [AudioPlayerEventHandler(), PlaybackControllerHandler()]
