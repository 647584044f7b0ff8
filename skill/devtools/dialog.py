"""Multi-turn conversations against the real HTTP endpoint, carrying the session like Alexa."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from skill.devtools import envelopes

_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


class SkillFailed(RuntimeError):
    """/alexa answered with an error status instead of a response."""


class JsonPoster(Protocol):
    """Anything that posts JSON and returns a response with status_code and get_json()."""

    def post(self, path: str, *, json: Any, headers: dict[str, str] | None = ...) -> Any: ...


def ssml_to_text(ssml: str) -> str:
    """The words of an SSML string, tags removed and entities unescaped."""
    text = _TAG.sub("", ssml)
    for entity, char in (
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&quot;", '"'),
        ("&#39;", "'"),
        ("&amp;", "&"),
    ):
        text = text.replace(entity, char)
    return _SPACE.sub(" ", text).strip()


@dataclass
class AlexaReply:
    """One response from the skill, with convenient views of it."""

    body: dict[str, Any]

    @property
    def response(self) -> dict[str, Any]:
        """The `response` object."""
        response: dict[str, Any] = self.body.get("response", {})
        return response

    @property
    def ssml(self) -> str:
        """The output speech SSML, or '' when nothing is said."""
        return str(self.response.get("outputSpeech", {}).get("ssml", ""))

    @property
    def speech(self) -> str:
        """The spoken words."""
        return ssml_to_text(self.ssml)

    @property
    def reprompt(self) -> str:
        """The reprompt's words, or ''."""
        ssml = self.response.get("reprompt", {}).get("outputSpeech", {}).get("ssml", "")
        return ssml_to_text(str(ssml))

    @property
    def ends_session(self) -> bool:
        """Whether the session closes after this response."""
        return bool(self.response.get("shouldEndSession", False))

    @property
    def session_attributes(self) -> dict[str, Any]:
        """What the skill keeps for the next turn."""
        attributes: dict[str, Any] = self.body.get("sessionAttributes") or {}
        return attributes

    @property
    def directives(self) -> list[dict[str, Any]]:
        """The response's directives."""
        directives: list[dict[str, Any]] = self.response.get("directives") or []
        return directives

    def directive(self, kind: str) -> dict[str, Any] | None:
        """The first directive of a type, e.g. 'AudioPlayer.Play'."""
        return next((d for d in self.directives if d.get("type") == kind), None)


@dataclass
class Stream:
    """A track the simulated player holds."""

    token: str
    url: str
    offset_ms: int


@dataclass
class Player:
    """The device's AudioPlayer as Alexa runs it: what plays, where, and what comes next.

    `duration_of` tells how long a stream URL plays (the simulator reads the audio manifest).
    """

    duration_of: Callable[[str], int]
    current: Stream | None = None
    activity: str = "IDLE"
    queue: list[Stream] = field(default_factory=list)
    nearly_finished_sent: bool = False

    def context(self) -> dict[str, Any] | None:
        """`context.AudioPlayer`, once anything has played."""
        if self.current is None:
            return None
        return {
            "token": self.current.token,
            "offsetInMilliseconds": self.current.offset_ms,
            "playerActivity": self.activity,
        }


@dataclass
class Dialog:
    """A patient talking to the skill: each turn posts a real envelope and carries the session.

    With a `player`, the device supports AudioPlayer: Play and Stop directives drive it, and
    the AudioPlayer requests Alexa would send (started, stopped, nearly finished, finished)
    are sent in the order Alexa sends them, each without a session.
    """

    client: JsonPoster
    at: datetime
    user_id: str = envelopes.DEFAULT_USER
    device_id: str = envelopes.DEFAULT_DEVICE
    locale: str = "en-US"
    path: str = "/alexa"
    player: Player | None = None
    screen: bool = False
    # The envelope's apiAccessToken, and the permission scopes the user has granted (they appear
    # in context.System.user.permissions of every request, as Alexa sends them).
    api_access_token: str = envelopes.API_ACCESS_TOKEN
    granted: tuple[str, ...] = ()
    history: list[AlexaReply] = field(default_factory=list)
    events: list[AlexaReply] = field(default_factory=list)
    event_types: list[str] = field(default_factory=list)
    _session_id: str | None = None
    _attributes: dict[str, Any] = field(default_factory=dict)

    def advance(self, **delta: float) -> None:
        """Move the clock on, e.g. advance(days=1, hours=2)."""
        self.at += timedelta(**delta)

    def launch(self) -> AlexaReply:
        """'Alexa, open spine coach': always a new session."""
        self._session_id, self._attributes = None, {}
        return self.send(envelopes.launch(at=self.at, **self._options()))

    def say(self, intent_name: str, **slots: str | dict[str, Any] | None) -> AlexaReply:
        """An intent, as Alexa would send it mid-session; str slot values become plain slots."""
        slot_data = {
            name: value if isinstance(value, dict) else envelopes.slot(name, value)
            for name, value in slots.items()
        }
        new = self._session_id is None
        body = envelopes.intent(
            intent_name, slot_data, at=self.at, new_session=new, **self._options()
        )
        return self.send(body)

    def end_session(self, reason: str = "USER_INITIATED") -> AlexaReply:
        """Alexa closes the session."""
        reply = self.send(envelopes.session_ended(at=self.at, reason=reason, **self._options()))
        self._session_id, self._attributes = None, {}
        return reply

    def send(self, body: dict[str, Any]) -> AlexaReply:
        """Post an envelope; keep the session going unless the response ends it."""
        if "session" in body:
            self._session_id = body["session"]["sessionId"]
        reply = self._post(body)
        self.history.append(reply)
        # A Connections.SendRequest (AskFor) hands over to Alexa, which answers in this session.
        if reply.ends_session and reply.directive("Connections.SendRequest") is None:
            self._session_id, self._attributes = None, {}
        else:
            self._attributes = reply.session_attributes
        self._obey(reply)
        return reply

    def _post(self, body: dict[str, Any]) -> AlexaReply:
        response = self.client.post(self.path, json=body)
        if response.status_code != 200:
            raise SkillFailed(f"/alexa answered {response.status_code}: {response.get_data()!r}")
        return AlexaReply(response.get_json())

    # The simulated AudioPlayer ------------------------------------------------------------

    def listen(self, **delta: float) -> None:
        """Let time pass; a playing track plays on, with the events Alexa sends on the way."""
        remaining = int(timedelta(**delta).total_seconds() * 1000)
        player = self.player
        while remaining > 0 and player and player.current and player.activity == "PLAYING":
            stream = player.current
            duration = player.duration_of(stream.url)
            nearly = max(0, duration - 10_000)
            if not player.nearly_finished_sent and stream.offset_ms < nearly:
                step = min(remaining, nearly - stream.offset_ms)
            else:
                step = min(remaining, duration - stream.offset_ms)
            stream.offset_ms += step
            self.at += timedelta(milliseconds=step)
            remaining -= step
            if not player.nearly_finished_sent and stream.offset_ms >= nearly:
                player.nearly_finished_sent = True
                self._event("PlaybackNearlyFinished")
            if stream.offset_ms >= duration:
                player.activity = "FINISHED"
                self._event("PlaybackFinished")
                if player.queue:
                    self._start(player.queue.pop(0))
        self.at += timedelta(milliseconds=max(remaining, 0))

    def press(self, button: str) -> AlexaReply:
        """A device button: 'Play', 'Pause', 'Next' or 'Previous' (PlaybackController)."""
        body = envelopes.request_of_type(
            f"PlaybackController.{button}CommandIssued", at=self.at, options=self._device()
        )
        reply = self._post(body)
        self.events.append(reply)
        self.event_types.append(body["request"]["type"])
        self._obey(reply)
        return reply

    def in_session(self, request: dict[str, Any]) -> AlexaReply:
        """A request Alexa sends within the session, e.g. a `Connections.Response`."""
        return self.send(envelopes.envelope(request, at=self.at, **self._options()))

    def event(self, body: dict[str, Any]) -> AlexaReply:
        """Post a request Alexa sends outside the session (Reminders.*, AlexaSkillEvent.*,
        built with `device_options()`); kept with the events."""
        reply = self._post(body)
        self.events.append(reply)
        self.event_types.append(body["request"]["type"])
        self._obey(reply)
        return reply

    def device_options(self) -> dict[str, Any]:
        """Envelope options for a request from this device: user, device, locale, interfaces,
        API access token and granted permissions."""
        return self._device()

    def fail_stream(self) -> AlexaReply:
        """The device cannot play the stream (PlaybackFailed)."""
        if self.player is None or self.player.current is None:
            raise RuntimeError("nothing is playing")
        self.player.activity = "STOPPED"
        return self._event("PlaybackFailed")

    def _event(self, event: str) -> AlexaReply:
        player = self.player
        if player is None or player.current is None:
            raise RuntimeError("no stream")
        body = envelopes.audio_player_event(
            event,
            at=self.at,
            token=player.current.token,
            offset_ms=player.current.offset_ms,
            player_activity=player.activity,
            **self._device(),
        )
        reply = self._post(body)
        self.events.append(reply)
        self.event_types.append(body["request"]["type"])
        self._obey(reply)
        return reply

    def _start(self, stream: Stream) -> None:
        assert self.player is not None
        self.player.current, self.player.activity = stream, "PLAYING"
        self.player.nearly_finished_sent = False
        self._event("PlaybackStarted")

    def _obey(self, reply: AlexaReply) -> None:
        player = self.player
        if player is None:
            return
        for directive in reply.directives:
            kind = directive.get("type")
            if kind == "AudioPlayer.Stop" and player.current and player.activity == "PLAYING":
                player.activity = "STOPPED"
                self._event("PlaybackStopped")
            elif kind == "AudioPlayer.Play":
                item = directive["audioItem"]["stream"]
                stream = Stream(
                    item["token"], item["url"], int(item.get("offsetInMilliseconds", 0))
                )
                if directive.get("playBehavior") == "ENQUEUE":
                    player.queue.append(stream)
                    continue
                if player.current and player.activity == "PLAYING":
                    player.activity = "STOPPED"
                    self._event("PlaybackStopped")
                player.queue.clear()
                self._start(stream)

    def _device(self) -> dict[str, Any]:
        options: dict[str, Any] = {
            "user_id": self.user_id,
            "device_id": self.device_id,
            "locale": self.locale,
            "api_access_token": self.api_access_token,
            "granted": self.granted,
        }
        interfaces: dict[str, Any] = {}
        if self.player is not None:
            interfaces["AudioPlayer"] = {}
            options["audio_player"] = self.player.context()
        if self.screen:
            interfaces["Alexa.Presentation.APL"] = {"runtime": {"maxVersion": "2024.2"}}
        if interfaces:
            options["interfaces"] = interfaces
        return options

    def _options(self) -> dict[str, Any]:
        return {
            **self._device(),
            "session_id": self._session_id or f"amzn1.echo-api.session.{uuid.uuid4()}",
            "session_attributes": self._attributes,
        }
