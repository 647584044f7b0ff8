"""Caregiver access, given and taken back by voice: a one-time code, who can see the patient's
progress now (with an offer to end it), or revoking every session."""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response
from markupsafe import Markup

from skill.alexa.pending import RepeatOffered, RevokeOffered
from skill.intents.base import IntentHandler
from skill.intents.turn import Turn, turn_of
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


def _revoke_all(turn: Turn) -> Response:
    ended = turn.services.caregivers.revoke_all(turn.user_id, at=turn.now)
    return (
        turn.reply()
        .say("caregiver.revoked", count=ended)
        .ask_anything_else()
        .build(turn.handler_input)
    )


class CaregiverSessionsIntentHandler(IntentHandler):
    """'Who can see my progress?': how many caregiver sessions are open now, and an offer to
    end them (a yes is answered by `answer_revoke_offer`)."""

    intents = ("CaregiverSessionsIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        count = turn.services.caregivers.open_sessions(turn.user_id, at=turn.now)
        if count == 0:
            return (
                turn.reply().say("caregiver.sessions_none").ask_anything_else().build(handler_input)
            )
        return (
            turn.reply()
            .say("caregiver.sessions_open", count=count)
            .ask("caregiver.offer_revoke", "caregiver.offer_revoke_reprompt", count=count)
            .expect(RevokeOffered())
            .build(handler_input)
        )


def answer_revoke_offer(turn: Turn, *, accepted: bool) -> Response:
    """'Yes' to 'shall I end them?' ends every caregiver session; 'no' keeps them."""
    if accepted:
        return _revoke_all(turn)
    return turn.reply().say("caregiver.kept").ask_anything_else().build(turn.handler_input)


class RevokeCaregiversIntentHandler(IntentHandler):
    """'Remove caregiver access': every caregiver session of the patient ends now."""

    intents = ("RevokeCaregiversIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        return _revoke_all(turn_of(handler_input))


HANDLERS = [
    CaregiverCodeIntentHandler(),
    CaregiverSessionsIntentHandler(),
    RevokeCaregiversIntentHandler(),
]
