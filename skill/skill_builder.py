"""Assembling the ask-sdk skill: interceptors, handlers in their fixed order, the dispatch table
built once from what they declare, error handlers."""

from __future__ import annotations

from collections.abc import Sequence

from ask_sdk_core.dispatch_components import AbstractRequestInterceptor
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import CustomSkillBuilder
from ask_sdk_model.request import Request
from ask_sdk_model.services import ApiClient
from ask_sdk_runtime.dispatch_components.request_components import (
    GenericRequestHandlerChain,
    GenericRequestMapper,
)

from skill.alexa.request import intent_name, request_attributes, request_type
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
    preferences,
    recovery,
    reminders,
    summary,
    surgery_date,
)
from skill.intents.base import INTENT_REQUEST, RequestHandler
from skill.intents.turn import TURN_KEY, Turn
from skill.services import Services


class AttachTurn(AbstractRequestInterceptor):
    """Gives every handler the request's Turn (patient, locale, today) without global state."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def process(self, handler_input: HandlerInput) -> None:
        request_attributes(handler_input)[TURN_KEY] = Turn(handler_input, self._services)


def request_handlers() -> list[RequestHandler]:
    """Every request handler in dispatch order: the first whose can_handle is true wins
    (DispatchTable asks only those declared for the request, in this order).

    Four groups, in this order: requests that are not intents (launch, AudioPlayer and button
    events, the skill disabled, Alexa's answer to the permission ask and the reminder events,
    a session ending mid check-in); intents spoken while a set
    plays (they mean "the stream" there); answers to the question the last reply left open
    (skill/intents/answers.py); then each intent's own handler, one per intent, so their order
    does not matter; catch-alls last.
    """
    return [
        *launch.HANDLERS,
        *playback.EVENT_HANDLERS,
        *data_rights.EVENT_HANDLERS,
        *reminders.EVENT_HANDLERS,
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
        *preferences.HANDLERS,
        *reminders.HANDLERS,
        *conversation.HANDLERS,
        *conversation.CATCH_ALL_HANDLERS,
    ]


Route = tuple[GenericRequestHandlerChain, ...]
# Every request type ask-sdk-model deserializes: the types a handler can be asked about.
KNOWN_REQUEST_TYPES: frozenset[str] = frozenset(Request.discriminator_value_class_map)


class DispatchTable(GenericRequestMapper):
    """ask-sdk's request mapper, with a table built once from what the handlers declare
    (`intents`, `request_types`: skill/intents/base.py).

    The table maps (request type, intent name) to the few handlers declared to answer it, in
    the order of `handlers`, and only those are asked, in that order: the first whose
    can_handle is true wins. A handler's can_handle is never true for a request it does not
    declare, so this is the handler GenericRequestMapper, asking every handler in turn, gives.
    """

    def __init__(self, handlers: Sequence[RequestHandler]) -> None:
        for handler in handlers:
            if not isinstance(handler, RequestHandler):
                raise TypeError(f"{type(handler).__name__} declares nothing: not a RequestHandler")
        chains = [GenericRequestHandlerChain(request_handler=handler) for handler in handlers]
        super().__init__(request_handler_chains=chains)
        declared = list(zip(handlers, chains, strict=True))

        def route(request: str, intent: str | None) -> Route:
            return tuple(chain for handler, chain in declared if handler.declares(request, intent))

        intents = {name for handler in handlers for name in handler.intents}
        patterns = {pattern for handler in handlers for pattern in handler.request_types}
        types = {INTENT_REQUEST, *KNOWN_REQUEST_TYPES}
        types |= {pattern for pattern in patterns if not pattern.endswith("*")}
        # (IntentRequest, intent) for each declared intent; (type, None) for every request type
        # ask-sdk-model reads and each declared one, whatever it names (an IntentRequest for an
        # intent no handler declares).
        self.routes: dict[tuple[str, str | None], Route] = {
            **{(INTENT_REQUEST, name): route(INTENT_REQUEST, name) for name in sorted(intents)},
            **{(name, None): route(name, None) for name in sorted(types)},
        }
        # Any other type (ask-sdk-model cannot read it; the endpoint answers it before the skill):
        # the route of the longest family prefix ('AudioPlayer.') it begins with.
        prefixes = sorted((p[:-1] for p in patterns if p.endswith("*")), key=len, reverse=True)
        self.families: tuple[tuple[str, Route], ...] = tuple(
            (prefix, route(prefix, None)) for prefix in prefixes
        )

    def route(self, request: str, intent: str | None) -> Route:
        """The handler chains to ask, in order, about a request of type `request`."""
        found = self.routes.get((request, intent))
        if found is None:
            found = self.routes.get((request, None))
        if found is not None:
            return found
        for prefix, family in self.families:
            if request.startswith(prefix):
                return family
        return ()

    def get_request_handler_chain(  # type: ignore[override]  # ask-sdk types it Input, a TypeVar
        self, handler_input: HandlerInput
    ) -> GenericRequestHandlerChain | None:
        request = request_type(handler_input)
        intent = intent_name(handler_input) if request == INTENT_REQUEST else None
        for chain in self.route(request, intent):
            if chain.request_handler.can_handle(handler_input=handler_input):
                return chain
        return None


def build_skill(services: Services, *, api_client: ApiClient | None = None) -> CustomSkill:
    """The skill, with its dependencies passed in (the HTTP adapter checks the skill id).

    The builder's configuration, with the dispatch table as its one request mapper.
    """
    builder = CustomSkillBuilder(api_client=api_client)  # type: ignore[arg-type]
    builder.add_global_request_interceptor(AttachTurn(services))
    for exception_handler in errors.exception_handlers(services.catalogue):
        builder.add_exception_handler(exception_handler)
    configuration = builder.skill_configuration
    configuration.request_mappers = [DispatchTable(request_handlers())]
    return CustomSkill(skill_configuration=configuration)
