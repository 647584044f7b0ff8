"""'Shorter' / 'more detail': how much the patient wants to hear, remembered from now on.

The choice picks between each message's brief default and its full wording, where the
catalogue or the plan has one (skill/content/strings.py `Strings.detailed`).
"""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from skill.content.strings import Detail
from skill.intents.base import IntentHandler
from skill.intents.turn import Turn, turn_of


def _choose(turn: Turn, detail: Detail) -> Response:
    turn.services.patients.save_speech_detail(turn.user_id, detail)
    return turn.reply().say(f"detail.{detail.value}").ask_anything_else().build(turn.handler_input)


class ShorterAnswersIntentHandler(IntentHandler):
    """'Shorter', 'speak less': the brief wording from now on (the default)."""

    intents = ("ShorterAnswersIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        return _choose(turn_of(handler_input), Detail.BRIEF)


class MoreDetailIntentHandler(IntentHandler):
    """'More detail', 'tell me more': the full wording from now on."""

    intents = ("MoreDetailIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        return _choose(turn_of(handler_input), Detail.FULL)


HANDLERS = [ShorterAnswersIntentHandler(), MoreDetailIntentHandler()]
