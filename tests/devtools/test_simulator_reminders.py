"""Reminders on the simulated Echo: Amazon's Reminders API answered locally through ask-sdk's
own client, Alexa's permission ask after an AskFor hand-over, and reminders going off on the
virtual clock (each told to the skill as Reminders.ReminderStarted)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model.services import ApiClientRequest, ApiConfiguration, ServiceException
from ask_sdk_model.services.reminder_management import (
    AlertInfo,
    PushNotification,
    PushNotificationStatus,
    Recurrence,
    ReminderManagementServiceClient,
    ReminderRequest,
    ReminderResponse,
    SpokenInfo,
    SpokenText,
    Trigger,
    TriggerType,
)

from skill.devtools import envelopes
from skill.devtools.simulator.local_api import LocalAlexaApi
from skill.devtools.simulator.local_reminders import LocalReminders
from skill.devtools.simulator.session import MAX_REMINDER_EVENTS, SHOWN_REMINDERS, Simulator
from skill.devtools.simulator.understanding import Understanding
from tests.conftest import NOW

ZONE = "Europe/Amsterdam"
SCOPE = envelopes.REMINDERS_SCOPE
ENDPOINT = envelopes.API_ENDPOINT


def _client(api: LocalAlexaApi, token: str) -> ReminderManagementServiceClient:
    """ask-sdk's Reminders client, as the skill's service_client_factory builds it."""
    return ReminderManagementServiceClient(
        ApiConfiguration(
            serializer=DefaultSerializer(),
            api_client=api,
            authorization_value=token,
            api_endpoint=ENDPOINT,
        )
    )


def _request(hours: list[int], text: str = "Time for your knee presses") -> ReminderRequest:
    start = NOW.astimezone(ZoneInfo(ZONE)).replace(tzinfo=None)
    return ReminderRequest(
        request_time=NOW,
        trigger=Trigger(
            object_type=TriggerType.SCHEDULED_ABSOLUTE,
            scheduled_time=start.replace(hour=hours[0], minute=0, second=0, microsecond=0),
            time_zone_id=ZONE,
            recurrence=Recurrence(
                recurrence_rules=[
                    f"FREQ=DAILY;BYHOUR={hour};BYMINUTE=0;BYSECOND=0" for hour in hours
                ]
            ),
        ),
        alert_info=AlertInfo(
            spoken_info=SpokenInfo(content=[SpokenText(locale="en-US", text=text)])
        ),
        push_notification=PushNotification(status=PushNotificationStatus.ENABLED),
    )


def _created(client: ReminderManagementServiceClient, request: ReminderRequest) -> ReminderResponse:
    return cast(ReminderResponse, client.create_reminder(request))


def _updated(
    client: ReminderManagementServiceClient, token: str, request: ReminderRequest
) -> ReminderResponse:
    return cast(ReminderResponse, client.update_reminder(token, request))


def _get_all(api: LocalAlexaApi, token: str) -> tuple[int, Any]:
    """GET /v1/alerts/reminders as the client sends it. (ask-sdk-model cannot read the answer:
    its serializer names a module it lacks, alert_info_spoken_info, for alertInfo.)"""
    answer = api.invoke(
        ApiClientRequest(
            url=f"{ENDPOINT}/v1/alerts/reminders",
            method="GET",
            headers=[("Authorization", f"Bearer {token}")],
        )
    )
    return int(answer.status_code or 0), json.loads(answer.body or "null")


def test_the_reminders_api_through_ask_sdks_client_per_access_token() -> None:
    api = LocalAlexaApi(ZONE)
    clock = [NOW]
    mine = LocalReminders(clock=lambda: clock[0])
    api.attach("token-a", mine)
    client = _client(api, "token-a")

    with pytest.raises(ServiceException) as refused:
        _created(client, _request([9]))
    assert refused.value.status_code == 401  # no permission yet

    mine.grant("token-a")
    created = _created(client, _request([9, 14, 19]))
    assert created.alert_token
    assert created.created_time == "2026-11-20T15:00:00.000Z"  # the virtual clock's
    status, listed = _get_all(api, "token-a")
    assert status == 200
    assert [alert["alertToken"] for alert in listed["alerts"]] == [created.alert_token]
    assert listed["alerts"][0]["trigger"]["timeZoneId"] == ZONE
    assert listed["alerts"][0]["trigger"]["scheduledTime"] == "2026-11-20T09:00:00"

    clock[0] = NOW + timedelta(hours=1)
    updated = _updated(client, created.alert_token, _request([8, 20]))
    assert updated.version == "2"
    assert updated.updated_time == "2026-11-20T16:00:00.000Z"
    fired = mine.fired_between("token-a", NOW, NOW + timedelta(days=1))
    assert [moment.astimezone(ZoneInfo(ZONE)).hour for moment, _ in fired] == [20, 8]

    # Another user's token sees nothing of these, and is refused until they allow it.
    assert _get_all(api, "token-b")[0] == 401
    with pytest.raises(ServiceException) as other:
        _client(api, "token-b").delete_reminder(created.alert_token)
    assert other.value.status_code == 401

    client.delete_reminder(created.alert_token)
    assert _get_all(api, "token-a") == (200, {"totalCount": "0", "alerts": [], "links": None})
    with pytest.raises(ServiceException) as gone:
        client.delete_reminder(created.alert_token)
    assert gone.value.status_code == 404


def test_a_request_amazon_refuses_is_refused_through_the_client() -> None:
    api = LocalAlexaApi(ZONE)
    reminders = LocalReminders(clock=lambda: NOW)
    api.attach("token", reminders)
    reminders.grant("token")
    request = _request([9])
    assert request.trigger is not None
    request.trigger.time_zone_id = "Mars/Olympus_Mons"
    with pytest.raises(ServiceException) as refused:
        _created(_client(api, "token"), request)
    assert refused.value.status_code == 400
    assert reminders.reminders("token") == []


def test_a_dropped_simulators_reminders_go_with_it() -> None:
    api = LocalAlexaApi(ZONE)
    reminders = LocalReminders()
    api.attach("token", reminders)
    assert api.reminders_of("token") is reminders
    del reminders
    assert api.reminders_of("token") is api.unattached


# The simulator, against a small skill that hands over to Alexa -------------------------------

ASK_FOR = {
    "type": "Connections.SendRequest",
    "name": "AskFor",
    "payload": {
        "@type": "AskForPermissionsConsentRequest",
        "@version": "2",
        "permissionScopes": [{"permissionScope": SCOPE, "consentLevel": "ACCOUNT"}],
    },
    "token": "reminders-ask",
}


@dataclass
class _Answer:
    body: dict[str, Any]
    status_code: int = 200

    def get_json(self) -> dict[str, Any]:
        return self.body

    def get_data(self) -> bytes:
        return b""


def _speech(text: str, *, directives: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"outputSpeech": {"type": "SSML", "ssml": f"<speak>{text}</speak>"}}
    if directives:
        response["directives"] = directives
    return {"version": "1.0", "sessionAttributes": {"asked": True}, "response": response}


@dataclass
class AskingSkill:
    """Answers a launch with AskFor (as Alexa's examples do: speech, the directive, no
    reprompt, shouldEndSession unset), a permission answer with a sentence naming its status,
    anything else with an empty response; keeps every envelope."""

    received: list[dict[str, Any]] = field(default_factory=list)

    def post(self, path: str, *, json: Any, headers: dict[str, str] | None = None) -> _Answer:
        self.received.append(json)
        request = json["request"]
        if request["type"] == "LaunchRequest":
            return _Answer(_speech("I can remind you every hour.", directives=[ASK_FOR]))
        if request["type"] == "Connections.Response":
            status = request["payload"].get("status", "none")
            return _Answer(_speech(f"You said {status}. What next?"))
        return _Answer({"version": "1.0", "response": {}})

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [body for body in self.received if body["request"]["type"] == kind]


def _simulator(skill: AskingSkill, locale: str = "en-US") -> tuple[Simulator, LocalAlexaApi]:
    api = LocalAlexaApi(ZONE)
    simulator = Simulator(
        skill,
        Understanding.for_locale(locale),
        at=NOW,
        locale=locale,
        audio_player=False,
        time_zone=ZONE,
        alexa_api=api,
        api_token="simulated-user-token",
    )
    return simulator, api


def test_alexa_asks_for_the_permission_and_yes_grants_it_in_the_same_session() -> None:
    skill = AskingSkill()
    simulator, api = _simulator(skill)
    launch = simulator.say("open spine coach")
    assert simulator.spoken(launch.reply) == "I can remind you every hour."
    assert launch.alexa_asks == (
        "Do you give Spine Coach permission to set reminders? You can say 'I approve' or 'no'."
    )
    assert simulator.asking is not None
    asked_in = skill.received[-1]["session"]["sessionId"]

    answer = simulator.say("I approve")
    assert answer.permission == "ACCEPTED"
    assert simulator.spoken(answer.reply) == "You said ACCEPTED. What next?"
    response = skill.of_type("Connections.Response")[-1]
    assert response["session"]["sessionId"] == asked_in
    assert response["session"]["new"] is False
    assert response["session"]["attributes"] == {"asked": True}
    assert response["request"]["name"] == "AskFor"
    assert response["request"]["token"] == "reminders-ask"
    assert response["request"]["payload"] == {"permissionScope": SCOPE, "status": "ACCEPTED"}
    assert response["context"]["System"]["apiAccessToken"] == "simulated-user-token"
    assert simulator.asking is None
    assert api.reminders_of("simulated-user-token").granted == {"simulated-user-token"}

    simulator.say("what stage am I at")
    later = skill.received[-1]["context"]["System"]["user"]["permissions"]
    assert later["scopes"] == {SCOPE: {"status": "GRANTED"}}
    assert later["consentToken"] == "simulated-user-token"


@pytest.mark.parametrize(
    ("said", "locale", "status"),
    [("no", "en-US", "DENIED"), ("nee", "nl-NL", "DENIED"), ("ja", "nl-NL", "ACCEPTED")],
)
def test_the_answer_is_heard_in_the_devices_language(said: str, locale: str, status: str) -> None:
    skill = AskingSkill()
    simulator, api = _simulator(skill, locale)
    asked = simulator.say("open rug coach" if locale == "nl-NL" else "open spine coach")
    if locale == "nl-NL":
        assert asked.alexa_asks.startswith("Geeft u Rug Coach toestemming")
    answer = simulator.say(said)
    assert answer.permission == status
    assert skill.of_type("Connections.Response")[-1]["request"]["locale"] == locale
    granted = api.reminders_of(simulator.api_token).granted
    assert granted == ({simulator.api_token} if status == "ACCEPTED" else set())
    assert "permissions" not in skill.received[-1]["context"]["System"]["user"] or (
        status == "ACCEPTED"
    )


def test_something_else_is_asked_again_then_taken_as_no_answer() -> None:
    skill = AskingSkill()
    simulator, _api = _simulator(skill)
    simulator.say("open spine coach")
    again = simulator.say("what's the weather")
    assert again.alexa_asks.startswith("Do you give Spine Coach permission")
    assert skill.of_type("Connections.Response") == []
    simulator.say("hmm")
    third = simulator.say("banana")
    assert third.permission == "NOT_ANSWERED"
    assert skill.of_type("Connections.Response")[-1]["request"]["payload"]["status"] == (
        "NOT_ANSWERED"
    )
    assert "permissions" not in skill.received[-1]["context"]["System"]["user"]


def test_silence_or_time_passing_leaves_the_ask_unanswered() -> None:
    skill = AskingSkill()
    simulator, _api = _simulator(skill)
    simulator.say("open spine coach")
    reply = simulator.end_session()
    assert reply.speech == "You said NOT_ANSWERED. What next?"
    simulator.say("open spine coach")
    passed = simulator.wait(30)
    assert passed.unanswered is not None
    assert passed.unanswered.permission == "NOT_ANSWERED"
    assert simulator.asking is None


def test_the_allow_button_is_an_answer_and_needs_a_question() -> None:
    skill = AskingSkill()
    simulator, _api = _simulator(skill)
    with pytest.raises(RuntimeError):
        simulator.answer_permission(True)
    simulator.say("open spine coach")
    assert simulator.answer_permission(False).permission == "DENIED"


def _granted_with(simulator: Simulator, hours: list[int], text: str) -> str:
    """What the skill would do after a yes: create a reminder with the user's token."""
    reminders = simulator.reminders
    reminders.grant(simulator.api_token)
    client = _client_for(simulator)
    created = _created(client, _request(hours, text))
    return str(created.alert_token)


def _client_for(simulator: Simulator) -> ReminderManagementServiceClient:
    api = LocalAlexaApi(ZONE)
    api.attach(simulator.api_token, simulator.reminders)
    return _client(api, simulator.api_token)


def test_reminders_go_off_in_order_as_the_clock_moves_and_the_skill_hears_each() -> None:
    skill = AskingSkill()
    simulator, _api = _simulator(skill)  # NOW is 16:00 in Amsterdam
    presses = _granted_with(simulator, [17, 18], "Time for your knee presses")
    bridges = _granted_with(simulator, [17], "Time for your bridges")
    passed = simulator.wait(3600)
    assert [(rang.at, rang.text) for rang in passed.rang] == [
        (NOW + timedelta(hours=1), "Time for your knee presses"),
        (NOW + timedelta(hours=1), "Time for your bridges"),
    ]  # at one moment, in the order they were set
    assert passed.more == 0
    started = skill.of_type("Reminders.ReminderStarted")
    assert sorted(body["request"]["body"]["alertToken"] for body in started) == sorted(
        [presses, bridges]
    )
    assert {body["request"]["timestamp"] for body in started} == {"2026-11-20T16:00:00Z"}
    assert all("session" not in body for body in started)
    assert all(
        body["context"]["System"]["apiAccessToken"] == "simulated-user-token" for body in started
    )
    # Nothing more until the next hour.
    assert simulator.wait(1800).rang == []
    assert [rang.text for rang in simulator.wait(1800).rang] == ["Time for your knee presses"]


def test_a_days_jump_shows_a_handful_and_counts_the_rest() -> None:
    skill = AskingSkill()
    simulator, _api = _simulator(skill)
    _granted_with(simulator, list(range(8, 22)), "Time for your knee presses")
    passed = simulator.away(days=1)
    assert len(passed.rang) == SHOWN_REMINDERS
    assert passed.more == 14 - SHOWN_REMINDERS
    assert [rang.at for rang in passed.rang] == sorted(rang.at for rang in passed.rang)
    assert len(skill.of_type("Reminders.ReminderStarted")) == 14
    skill.received.clear()
    year = simulator.away(days=30)
    assert year.more == 30 * 14 - SHOWN_REMINDERS
    assert len(skill.of_type("Reminders.ReminderStarted")) == MAX_REMINDER_EVENTS


def test_another_language_keeps_the_reminders_and_the_permission() -> None:
    skill = AskingSkill()
    simulator, api = _simulator(skill)
    simulator.say("open spine coach")
    simulator.say("yes")
    dutch = Simulator(
        skill,
        Understanding.for_locale("nl-NL"),
        at=simulator.now,
        locale="nl-NL",
        audio_player=False,
        time_zone=ZONE,
        alexa_api=api,
        api_token=simulator.api_token,
        reminders=simulator.reminders,
        granted=simulator.dialog.granted,
    )
    dutch.say("open rug coach")
    assert skill.received[-1]["context"]["System"]["user"]["permissions"]["scopes"] == {
        SCOPE: {"status": "GRANTED"}
    }
    assert dutch.reminders.clock() == dutch.now
