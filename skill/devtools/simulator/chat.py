"""`spine-coach chat`: a bedside conversation in the terminal.

Type what you would say to the Echo. Lines starting with "/" drive the simulated world:
/listen 20 (let 20 seconds pass while a track plays), /day (the next day), /press Pause,
/silence (say nothing), /help, /quit. "pause after 20 seconds" listens, then says "pause".
When the skill asks for a permission, Alexa asks in her words and the next line answers her
("yes", "I approve", "no"). Reminders going off as the clock moves are shown in order, each on a
line of its own starting with the device language's word for reminder.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from skill.devtools.dialog import AlexaReply
from skill.devtools.simulator.session import Exchange, Passed, Simulator
from skill.sets.tokens import parse_token

HELP = """Say anything you would say to Alexa, e.g. "open spine coach", "start my bridges".
  /listen SECONDS   let time pass (a playing track plays on)
  /day [N]          move on N days (default 1)
  /press BUTTON     a device button: Play, Pause, Next, Previous
  /silence          say nothing: Alexa closes the session (or takes no answer to her question)
  /help, /quit
"pause after 20 seconds" lets 20 seconds pass, then says "pause".
When Alexa asks for a permission, answer "yes" ("I approve") or "no"; reminders that go off
as time passes are shown as they come."""
_AFTER = re.compile(
    r"^(?P<said>.+?)\s+after\s+(?P<count>\d+)\s*(?P<unit>seconds?|secs?|minutes?|mins?)$"
)
_CLIP = re.compile(r"\[([^\]]+)\]")
BUTTONS = ("Play", "Pause", "Next", "Previous")


def minutes_seconds(milliseconds: int) -> str:
    """'4:05' for 245 000 ms."""
    seconds = milliseconds // 1000
    return f"{seconds // 60}:{seconds % 60:02d}"


@dataclass
class Speaker:
    """Speaks answers aloud: espeak-ng for words, a local player for the coach's clips."""

    audio_dir: Path | None
    voice: str = "en-us"  # espeak-ng's voice for the locale (languages/<locale>.yaml)
    run: Callable[[list[str]], object] = lambda args: subprocess.run(args, check=False)

    def say(self, text: str) -> None:
        """Speak words, then any clips, in order."""
        position = 0
        for match in _CLIP.finditer(text):
            self._words(text[position : match.start()])
            position = match.end()
        self._words(text[position:])

    def _words(self, words: str) -> None:
        if words.strip() and shutil.which("espeak-ng"):
            self.run(["espeak-ng", "-v", self.voice, words.strip()])

    def play(self, url: str, offset_ms: int) -> None:
        """Play a track from an offset, if a player is installed and the file is here."""
        player = shutil.which("ffplay")
        file = self._local(url)
        if player and file:
            self.run(
                [
                    player,
                    "-nodisp",
                    "-autoexit",
                    "-loglevel",
                    "quiet",
                    "-ss",
                    f"{offset_ms / 1000:.3f}",
                    str(file),
                ]
            )

    def _local(self, url: str) -> Path | None:
        if self.audio_dir is None:
            return None
        for marker in ("/tracks/", "/clips/"):
            if marker in url:
                candidate = self.audio_dir / (marker.strip("/") + "/" + url.split(marker, 1)[1])
                return candidate if candidate.is_file() else None
        return None


class Chat:
    """Turns typed lines into simulator actions and prints what Alexa does."""

    def __init__(self, simulator: Simulator, out: TextIO, speaker: Speaker | None = None) -> None:
        self.simulator = simulator
        self.out = out
        self.speaker = speaker

    def run(self, lines: Iterable[str]) -> None:
        """Handle lines until /quit or the end of input."""
        for line in lines:
            if not self.handle(line.strip()):
                break

    def handle(self, line: str) -> bool:
        """One line; False to stop."""
        if not line:
            return True
        if line.startswith("/"):
            return self._command(line[1:].split())
        after = _AFTER.match(line)
        if after:
            amount = int(after["count"]) * (60 if after["unit"].startswith("m") else 1)
            self._listen(amount)
            line = after["said"]
        self._show(self.simulator.say(line))
        return True

    def _command(self, words: list[str]) -> bool:
        name, args = (words[0].lower(), words[1:]) if words else ("help", [])
        if name in ("quit", "exit", "q"):
            return False
        if name in ("listen", "wait") and args and args[0].rstrip("s").isdigit():
            self._listen(int(args[0].rstrip("s")))
        elif name in ("day", "days", "tomorrow"):
            days = int(args[0]) if args and args[0].isdigit() else 1
            passed = self.simulator.away(days=days)
            self._passed(passed)
            self._print(f"  (it is now {self.simulator.now:%A %d %B, %H:%M} UTC)")
        elif name == "press" and args and args[0].capitalize() in BUTTONS:
            reply = self.simulator.press(args[0].capitalize())
            self._directives(reply)
        elif name == "silence":
            if self.simulator.asking is not None:  # no answer to Alexa's permission ask
                self._show(self.simulator.answer_permission(None))
            else:
                self.simulator.end_session()
                self._print("  (the session closed)")
        else:
            self._print(HELP)
        return True

    def _listen(self, seconds: int) -> None:
        passed = self.simulator.wait(seconds)
        self._passed(passed)
        player = self.simulator.player
        if player and player.current:
            where = minutes_seconds(player.current.offset_ms)
            self._print(f"  ({seconds} s later: {player.activity.lower()} at {where})")
        else:
            self._print(f"  ({seconds} s later)")

    def _passed(self, passed: Passed) -> None:
        """What happened while the clock moved: an ask left unanswered, the device's events,
        the reminders that went off (each on its line, in the device's time)."""
        if passed.unanswered is not None:
            self._show(passed.unanswered)
        for reply in passed.events:
            self._directives(reply)
        word = self.simulator.voice.reminder
        for rang in passed.rang:
            local = rang.at.astimezone(self.simulator.time_zone)
            self._print(f"{word}: {rang.text} ({local:%a %H:%M})")
            if self.speaker:
                self.speaker.say(rang.text)
        if passed.more:
            self._print(f"{word}: … and {passed.more} more")

    def _show(self, exchange: Exchange) -> None:
        if exchange.permission is not None:
            self._print(f"  (Alexa tells the skill: {exchange.permission})")
        heard = exchange.heard
        if heard is not None:
            slots = " ".join(f"{name}={slot.value}" for name, slot in heard.slots.items())
            self._print(f"  (heard {heard.intent}{' ' + slots if slots else ''})")
        reply = exchange.reply
        if reply.ssml:
            spoken = self.simulator.spoken(reply)
            self._print(f"alexa> {spoken}")
            if self.speaker:
                self.speaker.say(spoken)
        card = reply.response.get("card")
        if isinstance(card, dict):
            self._print(f"  [card] {card.get('title', '')}: {card.get('content', '')}")
        self._directives(reply)
        if exchange.alexa_asks:
            self._print(f"alexa (her own question)> {exchange.alexa_asks}")
            if self.speaker:
                self.speaker.say(exchange.alexa_asks)
        elif reply.ends_session:
            self._print("  (the session closed)")

    def _directives(self, reply: AlexaReply) -> None:
        for directive in reply.directives:
            kind = directive.get("type", "")
            if kind == "AudioPlayer.Play":
                stream = directive["audioItem"]["stream"]
                token = parse_token(stream.get("token"))
                what = (
                    f"{token.exercise_id.replace('_', ' ')} at a {token.pace} pace"
                    if token
                    else "a track"
                )
                offset = int(stream.get("offsetInMilliseconds", 0))
                player = self.simulator.player
                length = player.duration_of(stream["url"]) if player else 0
                verb = "queued" if directive.get("playBehavior") == "ENQUEUE" else "playing"
                span = f"from {minutes_seconds(offset)} of {minutes_seconds(length)}"
                self._print(f"  [{verb} {what}, {span}]")
                if self.speaker and verb == "playing":
                    self.speaker.play(stream["url"], offset)
            elif kind == "AudioPlayer.Stop":
                self._print("  [stopped]")

    def _print(self, text: str) -> None:
        print(text, file=self.out, flush=True)
