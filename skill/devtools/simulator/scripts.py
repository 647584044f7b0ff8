"""Dialog scripts: conversations written as YAML and played through the simulator.

A script names its options (clock, locale, device: AudioPlayer or not, a patient already known)
and its turns. A turn says something (checking the intent heard, patterns the speech must and
must not match, directives, whether the session ends), lets time pass, moves the clock (checking
the reminders that went off meanwhile), presses a device button, lets the session time out, or
changes the reminders permission in the Alexa app. See tests/dialogs/README.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from skill.devtools import envelopes
from skill.devtools.dialog import AlexaReply
from skill.devtools.simulator.session import Exchange, Simulator

DEFAULT_NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


class ScriptError(ValueError):
    """A script file that cannot be read; the message names the file and the field."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Patient(_Model):
    """What the skill already knows before the script starts."""

    surgery_date: date | None = None
    pace: str | None = None


class Options(_Model):
    """The world the conversation happens in."""

    now: datetime = DEFAULT_NOW
    locale: str = "en-US"
    audio_player: bool = False
    screen: bool = False
    patient: Patient | None = None
    # The patient allowed this skill's reminders before (in the Alexa app, or by voice).
    reminders_granted: bool = False


class Turn(_Model):
    """One step: exactly one of say, listen, advance, press, silence, permission."""

    say: str | None = None
    listen: Annotated[float, Field(ge=0)] | None = None
    advance: dict[str, float] | None = None
    press: str | None = None
    silence: bool | None = None
    # The patient allows, or takes back, the reminders permission in the Alexa app.
    permission: Literal["granted", "revoked"] | None = None
    intent: str | None = None
    speech: list[str] = []
    not_speech: list[str] = Field(default=[], alias="not")
    directives: list[str] = []
    no_directives: list[str] = []
    card: list[str] = []
    events: list[str] | None = None
    ends_session: bool | None = None
    # While the clock moved: how many reminders went off, and what each said (patterns).
    reminders_fired: Annotated[int, Field(ge=0)] | None = None
    reminders_say: list[str] = []

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _one_action(self) -> Turn:
        actions = [
            self.say,
            self.listen,
            self.advance,
            self.press,
            self.silence,
            self.permission,
        ]
        if sum(action is not None for action in actions) != 1:
            raise ValueError(
                "each turn does exactly one of: say, listen, advance, press, silence, permission"
            )
        for pattern in [*self.speech, *self.not_speech, *self.reminders_say]:
            re.compile(pattern)
        return self


class Script(_Model):
    """A whole conversation."""

    name: str
    options: Options = Options()
    turns: Annotated[list[Turn], Field(min_length=1)]


class _ScriptLoader(yaml.SafeLoader):
    """YAML where only true and false are booleans: "say: yes" says yes."""


_ScriptLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_ScriptLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_script(path: Path) -> Script:
    """Read and validate a script file."""
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_ScriptLoader)
        return Script.model_validate(raw)
    except (OSError, yaml.YAMLError, ValidationError) as error:
        raise ScriptError(f"{path}: {error}") from error


@dataclass
class Outcome:
    """What a turn did, and what about it was not as the script expects."""

    turn: Turn
    exchange: Exchange | None
    replies: list[AlexaReply]
    problems: list[str]
    reminded: list[str] | None = None  # what the reminders that went off said, if time moved


def card_text(card: dict[str, Any]) -> str:
    """A card as patterns see it: 'title: content', or for a permissions card (which has
    neither) 'AskForPermissionsConsent: <scope>, …'."""
    if "permissions" in card:
        return f"{card.get('type', '')}: {', '.join(map(str, card['permissions']))}"
    return f"{card.get('title', '')}: {card.get('content', '')}"


def check_reminders(turn: Turn, reminded: list[str] | None, fired: int) -> list[str]:
    """The ways the reminders that went off while the clock moved (`fired`, the first of them
    `reminded`, as announced) differ from the script's."""
    if reminded is None:
        return []
    problems: list[str] = []
    if turn.reminders_fired is not None and fired != turn.reminders_fired:
        problems.append(f"{fired} reminders went off, expected {turn.reminders_fired}")
    for pattern in turn.reminders_say:
        if not reminded or not all(re.search(pattern, said, re.IGNORECASE) for said in reminded):
            problems.append(f"not every reminder says {pattern!r}: {reminded!r}")
    return problems


def check_turn(
    turn: Turn, simulator: Simulator, exchange: Exchange | None, replies: list[AlexaReply]
) -> list[str]:
    """The ways a turn's answers differ from what the script expects."""
    problems: list[str] = []
    if turn.intent is not None and exchange is not None and exchange.request != turn.intent:
        problems.append(f"heard {exchange.request}, expected {turn.intent}")
    spoken = " ".join(simulator.spoken(reply) for reply in replies if reply.ssml)
    for pattern in turn.speech:
        if not re.search(pattern, spoken, re.IGNORECASE):
            problems.append(f"speech does not match {pattern!r}: {spoken!r}")
    for pattern in turn.not_speech:
        if re.search(pattern, spoken, re.IGNORECASE):
            problems.append(f"speech matches {pattern!r}, which it must not: {spoken!r}")
    cards = " ".join(
        card_text(card) for reply in replies if isinstance(card := reply.response.get("card"), dict)
    )
    for pattern in turn.card:
        if not re.search(pattern, cards, re.IGNORECASE):
            problems.append(f"card does not match {pattern!r}: {cards!r}")
    sent = {directive.get("type") for reply in replies for directive in reply.directives}
    for kind in turn.directives:
        if kind not in sent:
            problems.append(f"no {kind} directive (sent: {sorted(map(str, sent))})")
    for kind in turn.no_directives:
        if kind in sent:
            problems.append(f"a {kind} directive, which it must not send")
    if turn.events is not None and exchange is not None:
        kinds = exchange.event_types
        if kinds != turn.events:
            problems.append(f"events {kinds}, expected {turn.events}")
    ends = exchange.reply.ends_session if exchange is not None else None
    if turn.ends_session is not None and ends is not None and ends != turn.ends_session:
        problems.append(f"ends_session is {ends}")
    for reply in replies:
        if reply.ssml and len(reply.ssml) >= 8000:
            problems.append(f"speech of {len(reply.ssml)} characters (Alexa allows under 8000)")
        if reply.directive("Connections.SendRequest") is not None:
            # A hand-over: Alexa asks next, so no reprompt and shouldEndSession unset.
            if reply.reprompt or "shouldEndSession" in reply.response:
                problems.append("a hand-over to Alexa with a reprompt or shouldEndSession")
        elif not reply.ends_session and reply.ssml and not reply.reprompt:
            problems.append("the session stays open without a reprompt")
    return problems


def change_permission(simulator: Simulator, turn: Turn) -> AlexaReply:
    """The patient allows or takes back the reminders permission in the Alexa app: Amazon's API
    answers accordingly, later requests carry it or not, and the skill gets Alexa's event."""
    scope = envelopes.REMINDERS_SCOPE
    granted = turn.permission == "granted"
    if granted:
        simulator.reminders.grant(simulator.api_token)
        simulator.dialog.granted = tuple(dict.fromkeys([*simulator.dialog.granted, scope]))
    else:
        simulator.reminders.revoke(simulator.api_token)
        simulator.dialog.granted = tuple(s for s in simulator.dialog.granted if s != scope)
    event = "SkillPermissionAccepted" if granted else "SkillPermissionChanged"
    body = envelopes.permission_event(
        event,
        at=simulator.now,
        accepted=simulator.dialog.granted,
        **simulator.dialog.device_options(),
    )
    return simulator.dialog.event(body)


def play_turn(simulator: Simulator, turn: Turn) -> Outcome:
    """Do one turn and check it."""
    exchange: Exchange | None = None
    replies: list[AlexaReply] = []
    reminded: list[str] | None = None
    fired = 0
    if turn.say is not None:
        exchange = simulator.say(turn.say)
        replies = [exchange.reply]
    elif turn.listen is not None:
        passed = simulator.wait(turn.listen)
        replies, reminded = passed.events, [rang.text for rang in passed.rang]
        fired = len(passed.rang) + passed.more
    elif turn.advance is not None:
        passed = simulator.away(**turn.advance)
        reminded, fired = [rang.text for rang in passed.rang], len(passed.rang) + passed.more
    elif turn.press is not None:
        replies = [simulator.press(turn.press)]
    elif turn.silence:
        replies = [simulator.end_session()]
    elif turn.permission is not None:
        replies = [change_permission(simulator, turn)]
    problems = check_turn(turn, simulator, exchange, replies)
    problems += check_reminders(turn, reminded, fired)
    return Outcome(turn, exchange, replies, problems, reminded)


def describe(outcome: Outcome, index: int) -> str:
    """A failed turn, for the test report."""
    action = outcome.turn.model_dump(exclude_defaults=True, by_alias=True)
    return f"turn {index + 1} {action}: " + "; ".join(outcome.problems)
