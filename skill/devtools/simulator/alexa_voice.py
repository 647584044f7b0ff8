"""What Alexa herself says and hears on the simulated Echo, not the skill: the permission ask
that follows a skill's `AskFor` hand-over, how a "yes" or "no" to it is heard, and the word a
fired reminder is announced with. The words are data per language, in the `alexa` section of
skill/devtools/simulator/languages/<locale>.yaml (the skill's own sentences live in
skill/content/strings; these are Alexa's, so the skill has no say in them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from skill.devtools.simulator.spoken_language import AlexaWords, LocaleError, load_language

# Alexa hears an English yes or no on a device of any language, as a fallback.
FALLBACK_LOCALE = "en-US"


@dataclass(frozen=True)
class AlexaVoice:
    """Alexa's words in one language."""

    words: AlexaWords
    fallback: AlexaWords

    @property
    def skill_name(self) -> str:
        """The skill's name as Alexa says it in this language."""
        return self.words.skill_name

    @property
    def reminder(self) -> str:
        """The word a reminder going off is shown with ("Reminder")."""
        return self.words.reminder

    def ask(self) -> str:
        """Alexa's question when a skill asks for the reminders permission."""
        return self.words.permission_ask.format(skill=self.words.skill_name)

    def consent(self, said: str) -> bool | None:
        """True for a yes ("I approve"), False for a no, None for anything else."""
        heard = _normal(said)
        for words in (self.words, self.fallback):
            if heard in {_normal(item) for item in words.heard_as_yes}:
                return True
            if heard in {_normal(item) for item in words.heard_as_no}:
                return False
        return None


def _normal(said: str) -> str:
    return " ".join(re.sub(r"[^\w\s']", " ", said.lower()).split())


def voice_of(locale: str) -> AlexaVoice:
    """Alexa's words for a device in `locale` (English when the simulator lacks the locale)."""
    fallback = load_language(FALLBACK_LOCALE).alexa
    try:
        words = load_language(locale).alexa
    except LocaleError:
        words = fallback
    return AlexaVoice(words, fallback)
