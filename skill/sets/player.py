"""AudioPlayer: reading the player's state from a request, and the directives the skill sends."""

from __future__ import annotations

from dataclasses import dataclass

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model.interfaces.audioplayer import (
    AudioItem,
    PlayBehavior,
    PlayDirective,
    StopDirective,
    Stream,
)

from skill.sets.tokens import PlaybackToken, parse_token

# Player activities during which a set is under way (the patient hears it, or will shortly).
ACTIVE = frozenset({"PLAYING", "BUFFER_UNDERRUN"})


def supports_audio_player(handler_input: HandlerInput) -> bool:
    """Whether the device plays AudioPlayer streams."""
    system = getattr(handler_input.request_envelope.context, "system", None)
    interfaces = getattr(getattr(system, "device", None), "supported_interfaces", None)
    return getattr(interfaces, "audio_player", None) is not None


@dataclass(frozen=True)
class PlayerState:
    """What the device's player last played for this skill."""

    token: PlaybackToken
    offset_ms: int
    activity: str

    @property
    def active(self) -> bool:
        """Whether the set is playing now."""
        return self.activity in ACTIVE


def _offset(value: object) -> int:
    return value if isinstance(value, int) and value >= 0 else 0


def player_state(handler_input: HandlerInput) -> PlayerState | None:
    """`context.AudioPlayer`, when it names one of this skill's tracks."""
    state = getattr(handler_input.request_envelope.context, "audio_player", None)
    token = parse_token(getattr(state, "token", None))
    if state is None or token is None:
        return None
    activity = getattr(state, "player_activity", None)
    return PlayerState(
        token, _offset(state.offset_in_milliseconds), str(getattr(activity, "value", activity))
    )


@dataclass(frozen=True)
class PlaybackEvent:
    """An AudioPlayer request's token and offset (Started, Stopped, Finished, Failed …)."""

    token: PlaybackToken
    offset_ms: int


def playback_event(handler_input: HandlerInput) -> PlaybackEvent | None:
    """The token and offset an AudioPlayer request carries, if the token is this skill's."""
    request = handler_input.request_envelope.request
    token = parse_token(getattr(request, "token", None))
    offset = getattr(request, "offset_in_milliseconds", None)
    if offset is None:  # PlaybackFailed reports where it was in currentPlaybackState
        state = getattr(request, "current_playback_state", None)
        offset = getattr(state, "offset_in_milliseconds", None)
        token = token or parse_token(getattr(state, "token", None))
    if token is None:
        return None
    return PlaybackEvent(token, _offset(offset))


def play(
    url: str,
    token: PlaybackToken,
    offset_ms: int,
    *,
    after: PlaybackToken | None = None,
) -> PlayDirective:
    """Play a track now (REPLACE_ALL), or after the one playing (ENQUEUE, with `after`)."""
    stream = Stream(
        token=token.encode(),
        url=url,
        offset_in_milliseconds=offset_ms,
        expected_previous_token=after.encode() if after else None,
    )
    behavior = PlayBehavior.ENQUEUE if after else PlayBehavior.REPLACE_ALL
    return PlayDirective(play_behavior=behavior, audio_item=AudioItem(stream=stream))


def stop() -> StopDirective:
    """Stop the stream; Alexa then sends PlaybackStopped with the offset."""
    return StopDirective()
