"""Assembling the ask-sdk skill: interceptors, handlers in their fixed order, error handlers."""

from __future__ import annotations

from ask_sdk_core.dispatch_components import (
    AbstractRequestHandler,
    AbstractRequestInterceptor,
)
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import CustomSkillBuilder
from ask_sdk_model.services import ApiClient

from skill.alexa.request import request_attributes
from skill.intents import (
    answers,
    caregivers,
    check_in,
    conversation,
    data_rights,
    errors,
    exercise,
    launch,
    pain,
    playback,
    recovery,
    summary,
    surgery_date,
)
from skill.intents.turn import TURN_KEY, Turn
from skill.services import Services


class AttachTurn(AbstractRequestInterceptor):
    """Gives every handler the request's Turn (patient, locale, today) without global state."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def process(self, handler_input: HandlerInput) -> None:
        request_attributes(handler_input)[TURN_KEY] = Turn(handler_input, self._services)


def request_handlers() -> list[AbstractRequestHandler]:
    """Every request handler in dispatch order: the first whose can_handle is true wins.

    Four groups, in this order: requests that are not intents (launch, AudioPlayer and button
    events, the skill disabled, a session ending mid check-in); intents spoken while a set
    plays (they mean "the stream" there); answers to the question the last reply left open
    (skill/intents/answers.py); then each intent's own handler, one per intent, so their order
    does not matter; catch-alls last.
    """
    return [
        *launch.HANDLERS,
        *playback.EVENT_HANDLERS,
        *data_rights.EVENT_HANDLERS,
        *check_in.EVENT_HANDLERS,
        *playback.INTENT_HANDLERS,
        *answers.HANDLERS,
        *surgery_date.HANDLERS,
        *check_in.HANDLERS,
        *pain.HANDLERS,
        *data_rights.HANDLERS,
        *exercise.HANDLERS,
        *recovery.HANDLERS,
        *summary.HANDLERS,
        *caregivers.HANDLERS,
        *conversation.HANDLERS,
        *conversation.CATCH_ALL_HANDLERS,
    ]


def build_skill(services: Services, *, api_client: ApiClient | None = None) -> CustomSkill:
    """The skill, with its dependencies passed in (the HTTP adapter checks the skill id)."""
    builder = CustomSkillBuilder(api_client=api_client)  # type: ignore[arg-type]
    builder.add_global_request_interceptor(AttachTurn(services))
    for handler in request_handlers():
        builder.add_request_handler(handler)
    for exception_handler in errors.exception_handlers(services.catalogue):
        builder.add_exception_handler(exception_handler)
    return builder.create()
