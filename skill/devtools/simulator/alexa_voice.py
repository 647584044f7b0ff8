"""What Alexa herself says and hears on the simulated Echo, not the skill: the permission ask
that follows a skill's `AskFor` hand-over, how a "yes" or "no" to it is heard, and the word a
fired reminder is announced with. A small table per language (the skill's own sentences live in
skill/content/strings; these are Alexa's, so the skill has no say in them).

Amazon documents the English ask ("Do you give <skill> permission to update your reminders?
You can say I approve or no."); the Dutch is written to match, formal like the skill's text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class AlexaVoice:
    """Alexa's words in one language."""

    skill_name: str
    permission_ask: str  # {skill}: the skill's name
    reminder: str  # the word a fired reminder is shown with ("Reminder")
    yes: frozenset[str]
    no: frozenset[str]

    def ask(self) -> str:
        """Alexa's question when a skill asks for the reminders permission."""
        return self.permission_ask.format(skill=self.skill_name)

    def consent(self, said: str) -> bool | None:
        """True for a yes ("I approve"), False for a no, None for anything else."""
        words = _normal(said)
        if words in self.yes or words in ENGLISH.yes:
            return True
        if words in self.no or words in ENGLISH.no:
            return False
        return None


def _normal(said: str) -> str:
    return " ".join(re.sub(r"[^\w\s']", " ", said.lower()).split())


ENGLISH = AlexaVoice(
    skill_name="Spine Coach",
    permission_ask=(
        "Do you give {skill} permission to set reminders? You can say 'I approve' or 'no'."
    ),
    reminder="Reminder",
    yes=frozenset(
        {"yes", "yeah", "yep", "sure", "ok", "okay", "i approve", "approve", "yes please"}
    ),
    no=frozenset({"no", "nope", "no thanks", "no thank you", "i don't approve", "don't"}),
)
DUTCH = AlexaVoice(
    skill_name="Rug Coach",
    permission_ask=(
        "Geeft u {skill} toestemming om herinneringen in te stellen? "
        "U kunt zeggen 'ik ga akkoord' of 'nee'."
    ),
    reminder="Herinnering",
    yes=frozenset({"ja", "ja graag", "ik ga akkoord", "akkoord", "goed", "prima", "oké", "ok"}),
    no=frozenset({"nee", "nee dank u", "nee dank je", "liever niet", "niet akkoord"}),
)
VOICES = {"en-US": ENGLISH, "en-GB": ENGLISH, "nl-NL": DUTCH}


def voice_of(locale: str) -> AlexaVoice:
    """Alexa's words for a device in `locale` (English when the language is not in the table)."""
    return VOICES.get(locale) or VOICES.get(locale.split("-")[0]) or ENGLISH
