"""A bedside Echo, simulated: typed text in, the skill's answers out, with a virtual clock.

Utterances are heard with the interaction model (skill.devtools.simulator.understanding), sent
as real request envelopes to the skill in-process, and the session is carried as Alexa carries
it. With AudioPlayer on, a playing track advances the clock and the device's events are sent as
Alexa sends them (skill.devtools.dialog.Player).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from skill.coach_audio.manifest import Manifest
from skill.devtools.dialog import AlexaReply, Dialog, JsonPoster, Player, ssml_to_text
from skill.devtools.simulator.understanding import Understanding, Understood

_AUDIO = re.compile(r'<audio src="([^"]+)"\s*/>')
# A simulated day given by its date (`chat --today`, SIMULATOR_TODAY) starts at this local time.
DAY_STARTS_AT = time(10, 0)


def start_of_day(day: date, time_zone: str) -> datetime:
    """The moment a simulated day starts: 10:00 on `day` in the device's zone, in UTC."""
    return datetime.combine(day, DAY_STARTS_AT, tzinfo=ZoneInfo(time_zone)).astimezone(UTC)


@dataclass
class Exchange:
    """One thing said and everything the skill answered to it."""

    said: str
    request: str
    heard: Understood | None
    reply: AlexaReply
    events: list[AlexaReply] = field(default_factory=list)
    event_types: list[str] = field(default_factory=list)


def track_durations(manifest: Manifest | None) -> Callable[[str], int]:
    """How long a played URL lasts, from the audio manifest (0 when unknown)."""
    tracks = manifest.all_tracks() if manifest else []

    def duration(url: str) -> int:
        return next((t.duration_ms for t in tracks if url.endswith(t.file)), 0)

    return duration


def clip_phrases(manifest: Manifest | None) -> dict[str, str]:
    """Clip file → the phrase it speaks, to show clips as words."""
    if manifest is None:
        return {}
    return {
        clip.file: clip.text for phrases in manifest.phrases.values() for clip in phrases.values()
    }


class Simulator:
    """A patient and their Echo; `say` takes what they type."""

    def __init__(
        self,
        client: JsonPoster,
        understanding: Understanding,
        *,
        at: datetime,
        locale: str | None = None,
        audio_player: bool = True,
        screen: bool = False,
        manifest: Manifest | None = None,
        user_id: str | None = None,
        device_id: str | None = None,
        time_zone: str = "UTC",
    ) -> None:
        self.understanding = understanding
        self.time_zone = ZoneInfo(time_zone)  # the device's: Alexa resolves "today" in it
        self.manifest = manifest
        self._phrases = clip_phrases(manifest)
        player = Player(duration_of=track_durations(manifest)) if audio_player else None
        # Requests carry the locale the patient is heard in, unless told otherwise.
        options: dict[str, Any] = {
            "locale": locale or understanding.locale,
            "player": player,
            "screen": screen,
        }
        if user_id:
            options["user_id"] = user_id
        if device_id:
            options["device_id"] = device_id
        self.dialog = Dialog(client, at=at, **options)

    @property
    def now(self) -> datetime:
        """The virtual clock."""
        return self.dialog.at

    @property
    def player(self) -> Player | None:
        """The simulated AudioPlayer, if the device has one."""
        return self.dialog.player

    def say(self, text: str) -> Exchange:
        """What the patient says (with or without 'Alexa, ask spine coach to …')."""
        before = len(self.dialog.events)
        rest, launch = self.understanding.strip_invocation(text)
        heard: Understood | None = None
        if launch or not rest:
            request, reply = "LaunchRequest", self.dialog.launch()
        else:
            heard = self.understanding.hear(rest, self.now.astimezone(self.time_zone))
            declared = list(self.understanding.intent_slots.get(heard.intent, {}))
            slots: dict[str, Any] = heard.alexa_slots(declared)
            request, reply = heard.intent, self.dialog.say(heard.intent, **slots)
        return Exchange(
            text,
            request,
            heard,
            reply,
            self.dialog.events[before:],
            [kind.split(".", 1)[-1] for kind in self.dialog.event_types[before:]],
        )

    def listen(self, seconds: float) -> list[AlexaReply]:
        """Let time pass (a playing track plays on); the events sent meanwhile."""
        before = len(self.dialog.events)
        self.dialog.listen(seconds=seconds)
        return self.dialog.events[before:]

    def advance(self, **delta: float) -> None:
        """Move the clock on without playing (the patient is away)."""
        if self.player is not None and self.player.activity == "PLAYING":
            self.listen(timedelta(**delta).total_seconds())
            return
        self.dialog.advance(**delta)

    def press(self, button: str) -> AlexaReply:
        """A device button: Play, Pause, Next or Previous."""
        return self.dialog.press(button)

    def end_session(self) -> AlexaReply:
        """The patient stays silent: Alexa closes the session."""
        return self.dialog.end_session("EXCEEDED_MAX_REPROMPTS")

    def spoken(self, reply: AlexaReply) -> str:
        """The answer as words: tags removed, recorded clips shown as [their phrase]."""
        return ssml_to_text(_AUDIO.sub(lambda m: f" [{self._clip_text(m[1])}] ", reply.ssml))

    def _clip_text(self, url: str) -> str:
        return next((text for file, text in self._phrases.items() if url.endswith(file)), url)
