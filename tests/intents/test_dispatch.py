"""The dispatch table (skill_builder.DispatchTable) against ask-sdk's linear GenericRequestMapper.

Every intent of the interaction model and one it does not have, every request type ask-sdk-model
reads, with each kind of open question and none, with and without an AudioPlayer context (the
patient's set playing or stopped, another patient's token, a token of no one): the table gives
the handler the linear order gives, asking only the handlers declared for the request, in the
same order, and no handler's can_handle is ever true for a request it does not declare.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_core.attributes_manager import AttributesManager
from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.skill import CustomSkill
from ask_sdk_model import RequestEnvelope, Response
from ask_sdk_runtime.dispatch_components.request_components import (
    GenericRequestHandlerChain,
    GenericRequestMapper,
)
from flask import Flask
from sqlalchemy import Engine

from skill.alexa import pending
from skill.alexa.endpoint import EXTENSION, AlexaEndpoint
from skill.alexa.request import intent_name, request_type
from skill.content.plan import Pace
from skill.devtools import envelopes
from skill.intents.base import INTENT_REQUEST, IntentHandler, RequestHandler
from skill.sets.tokens import PlaybackToken
from skill.skill_builder import KNOWN_REQUEST_TYPES, DispatchTable, request_handlers
from skill.store.exercise_log import Delivery, ExerciseLog
from skill.store.patients import PatientStore
from tests.conftest import NOW

MODEL = Path(__file__).parents[2] / "interaction_model" / "en-US.json"
USER = envelopes.DEFAULT_USER
OTHER_USER = "amzn1.ask.account.SOMEONEELSE"
UNKNOWN_INTENT = "AMAZON.SomethingNewIntent"
CATCH_ALLS = ["FallbackIntentHandler", "SessionEndedRequestHandler", "UnhandledRequestHandler"]


def model_intents() -> list[str]:
    model = json.loads(MODEL.read_text(encoding="utf-8"))["interactionModel"]["languageModel"]
    return [intent["name"] for intent in model["intents"]]


def names(chains: Any) -> list[str]:
    return [type(chain.request_handler).__name__ for chain in chains]


# --- the table, read from the declarations ---------------------------------------------------


def test_an_intent_is_routed_to_its_own_handler_then_the_catch_alls() -> None:
    table = DispatchTable(request_handlers())
    assert names(table.route(INTENT_REQUEST, "ProgressSummaryIntent")) == [
        "ProgressSummaryIntentHandler",
        "FallbackIntentHandler",
        "UnhandledRequestHandler",
    ]
    assert names(table.route(INTENT_REQUEST, "AMAZON.PauseIntent")) == [
        "PlayingSetIntentHandler",
        "PauseIntentHandler",
        "FallbackIntentHandler",
        "UnhandledRequestHandler",
    ]
    assert names(table.route(INTENT_REQUEST, "AMAZON.YesIntent")) == [
        "PendingAnswerHandler",
        "YesIntentHandler",
        "FallbackIntentHandler",
        "UnhandledRequestHandler",
    ]
    assert names(table.route(INTENT_REQUEST, UNKNOWN_INTENT)) == [
        "FallbackIntentHandler",
        "UnhandledRequestHandler",
    ]


def test_other_requests_are_routed_by_type_and_family() -> None:
    table = DispatchTable(request_handlers())
    assert names(table.route("LaunchRequest", None)) == [
        "LaunchRequestHandler",
        "UnhandledRequestHandler",
    ]
    assert names(table.route("SessionEndedRequest", None)) == [
        "CheckInSessionEndedHandler",
        "SessionEndedRequestHandler",
        "UnhandledRequestHandler",
    ]
    for kind in ("AudioPlayer.PlaybackStopped", "AudioPlayer.SomethingNew"):
        assert names(table.route(kind, None)) == [
            "AudioPlayerEventHandler",
            "UnhandledRequestHandler",
        ]
    assert names(table.route("PlaybackController.PlayCommandIssued", None)) == [
        "PlaybackControllerHandler",
        "UnhandledRequestHandler",
    ]
    assert names(table.route("AlexaSkillEvent.SkillDisabled", None)) == [
        "SkillDisabledHandler",
        "UnhandledRequestHandler",
    ]
    for kind in ("AlexaSkillEvent.SkillEnabled", "Made.Up", "", "AudioPlayer"):
        assert names(table.route(kind, None)) == ["UnhandledRequestHandler"]


def test_each_route_keeps_the_handler_order_with_the_catch_alls_last() -> None:
    handlers = request_handlers()
    order = [type(handler).__name__ for handler in handlers]
    table = DispatchTable(handlers)
    routes = [*table.routes.values(), *(route for _, route in table.families)]
    assert len(table.routes) >= len(model_intents()) + len(KNOWN_REQUEST_TYPES)
    for route in routes:
        indices = [order.index(name) for name in names(route)]
        assert indices == sorted(indices)
        assert names(route)[-1] == "UnhandledRequestHandler"
        assert len(route) <= 4
    # Every handler is on some route, and the table holds them all, in order, for ask-sdk.
    assert {name for route in routes for name in names(route)} == set(order)
    assert names(table.request_handler_chains) == order


def test_the_longest_family_wins_and_a_handler_that_declares_nothing_is_refused() -> None:
    class Family(RequestHandler):
        request_types = ("A.*",)

        def handle(self, handler_input: HandlerInput) -> Response:
            raise NotImplementedError

    class Narrower(Family):
        request_types = ("A.B.*",)

    class Exact(Family):
        request_types = ("A.B.C",)

    class Spoken(IntentHandler):
        intents = ("AnIntent",)

        def handle(self, handler_input: HandlerInput) -> Response:
            raise NotImplementedError

    table = DispatchTable([Narrower(), Exact(), Family(), Spoken()])
    assert names(table.route("A.B.C", None)) == ["Narrower", "Exact", "Family"]
    assert names(table.route("A.B.D", None)) == ["Narrower", "Family"]
    assert names(table.route("A.X", None)) == ["Family"]
    assert names(table.route("B", None)) == []
    assert names(table.route(INTENT_REQUEST, "AnIntent")) == ["Spoken"]
    assert names(table.route(INTENT_REQUEST, "Other")) == []

    class Undeclared(AbstractRequestHandler):
        def can_handle(self, handler_input: HandlerInput) -> bool:
            return True

        def handle(self, handler_input: HandlerInput) -> Response:
            raise NotImplementedError

    with pytest.raises(TypeError, match="Undeclared declares nothing"):
        DispatchTable([*request_handlers(), Undeclared()])  # type: ignore[list-item]


def test_the_skill_dispatches_with_the_table(app: Flask) -> None:
    endpoint: AlexaEndpoint = app.extensions[EXTENSION]
    skill: CustomSkill = endpoint.skill
    mappers = skill.request_dispatcher.request_mappers
    assert [type(mapper) for mapper in mappers] == [DispatchTable]
    order = [type(handler).__name__ for handler in request_handlers()]
    assert names(mappers[0].request_handler_chains) == order


# --- the table against the linear order, on real requests ------------------------------------


@dataclass(frozen=True)
class Case:
    label: str
    envelope: dict[str, Any]


def open_questions() -> list[tuple[str, dict[str, Any] | None]]:
    """No question, and one of each kind (a check-in with answers and without)."""
    questions: list[pending.Pending] = [
        pending.SurgeryDateAsked(),
        pending.SurgeryDateToConfirm(day=date(2026, 10, 21)),
        pending.DeletionToConfirm(),
        pending.PainScoreAsked(),
        pending.CheckInStep(step=0),
        pending.CheckInStep(step=1, answers={"pain": 4}),
        pending.MilestoneOffered(index=0),
        pending.RepeatOffered(),
        pending.NumberOffered(contact="neurosurgery"),
        pending.RevokeOffered(),
        pending.NextChunkOffered(set_id="0" * 32),
        pending.ResumeOffered(set_id="0" * 32),
        pending.SetOffered(exercise="bridges"),
    ]
    kinds = [(f"{type(q).__name__}{len(getattr(q, 'answers', ()))}", q) for q in questions]
    return [("no question", None)] + [
        (label, {pending.SESSION_KEY: pending.dump(question)}) for label, question in kinds
    ]


def players(live: str) -> list[tuple[str, dict[str, Any] | None]]:
    """No AudioPlayer context; the patient's set playing, then stopped; others' tokens."""
    others = PlaybackToken.for_set(OTHER_USER, "bridges", Pace.NORMAL, "1" * 32).encode()

    def state(token: str, activity: str) -> dict[str, Any]:
        return {"token": token, "offsetInMilliseconds": 20_000, "playerActivity": activity}

    return [
        ("no player", None),
        ("playing", state(live, "PLAYING")),
        ("stopped", state(live, "STOPPED")),
        ("another's", state(others, "PLAYING")),
        ("not ours", state("someone.elses.token", "PLAYING")),
    ]


def requests() -> list[tuple[str, dict[str, Any]]]:
    """Every intent of the model and one it lacks; every other type ask-sdk-model reads."""
    intents = [
        (name, {"type": INTENT_REQUEST, "intent": {"name": name, "confirmationStatus": "NONE"}})
        for name in [*model_intents(), UNKNOWN_INTENT]
    ]
    others = [(kind, {"type": kind}) for kind in sorted(KNOWN_REQUEST_TYPES - {INTENT_REQUEST})]
    return intents + others


@pytest.fixture
def live_token(app: Flask) -> str:
    """USER has a surgery date and a set of bridges playing; its stream's token."""
    engine: Engine = app.extensions[EXTENSION].engine
    PatientStore(engine).save_surgery_date(USER, date(2026, 10, 21), locale="en-US")
    exercise_log = ExerciseLog(engine)
    playing = exercise_log.start(
        USER,
        "bridges",
        pace=Pace.NORMAL,
        delivery=Delivery.AUDIO,
        target=10,
        at=NOW - timedelta(minutes=3),
        up_next=["knee_presses"],
    )
    token = PlaybackToken.for_set(USER, "bridges", Pace.NORMAL, playing.set_id).encode()
    exercise_log.update(playing.set_id, stream=token)
    return token


def cases(live: str) -> Iterator[Case]:
    for request_label, request in requests():
        for question_label, session in open_questions():
            for player_label, player in players(live):
                yield Case(
                    f"{request_label} / {question_label} / {player_label}",
                    envelopes.envelope(
                        request,
                        at=NOW,
                        session_attributes=session,
                        audio_player=player,
                    ),
                )


class Recorder:
    """Fresh handlers (the modules' own stay untouched) whose can_handle calls are recorded."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.handlers: list[RequestHandler] = [type(handler)() for handler in request_handlers()]
        self.asked: list[tuple[str, bool]] = []
        for handler in self.handlers:
            monkeypatch.setattr(handler, "can_handle", self._recording(handler))

    def _recording(self, handler: RequestHandler) -> Callable[[HandlerInput], bool]:
        original = handler.can_handle

        def can_handle(handler_input: HandlerInput) -> bool:
            answer = original(handler_input)
            self.asked.append((type(handler).__name__, answer))
            return answer

        return can_handle

    def linear(self) -> GenericRequestMapper:
        """ask-sdk's own mapper over the same handlers: each asked in turn."""
        chains = [GenericRequestHandlerChain(request_handler=h) for h in self.handlers]
        return GenericRequestMapper(request_handler_chains=chains)

    def dispatch(
        self, mapper: GenericRequestMapper, handler_input: HandlerInput
    ) -> tuple[str | None, list[tuple[str, bool]]]:
        """The winning handler's name, and the can_handle calls it took, in order."""
        self.asked = []
        chain = mapper.get_request_handler_chain(handler_input)
        winner = None if chain is None else type(chain.request_handler).__name__
        return winner, self.asked


class Inputs:
    """HandlerInputs as CustomSkill.invoke makes them, with the skill's Turn attached."""

    def __init__(self, app: Flask) -> None:
        endpoint: AlexaEndpoint = app.extensions[EXTENSION]
        self.serializer = endpoint.serializer
        self.interceptors = endpoint.skill.request_dispatcher.request_interceptors

    def __call__(self, envelope: dict[str, Any]) -> HandlerInput:
        request_envelope = self.serializer.deserialize(json.dumps(envelope), RequestEnvelope)
        handler_input = HandlerInput(
            request_envelope=request_envelope,
            attributes_manager=AttributesManager(request_envelope=request_envelope),
            context=envelope,
        )
        for interceptor in self.interceptors:
            interceptor.process(handler_input=handler_input)
        return handler_input


def test_the_table_answers_as_the_linear_order_asking_only_the_declared_handlers(
    app: Flask, live_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = Recorder(monkeypatch)
    linear = recorder.linear()
    table = DispatchTable(recorder.handlers)
    make_input = Inputs(app)
    winners: dict[str, int] = {}
    most_asked = 0
    count = 0
    for case in cases(live_token):
        count += 1
        before, asked_before = recorder.dispatch(linear, make_input(case.envelope))
        handler_input = make_input(case.envelope)
        after, asked_after = recorder.dispatch(table, handler_input)
        assert after == before, case.label
        assert after is not None, case.label
        winners[after] = winners.get(after, 0) + 1
        # The table asks the handlers the linear order asked, less those not declared for the
        # request (each of which answered no), in the same order.
        route = names(table.route(request_type(handler_input), intent_name(handler_input)))
        assert asked_after == [(name, ok) for name, ok in asked_before if name in route]
        assert all(not ok for name, ok in asked_before if name not in route), case.label
        most_asked = max(most_asked, len(asked_after))
        # No handler says yes to a request it does not declare (so the linear order's winner is
        # always on the route).
        kind, intent = request_type(handler_input), intent_name(handler_input)
        for handler in recorder.handlers:
            if handler.can_handle(handler_input):
                assert handler.declares(kind, intent), (type(handler).__name__, case.label)
    assert count == len(requests()) * len(open_questions()) * len(players(live_token))
    assert count > 5000
    assert most_asked <= 2
    # The cases reach every handler, the narrowing ones both ways.
    assert set(winners) == {type(handler).__name__ for handler in request_handlers()}


# --- what a request costs --------------------------------------------------------------------


COSTS = {
    # request: (can_handle calls with the table, in the linear order)
    "ProgressSummaryIntent": 1,
    "CurrentPhaseIntent": 1,
    "StartExerciseIntent": 1,
    "AMAZON.YesIntent": 2,  # the open question's answer first: none is open
    "AMAZON.PauseIntent": 1,  # the set playing takes it
    "LaunchRequest": 1,
    "AudioPlayer.PlaybackStopped": 1,
    "SessionEndedRequest": 2,  # the check-in's end first: none was open
    "AlexaSkillEvent.SkillEnabled": 1,
}


def test_can_handle_calls_per_request(
    app: Flask, live_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = Recorder(monkeypatch)
    linear = recorder.linear()
    table = DispatchTable(recorder.handlers)
    make_input = Inputs(app)
    player = {"token": live_token, "offsetInMilliseconds": 20_000, "playerActivity": "PLAYING"}
    costs: dict[str, tuple[int, int]] = {}
    for name in COSTS:
        if name in model_intents():
            request: dict[str, Any] = {"type": INTENT_REQUEST, "intent": {"name": name}}
        else:
            request = {"type": name}
        envelope = envelopes.envelope(request, at=NOW, audio_player=player)
        _, now = recorder.dispatch(table, make_input(envelope))
        _, before = recorder.dispatch(linear, make_input(envelope))
        costs[name] = (len(now), len(before))
    print("\ncan_handle calls per request (table, linear):", costs)
    assert {name: now for name, (now, _) in costs.items()} == COSTS
    assert costs["ProgressSummaryIntent"][1] > 20  # where the linear order tried 27
    assert all(before >= now for now, before in costs.values())
