"""AlexaSerializer gives DefaultSerializer's results: on every envelope the project builds, on
generated broken envelopes and type strings, and on responses. Alexa's timestamps are read by
the standard library; other forms by dateutil, exactly as ask-sdk reads them.

These comparisons are what pins AlexaSerializer to ask-sdk: an ask-sdk release that changes
DefaultSerializer's results makes them fail.
"""

from __future__ import annotations

import builtins
import copy
import json
import math
import re
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum, IntEnum, StrEnum
from typing import Any, ClassVar, cast

import dateutil.parser
import pytest
from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import Intent, IntentConfirmationStatus, RequestEnvelope, ResponseEnvelope, Slot
from ask_sdk_model.dialog import ElicitSlotDirective
from ask_sdk_model.interfaces.audioplayer import (
    AudioItem,
    AudioItemMetadata,
    ClearBehavior,
    ClearQueueDirective,
    PlayBehavior,
    PlayDirective,
    StopDirective,
    Stream,
)
from ask_sdk_model.interfaces.display import Image as DisplayImage
from ask_sdk_model.interfaces.display import ImageInstance, ImageSize
from ask_sdk_model.response import Response
from ask_sdk_model.slot_confirmation_status import SlotConfirmationStatus
from ask_sdk_model.ui import (
    AskForPermissionsConsentCard,
    Image,
    PlainTextOutputSpeech,
    Reprompt,
    SimpleCard,
    SsmlOutputSpeech,
    StandardCard,
)
from ask_sdk_model.ui import PlayBehavior as SpeechPlayBehavior
from hypothesis import given, settings
from hypothesis import strategies as st

from skill.alexa.serializer import AlexaSerializer
from skill.devtools import envelopes

AT = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
EASTERN = timezone(-timedelta(hours=5))
DEFAULT = DefaultSerializer()
OURS = AlexaSerializer()  # one for the whole module, as the app shares one: caches fill up
PROPERTY = settings(max_examples=200, deadline=None)


# --- comparing ----------------------------------------------------------------------------


def assert_same(ours: Any, theirs: Any, where: str = "$") -> None:
    """Equal all the way down, types and dict order included (== alone takes True for 1 and
    tells a NaN from itself); models are compared by their attributes, as their __eq__ does."""
    assert type(ours) is type(theirs), f"{where}: {type(ours)} is not {type(theirs)}"
    if isinstance(ours, float):
        assert ours == theirs or (math.isnan(ours) and math.isnan(theirs)), where
    elif isinstance(ours, datetime):
        assert ours.replace(tzinfo=None) == theirs.replace(tzinfo=None), where
        assert offset(ours) == offset(theirs), f"{where}: {ours!r} != {theirs!r}"
    elif isinstance(ours, list | tuple):
        assert len(ours) == len(theirs), f"{where}: {ours!r} != {theirs!r}"
        for index, (mine, other) in enumerate(zip(ours, theirs, strict=True)):
            assert_same(mine, other, f"{where}[{index}]")
    elif isinstance(ours, dict):
        assert list(ours) == list(theirs), f"{where}: keys {list(ours)} != {list(theirs)}"
        for key in ours:
            assert_same(ours[key], theirs[key], f"{where}.{key}")
    elif isinstance(ours, Enum) or not hasattr(ours, "__dict__"):
        assert ours == theirs, f"{where}: {ours!r} != {theirs!r}"
    else:
        assert_same(vars(ours), vars(theirs), where)


def offset(moment: datetime) -> object:
    """The UTC offset (None if naive); dateutil makes some a datetime cannot take."""
    try:
        return moment.utcoffset()
    except ValueError as error:
        return str(error)


def outcome(serializer: DefaultSerializer, payload: str, obj_type: Any) -> Any:
    """The deserialized value, or the exception raised instead."""
    try:
        return serializer.deserialize(payload, obj_type)
    except Exception as error:
        return error


def assert_deserializes_alike(payload: str, obj_type: Any = RequestEnvelope) -> Any:
    """Both raise (ours a SerializationException), or both give the same value."""
    theirs = outcome(DEFAULT, payload, obj_type)
    return assert_alike(outcome(OURS, payload, obj_type), theirs)


def assert_alike(ours: Any, theirs: Any) -> Any:
    if isinstance(ours, Exception):
        assert isinstance(ours, SerializationException), repr(ours)
        assert isinstance(theirs, Exception), f"only ours raised: {ours!r}"
    else:
        assert not isinstance(theirs, Exception), f"only DefaultSerializer raised: {theirs!r}"
        assert_same(ours, theirs)
    return ours


def test_assert_same_tells_apart_what_equality_would_not() -> None:
    assert_same({"a": [1.0, math.nan]}, {"a": [1.0, math.nan]})
    with pytest.raises(AssertionError):
        assert_same([1], [True])
    with pytest.raises(AssertionError):
        assert_same({"a": 1, "b": 2}, {"b": 2, "a": 1})
    with pytest.raises(AssertionError):
        assert_same(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, 5, tzinfo=EASTERN))
    with pytest.raises(AssertionError):
        assert_same(Slot(name="a"), Slot(name="b"))


# --- the envelopes the project builds ------------------------------------------------------

ATTRIBUTES: dict[str, Any] = {
    "awaiting": "pain_score",
    "offer": {"kind": "start", "up_next": ["bridges", "walk"], "index": 2},
    "check_in": {"step": 1, "answers": {"pain": 3, "fever": False, "walk_minutes": 12.5}},
    "last_speech": 'Welcome back. <break time="1s"/> Ready?',
    "nothing": None,
}
PLAYER: dict[str, Any] = {
    "token": "sc1.abc.bridges.normal.1",
    "offsetInMilliseconds": 12_000,
    "playerActivity": "PLAYING",
}
SCREEN: dict[str, Any] = {"Alexa.Presentation.APL": {"runtime": {"maxVersion": "2024.2"}}}
SPEAKER: dict[str, Any] = {"AudioPlayer": {}}
EVENT_TIMES: dict[str, Any] = {
    "eventCreationTime": envelopes.timestamp(AT),
    "eventPublishingTime": envelopes.timestamp(AT + timedelta(seconds=2)),
}
AUDIO_EVENTS = ["PlaybackStarted", "PlaybackFinished", "PlaybackStopped", "PlaybackNearlyFinished"]
BUTTONS = ["Next", "Pause", "Play", "Previous"]


def slots() -> dict[str, dict[str, Any]]:
    slot = envelopes.slot
    return {
        "exercise": slot("exercise", "bridges", resolved_id="bridges", authority="EXERCISE"),
        "pace": slot("pace", "slower", resolved_id="slower", authority="PACE"),
        "unmatched": slot("unmatched", "juggling", resolved_id="", authority="EXERCISE"),
        "minutes": slot("minutes"),
        "duration": slot("duration", "PT15M"),
    }


def request_type_cases() -> Iterator[tuple[str, dict[str, Any]]]:
    """Every other request type the skill answers, with the fields Alexa sends."""
    of_type = envelopes.request_of_type
    for event in [*AUDIO_EVENTS, "PlaybackFailed"]:
        for activity in ("PLAYING", "STOPPED"):
            yield (
                f"AudioPlayer.{event} {activity}",
                envelopes.audio_player_event(
                    event, at=AT, token=PLAYER["token"], offset_ms=34_567, player_activity=activity
                ),
            )
    for button in BUTTONS:
        command = f"PlaybackController.{button}CommandIssued"
        yield command, of_type(command, at=AT)
        devices = {"audio_player": PLAYER, "interfaces": {**SPEAKER, **SCREEN}}
        yield f"{command} with player", of_type(command, at=AT, options=devices)
    for reason in ("USER_INITIATED", "ERROR", "EXCEEDED_MAX_REPROMPTS"):
        yield f"SessionEndedRequest {reason}", envelopes.session_ended(at=AT, reason=reason)
    yield (
        "SessionEndedRequest with attributes",
        envelopes.session_ended(at=AT, reason="ERROR", session_attributes=ATTRIBUTES),
    )
    error = {"type": "INVALID_RESPONSE", "message": "The response is invalid."}
    yield (
        "SessionEndedRequest error field",
        of_type(
            "SessionEndedRequest",
            at=AT,
            reason="ERROR",
            error=error,
            options={"with_session": True},
        ),
    )
    yield (
        "AlexaSkillEvent.SkillEnabled",
        of_type("AlexaSkillEvent.SkillEnabled", at=AT, **EVENT_TIMES),
    )
    for status in ("PERSISTED", "NOT_PERSISTED"):
        body = {"userInformationPersistenceStatus": status}
        yield (
            f"AlexaSkillEvent.SkillDisabled {status}",
            of_type("AlexaSkillEvent.SkillDisabled", at=AT, body=body, **EVENT_TIMES),
        )
    yield "AlexaSkillEvent.SkillDisabled bare", of_type("AlexaSkillEvent.SkillDisabled", at=AT)
    permissions = {"acceptedPermissions": [{"scope": "alexa::alerts:reminders:skill:readwrite"}]}
    for event in ("SkillPermissionAccepted", "SkillPermissionChanged"):
        yield (
            f"AlexaSkillEvent.{event}",
            of_type(f"AlexaSkillEvent.{event}", at=AT, body=permissions, **EVENT_TIMES),
        )
    yield (
        "AlexaSkillEvent.SkillAccountLinked",
        of_type(
            "AlexaSkillEvent.SkillAccountLinked",
            at=AT,
            body={"accessToken": "token"},
            **EVENT_TIMES,
        ),
    )
    yield (
        "System.ExceptionEncountered",
        of_type(
            "System.ExceptionEncountered",
            at=AT,
            error=error,
            cause={"requestId": "amzn1.echo-api.1"},
        ),
    )
    connection_status = {"code": "200", "message": "OK"}
    yield (
        "Connections.Response",
        of_type(
            "Connections.Response",
            at=AT,
            status=connection_status,
            name="AskFor",
            payload={
                "permissionScope": "alexa::alerts:reminders:skill:readwrite",
                "status": "ACCEPTED",
            },
            token="",
            options={"with_session": True, "session_attributes": ATTRIBUTES},
        ),
    )
    intent = {"name": "LogExerciseIntent", "confirmationStatus": "NONE", "slots": slots()}
    yield "CanFulfillIntentRequest", of_type("CanFulfillIntentRequest", at=AT, intent=intent)
    yield (
        "Alexa.Presentation.APL.UserEvent",
        of_type(
            "Alexa.Presentation.APL.UserEvent",
            at=AT,
            token="exercise-screen",
            arguments=["next", 3, {"id": "bridges"}],
            source={"type": "TouchWrapper", "handler": "Press", "id": "nextButton"},
            components={"slider": 0.5},
            options={"interfaces": SCREEN, "with_session": True},
        ),
    )
    yield (
        "Messaging.MessageReceived",
        of_type(
            "Messaging.MessageReceived", at=AT, message={"reminder": {"id": 7, "due": "tomorrow"}}
        ),
    )


def builder_cases() -> Iterator[tuple[str, dict[str, Any]]]:
    """The project's builders (skill/devtools/envelopes.py), with and without their options."""
    yield "launch", envelopes.launch(at=AT)
    yield "launch without session", envelopes.launch(at=AT, with_session=False)
    yield (
        "launch with everything",
        envelopes.launch(
            at=AT,
            locale="en-GB",
            session_attributes=ATTRIBUTES,
            interfaces={**SPEAKER, **SCREEN},
            audio_player=PLAYER,
        ),
    )
    yield "intent", envelopes.intent("ProgressSummaryIntent", at=AT)
    yield (
        "intent with slots",
        envelopes.intent(
            "LogExerciseIntent",
            slots(),
            at=AT,
            dialog_state="IN_PROGRESS",
            session_attributes=ATTRIBUTES,
        ),
    )
    yield (
        "intent on a speaker",
        envelopes.intent(
            "AMAZON.PauseIntent", at=AT, interfaces=SPEAKER, audio_player=PLAYER, new_session=True
        ),
    )
    yield "intent on a screen", envelopes.intent("AMAZON.HelpIntent", at=AT, interfaces=SCREEN)
    yield "intent, no session", envelopes.intent("AMAZON.StopIntent", at=AT, with_session=False)
    yield from request_type_cases()


# A request as an Echo Show sends it (shape from Alexa's documentation): viewports, person,
# unit, display and APL state, slot values with their own discriminator.
ECHO_SHOW: dict[str, Any] = {
    "version": "1.0",
    "session": {
        "new": False,
        "sessionId": "amzn1.echo-api.session.1",
        "application": {"applicationId": envelopes.DEFAULT_SKILL_ID},
        "attributes": {"offer": {"kind": "resume"}},
        "user": {
            "userId": envelopes.DEFAULT_USER,
            "accessToken": "Atza|token",
            "permissions": {
                "consentToken": "consent",
                "scopes": {"alexa::devices:all:geolocation:read": {"status": "GRANTED"}},
            },
        },
        "person": {"personId": "amzn1.ask.person.1", "accessToken": "Atza|person"},
    },
    "context": {
        "System": {
            "application": {"applicationId": envelopes.DEFAULT_SKILL_ID},
            "user": {"userId": envelopes.DEFAULT_USER},
            "device": {
                "deviceId": envelopes.DEFAULT_DEVICE,
                "persistentEndpointId": "amzn1.alexa.endpoint.1",
                "supportedInterfaces": {
                    "AudioPlayer": {},
                    "Display": {"templateVersion": "1.0", "markupVersion": "1.0"},
                    "Alexa.Presentation.APL": {"runtime": {"maxVersion": "2024.2"}},
                    "Geolocation": {},
                },
            },
            "person": {"personId": "amzn1.ask.person.1", "accessToken": "Atza|person"},
            "unit": {"unitId": "amzn1.ask.unit.1", "persistentUnitId": "unit-1"},
            "apiEndpoint": envelopes.API_ENDPOINT,
            "apiAccessToken": "token",
        },
        "AudioPlayer": {"playerActivity": "IDLE"},
        "Display": {"token": ""},
        "Viewport": {
            "experiences": [
                {
                    "arcMinuteWidth": 246,
                    "arcMinuteHeight": 144,
                    "canRotate": False,
                    "canResize": False,
                }
            ],
            "mode": "HUB",
            "shape": "RECTANGLE",
            "pixelWidth": 1280,
            "pixelHeight": 800,
            "dpi": 160,
            "currentPixelWidth": 1280,
            "currentPixelHeight": 800,
            "touch": ["SINGLE"],
            "keyboard": ["DIRECTION"],
            "video": {"codecs": ["H_264_42", "H_264_41"]},
        },
        "Viewports": [
            {
                "type": "APL",
                "id": "main",
                "shape": "RECTANGLE",
                "dpi": 160,
                "presentationType": "STANDARD",
                "canRotate": False,
                "configuration": {
                    "current": {
                        "mode": "HUB",
                        "video": {"codecs": ["H_264_42"]},
                        "size": {"type": "DISCRETE", "pixelWidth": 1280, "pixelHeight": 800},
                    }
                },
            }
        ],
        "Alexa.Presentation.APL": {
            "token": "exercise-screen",
            "version": "AriaRuntimeLibrary-12.1",
            "componentsVisibleOnScreen": [
                {
                    "uid": ":1000",
                    "position": "1280x800+0+0:0",
                    "type": "mixed",
                    "tags": {"viewport": {}},
                    "visibility": 1,
                    "transform": [1.0, 0.0, 0.0, 1.0, 0.0, 0.0],
                    "entities": [],
                    "children": [
                        {
                            "id": "nextButton",
                            "uid": ":1002",
                            "position": "200x80+540+700:0",
                            "type": "text",
                            "tags": {"focused": False, "clickable": True},
                            "children": [],
                        }
                    ],
                }
            ],
        },
        "Geolocation": {
            "timestamp": "2026-11-20T15:00:00Z",
            "coordinate": {"latitudeInDegrees": 40.7, "longitudeInDegrees": -74.0},
        },
    },
    "request": {
        "type": "IntentRequest",
        "requestId": "amzn1.echo-api.request.1",
        "timestamp": "2026-11-20T15:00:00Z",
        "locale": "en-US",
        "dialogState": "STARTED",
        "intent": {
            "name": "LogExerciseIntent",
            "confirmationStatus": "NONE",
            "slots": {
                "exercise": {
                    "name": "exercise",
                    "value": "bridges",
                    "confirmationStatus": "NONE",
                    "source": "USER",
                    "slotValue": {"type": "Simple", "value": "bridges"},
                },
                "sets": {
                    "name": "sets",
                    "confirmationStatus": "NONE",
                    "slotValue": {
                        "type": "List",
                        "values": [
                            {"type": "Simple", "value": "bridges"},
                            {"type": "Simple", "value": "walk"},
                        ],
                    },
                },
            },
        },
    },
}


def all_cases() -> list[tuple[str, dict[str, Any]]]:
    return [*builder_cases(), ("Echo Show", ECHO_SHOW)]


CASES = all_cases()


@pytest.mark.parametrize("body", [body for _, body in CASES], ids=[name for name, _ in CASES])
def test_every_built_envelope_deserializes_as_ask_sdk_does(body: dict[str, Any]) -> None:
    payload = json.dumps(body)
    ours = OURS.deserialize(payload, RequestEnvelope)
    theirs = DEFAULT.deserialize(payload, RequestEnvelope)
    assert ours == theirs
    assert_same(ours, theirs)
    assert ours.request.object_type == body["request"]["type"]
    # A second time, from the cached plans.
    assert_same(OURS.deserialize(payload, RequestEnvelope), theirs)


def test_fields_ask_sdk_has_no_place_for_are_kept_as_it_keeps_them() -> None:
    body = envelopes.request_of_type(
        "AlexaSkillEvent.SkillDisabled", at=AT, body={"userInformationPersistenceStatus": "X"}
    )
    body["context"]["System"]["device"]["newThing"] = {"nested": [1, 2]}
    body["request"]["request_id"] = "set as is, after the field"  # the Python name, not the key
    ours = assert_deserializes_alike(json.dumps(body))
    assert ours.request.body == {"userInformationPersistenceStatus": "X"}
    assert ours.context.system.device.newThing == {"nested": [1, 2]}
    assert ours.request.request_id == "set as is, after the field"


@pytest.mark.parametrize(
    "payload",
    [
        "null",
        "{}",
        "[]",
        '""',
        "[1]",
        '"text"',
        "not json",
        json.dumps(envelopes.request_of_type("Alexa.Something.New", at=AT)),
        json.dumps({"request": {"type": ["IntentRequest"]}}),
        json.dumps({"request": {"requestId": "no type"}}),
        json.dumps({"request": ""}),  # an empty string reads as an empty model, without "type"
        json.dumps({"session": "", "context": [], "version": 1}),
        json.dumps({"context": {"System": {"device": {"supportedInterfaces": []}}}}),
        json.dumps({"context": {"Viewports": {"type": "APL"}}}),
        json.dumps({"context": {"Viewports": "APL"}}),
        json.dumps({"context": {"Viewports": 7}}),
        json.dumps({"session": {"new": "yes", "attributes": [1, 2]}}),
        json.dumps({"request": {"type": "SessionEndedRequest", "reason": "BORED"}}),
        json.dumps({"request": {"type": "LaunchRequest", "timestamp": 1700000000}}),
        json.dumps({"context": {"Viewport": {"dpi": "high"}}}),
        json.dumps({"context": {"Viewport": {"dpi": [160]}}}),
        json.dumps({"context": {"Viewport": {"dpi": float("nan"), "pixelWidth": "1e3"}}}),
        json.dumps({"context": {"Viewport": {"dpi": float("inf")}}}),
        json.dumps({"context": {"AudioPlayer": {"offsetInMilliseconds": float("inf")}}}),
        json.dumps({"context": {"AudioPlayer": {"offsetInMilliseconds": "12.5"}}}),
        json.dumps({"session": {"__dict__": {"replaced": True}}}),
        json.dumps({"session": {"__dict__": 3}}),
        json.dumps({"session": {"__class__": "Session"}}),
    ],
)
def test_malformed_envelopes_fail_or_succeed_as_with_ask_sdk(payload: str) -> None:
    assert_deserializes_alike(payload)


def test_a_type_ask_sdk_cannot_resolve_is_a_serialization_exception() -> None:
    body = json.dumps(envelopes.request_of_type("Alexa.Something.New", at=AT))
    with pytest.raises(SerializationException):
        AlexaSerializer().deserialize(body, RequestEnvelope)


def test_plans_are_made_once() -> None:
    """After the first envelope of a kind, no imports and no type-string parsing."""
    serializer = AlexaSerializer()
    payloads = [json.dumps(body) for _, body in CASES]
    first = [serializer.deserialize(payload, RequestEnvelope) for payload in payloads]
    calls: list[object] = []
    real_import, real_match = builtins.__import__, re.match

    def counted(real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            calls.append(args[0])
            return real(*args, **kwargs)

        return call

    builtins.__import__, re.match = counted(real_import), counted(real_match)
    try:
        again = [serializer.deserialize(payload, RequestEnvelope) for payload in payloads]
    finally:
        builtins.__import__, re.match = real_import, real_match
    assert calls == []
    assert_same(again, first)
    # The counting works: DefaultSerializer does both on every envelope.
    builtins.__import__, re.match = counted(real_import), counted(real_match)
    try:
        DEFAULT.deserialize(payloads[0], RequestEnvelope)
    finally:
        builtins.__import__, re.match = real_import, real_match
    assert calls


def test_concurrent_first_use_gives_whole_plans() -> None:
    """gthread workers share one serializer: threads racing to fill its caches all succeed."""
    serializer = AlexaSerializer()
    payloads = [json.dumps(body) for _, body in CASES]
    expected = [DEFAULT.deserialize(payload, RequestEnvelope) for payload in payloads]
    start = threading.Barrier(8)
    results: list[list[Any]] = []
    failures: list[BaseException] = []

    def work(offset: int) -> None:
        start.wait()
        try:
            order = payloads[offset:] + payloads[:offset]
            decoded = [serializer.deserialize(payload, RequestEnvelope) for payload in order]
            results.append(decoded[len(payloads) - offset :] + decoded[: len(payloads) - offset])
        except BaseException as error:  # reported below, in the test's thread
            failures.append(error)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=work, args=(index * 3,)) for index in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert not failures, failures
    assert len(results) == 8
    for decoded in results:
        assert_same(decoded, expected)


# --- generated envelopes -------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(
        ["", "x" * 10_000, "ü€𝄞\u0000\u202e", "1", " 12 ", "1.5", "true", "NaN", "1e400"]
    ),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
# Keys Alexa does not send, some of them the names of Python attributes of the models.
unknown_keys = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "object_type",
            "request_id",
            "user_id",
            "type",
            "deserialized_types",
            "attribute_map",
            "to_dict",
            "__dict__",
            "__class__",
            "",
        ]
    ),
)
# All read alike by `fromisoformat` and dateutil, or left to dateutil.
ODD_TIMESTAMPS = [
    "2026-11-20T15:00:00.123+05:30",
    "20261120T150000Z",
    "not a date",
    "",
    "2026-11-20",
    "20261120",
    "2026-11-20 15:00:00",
    "2026-11-20T15:00:00-00:00",
    "2026-11-20T15:00:00.123456789Z",
    "2026-11-20T15:00:00 +0100",
    "November 20 2026 15:00 UTC",
    "Fri, 20 Nov 2026 15:00:00 GMT",
    "2026-11-20t15:00:00z",
    " 2026-11-20T15:00:00Z",
    "2026-13-40T10:00:00Z",
    "2026-11-20T25:00:00Z",
    "2026-02-29T00:00:00Z",
    "2026-11-20T15:00:00+24:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59+14:00",
    "12345",
]
timestamps = st.one_of(st.sampled_from(ODD_TIMESTAMPS), st.text(max_size=30), json_values)
TIMESTAMP_KEYS = {"timestamp", "eventCreationTime", "eventPublishingTime"}

Path = tuple[str | int, ...]


def nodes(value: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Every value in a JSON document, with its path."""
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from nodes(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from nodes(item, (*path, index))


def parent_of(body: Any, path: Path) -> Any:
    for step in path[:-1]:
        body = body[step]
    return body


@st.composite
def broken_envelopes(draw: st.DrawFn) -> str:
    """A built envelope, then up to four faults anywhere: fields dropped, added or replaced
    (by any JSON value, or an odd timestamp where timestamps go)."""
    body: Any = copy.deepcopy(draw(st.sampled_from([body for _, body in CASES])))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        everything = list(nodes(body))
        action = draw(st.sampled_from(["delete", "replace", "add", "timestamp"]))
        if action == "add":
            targets = [value for _, value in everything if isinstance(value, dict)]
            if targets:
                draw(st.sampled_from(targets))[draw(unknown_keys)] = draw(json_values)
            continue
        paths = [path for path, _ in everything if path]
        if action == "timestamp":
            paths = [path for path in paths if path[-1] in TIMESTAMP_KEYS] or paths
        if not paths:
            body = draw(json_values)
            continue
        path = draw(st.sampled_from(paths))
        parent = parent_of(body, path)
        if action == "delete":
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(timestamps if action == "timestamp" else json_values)
    return json.dumps(body)


@PROPERTY
@given(payload=broken_envelopes())
def test_broken_envelopes_fail_or_succeed_as_with_ask_sdk(payload: str) -> None:
    assert_deserializes_alike(payload)


@PROPERTY
@given(body=st.sampled_from([body for _, body in CASES]), value=timestamps)
def test_odd_timestamps_read_as_ask_sdk_reads_them(body: dict[str, Any], value: Any) -> None:
    changed = copy.deepcopy(body)
    changed["request"]["timestamp"] = value
    assert_deserializes_alike(json.dumps(changed))


TYPE_STRINGS = [
    "str",
    "int",
    "long",
    "float",
    "bool",
    "object",
    "date",
    "datetime",
    "list[str]",
    "list[int]",
    "list[object]",
    "list[int, str]",
    "list[",
    "list[]",
    "dict(str, object)",
    "dict(str, int)",
    "dict(str,int)",
    "dict(str,  int)",
    "dict(str, list[float])",
    "list[ask_sdk_model.slot.Slot]",
    "dict(str, ask_sdk_model.slot.Slot)",
    "ask_sdk_model.slot.Slot",
    "ask_sdk_model.slot_confirmation_status.SlotConfirmationStatus",
    "ask_sdk_model.request.Request",
    "ask_sdk_model.intent_request.IntentRequest",  # its discriminator may pick another class
    "ask_sdk_model.slot_value.SlotValue",
    "ask_sdk_model.no_such_module.Nothing",
    "ask_sdk_model.slot.NoSuchClass",
    "Enum",  # names without a module are looked up in ask_sdk_core.serialize
    "DefaultSerializer",
    "cast",
    "json",
    "nothing",
    ".date",
    "",
]
TYPE_CLASSES: list[Any] = [
    int,
    str,
    float,
    bool,
    object,
    date,
    datetime,
    Decimal,
    Slot,
    SlotConfirmationStatus,
    RequestEnvelope,
    Intent,
]
typed_payloads = st.one_of(
    json_values,
    st.sampled_from(
        [
            {"name": "exercise", "value": "bridges", "confirmationStatus": "CONFIRMED"},
            {"type": "IntentRequest", "requestId": "1", "intent": {"name": "X"}},
            {"type": "LaunchRequest", "timestamp": "2026-11-20T15:00:00Z"},
            {"type": "Simple", "value": "bridges"},
            {"type": "List", "values": [{"type": "Simple", "value": "a"}]},
            [{"name": "a"}, {"name": "b", "slotValue": {"type": "Simple"}}],
            {"a": {"name": "a"}, "b": None},
            "CONFIRMED",
            "2026-11-20T15:00:00Z",
            "2026-W47-5x",
        ]
    ),
)


SAMPLE_PAYLOADS: list[Any] = [
    None,
    "",
    "2026-11-20T15:00:00Z",
    "CONFIRMED",
    "12",
    7,
    1.5,
    True,
    [],
    ["a", 1],
    [{"name": "a"}, {"name": "b"}],
    {},
    {"name": "exercise", "value": "bridges", "confirmationStatus": "CONFIRMED"},
    {"type": "IntentRequest", "requestId": "1", "intent": {"name": "X"}},
    {"type": "Simple", "value": "bridges"},
    {"a": 7, "b": None, "c": "12"},
]


@pytest.mark.parametrize("obj_type", TYPE_STRINGS + TYPE_CLASSES, ids=repr)
def test_each_type_reads_payloads_as_ask_sdk_does(obj_type: Any) -> None:
    for payload in SAMPLE_PAYLOADS:
        assert_deserializes_alike(json.dumps(payload), obj_type)


@PROPERTY
@given(payload=typed_payloads, obj_type=st.sampled_from(TYPE_STRINGS + TYPE_CLASSES))
def test_any_type_and_payload_fail_or_succeed_as_with_ask_sdk(payload: Any, obj_type: Any) -> None:
    assert_deserializes_alike(json.dumps(payload), obj_type)


# --- timestamps ----------------------------------------------------------------------------


def deserialize_with_timestamp(value: str) -> datetime:
    body = envelopes.launch(at=AT)
    body["request"]["timestamp"] = value
    envelope = AlexaSerializer().deserialize(json.dumps(body), RequestEnvelope)
    timestamp: datetime = envelope.request.timestamp
    return timestamp


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-20T15:00:00Z", AT),
        ("2026-11-20T15:00:00.123Z", AT + timedelta(milliseconds=123)),
        ("2026-11-20T16:00:00+01:00", AT),
        ("2026-11-20T10:00:00-05:00", datetime(2026, 11, 20, 10, tzinfo=EASTERN)),
    ],
)
def test_alexa_timestamps_are_read_without_dateutil(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: datetime
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("dateutil was called for an ISO 8601 timestamp")

    monkeypatch.setattr(dateutil.parser, "parse", refuse)
    parsed = deserialize_with_timestamp(value)
    assert parsed == expected
    assert parsed.tzinfo is not None


def test_other_forms_fall_back_to_ask_sdks_parser() -> None:
    # Not ISO 8601, but dateutil reads it: the fallback keeps ask-sdk's behaviour.
    assert deserialize_with_timestamp("November 20 2026 15:00 UTC") == AT


def not_iso(value: Any) -> bool:
    """Whether `fromisoformat` leaves `value` to the dateutil fallback."""
    if not isinstance(value, str):
        return True
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return True
    return False


@PROPERTY
@given(
    value=st.one_of(st.sampled_from([*ODD_TIMESTAMPS, "9" * 30, "\u0000"]), timestamps).filter(
        not_iso
    ),
    kind=st.sampled_from(["date", "datetime", date, datetime]),
)
def test_the_fallback_reads_and_refuses_timestamps_as_ask_sdk_does(value: Any, kind: Any) -> None:
    # The fallback is ask-sdk's own reading written out (its parser is private): the same
    # values, and the same messages where it refuses (nested in a model or not).
    payload = json.dumps(value)
    ours, theirs = outcome(OURS, payload, kind), outcome(DEFAULT, payload, kind)
    assert_alike(ours, theirs)
    if isinstance(ours, Exception):
        assert str(ours) == str(theirs)
    body = envelopes.launch(at=AT)
    body["request"]["timestamp"] = value
    nested = json.dumps(body)
    ours, theirs = outcome(OURS, nested, RequestEnvelope), outcome(DEFAULT, nested, RequestEnvelope)
    assert_alike(ours, theirs)
    if isinstance(ours, Exception):
        assert str(ours) == str(theirs)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-W47-5", datetime(2026, 11, 20)),
        ("2026-11-20T15:00:00+05:30:15", datetime(2026, 11, 20, 9, 29, 45, tzinfo=UTC)),
    ],
)
def test_iso_forms_dateutil_refuses_are_read(value: str, expected: datetime) -> None:
    """Where AlexaSerializer knowingly differs: ISO 8601 that dateutil cannot read."""
    assert deserialize_with_timestamp(value) == expected
    body = envelopes.launch(at=AT)
    body["request"]["timestamp"] = value
    with pytest.raises(SerializationException):
        DEFAULT.deserialize(json.dumps(body), RequestEnvelope)


# --- serializing ---------------------------------------------------------------------------


class Mood(Enum):
    CALM = "calm"


class Level(StrEnum):  # a str: DefaultSerializer keeps the member itself
    HIGH = "high"


class Count(IntEnum):
    ONE = 1


def speech(text: str) -> SsmlOutputSpeech:
    return SsmlOutputSpeech(ssml=f"<speak>{text}</speak>")


def play(behavior: PlayBehavior, offset: int = 0) -> PlayDirective:
    art = DisplayImage(
        content_description="Bridges",
        sources=[ImageInstance(url="https://audio.example.org/a.png", size=ImageSize.SMALL)],
    )
    return PlayDirective(
        play_behavior=behavior,
        audio_item=AudioItem(
            stream=Stream(
                token="sc1.abc.bridges.normal.1",
                url="https://audio.example.org/spine-coach/bridges.mp3",
                offset_in_milliseconds=offset,
                expected_previous_token="sc1.abc.walk.normal.1" if offset else None,
            ),
            metadata=AudioItemMetadata(title="Bridges", subtitle="Set 1", art=art),
        ),
    )


RESPONSES: dict[str, ResponseEnvelope] = {
    "empty": ResponseEnvelope(version="1.0", response=Response()),
    "speech": ResponseEnvelope(
        version="1.0", response=Response(output_speech=speech("Hello."), should_end_session=True)
    ),
    "speech, reprompt, card, attributes": ResponseEnvelope(
        version="1.0",
        session_attributes=ATTRIBUTES,
        response=Response(
            output_speech=speech("Welcome back. Ready for your walk?"),
            reprompt=Reprompt(output_speech=speech("Ready?")),
            card=SimpleCard(title="Spine Coach", content="Week three"),
            should_end_session=False,
        ),
    ),
    "plain text, standard card": ResponseEnvelope(
        version="1.0",
        response=Response(
            output_speech=PlainTextOutputSpeech(
                text="Hi", play_behavior=SpeechPlayBehavior.REPLACE_ENQUEUED
            ),
            card=StandardCard(
                title="T", text="x", image=Image(small_image_url="https://a.example/s.png")
            ),
        ),
    ),
    "permissions card": ResponseEnvelope(
        version="1.0",
        response=Response(
            card=AskForPermissionsConsentCard(permissions=["alexa::profile:name:read"])
        ),
    ),
    "play": ResponseEnvelope(
        version="1.0",
        response=Response(directives=[play(PlayBehavior.REPLACE_ALL)], should_end_session=True),
    ),
    "enqueue, stop, clear": ResponseEnvelope(
        version="1.0",
        response=Response(
            directives=[
                play(PlayBehavior.ENQUEUE, offset=1500),
                StopDirective(),
                ClearQueueDirective(clear_behavior=ClearBehavior.CLEAR_ENQUEUED),
            ]
        ),
    ),
    "elicit slot": ResponseEnvelope(
        version="1.0",
        session_attributes={"awaiting": "surgery_date"},
        response=Response(
            output_speech=speech("When was your surgery?"),
            directives=[
                ElicitSlotDirective(
                    slot_to_elicit="date",
                    updated_intent=Intent(
                        name="SetSurgeryDateIntent",
                        confirmation_status=IntentConfirmationStatus.NONE,
                        slots={
                            "date": Slot(
                                name="date", confirmation_status=SlotConfirmationStatus.NONE
                            )
                        },
                    ),
                )
            ],
            should_end_session=False,
        ),
    ),
    "attributes of every kind": ResponseEnvelope(
        version="1.0",
        session_attributes={
            "when": datetime(2026, 11, 20, 10, tzinfo=EASTERN),
            "day": date(2026, 11, 20),
            "whole": Decimal("3"),
            "part": Decimal("2.5"),
            "pair": ("a", [1, (2, None)]),
            "mood": Mood.CALM,
            "level": Level.HIGH,
            "count": Count.ONE,
            "behavior": PlayBehavior.ENQUEUE,
            "nested": {"list": [{"deep": [None, True, 1.5, b"raw"]}]},
            "model": Slot(name="exercise", value="bridges"),
        },
        response=Response(should_end_session=None),
    ),
}


@pytest.mark.parametrize("envelope", list(RESPONSES.values()), ids=list(RESPONSES))
def test_responses_serialize_as_ask_sdk_serializes_them(envelope: ResponseEnvelope) -> None:
    ours = OURS.serialize(envelope)
    theirs = DEFAULT.serialize(envelope)
    assert ours == theirs
    assert_same(ours, theirs)


JSON_NATIVE = [name for name in RESPONSES if name != "attributes of every kind"]


@pytest.mark.parametrize("name", JSON_NATIVE)
def test_responses_round_trip(name: str) -> None:
    envelope = RESPONSES[name]
    text = json.dumps(OURS.serialize(envelope))
    assert text == json.dumps(DEFAULT.serialize(envelope))  # key order too
    back = OURS.deserialize(text, ResponseEnvelope)
    assert back == envelope
    assert_same(back, DEFAULT.deserialize(text, ResponseEnvelope))


class Plain:
    """A class of the kind DefaultSerializer also serializes: `deserialized_types` only."""

    deserialized_types: ClassVar[dict[str, str]] = {
        "name": "str",
        "inner": "object",
        "hidden": "str",
    }

    def __init__(self, name: str | None = None, inner: Any = None) -> None:
        self.name, self.inner, self.hidden, self.unlisted = name, inner, None, "not serialized"


def partly_mapped() -> type:
    """A fresh class each time: DefaultSerializer completes (changes) its attribute_map."""

    class PartlyMapped(Plain):
        attribute_map: ClassVar[dict[str, str]] = {"name": "fullName"}

    return PartlyMapped


class SameKeyTwice(Plain):
    attribute_map: ClassVar[dict[str, str]] = {"name": "key", "inner": "key"}


class OverMapped(Plain):
    attribute_map: ClassVar[dict[str, str]] = {"name": "fullName", "ghost": "ghostKey"}  # untyped


@pytest.mark.parametrize(
    "payload",
    [
        {"fullName": "x", "name": "python name", "inner": [1], "hidden": 3, "other": 2},
        {"key": 5},
        {"ghostKey": None},
        {"ghostKey": 1},
        {},
        [],
        "",
    ],
)
@pytest.mark.parametrize(
    "make_class",
    [lambda: Plain, partly_mapped, lambda: OverMapped, lambda: SameKeyTwice],
    ids=["plain", "partly mapped", "mapped beyond its types", "one key twice"],
)
def test_generic_classes_deserialize_as_ask_sdk_does(
    make_class: Callable[[], type], payload: Any
) -> None:
    model = make_class()
    ours = outcome(AlexaSerializer(), json.dumps(payload), model)  # before DefaultSerializer
    assert_alike(ours, outcome(DEFAULT, json.dumps(payload), model))  # completes its map


def test_classes_are_left_as_they_are() -> None:
    """DefaultSerializer completes a class's attribute_map in place; AlexaSerializer copies it."""
    model = partly_mapped()
    AlexaSerializer().deserialize('{"fullName": "x", "inner": 1}', model)
    AlexaSerializer().serialize(model("x", 1))
    assert model.attribute_map == {"name": "fullName"}  # type: ignore[attr-defined]


def overriding_instance() -> Plain:
    thing = Plain("x", 1)
    thing.attribute_map = {"name": "instanceKey"}  # type: ignore[attr-defined]
    return thing


@pytest.mark.parametrize(
    "make",
    [
        lambda: Plain("x", {"a": [Plain("y")]}),
        lambda: partly_mapped()("x", 2),
        lambda: SameKeyTwice("x", 2),
        lambda: SameKeyTwice(None, 2),
        lambda: SameKeyTwice(cast(Any, {"unserializable"}), 2),
        overriding_instance,
        lambda: [Plain(), (Plain("t"),), {"k": Plain("v")}],
    ],
    ids=[
        "plain",
        "partly mapped",
        "one key twice",
        "one key, one None",
        "one key, one unserializable",
        "instance map",
        "nested",
    ],
)
def test_generic_objects_serialize_as_ask_sdk_serializes_them(make: Callable[[], Any]) -> None:
    ours = AlexaSerializer().serialize(make())  # first: before DefaultSerializer changes a class
    assert_same(ours, DEFAULT.serialize(make()))


@pytest.mark.parametrize(
    "value", [object(), {1, 2}, Decimal("Infinity"), {"a": [Decimal("-Infinity")]}]
)
def test_what_ask_sdk_cannot_serialize_fails_alike(value: Any) -> None:
    try:
        DEFAULT.serialize(value)
    except Exception as error:
        expected = type(error)
    else:
        pytest.fail("DefaultSerializer serialized it")
    with pytest.raises(expected):
        OURS.serialize(value)


attribute_values = st.recursive(
    st.one_of(
        json_scalars,
        st.datetimes(timezones=st.none() | st.just(UTC) | st.just(EASTERN)),
        st.dates(),
        st.decimals(allow_nan=True, allow_infinity=False),
        st.sampled_from([*PlayBehavior, *Mood]),
    ),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)
texts = st.text(max_size=40)
speeches = st.one_of(
    st.builds(
        SsmlOutputSpeech, ssml=texts, play_behavior=st.none() | st.sampled_from(SpeechPlayBehavior)
    ),
    st.builds(PlainTextOutputSpeech, text=texts),
)
directives = st.one_of(
    st.builds(
        PlayDirective,
        play_behavior=st.sampled_from(PlayBehavior),
        audio_item=st.builds(
            AudioItem,
            stream=st.builds(
                Stream,
                token=texts,
                url=texts,
                offset_in_milliseconds=st.integers(min_value=0),
                expected_previous_token=st.none() | texts,
            ),
            metadata=st.none() | st.builds(AudioItemMetadata, title=texts, subtitle=texts),
        ),
    ),
    st.builds(StopDirective),
    st.builds(ClearQueueDirective, clear_behavior=st.sampled_from(ClearBehavior)),
)
response_envelopes = st.builds(
    ResponseEnvelope,
    version=st.just("1.0"),
    session_attributes=st.none() | st.dictionaries(texts, attribute_values, max_size=4),
    response=st.builds(
        Response,
        output_speech=st.none() | speeches,
        reprompt=st.none() | st.builds(Reprompt, output_speech=speeches),
        card=st.none() | st.builds(SimpleCard, title=texts, content=texts),
        directives=st.none() | st.lists(directives, max_size=3),
        should_end_session=st.none() | st.booleans(),
    ),
)


@PROPERTY
@given(envelope=response_envelopes)
def test_generated_responses_serialize_as_ask_sdk_serializes_them(
    envelope: ResponseEnvelope,
) -> None:
    try:
        theirs = DEFAULT.serialize(envelope)
    except Exception as error:  # Decimal("sNaN") and the like
        with pytest.raises(type(error)):
            OURS.serialize(envelope)
        return
    ours = OURS.serialize(envelope)
    assert_same(ours, theirs)
    text = json.dumps(ours, default=repr)
    assert_deserializes_alike(text, ResponseEnvelope)
