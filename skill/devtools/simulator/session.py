"""A bedside Echo, simulated: typed text in, the skill's answers out, with a virtual clock.

Utterances are heard with the interaction model (skill.devtools.simulator.understanding), sent
as real request envelopes to the skill in-process, and the session is carried as Alexa carries
it. With AudioPlayer on, a playing track advances the clock and the device's events are sent as
Alexa sends them (skill.devtools.dialog.Player).

Reminders: the simulated user has an API access token of their own, and the Reminders API the
skill calls with it is answered from their `LocalReminders` (skill.devtools.simulator.local_api).
When a reply hands over to Alexa to ask for a permission (`Connections.SendRequest` AskFor),
Alexa asks in her own words (skill.devtools.simulator.alexa_voice) and the next thing said
answers: the permission is granted or not and the skill gets its `Connections.Response` in the
same session. Whenever the clock moves, the reminders going off meanwhile are announced, in
order, and a `Reminders.ReminderStarted` event is sent to the skill for each.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from skill.coach_audio.manifest import Manifest
from skill.devtools import envelopes
from skill.devtools.dialog import AlexaReply, Dialog, JsonPoster, Player, ssml_to_text
from skill.devtools.simulator.alexa_voice import AlexaVoice, voice_of
from skill.devtools.simulator.local_api import LocalAlexaApi
from skill.devtools.simulator.local_reminders import LocalReminders
from skill.devtools.simulator.understanding import Understanding, Understood

_AUDIO = re.compile(r'<audio src="([^"]+)"\s*/>')
# A simulated day given by its date (`chat --today`, SIMULATOR_TODAY) starts at this local time.
DAY_STARTS_AT = time(10, 0)
# Reminders announced for one move of the clock; the rest are counted ("… and 12 more").
SHOWN_REMINDERS = 5
# ReminderStarted events sent for one move of the clock (the latest; a year's jump sends no
# five thousand requests).
MAX_REMINDER_EVENTS = 100
ASK_FOR = "Connections.SendRequest"
PERMISSION_ANSWER = "Connections.Response"


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
    # Alexa's own question after the reply (the permission ask of an AskFor hand-over), or ''.
    alexa_asks: str = ""
    # The permission answer this exchange sent (ACCEPTED, DENIED, NOT_ANSWERED), if it was one.
    permission: str | None = None


@dataclass(frozen=True)
class Rang:
    """A reminder that went off: when, what it said, and its alert token."""

    at: datetime
    text: str
    alert_token: str


@dataclass
class Passed:
    """What happened while the clock moved."""

    events: list[AlexaReply]
    rang: list[Rang]  # the reminders announced, in order (at most SHOWN_REMINDERS)
    more: int  # how many more went off than announced
    unanswered: Exchange | None = None  # a permission ask left unanswered as time passed


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
    """A patient and their Echo; `say` takes what they type.

    `alexa_api` (the app's LocalAlexaApi) answers the skill's Reminders API calls from this
    simulator's `reminders`; `api_token` is the user's apiAccessToken (a new one by default),
    `granted` the permission scopes they gave before. A simulator taking over another's patient
    (another language) passes the old one's `reminders`, `api_token` and `granted`.
    """

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
        alexa_api: LocalAlexaApi | None = None,
        api_token: str | None = None,
        reminders: LocalReminders | None = None,
        granted: tuple[str, ...] = (),
    ) -> None:
        self.understanding = understanding
        self.time_zone = ZoneInfo(time_zone)  # the device's: Alexa resolves "today" in it
        self.manifest = manifest
        self._phrases = clip_phrases(manifest)
        player = Player(duration_of=track_durations(manifest)) if audio_player else None
        self.api_token = api_token or f"simulator-api-token-{secrets.token_urlsafe(12)}"
        # Requests carry the locale the patient is heard in, unless told otherwise.
        options: dict[str, Any] = {
            "locale": locale or understanding.locale,
            "player": player,
            "screen": screen,
            "api_access_token": self.api_token,
            "granted": granted,
        }
        if user_id:
            options["user_id"] = user_id
        if device_id:
            options["device_id"] = device_id
        self.dialog = Dialog(client, at=at, **options)
        # Amazon's reminders for this user, on the virtual clock.
        self.reminders = reminders or LocalReminders()
        self.reminders.clock = lambda: self.now
        if alexa_api is not None:
            alexa_api.attach(self.api_token, self.reminders)
        self.voice: AlexaVoice = voice_of(self.dialog.locale)
        # The AskFor directive Alexa is asking the patient about, and how often she asked.
        self.asking: dict[str, Any] | None = None
        self._asked = 0

    @property
    def now(self) -> datetime:
        """The virtual clock."""
        return self.dialog.at

    @property
    def player(self) -> Player | None:
        """The simulated AudioPlayer, if the device has one."""
        return self.dialog.player

    def say(self, text: str) -> Exchange:
        """What the patient says (with or without 'Alexa, ask spine coach to …'); while Alexa
        asks for a permission, it answers her."""
        if self.asking is not None:
            consent = self.voice.consent(text)
            if consent is None and self._asked < 2:
                # Alexa did not understand: she asks once more, then takes it as no answer.
                self._asked += 1
                return Exchange(text, "Alexa", None, AlexaReply({}), alexa_asks=self.voice.ask())
            return self.answer_permission(consent, said=text)
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
            alexa_asks=self._hand_over(reply),
        )

    def answer_permission(self, consent: bool | None, said: str = "") -> Exchange:
        """The patient's answer to Alexa's permission ask (True: allow, False: don't, None:
        silence): granted or not, and the skill's `Connections.Response` in the session."""
        directive = self.asking
        if directive is None:
            raise RuntimeError("Alexa is not asking for a permission")
        self.asking, self._asked = None, 0
        payload = directive.get("payload") or {}
        scopes = [
            str(item.get("permissionScope"))
            for item in payload.get("permissionScopes") or []
            if isinstance(item, dict)
        ] or [envelopes.REMINDERS_SCOPE]
        status = {True: "ACCEPTED", False: "DENIED", None: "NOT_ANSWERED"}[consent]
        if consent:
            if envelopes.REMINDERS_SCOPE in scopes:
                self.reminders.grant(self.api_token)
            self.dialog.granted = tuple(dict.fromkeys([*self.dialog.granted, *scopes]))
        request = envelopes.permission_answer(
            status,
            at=self.now,
            token=str(directive.get("token") or ""),
            scope=scopes[0],
            locale=self.dialog.locale,
        )["request"]
        before = len(self.dialog.events)
        reply = self.dialog.in_session(request)
        return Exchange(
            said,
            PERMISSION_ANSWER,
            None,
            reply,
            self.dialog.events[before:],
            [kind.split(".", 1)[-1] for kind in self.dialog.event_types[before:]],
            alexa_asks=self._hand_over(reply),
            permission=status,
        )

    def wait(self, seconds: float) -> Passed:
        """Let time pass (a playing track plays on): the events sent and reminders gone off."""
        return self._moving(lambda: self.dialog.listen(seconds=seconds))

    def away(self, **delta: float) -> Passed:
        """The patient is away (a playing track plays on): what happened meanwhile."""
        if self.player is not None and self.player.activity == "PLAYING":
            seconds = timedelta(**delta).total_seconds()
            return self._moving(lambda: self.dialog.listen(seconds=seconds))
        return self._moving(lambda: self.dialog.advance(**delta))

    def listen(self, seconds: float) -> list[AlexaReply]:
        """Let time pass (a playing track plays on); the events sent meanwhile."""
        return self.wait(seconds).events

    def advance(self, **delta: float) -> None:
        """Move the clock on without playing (the patient is away)."""
        self.away(**delta)

    def press(self, button: str) -> AlexaReply:
        """A device button: Play, Pause, Next or Previous."""
        return self.dialog.press(button)

    def end_session(self) -> AlexaReply:
        """The patient stays silent: Alexa closes the session (or, while she asks for a
        permission, tells the skill it was not answered: the skill's answer)."""
        if self.asking is not None:
            return self.answer_permission(None).reply
        return self.dialog.end_session("EXCEEDED_MAX_REPROMPTS")

    def spoken(self, reply: AlexaReply) -> str:
        """The answer as words: tags removed, recorded clips shown as [their phrase]."""
        return ssml_to_text(_AUDIO.sub(lambda m: f" [{self._clip_text(m[1])}] ", reply.ssml))

    def _clip_text(self, url: str) -> str:
        return next((text for file, text in self._phrases.items() if url.endswith(file)), url)

    def _hand_over(self, reply: AlexaReply) -> str:
        """Alexa's permission ask, if `reply` hands over to her with AskFor ('' if not)."""
        directive = reply.directive(ASK_FOR)
        if directive is None or directive.get("name") != "AskFor":
            return ""
        self.asking, self._asked = directive, 0
        return self.voice.ask()

    def _moving(self, move: Callable[[], None]) -> Passed:
        unanswered = self.answer_permission(None) if self.asking is not None else None
        start, before = self.now, len(self.dialog.events)
        move()
        rang, more = self._ring(start, self.now)
        return Passed(self.dialog.events[before:], rang, more, unanswered)

    def _ring(self, start: datetime, end: datetime) -> tuple[list[Rang], int]:
        """The reminders going off after `start` up to `end`, each told to the skill."""
        locale = self.dialog.locale
        rang = [
            Rang(moment, reminder.text(locale), reminder.token)
            for moment, reminder in self.reminders.fired_between(self.api_token, start, end)
        ]
        for reminder in rang[-MAX_REMINDER_EVENTS:]:
            body = envelopes.reminder_event(
                "ReminderStarted",
                at=reminder.at,
                alert_tokens=(reminder.alert_token,),
                **self.dialog.device_options(),
            )
            self.dialog.event(body)
        return rang[:SHOWN_REMINDERS], max(0, len(rang) - SHOWN_REMINDERS)
