"""The patient's data rights: delete everything on request (after a yes), or when the skill is
disabled with the choice not to keep the data; their reminders at Amazon go first."""

from __future__ import annotations

import logging

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from skill.alexa.pending import YES, DeletionToConfirm
from skill.alexa.request import raw_request
from skill.intents.base import IntentHandler, RequestHandler
from skill.intents.turn import Turn, turn_of

log = logging.getLogger(__name__)


class DeleteMyDataIntentHandler(IntentHandler):
    """'Delete my data': say what goes, and ask to be sure."""

    intents = ("DeleteMyDataIntent",)

    def handle(self, handler_input: HandlerInput) -> Response:
        return (
            turn_of(handler_input)
            .reply()
            .ask("data.confirm_delete", "data.confirm_delete_reprompt")
            .expect(DeletionToConfirm())
            .build(handler_input)
        )


def answer_deletion(turn: Turn, intent: str) -> Response:
    """'Yes' to 'delete everything?': every row about the patient goes, in one transaction;
    'no': nothing is deleted."""
    if intent != YES:
        return turn.reply().say("data.kept").ask_anything_else().build(turn.handler_input)
    if turn.user_id:
        # Their reminders at Amazon first (best effort): the tokens to delete them are here.
        turn.services.reminders.forget_at_amazon(turn)
        turn.services.patient_data.delete(turn.user_id)
    return turn.reply().say("data.deleted").build(turn.handler_input)


class SkillDisabledHandler(RequestHandler):
    """Disabled without keeping the data (NOT_PERSISTED): delete it. Nothing may be said."""

    request_types = ("AlexaSkillEvent.SkillDisabled",)

    def handle(self, handler_input: HandlerInput) -> Response:
        body = raw_request(handler_input).get("body")
        status = body.get("userInformationPersistenceStatus") if isinstance(body, dict) else None
        turn = turn_of(handler_input)
        if status == "NOT_PERSISTED" and turn.user_id:
            turn.services.reminders.forget_at_amazon(turn)
            deleted = turn.services.patient_data.delete(turn.user_id)
            log.info("skill disabled without keeping data: %d rows deleted", sum(deleted.values()))
        return handler_input.response_builder.response


EVENT_HANDLERS = [SkillDisabledHandler()]
HANDLERS = [DeleteMyDataIntentHandler()]
