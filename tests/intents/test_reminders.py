"""Reminder handlers, for what dialog scripts cannot show: the AskFor hand-over exactly as Amazon
documents it (Connections.SendRequest, no reprompt, shouldEndSession unset), the window said by
voice, Alexa's answer when she could not ask, and events that must be answered with nothing.

Amazon's Reminders API is faked at the HTTP edge: `responses` (conftest's `alexa_api`) answers
each call from a `LocalReminders`, as Amazon would for the request's access token.
"""

from __future__ import annotations

import json
import re
from datetime import time, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import responses
from flask.testing import FlaskClient

from skill.content.plan import WakingHours
from skill.devtools import envelopes
from skill.devtools.dialog import AlexaReply
from skill.devtools.simulator.local_reminders import LocalReminders
from skill.intents.reminders import spoken_time, spoken_window
from skill.reminders.service import ASK_TOKEN
from skill.store.patients import PatientStore
from tests.conftest import NOW

pytestmark = pytest.mark.both_databases

SCOPE = envelopes.REMINDERS_SCOPE
REMINDERS_URL = f"{envelopes.API_ENDPOINT}/v1/alerts/reminders"
PLAN_HOURS = WakingHours(start=time(8), end=time(22))


@pytest.fixture
def outage() -> dict[str, int]:
    """Set "status" to have Amazon answer every reminders call with it (503: down)."""
    return {}


@pytest.fixture
def amazon(alexa_api: responses.RequestsMock, outage: dict[str, int]) -> LocalReminders:
    """Amazon's Reminders API behind the envelope's apiEndpoint, answering from memory."""
    reminders = LocalReminders(clock=lambda: NOW)

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        if "status" in outage:
            failure = {"code": "SERVICE_UNAVAILABLE", "message": "try later"}
            return outage["status"], {"Content-Type": "application/json"}, json.dumps(failure)
        token = str(request.headers.get("Authorization", "")).removeprefix("Bearer ")
        body = json.loads(request.body) if request.body else None
        status, payload = reminders.handle(request.method, urlsplit(request.url).path, token, body)
        return status, {"Content-Type": "application/json"}, json.dumps(payload)

    url = re.compile(rf"{re.escape(REMINDERS_URL)}(/[^/?]+)?/?(\?.*)?$")
    for method in (responses.GET, responses.POST, responses.PUT, responses.DELETE):
        alexa_api.add_callback(method, url, callback=answer)
    return reminders


@pytest.fixture
def known(client: FlaskClient) -> FlaskClient:
    """A patient three weeks after surgery."""
    from skill.alexa.endpoint import EXTENSION

    engine = client.application.extensions[EXTENSION].engine
    PatientStore(engine).save_surgery_date(
        envelopes.DEFAULT_USER, NOW.date() - timedelta(weeks=3), locale="en-US"
    )
    return client


def post(client: FlaskClient, body: dict[str, Any]) -> AlexaReply:
    response = client.post("/alexa", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return AlexaReply(response.get_json())


def remind_me(**slots: str) -> dict[str, Any]:
    return envelopes.intent(
        "SetRemindersIntent",
        {name: envelopes.slot(name, value) for name, value in slots.items()},
        at=NOW,
        new_session=True,
    )


# The window said by voice ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("09:00", "09:00", (time(9), time(21))),  # "nine till nine": the end is the evening's
        ("07:00", "22:00", (time(7), time(22))),
        ("10:00", "02:00", (time(10), time(14))),  # "ten till two"
        ("08:30", "20:00", (time(8, 30), time(20))),
        (None, "08:00", (time(8), time(20))),  # "until eight": the start kept
        ("10:00", None, (time(10), time(22))),  # "from ten": the end kept
        ("21:00", "23:00", (time(21), time(23))),
        ("07:00", "10:00", (time(7), time(22))),  # "seven till ten": a day, not three hours
        ("13:00", "15:00", (time(13), time(15))),  # said in the afternoon: as said
    ],
)
def test_a_window_said_by_voice(
    start: str | None, end: str | None, expected: tuple[time, time]
) -> None:
    window = spoken_window(start, end, PLAN_HOURS)
    assert window is not None
    assert (window.start, window.end) == expected


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("EV", "NI"),  # parts of the day name no hour
        ("nine", "09:00"),  # not a time value
        ("22:00", "13:00"),  # ends before it starts, even in the evening
        ("23:00", None),  # starts after the kept end
        ("21:10", "21:50"),  # not one whole hour in it
        ("21:00", "00:00"),  # till midnight is past the day
    ],
)
def test_a_window_that_makes_no_sense(start: str | None, end: str | None) -> None:
    assert spoken_window(start, end, PLAN_HOURS) is None


def test_spoken_times_are_times_of_day_only() -> None:
    assert spoken_time("09:00") == time(9)
    assert spoken_time("21:30") == time(21, 30)
    for value in (None, "", "MO", "AF", "EV", "NI", "9"):
        assert spoken_time(value) is None


def test_a_window_that_makes_no_sense_is_asked_again_and_nothing_is_set(
    known: FlaskClient, amazon: LocalReminders
) -> None:
    amazon.grant(envelopes.API_ACCESS_TOKEN)
    body = remind_me(start="22:00", end="13:00")
    body["context"] = envelopes.context(granted=(SCOPE,))
    reply = post(known, body)
    assert reply.speech.endswith("?")
    assert reply.reprompt
    assert reply.ends_session is False
    assert amazon.reminders(envelopes.API_ACCESS_TOKEN) == []


# The hand-over to Alexa's permission ask -------------------------------------------------------


def test_without_the_permission_alexa_is_asked_exactly_as_amazon_documents(
    known: FlaskClient, amazon: LocalReminders
) -> None:
    reply = post(known, remind_me())
    response = reply.response
    ask = reply.directive("Connections.SendRequest")
    assert ask == {
        "type": "Connections.SendRequest",
        "name": "AskFor",
        "payload": {
            "@type": "AskForPermissionsConsentRequest",
            "@version": "2",
            "permissionScopes": [{"permissionScope": SCOPE, "consentLevel": "ACCOUNT"}],
        },
        "token": ASK_TOKEN,  # echoed in Alexa's Connections.Response
    }
    # Alexa asks next, in this session: no reprompt of the skill's, shouldEndSession unset.
    assert "reprompt" not in response
    assert "shouldEndSession" not in response
    assert amazon.reminders(envelopes.API_ACCESS_TOKEN) == []  # nothing asked of Amazon yet


def test_when_alexa_cannot_ask_by_voice_a_consent_card_is_sent(
    known: FlaskClient, amazon: LocalReminders
) -> None:
    post(known, remind_me())
    answer = envelopes.permission_answer(at=NOW, code="400")
    reply = post(known, answer)
    assert reply.response.get("card") == {
        "type": "AskForPermissionsConsent",
        "permissions": [SCOPE],
    }
    assert reply.directive("Connections.SendRequest") is None
    assert reply.speech


def test_accepted_sets_the_reminders_at_amazon(known: FlaskClient, amazon: LocalReminders) -> None:
    post(known, remind_me())
    amazon.grant(envelopes.API_ACCESS_TOKEN)  # what the patient's "yes" to Alexa does
    answer = envelopes.permission_answer("ACCEPTED", at=NOW, granted=(SCOPE,))
    reply = post(known, answer)
    created = amazon.reminders(envelopes.API_ACCESS_TOKEN)
    assert created
    for reminder in created:
        trigger = reminder.request["trigger"]
        assert trigger["timeZoneId"] == "America/New_York"
        assert not trigger["scheduledTime"].endswith("Z")
        assert all(
            rule.startswith("FREQ=DAILY;BYHOUR=")
            for rule in trigger["recurrence"]["recurrenceRules"]
        )
    assert reply.directive("Connections.SendRequest") is None
    assert reply.speech


@pytest.mark.parametrize("status", ["DENIED", "NOT_ANSWERED"])
def test_a_no_is_answered_kindly_and_not_asked_again_within_seven_days(
    known: FlaskClient, amazon: LocalReminders, status: str
) -> None:
    post(known, remind_me())
    reply = post(known, envelopes.permission_answer(status, at=NOW))
    assert reply.speech
    assert reply.directive("Connections.SendRequest") is None
    assert amazon.reminders(envelopes.API_ACCESS_TOKEN) == []
    soon = post(
        known,
        envelopes.intent("SetRemindersIntent", at=NOW + timedelta(days=6), new_session=True),
    )
    assert soon.directive("Connections.SendRequest") is None  # Amazon's 7-day rule
    later = post(
        known,
        envelopes.intent("SetRemindersIntent", at=NOW + timedelta(days=8), new_session=True),
    )
    assert later.directive("Connections.SendRequest") is not None


def test_a_connections_response_this_skill_never_asked_for_is_answered_empty(
    known: FlaskClient,
) -> None:
    body = envelopes.permission_answer(at=NOW)
    body["request"]["name"] = "Buy"
    reply = post(known, body)
    assert "outputSpeech" not in reply.response
    assert reply.directives == []


# Events: answered with nothing -----------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        envelopes.reminder_event("ReminderStarted", at=NOW, alert_tokens=("unknown-token",)),
        envelopes.reminder_event("ReminderCreated", at=NOW, alert_tokens=("unknown-token",)),
        envelopes.reminder_event("ReminderUpdated", at=NOW, alert_tokens=("unknown-token",)),
        envelopes.reminder_event("ReminderStatusChanged", at=NOW, alert_tokens=("a",)),
        envelopes.reminder_event("ReminderDeleted", at=NOW, alert_tokens=("a", "b")),
        envelopes.permission_event("SkillPermissionAccepted", at=NOW, accepted=(SCOPE,)),
        envelopes.permission_event("SkillPermissionChanged", at=NOW, accepted=()),
    ],
    ids=lambda body: body["request"]["type"],
)
def test_events_are_answered_with_nothing(known: FlaskClient, body: dict[str, Any]) -> None:
    reply = post(known, body)
    assert "outputSpeech" not in reply.response
    assert reply.directives == []


def test_events_of_someone_the_skill_never_met_are_answered_with_nothing(
    client: FlaskClient,
) -> None:
    body = envelopes.reminder_event(
        "ReminderStarted", at=NOW, alert_tokens=("x",), user_id="amzn1.ask.account.STRANGER"
    )
    reply = post(client, body)
    assert "outputSpeech" not in reply.response


# The launch: its one offer, and what is owed set on the way -----------------------------------

EARLY = NOW - timedelta(hours=4)  # 06:00 in New York: nothing is due yet


def launch(client: FlaskClient, at: Any = EARLY, **options: Any) -> AlexaReply:
    return post(client, envelopes.launch(at=at, **options))


def test_a_launch_with_nothing_due_offers_reminders_once_and_never_after_a_no(
    known: FlaskClient, amazon: LocalReminders
) -> None:
    offer = launch(known)
    assert offer.session_attributes["pending"] == {"kind": "reminders_offer"}
    assert offer.speech.endswith("?")
    no = envelopes.intent("AMAZON.NoIntent", at=EARLY, session_attributes=offer.session_attributes)
    assert post(known, no).directive("Connections.SendRequest") is None
    for days in (1, 8, 30):
        again = launch(known, at=EARLY + timedelta(days=days))
        assert again.session_attributes.get("pending") != {"kind": "reminders_offer"}


def test_a_launch_with_an_exercise_due_offers_the_exercise_and_keeps_the_reminders_offer(
    known: FlaskClient, amazon: LocalReminders
) -> None:
    due = launch(known, at=NOW)  # 10:00 in New York: knee presses are due
    assert due.session_attributes["pending"]["kind"] == "start"
    later = launch(known, at=EARLY + timedelta(days=1))
    assert later.session_attributes["pending"] == {"kind": "reminders_offer"}


def test_yes_to_the_offer_asks_alexa_for_the_permission(
    known: FlaskClient, amazon: LocalReminders
) -> None:
    offer = launch(known)
    yes = envelopes.intent(
        "AMAZON.YesIntent", at=EARLY, session_attributes=offer.session_attributes
    )
    reply = post(known, yes)
    assert reply.directive("Connections.SendRequest") is not None
    assert "shouldEndSession" not in reply.response


def test_reminders_amazon_could_not_take_are_set_at_the_next_launch(
    known: FlaskClient, amazon: LocalReminders, outage: dict[str, int]
) -> None:
    amazon.grant(envelopes.API_ACCESS_TOKEN)
    outage["status"] = 503
    body = remind_me()
    body["context"] = envelopes.context(granted=(SCOPE,))
    sorry = post(known, body)
    assert "couldn't reach" in sorry.speech  # a short apology, nothing recorded as set
    assert amazon.reminders(envelopes.API_ACCESS_TOKEN) == []
    del outage["status"]
    launch(known, at=EARLY + timedelta(days=1), granted=(SCOPE,))
    assert amazon.reminders(envelopes.API_ACCESS_TOKEN)


# Deleting the patient's data deletes their reminders at Amazon first -------------------------


def set_up_reminders(client: FlaskClient, amazon: LocalReminders) -> None:
    amazon.grant(envelopes.API_ACCESS_TOKEN)
    body = remind_me()
    body["context"] = envelopes.context(granted=(SCOPE,))
    post(client, body)
    assert amazon.reminders(envelopes.API_ACCESS_TOKEN)


def test_deleting_my_data_deletes_the_reminders_at_amazon(
    known: FlaskClient, amazon: LocalReminders
) -> None:
    set_up_reminders(known, amazon)
    asked = post(known, envelopes.intent("DeleteMyDataIntent", at=NOW, new_session=True))
    yes = envelopes.intent(
        "AMAZON.YesIntent",
        at=NOW,
        session_attributes=asked.session_attributes,
        granted=(SCOPE,),
    )
    post(known, yes)
    assert amazon.reminders(envelopes.API_ACCESS_TOKEN) == []


@pytest.mark.parametrize(("status", "left"), [("NOT_PERSISTED", False), ("PERSISTED", True)])
def test_disabling_the_skill_without_keeping_data_deletes_the_reminders_at_amazon(
    known: FlaskClient, amazon: LocalReminders, status: str, left: bool
) -> None:
    set_up_reminders(known, amazon)
    disabled = envelopes.request_of_type(
        "AlexaSkillEvent.SkillDisabled",
        at=NOW,
        body={"userInformationPersistenceStatus": status},
    )
    post(known, disabled)
    assert bool(amazon.reminders(envelopes.API_ACCESS_TOKEN)) is left


def test_without_a_surgery_date_remind_me_asks_for_it_first(
    client: FlaskClient, amazon: LocalReminders
) -> None:
    reply = post(client, remind_me())
    assert reply.speech.startswith("First, I need your surgery date.")
    assert reply.directive("Connections.SendRequest") is None
    assert not reply.ends_session
    assert amazon.reminders(envelopes.API_ACCESS_TOKEN) == []
    from skill.alexa.endpoint import EXTENSION

    patient = PatientStore(client.application.extensions[EXTENSION].engine).get(
        envelopes.DEFAULT_USER
    )
    assert patient is None or patient.reminders.wanted is None  # nothing set up silently later
