"""Fuzzing POST /alexa through the real HTTP path (Flask test client, verification off, SQLite).

Hypothesis builds envelopes shaped like Alexa's and then breaks them: every intent of the
interaction model and made-up ones, slot values in Alexa's formats and far outside them, wrong
JSON types anywhere, missing and extra fields, every request type and unknown ones, sessions
with the attributes the skill keeps (of the right and wrong types), AudioPlayer tokens the skill
issued and forged ones, bodies up to about 100 KB. The property: never a 500; a 400, or a 200
whose body is a valid Alexa response. Each test prints how many cases ran.

Handler errors the skill answered with its apology (or, where Alexa allows no speech, with
silence) are allowed by the property, but they are collected and printed, so a fuzz run also
reports them.
"""

from __future__ import annotations

import json
import logging
import traceback
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import responses
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from sqlalchemy import Engine

from skill import create_app
from skill.alexa.endpoint import EXTENSION
from skill.content.plan import Pace
from skill.devtools import envelopes
from skill.sets.tokens import PlaybackToken
from skill.store.engine import upgrade
from skill.store.exercise_log import Delivery, ExerciseLog
from skill.store.patients import PatientStore
from tests.conftest import NOW, TEST_SECRET_KEY, TIME_ZONE_URL

# Fuzzing takes half a minute: not in `make test-fast`.
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
_MODEL = json.loads((REPO / "interaction_model" / "en-US.json").read_text(encoding="utf-8"))
_LANGUAGE = _MODEL["interactionModel"]["languageModel"]
# Every intent of the model, with its slots' names and types.
INTENT_SLOTS: dict[str, dict[str, str]] = {
    intent["name"]: {slot["name"]: slot["type"] for slot in intent.get("slots", [])}
    for intent in _LANGUAGE["intents"]
}
TYPE_IDS: dict[str, list[str]] = {
    kind["name"]: [value.get("id") or value["name"]["value"] for value in kind["values"]]
    for kind in _LANGUAGE.get("types", [])
}
AUDIO_BASE_URL = "https://audio.example.org/spine-coach/"
USER = envelopes.DEFAULT_USER  # has a surgery date and a set playing (`client`, `tokens`)
NEW_USER = "amzn1.ask.account.NEWPATIENT"  # unknown to the skill
MAX_SSML = 8000
MAX_BODY = 128 * 1024


def fuzz_settings(max_examples: int) -> settings:
    """Examples run against one app (its database fills as they go); no per-example deadline."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


REQUEST_TYPES = [
    "LaunchRequest",
    "IntentRequest",
    "SessionEndedRequest",
    "AudioPlayer.PlaybackStarted",
    "AudioPlayer.PlaybackFinished",
    "AudioPlayer.PlaybackStopped",
    "AudioPlayer.PlaybackNearlyFinished",
    "AudioPlayer.PlaybackFailed",
    "PlaybackController.NextCommandIssued",
    "PlaybackController.PauseCommandIssued",
    "PlaybackController.PlayCommandIssued",
    "PlaybackController.PreviousCommandIssued",
    "AlexaSkillEvent.SkillEnabled",
    "AlexaSkillEvent.SkillDisabled",
    "AlexaSkillEvent.SkillPermissionAccepted",
    "AlexaSkillEvent.SkillPermissionChanged",
    "AlexaSkillEvent.SkillAccountLinked",
    "System.ExceptionEncountered",
    "Connections.Response",
    "CanFulfillIntentRequest",
    "Alexa.Presentation.APL.UserEvent",
    "Messaging.MessageReceived",
]
# Intents whose meaning depends on the session's attributes: drawn more often.
SESSION_INTENTS = [
    "AMAZON.YesIntent",
    "AMAZON.NoIntent",
    "AMAZON.RepeatIntent",
    "AMAZON.FallbackIntent",
    "PainScoreIntent",
    "PainReportIntent",
    "CheckInMinutesIntent",
    "SkipIntent",
    "SetSurgeryDateIntent",
]
# Responses to these may hold AudioPlayer directives only (no speech, reprompt or card).
SILENT_PREFIXES = ("AudioPlayer.", "PlaybackController.")


# --- counting -----------------------------------------------------------------------------

CASES: Counter[str] = Counter()
HANDLER_ERRORS: Counter[str] = Counter()


class _ErrorCollector(logging.Handler):
    """Collects the exceptions the skill logged (and answered with its apology or silence)."""

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info is None or record.exc_info[1] is None:
            return
        error = record.exc_info[1]
        frames = [f for f in traceback.extract_tb(error.__traceback__) if "/skill/" in f.filename]
        where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
        HANDLER_ERRORS[f"{type(error).__name__} at {where}"] += 1


@pytest.fixture(autouse=True)
def collect_handler_errors() -> Iterator[None]:
    collector = _ErrorCollector(level=logging.ERROR)
    loggers = [logging.getLogger(name) for name in ("skill.intents.errors", "skill.alexa.endpoint")]
    for logger in loggers:
        logger.addHandler(collector)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeHandler(collector)


@pytest.fixture(scope="module", autouse=True)
def print_totals() -> Iterator[None]:
    yield
    print(f"\nfuzz totals: {sum(v for k, v in CASES.items() if k.endswith(' cases'))} cases")
    for name, count in sorted(CASES.items()):
        print(f"  {name}: {count}")
    for error, count in HANDLER_ERRORS.most_common():
        print(f"  handler error answered with the apology or silence: {error} x{count}")


def report(test: str, statuses: Counter[int]) -> None:
    total = sum(statuses.values())
    CASES[f"{test} cases"] += total
    for status, count in statuses.items():
        CASES[f"{test} HTTP {status}"] += count
    print(f"\n{test}: {total} cases, by status {dict(sorted(statuses.items()))}")


# --- the app under test ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, built_audio: Path) -> Iterator[FlaskClient]:
    """One app for the module (its SQLite database fills as the cases run): verification off,
    built audio hosted over HTTPS (so sets stream), Amazon's time zone API mocked."""
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'spine_coach.sqlite3'}"
    upgrade(url)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as alexa_api:
        alexa_api.add(
            responses.GET,
            TIME_ZONE_URL.format(device=envelopes.DEFAULT_DEVICE),
            json="America/New_York",
        )
        app = create_app(
            {
                "DATABASE_URL": url,
                "VERIFY_REQUESTS": False,
                "SKILL_ID": None,
                "SECRET_KEY": TEST_SECRET_KEY,
                "AUDIO_DIR": str(built_audio),
                "AUDIO_BASE_URL": AUDIO_BASE_URL,
            }
        )
        try:
            PatientStore(app.extensions[EXTENSION].engine).save_surgery_date(
                USER, date(2026, 10, 21), locale="en-US"
            )
            yield app.test_client()
        finally:
            app.extensions[EXTENSION].engine.dispose()


@pytest.fixture
def tokens(client: FlaskClient) -> list[str]:
    """A fresh set of bridges playing for USER (USER has a surgery date); tokens naming it:
    the stream's own, a stale one, another patient's, and one naming no set."""
    engine: Engine = client.application.extensions[EXTENSION].engine
    exercise_log = ExerciseLog(engine)
    playing = exercise_log.start(
        USER,
        "bridges",
        pace=Pace.NORMAL,
        delivery=Delivery.AUDIO,
        target=10,
        at=NOW - timedelta(minutes=3),
        up_next=["knee_presses", "knee_lifts"],
    )
    token = PlaybackToken.for_set(USER, "bridges", Pace.NORMAL, playing.set_id)
    exercise_log.update(playing.set_id, stream=token.encode())
    stale = PlaybackToken.for_set(USER, "bridges", Pace.NORMAL, playing.set_id)
    others = PlaybackToken.for_set(NEW_USER, "bridges", Pace.NORMAL, playing.set_id)
    unknown_set = PlaybackToken.for_set(USER, "knee_lifts", Pace.SLOW, "0" * 32)
    return [token.encode(), stale.encode(), others.encode(), unknown_set.encode()]


def post(client: FlaskClient, body: bytes) -> Any:
    return client.post("/alexa", data=body, headers={"Content-Type": "application/json"})


def exchange(client: FlaskClient, body: bytes, request_type: object, statuses: Counter[int]) -> Any:
    """Post the body, check the property, count the status; the response's JSON."""
    response = post(client, body)
    statuses[response.status_code] += 1
    if len(body) > MAX_BODY:
        assert response.status_code == 413
        return None
    payload = response.get_json(silent=True)
    check_response(response.status_code, payload, request_type)
    return payload


def check_response(status: int, payload: Any, request_type: object) -> None:
    """The property: a 400, or a 200 with a valid Alexa response."""
    assert status in (200, 400), status
    if status == 400:
        assert payload == {"error": "bad request"}
        return
    assert isinstance(payload, dict)
    assert payload.get("version") == "1.0"
    response = payload.get("response")
    assert isinstance(response, dict)
    speech = response.get("outputSpeech")
    if speech is not None:
        check_ssml(speech)
    reprompt = response.get("reprompt")
    if reprompt is not None:
        assert response.get("shouldEndSession") is False, response
        check_ssml(reprompt["outputSpeech"])
    if isinstance(request_type, str) and request_type.startswith(SILENT_PREFIXES):
        for field in ("outputSpeech", "reprompt", "card"):
            assert field not in response, (request_type, response)
        for directive in response.get("directives") or []:
            assert directive["type"].startswith("AudioPlayer."), directive
    attributes = payload.get("sessionAttributes")
    assert attributes is None or isinstance(attributes, dict)


def check_ssml(speech: dict[str, Any]) -> None:
    assert speech.get("type") == "SSML", speech
    ssml = speech.get("ssml")
    assert isinstance(ssml, str)
    assert ssml.startswith("<speak>"), ssml[:200]
    assert ssml.endswith("</speak>"), ssml[-200:]
    assert len(ssml) < MAX_SSML, len(ssml)
    ET.fromstring(ssml)  # well-formed: a slot value echoed unescaped would break it


# --- strategies -----------------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
)
# Any JSON value: what a field that expects a string may get instead.
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.text(max_size=12), children, max_size=3),
    ),
    max_leaves=8,
)


def mostly(
    good: st.SearchStrategy[Any], wrong: st.SearchStrategy[Any] = json_values
) -> st.SearchStrategy[Any]:
    """`good`, or about one time in ten `wrong` (any JSON value, by default)."""
    # Hypothesis favours small integers: 0 (its simplest choice) picks the good values.
    return st.integers(0, 9).flatmap(lambda n: wrong if n == 9 else good)


def rarely(draw: st.DrawFn, one_in: int) -> bool:
    """True about one time in `one_in` (False is Hypothesis's simplest choice)."""
    return draw(st.integers(1, one_in)) == one_in


# Long text, built by repetition (generating 100 KB character by character is slow).
long_text = st.builds(
    lambda piece, count: piece * count,
    st.sampled_from(["x", "é", "😀", "<", "&amp;", "]]>", " ", "\u202e", "\x00", "nine "]),
    st.integers(min_value=500, max_value=12_000),
)
# Text that SSML must escape, or that tries to close or inject tags.
ssml_hostile = st.sampled_from(
    ["<", "&", "a < b & c", "</speak>", "<audio src='https://evil.example/x.mp3'/>", "]]>", '"']
)
texts = st.one_of(st.text(max_size=40), long_text, ssml_hostile)
years = st.integers(min_value=0, max_value=9999)
months = st.integers(min_value=0, max_value=99)
days = st.integers(min_value=0, max_value=99)
dates = st.one_of(
    st.dates().map(date.isoformat),
    st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)).map(date.isoformat),
    st.builds(lambda m, d: f"XXXX-{m:02d}-{d:02d}", months, days),
    st.builds(lambda y, w: f"{y}-W{w:02d}", years, st.integers(0, 60)),
    st.builds(lambda y, w: f"{y}-W{w:02d}-WE", years, st.integers(0, 60)),
    st.builds(lambda y, m: f"{y}-{m:02d}", years, months),
    years.map(str),
    st.builds(lambda y: f"{y // 10}X", years),
    st.builds(lambda y, s: f"{y}-{s}", years, st.sampled_from(["WI", "SP", "SU", "FA", "XX"])),
    st.sampled_from(["PRESENT_REF", "XXXX", "XXXX-XX-XX", "2026-11-24T10:00", "?", ""]),
    texts,
)
durations = st.one_of(
    st.builds(lambda n, unit: f"P{n}{unit}", st.integers(0, 10**6), st.sampled_from("DWMY")),
    st.builds(lambda n, unit: f"PT{n}{unit}", st.integers(0, 10**9), st.sampled_from("HMS")),
    st.sampled_from(["P1Y2M3DT4H5M6S", "PT", "P", "P-3D", "PT0.5H", "P1.5W", "PT1e9S", "?"]),
    texts,
)
numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.integers(min_value=0, max_value=12).map(str),
    st.floats(allow_nan=True).map(str),
    st.sampled_from(["?", "", "seven", "1,000", "٣", "一", "+5", "05", " 7 "]),
    texts,
)
status_codes = mostly(
    st.sampled_from(
        ["ER_SUCCESS_MATCH", "ER_SUCCESS_NO_MATCH", "ER_ERROR_TIMEOUT", "ER_ERROR_EXCEPTION"]
    ),
    st.just("ER_SOMETHING_NEW"),
)


def slot_values(slot_type: str | None) -> st.SearchStrategy[Any]:
    typed: dict[str, st.SearchStrategy[Any]] = {
        "AMAZON.DATE": dates,
        "AMAZON.DURATION": durations,
        "AMAZON.NUMBER": numbers,
    }
    ids = TYPE_IDS.get(slot_type or "", [])
    by_type = typed.get(slot_type or "", st.sampled_from(ids) if ids else texts)
    return mostly(st.one_of(by_type, texts))


@st.composite
def resolutions(draw: st.DrawFn, slot_type: str | None) -> Any:
    ids = TYPE_IDS.get(slot_type or "", []) + [
        i for values in TYPE_IDS.values() for i in values[:2]
    ]
    value_id: Any = draw(mostly(st.one_of(st.sampled_from(ids), st.text(max_size=20))))
    authority: dict[str, Any] = {
        "authority": "amzn1.er-authority.echo-sdk.amzn1.ask.skill.test." + (slot_type or "X"),
        "status": {"code": draw(status_codes)},
        "values": [{"value": {"name": draw(texts), "id": value_id}}],
    }
    if rarely(draw, 5):
        authority[draw(st.sampled_from(["status", "values", "authority"]))] = draw(json_values)
    if rarely(draw, 10):
        return draw(json_values)
    return {"resolutionsPerAuthority": [authority] * draw(st.integers(1, 2))}


@st.composite
def slots(draw: st.DrawFn, intent_name: str) -> Any:
    known = INTENT_SLOTS.get(intent_name, {})
    names = list(known) + draw(st.lists(st.text(max_size=15), max_size=2))
    result: dict[str, Any] = {}
    for name in draw(st.lists(st.sampled_from(names), unique=True)) if names else []:
        slot_type = known.get(name)
        slot: dict[str, Any] = {"name": name, "confirmationStatus": "NONE"}
        if not rarely(draw, 6):
            slot["value"] = draw(slot_values(slot_type))
        if not rarely(draw, 3):
            slot["resolutions"] = draw(resolutions(slot_type))
        if rarely(draw, 10):
            field = draw(st.sampled_from(["name", "confirmationStatus", "source", "slotValue"]))
            slot[field] = draw(json_values)
        result[name] = slot
    if rarely(draw, 20):
        return draw(json_values)  # slots that are not an object
    return result


# The question the skill left open (skill/alexa/pending.py): well-formed ones of every kind,
# with values a caller could put there instead (wrong types, out of range, unknown kinds).
pending_questions = st.one_of(
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from(
                [
                    "surgery_date",
                    "confirm_surgery_date",
                    "confirm_delete",
                    "pain_score",
                    "check_in",
                    "milestone",
                    "repeat",
                    "chunk",
                    "resume",
                    "start",
                    "x",
                ]
            )
        },
        optional={
            "day": st.one_of(st.dates().map(str), json_values),
            "set_id": st.one_of(st.text(max_size=90), json_values),
            "exercise": st.one_of(st.sampled_from(TYPE_IDS["EXERCISE"]), json_values),
            "up_next": st.one_of(st.lists(st.sampled_from(TYPE_IDS["EXERCISE"])), json_values),
            "index": st.one_of(st.integers(-(10**6), 10**6), json_values),
            "step": st.one_of(st.integers(-(10**9), 10**9), json_values),
            "answers": st.one_of(
                st.dictionaries(
                    st.sampled_from(["pain", "walk_minutes", "numbness", "fever", "x"]),
                    json_values,
                ),
                json_values,
            ),
        },
    ),
    json_values,
)


# What "repeat" may find in the session: what the skill keeps there, and anything a caller
# could put there instead (markup to escape, control characters, text over the limit, wrong
# types); repeat_last speaks only well-formed SSML within Alexa's limit.
repeatable_speech = st.one_of(
    st.text(st.characters(exclude_categories=["Cc", "Cs"]), max_size=300).map(
        lambda text: str(escape(text))
    ),
    st.text(max_size=300),
    st.text(min_size=8000, max_size=9000, alphabet="ab<&"),
    st.lists(st.text(max_size=20), max_size=3),
    st.sampled_from(["", 'I\'m Spine Coach. <break time="1s"/> When was your surgery?']),
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


@st.composite
def session_attributes(draw: st.DrawFn, tokens: list[str]) -> Any:
    candidates: dict[str, st.SearchStrategy[Any]] = {
        "pending": pending_questions,
        "last_speech": repeatable_speech,
        "last_reprompt": repeatable_speech,
    }
    keys = draw(st.lists(st.sampled_from(sorted(candidates)), unique=True, max_size=5))
    if draw(st.booleans()):  # the skill keeps these two together
        keys += [key for key in ("last_speech", "last_reprompt") if key not in keys]
    attributes: dict[str, Any] = {key: draw(candidates[key]) for key in keys}
    attributes.update(draw(st.dictionaries(st.text(max_size=10), json_values, max_size=2)))
    if rarely(draw, 20):
        return draw(json_values)
    return attributes


def player_tokens(tokens: list[str]) -> st.SearchStrategy[Any]:
    forged = st.builds(
        lambda patient, exercise, pace, set_id, play: (
            f"sc1.{patient}.{exercise}.{pace}.{set_id}.{play}"
        ),
        st.text("0123456789abcdef", min_size=16, max_size=16),
        st.sampled_from([*TYPE_IDS["EXERCISE"], "x"]),
        st.sampled_from(["slow", "normal", "brisk", "z"]),
        st.text("0123456789abcdef-", min_size=1, max_size=64),
        st.text("0123456789abcdef", min_size=8, max_size=8),
    )
    return mostly(st.one_of(st.sampled_from(tokens), forged, st.text(max_size=80)))


player_activities = mostly(
    st.sampled_from(["IDLE", "PAUSED", "PLAYING", "BUFFER_UNDERRUN", "FINISHED", "STOPPED"]),
    st.one_of(st.text(max_size=10), json_values),
)
timestamps = st.one_of(
    st.integers(-300, 300).map(lambda s: envelopes.timestamp(NOW + timedelta(seconds=s))),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)).map(
        lambda moment: moment.isoformat() + "Z"
    ),
    st.sampled_from(["", "yesterday", "2026-13-40T10:00:00Z", "2026-11-20"]),
    json_values,
)
locales = st.one_of(
    st.sampled_from(["en-US", "en-GB", "en-CA", "en-IN", "de-DE", "fr-FR", "ja-JP", "xx-XX", ""]),
    json_values,
)


@st.composite
def request_fields(
    draw: st.DrawFn, request_type: str, tokens: list[str], intent_name: str | None
) -> dict[str, Any]:
    """The type-specific part of `request`."""
    fields: dict[str, Any] = {"type": request_type}
    if request_type == "IntentRequest":
        name = intent_name or draw(
            st.one_of(
                st.sampled_from(sorted(INTENT_SLOTS)),
                st.sampled_from(SESSION_INTENTS),
                st.text(max_size=30),
            )
        )
        intent: dict[str, Any] = {
            "name": name,
            "confirmationStatus": draw(st.sampled_from(["NONE", "CONFIRMED", "DENIED"])),
            "slots": draw(slots(name)),
        }
        fields["intent"] = intent
        if draw(st.booleans()):
            fields["dialogState"] = draw(
                mostly(st.sampled_from(["STARTED", "IN_PROGRESS", "COMPLETED"]), st.just("NOPE"))
            )
    elif request_type == "SessionEndedRequest":
        fields["reason"] = draw(
            st.sampled_from(["USER_INITIATED", "ERROR", "EXCEEDED_MAX_REPROMPTS", "X"])
        )
        if draw(st.booleans()):
            fields["error"] = {"type": "INVALID_RESPONSE", "message": draw(texts)}
    elif request_type.startswith("AudioPlayer."):
        fields["token"] = draw(player_tokens(tokens))
        fields["offsetInMilliseconds"] = draw(mostly(st.integers(-(10**6), 10**12)))
        if request_type.endswith("Failed"):
            fields["error"] = {"type": "MEDIA_ERROR_UNKNOWN", "message": draw(texts)}
            fields["currentPlaybackState"] = {
                "token": draw(player_tokens(tokens)),
                "offsetInMilliseconds": draw(st.integers(0, 10**7)),
                "playerActivity": draw(player_activities),
            }
    elif request_type == "AlexaSkillEvent.SkillDisabled":
        fields["body"] = {
            "userInformationPersistenceStatus": draw(
                st.one_of(st.sampled_from(["PERSISTED", "NOT_PERSISTED"]), json_values)
            )
        }
    elif request_type == "System.ExceptionEncountered":
        fields["error"] = {"type": "INVALID_RESPONSE", "message": draw(texts)}
        fields["cause"] = {"requestId": draw(st.text(max_size=40))}
    return fields


# Paths a mutation may delete, replace with any JSON value, or add a stray field under.
MUTABLE_PATHS: list[tuple[str, ...]] = [
    ("version",),
    ("request",),
    ("request", "type"),
    ("request", "requestId"),
    ("request", "timestamp"),
    ("request", "locale"),
    ("request", "intent"),
    ("request", "intent", "name"),
    ("request", "intent", "slots"),
    ("request", "token"),
    ("request", "offsetInMilliseconds"),
    ("request", "error"),
    ("request", "body"),
    ("session",),
    ("session", "new"),
    ("session", "sessionId"),
    ("session", "attributes"),
    ("session", "application"),
    ("session", "user"),
    ("session", "user", "userId"),
    ("context",),
    ("context", "System"),
    ("context", "System", "application"),
    ("context", "System", "application", "applicationId"),
    ("context", "System", "user"),
    ("context", "System", "user", "userId"),
    ("context", "System", "device"),
    ("context", "System", "device", "deviceId"),
    ("context", "System", "device", "supportedInterfaces"),
    ("context", "System", "apiEndpoint"),
    ("context", "System", "apiAccessToken"),
    ("context", "AudioPlayer"),
    ("context", "AudioPlayer", "token"),
    ("context", "AudioPlayer", "offsetInMilliseconds"),
    ("context", "AudioPlayer", "playerActivity"),
]


def mutate(body: dict[str, Any], path: tuple[str, ...], action: str, value: Any) -> None:
    parent: Any = body
    for key in path[:-1]:
        parent = parent.get(key) if isinstance(parent, dict) else None
    if not isinstance(parent, dict):
        return
    if action == "delete":
        parent.pop(path[-1], None)
    elif action == "replace":
        parent[path[-1]] = value
    elif isinstance(parent.get(path[-1]), dict):
        parent[path[-1]][f"extra_{action}"] = value  # a field Alexa might add one day


mutations = st.tuples(
    st.sampled_from(MUTABLE_PATHS), st.sampled_from(["delete", "replace", "add"]), json_values
)


@st.composite
def alexa_bodies(
    draw: st.DrawFn,
    tokens: list[str],
    *,
    types: list[str],
    max_mutations: int,
    intent: str | None = None,
) -> dict[str, Any]:
    """An envelope as Alexa shapes it, with random content, then up to `max_mutations` faults.

    With `intent`, an IntentRequest for it, nearly always in a session with a good timestamp
    (as Alexa sends intents), so the handlers, not the envelope checks, meet the faults.
    """
    if intent is not None:
        request_type = "IntentRequest"
    else:
        request_type = draw(st.one_of(st.sampled_from(types), st.text(max_size=30)))
    user_id = draw(st.one_of(st.sampled_from([USER, USER, NEW_USER]), st.text(max_size=60)))
    interfaces: dict[str, Any] = {}
    if draw(st.booleans()):
        interfaces["AudioPlayer"] = {}
    if draw(st.booleans()):
        interfaces["Alexa.Presentation.APL"] = {"runtime": {"maxVersion": "2024.2"}}
    audio_player = None
    if draw(st.booleans()):
        audio_player = {
            "token": draw(player_tokens(tokens)),
            "offsetInMilliseconds": draw(mostly(st.integers(-5, 10**8))),
            "playerActivity": draw(player_activities),
        }
    usual = intent is not None and not rarely(draw, 10)
    body = envelopes.envelope(
        draw(request_fields(request_type, tokens, intent)),
        at=NOW,
        user_id=user_id,
        device_id=draw(st.sampled_from([envelopes.DEFAULT_DEVICE, "amzn1.ask.device.OTHER", ""])),
        with_session=usual or draw(st.booleans()),
        new_session=draw(st.booleans()),
        session_attributes={},
        interfaces=interfaces,
        audio_player=audio_player,
    )
    if not usual:
        body["request"]["timestamp"] = draw(timestamps)
        body["request"]["locale"] = draw(locales)
    if "session" in body:
        body["session"]["attributes"] = draw(session_attributes(tokens))
    for path, action, value in draw(st.lists(mutations, max_size=max_mutations)):
        mutate(body, path, action, value)
    return body


# --- the tests ------------------------------------------------------------------------------


@pytest.mark.parametrize("intent", [*sorted(INTENT_SLOTS), None])
def test_conversations_with_fuzzed_slots_and_sessions(
    client: FlaskClient, tokens: list[str], intent: str | None
) -> None:
    """Each intent of the model (None: any intent, or a made-up name), with fuzzed slots and
    session attributes, then up to two more turns that may carry the session the skill kept."""
    statuses: Counter[int] = Counter()
    first_turns: Counter[int] = Counter()
    first = alexa_bodies(tokens, types=["IntentRequest"], max_mutations=0, intent=intent)
    more = alexa_bodies(
        tokens, types=["IntentRequest", "IntentRequest", "LaunchRequest"], max_mutations=1
    )

    @fuzz_settings(25)
    @given(turns=st.tuples(first, st.lists(more, max_size=2)), carry=st.booleans())
    def converse(turns: tuple[dict[str, Any], list[dict[str, Any]]], carry: bool) -> None:
        attributes: Any = None
        for turn, body in enumerate([turns[0], *turns[1]]):
            if carry and attributes is not None and isinstance(body.get("session"), dict):
                body["session"]["attributes"] = attributes
            request = body.get("request")
            request_type = request.get("type") if isinstance(request, dict) else None
            payload = exchange(
                client, json.dumps(body).encode(), request_type, statuses if turn else first_turns
            )
            attributes = payload.get("sessionAttributes") if isinstance(payload, dict) else None

    converse()
    report(f"conversations {intent or 'any intent'}", statuses + first_turns)
    # The generator reaches the intent's handlers: first turns are answered, not all refused.
    assert first_turns[200] >= 5, first_turns


def test_every_request_type_with_fuzzed_fields(client: FlaskClient, tokens: list[str]) -> None:
    """All request types (and unknown ones), with and without session, faults anywhere."""
    statuses: Counter[int] = Counter()

    @fuzz_settings(450)
    @given(body=alexa_bodies(tokens, types=REQUEST_TYPES, max_mutations=4))
    def one_request(body: dict[str, Any]) -> None:
        request = body.get("request")
        request_type = request.get("type") if isinstance(request, dict) else None
        exchange(client, json.dumps(body).encode(), request_type, statuses)

    one_request()
    report("request types", statuses)
    assert statuses[200] > 0
    assert statuses[400] > 0


def test_audio_player_events_and_buttons_with_fuzzed_tokens(
    client: FlaskClient, tokens: list[str]
) -> None:
    """AudioPlayer and PlaybackController requests: silent answers whatever the token says."""
    statuses: Counter[int] = Counter()
    audio_types = [t for t in REQUEST_TYPES if t.startswith(SILENT_PREFIXES)]

    @fuzz_settings(250)
    @given(body=alexa_bodies(tokens, types=audio_types, max_mutations=1))
    def one_event(body: dict[str, Any]) -> None:
        request = body.get("request")
        request_type = request.get("type") if isinstance(request, dict) else None
        exchange(client, json.dumps(body).encode(), request_type, statuses)

    one_event()
    report("audio player", statuses)
    assert statuses[200] > statuses[400]


@pytest.mark.parametrize(
    "attributes",
    [
        {"last_speech": "Is 3 < 5 & 7?", "last_reprompt": "Well?"},
        {"last_speech": "Hello.", "last_reprompt": "x" * 9000},
        {"last_speech": "Hello.\x08", "last_reprompt": "Well?"},
    ],
)
def test_repeat_with_tampered_session_speech(
    client: FlaskClient, attributes: dict[str, Any]
) -> None:
    """Alexa returns the attributes the skill set, but an unverified caller can send any: "repeat"
    must still answer with valid SSML (escaped, under 8000 characters) or the apology."""
    body = envelopes.intent("AMAZON.RepeatIntent", at=NOW, session_attributes=attributes)
    response = post(client, json.dumps(body).encode())
    check_response(response.status_code, response.get_json(), "IntentRequest")


def deeply_nested(depth: int, kind: str) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value] if kind == "list" else {"k": value}
    return value


def test_raw_bodies_any_json_and_deep_nesting(client: FlaskClient) -> None:
    """Whatever the bytes, JSON or not, nested however deep: a 400 or a valid answer."""
    statuses: Counter[int] = Counter()
    launch = json.dumps(envelopes.launch(at=NOW))

    @st.composite
    def raw_bodies(draw: st.DrawFn) -> bytes:
        choice = draw(st.integers(0, 4))
        if choice == 0:
            return draw(st.binary(max_size=200))
        if choice == 1:
            return json.dumps(draw(json_values)).encode()
        depth = draw(st.integers(1, 3000))
        if choice == 2:  # brackets only: `[[[[…` as deep as the body allows
            return (draw(st.sampled_from(["[", '{"a":'])) * depth).encode()
        # A valid launch with a deeply nested value somewhere.
        nested = (
            "[" * depth + "]" * depth
            if draw(st.booleans())
            else '{"a":' * depth + "1" + ("}" * depth)
        )
        where = draw(st.sampled_from(["extra", "attributes", "request"]))
        if where == "attributes":
            text = launch.replace('"attributes": {}', f'"attributes": {{"x": {nested}}}')
        elif where == "request":
            fields = f'"type": "LaunchRequest", "x": {nested}'
            text = launch.replace('"type": "LaunchRequest"', fields)
        else:
            text = launch[:-1] + f', "x": {nested}}}'
        return text.encode()

    @fuzz_settings(200)
    @given(body=raw_bodies())
    def one_body(body: bytes) -> None:
        exchange(client, body, None, statuses)

    one_body()
    report("raw bodies", statuses)
    assert statuses[400] > 0


@pytest.mark.parametrize("depth", [100, 990, 1000, 5000, 20_000])
@pytest.mark.parametrize("kind", ["list", "dict"])
def test_deeply_nested_json_is_refused_or_answered(
    client: FlaskClient, depth: int, kind: str
) -> None:
    # Python's JSON decoder raises RecursionError (not ValueError) past ~1000 levels.
    body = ("[" * depth).encode() if kind == "list" else ('{"a":' * depth).encode()
    response = post(client, body)
    assert response.status_code == 400
    launch = envelopes.launch(at=NOW)
    text = json.dumps(launch)[:-1]
    opening, closing = ("[", "]") if kind == "list" else ('{"a":', "}")
    nested = f'{text}, "x": {opening * depth}1{closing * depth}}}'.encode()
    response = post(client, nested)
    check_response(response.status_code, response.get_json(silent=True), "LaunchRequest")


def test_a_body_over_128_kib_gets_a_413_and_just_under_is_answered(client: FlaskClient) -> None:
    body = envelopes.launch(at=NOW)
    body["padding"] = "é" * (64 * 1024)  # 2 bytes each in UTF-8, escaped to 6 by json.dumps
    raw = json.dumps(body, ensure_ascii=False).encode()
    assert len(raw) > 128 * 1024
    assert post(client, raw).status_code == 413
    body["padding"] = "x" * (128 * 1024 - len(json.dumps(envelopes.launch(at=NOW))) - 20)
    raw = json.dumps(body).encode()
    assert len(raw) <= 128 * 1024
    response = post(client, raw)
    check_response(response.status_code, response.get_json(), "LaunchRequest")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"", "application/json"),
        (b"not json", "application/json"),
        (b"{'single': 'quotes'}", "application/json"),
        (b'{"request": ', "application/json"),
        (b"\x00\x01\x02", "application/json"),
        (b"\xef\xbb\xbf{}", "application/json"),
        (b"null", "application/json"),
        (b"NaN", "application/json"),
        (b"<xml/>", "application/xml"),
        (json.dumps(envelopes.launch(at=NOW)).encode(), "text/plain"),
        (json.dumps(envelopes.launch(at=NOW)).encode(), ""),
    ],
)
def test_non_json_gets_a_400(client: FlaskClient, body: bytes, content_type: str) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/alexa", data=body, headers=headers)
    assert response.status_code == 400
    assert response.get_json() == {"error": "bad request"}
