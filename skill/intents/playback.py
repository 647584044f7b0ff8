"""A set playing as a track: AudioPlayer events, device buttons, and the playback intents.

AudioPlayer and PlaybackController requests carry no session, and their responses may hold
only AudioPlayer directives: these handlers say nothing there. Intents spoken while a set
plays ("Alexa, pause", "Alexa, start over") arrive with `context.AudioPlayer`, whose token
and offset say which set and where.
"""

from __future__ import annotations

import logging

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Directive, Response

from skill.alexa.request import intent_name, request_type, resolved_id
from skill.intents.base import IntentHandler, RequestHandler
from skill.intents.turn import turn_of
from skill.sets.player import playback_event, player_state
from skill.sets.service import Command

log = logging.getLogger(__name__)
PAUSE = "AMAZON.PauseIntent"
STOP, CANCEL = "AMAZON.StopIntent", "AMAZON.CancelIntent"
NEXT, PREVIOUS = "AMAZON.NextIntent", "AMAZON.PreviousIntent"
START_OVER, REPEAT = "AMAZON.StartOverIntent", "AMAZON.RepeatIntent"
SET_PACE = "SetPaceIntent"
LOOP_AND_SHUFFLE = (
    "AMAZON.LoopOnIntent",
    "AMAZON.LoopOffIntent",
    "AMAZON.ShuffleOnIntent",
    "AMAZON.ShuffleOffIntent",
)
# Intents that only mean "stop the stream" while it plays; otherwise the usual handlers answer.
STOPPING = (PAUSE, STOP, CANCEL)
COMMANDS = {
    NEXT: Command.NEXT,
    PREVIOUS: Command.PREVIOUS,
    START_OVER: Command.START_OVER,
    REPEAT: Command.REPEAT,
}
BUTTONS = {
    "PlayCommandIssued": Command.PLAY,
    "PauseCommandIssued": Command.PAUSE,
    "NextCommandIssued": Command.NEXT,
    "PreviousCommandIssued": Command.PREVIOUS,
}


def _silent(handler_input: HandlerInput, directives: list[Directive]) -> Response:
    """A response with directives only: all Alexa allows for AudioPlayer and button requests."""
    builder = handler_input.response_builder
    for directive in directives:
        builder.add_directive(directive)
    return builder.response


class PlayingSetIntentHandler(IntentHandler):
    """Pause, stop, previous, repeat, start over, next and pace while a set plays."""

    intents = (PAUSE, STOP, CANCEL, NEXT, PREVIOUS, START_OVER, REPEAT, SET_PACE)

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
        return turn.services.guided_sets.playing_set(turn, state) is not None

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        sets = turn.services.guided_sets
        state = player_state(handler_input)
        if state is None:  # can_handle saw one
            raise LookupError("no AudioPlayer state")
        said = intent_name(handler_input) or ""
        if said in STOPPING:
            return _silent(handler_input, sets.stop_stream(turn, state))
        if said == SET_PACE:
            asked = resolved_id(handler_input, "pace")
            if asked is None:
                return turn.reply().ask("pace.which", "pace.which_reprompt").build(handler_input)
            outcome = sets.change_pace_while_playing(turn, asked, state)
        else:
            outcome = sets.playing_command(turn, COMMANDS[said], state)
        return turn.reply().follow(outcome).build(handler_input)


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


class AudioPlayerEventHandler(RequestHandler):
    """Started, stopped, nearly finished, finished, failed: keep the log where the stream is."""

    request_types = ("AudioPlayer.*",)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        event = playback_event(handler_input)
        kind = request_type(handler_input).removeprefix("AudioPlayer.")
        if event is None:
            log.info("ignored AudioPlayer.%s without a stream token of this skill's", kind)
            return _silent(handler_input, [])
        error = getattr(handler_input.request_envelope.request, "error", None)
        error_type = getattr(error, "object_type", None)
        directives = turn.services.guided_sets.on_event(turn, kind, event, error=error_type)
        return _silent(handler_input, directives)


class PlaybackControllerHandler(RequestHandler):
    """The device's buttons: play, pause, next, previous (directives only, never speech)."""

    request_types = ("PlaybackController.*",)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        button = BUTTONS.get(request_type(handler_input).removeprefix("PlaybackController."))
        if button is None:
            return _silent(handler_input, [])
        state = player_state(handler_input)
        return _silent(handler_input, turn.services.guided_sets.on_button(turn, button, state))


INTENT_HANDLERS = [PlayingSetIntentHandler(), LoopShuffleIntentHandler()]
EVENT_HANDLERS = [AudioPlayerEventHandler(), PlaybackControllerHandler()]
