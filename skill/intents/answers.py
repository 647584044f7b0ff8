"""Answers to the question left open: 'yes', 'no', numbers, skips and 'I didn't catch that'.

The last reply's question is one typed `Pending` (skill/alexa/pending.py), which names the
intents that answer it. This one handler takes those intents whenever such a question is open
and sends each to the answer for that question; every other request goes to the ordinary
handlers, so "yes" means what the last question asked, whatever the order of handlers.
"""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from skill.alexa import pending as pending_question
from skill.alexa.pending import (
    MORE_DETAIL,
    YES,
    CheckInStep,
    DeletionToConfirm,
    DetailsOffered,
    MilestoneOffered,
    NextChunkOffered,
    NumberOffered,
    OtherContactOffered,
    PainScoreAsked,
    Pending,
    RemindersCancelToConfirm,
    RemindersOffered,
    RepeatOffered,
    ResumeOffered,
    RevokeOffered,
    SetOffered,
    SurgeryDateAsked,
    SurgeryDateToConfirm,
)
from skill.alexa.request import intent_name
from skill.intents import (
    caregivers,
    check_in,
    conversation,
    data_rights,
    exercise,
    pain,
    reminders,
    summary,
    surgery_date,
)
from skill.intents.base import IntentHandler
from skill.intents.recovery import answer_other_contact, milestone_response
from skill.intents.turn import Turn, turn_of


def answer(turn: Turn, pending: Pending, intent: str) -> Response:
    """The response to `intent`, an answer to the open question `pending`."""
    accepted = intent == YES
    match pending:
        case SurgeryDateAsked():
            return surgery_date.answer_not_understood(turn)
        case SurgeryDateToConfirm():
            return surgery_date.answer_confirmation(turn, pending, intent)
        case DeletionToConfirm():
            return data_rights.answer_deletion(turn, intent)
        case PainScoreAsked():
            return pain.answer_not_understood(turn, pending)
        case CheckInStep():
            return check_in.answer(turn, pending)
        case MilestoneOffered():
            if not accepted:
                return conversation.goodbye(turn)
            return milestone_response(turn, pending.index)
        case DetailsOffered():
            return summary.answer_details(
                turn, accepted=intent in (YES, MORE_DETAIL), said=pending.said
            )
        case OtherContactOffered():
            return answer_other_contact(turn, pending, accepted=accepted)
        case RepeatOffered():
            return conversation.answer_repeat_offer(turn, accepted=accepted)
        case NumberOffered():
            return pain.answer_number_offer(turn, pending, accepted=accepted)
        case RevokeOffered():
            return caregivers.answer_revoke_offer(turn, accepted=accepted)
        case NextChunkOffered() | ResumeOffered() | SetOffered():
            return exercise.answer_set_offer(turn, pending, accepted=accepted)
        case RemindersOffered():
            return reminders.answer_offer(turn, accepted=accepted)
        case RemindersCancelToConfirm():
            return reminders.answer_cancel(turn, accepted=accepted)


class PendingAnswerHandler(IntentHandler):
    """An intent that answers the question the last reply left open."""

    intents = pending_question.ANSWERING_INTENTS

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return super().can_handle(handler_input) and pending_question.answers(
            turn_of(handler_input).pending, intent_name(handler_input)
        )

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        pending = turn.pending
        if pending is None:  # can_handle saw one: the Turn is the same request's
            raise LookupError("no question is open")
        return answer(turn, pending, intent_name(handler_input) or "")


HANDLERS = [PendingAnswerHandler()]
