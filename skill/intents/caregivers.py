"""Caregiver access, given and taken back by voice: a one-time code, or revoking every session."""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response
from markupsafe import Markup

from skill.alexa.pending import RepeatOffered
from skill.intents.base import IntentHandler
from skill.intents.turn import turn_of
from skill.store.caregivers import code_groups


def digits(code: str) -> Markup:
    """A code read digit by digit, in groups of three with a short pause between them."""
    group = Markup('<say-as interpret-as="digits">{}</say-as>')
    return Markup('<break time="400ms"/>').join(group.format(part) for part in code_groups(code))


class CaregiverCodeIntentHandler(IntentHandler):
    """'Give my caregiver access': a code said digit by digit in groups, on a card too."""

    intents = ("CaregiverCodeIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        code = turn.services.caregivers.issue_code(turn.user_id, at=turn.now)
        return (
            turn.reply()
            .say("caregiver.code", code=digits(code))
            .ask("caregiver.offer_repeat")
            .expect(RepeatOffered())
            .card("caregiver.card_title", "caregiver.card", code=" ".join(code_groups(code)))
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
