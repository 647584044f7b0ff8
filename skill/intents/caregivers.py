"""Caregiver access, given and taken back by voice: a one-time code, or revoking every session."""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response
from markupsafe import Markup

from skill.alexa.pending import RepeatOffered
from skill.intents.base import IntentHandler
from skill.intents.turn import turn_of


def digits(code: str) -> Markup:
    """A code read digit by digit."""
    return Markup('<say-as interpret-as="digits">{}</say-as>').format(code)


class CaregiverCodeIntentHandler(IntentHandler):
    """'Give my caregiver access': a six-digit code, said digit by digit, on a card too."""

    intents = ("CaregiverCodeIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        code = turn.services.caregivers.issue_code(turn.user_id, at=turn.now)
        return (
            turn.reply()
            .say("caregiver.code", code=digits(code))
            .ask("caregiver.offer_repeat")
            .expect(RepeatOffered())
            .card("caregiver.card_title", "caregiver.card", code=code)
            .build(handler_input)
        )


class RevokeCaregiversIntentHandler(IntentHandler):
    """'Remove caregiver access': every caregiver session of the patient ends now."""

    intents = ("RevokeCaregiversIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        ended = turn.services.caregivers.revoke_all(turn.user_id, at=turn.now)
        return (
            turn.reply()
            .say("caregiver.revoked", count=ended)
            .ask_anything_else()
            .build(handler_input)
        )


HANDLERS = [CaregiverCodeIntentHandler(), RevokeCaregiversIntentHandler()]
