"""The reminder service through the real app: POST /alexa with envelopes whose apiEndpoint is a
fake Amazon (tests/reminders_support.py), on SQLite and PostgreSQL. What Amazon is sent, what
is stored, and what the patient hears, for each answer and each fault."""

from __future__ import annotations

import threading
import time
from datetime import time as dt_time
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, func, select

from skill.alexa.endpoint import EXTENSION
from skill.content.plan import WakingHours
from skill.devtools import envelopes
from skill.store.patients import PatientStore
from skill.store.reminders import ReminderStore
from skill.store.tables import REMINDER_PROMPTS
from tests.reminders.conftest import Patient
from tests.reminders_support import TIMEOUT, TIMEOUT_AFTER_DOING

pytestmark = pytest.mark.both_databases

USER = envelopes.DEFAULT_USER
HOURLY = (8, 10, 11, 12, 13, 15, 16, 17, 18, 20, 21)
DAILY = (9, 14, 19)
ALL_THREE = "knee_presses+knee_lifts+bridges"


def rules(hours: tuple[int, ...]) -> list[str]:
    return [f"FREQ=DAILY;BYHOUR={hour};BYMINUTE=0;BYSECOND=0;INTERVAL=1" for hour in hours]


def posted(patient: Patient) -> list[dict[str, Any]]:
    return [call.body or {} for call in patient.amazon.calls_of("POST")]


def by_hours(bodies: list[dict[str, Any]]) -> dict[tuple[int, ...], dict[str, Any]]:
    """Each body by the hours of its recurrence rules."""
    found = {}
    for body in bodies:
        hours = tuple(
            int(rule.split("BYHOUR=")[1].split(";")[0])
            for rule in body["trigger"]["recurrence"]["recurrenceRules"]
        )
        found[hours] = body
    return found


def stored(app: Flask) -> dict[str, str]:
    """The alert tokens the skill keeps, by slot."""
    engine = app.extensions[EXTENSION].engine
    return {item.slot_key: item.alert_token for item in ReminderStore(engine).all(USER)}


def at_amazon(patient: Patient) -> set[str]:
    return {reminder.token for reminder in patient.amazon.reminders()}


def test_setting_up_creates_one_reminder_per_slot_with_daily_rules_in_the_device_zone(
    patient: Patient, app: Flask
) -> None:
    reply = patient.say("SetRemindersIntent")
    assert reply.speech == (
        "Done. I'll remind you every day, every hour from 8 AM, the last at 9 PM, with knee lifts "
        "and bridges at 9 AM, 2 PM, and 7 PM. Anything else?"
    )
    assert not reply.ends_session
    bodies = by_hours(posted(patient))
    assert set(bodies) == {HOURLY, DAILY}
    hourly, daily = bodies[HOURLY], bodies[DAILY]
    for body, hours in ((hourly, HOURLY), (daily, DAILY)):
        trigger = body["trigger"]
        assert trigger["type"] == "SCHEDULED_ABSOLUTE"
        assert trigger["timeZoneId"] == "America/New_York"
        assert trigger["recurrence"]["recurrenceRules"] == rules(hours)
        assert body["pushNotification"] == {"status": "ENABLED"}
        assert not trigger["scheduledTime"].endswith("Z")
        assert "+" not in trigger["scheduledTime"]
    # NOW is 10:00 in New York: the next hourly one is at 11, the next daily one at 14.
    assert hourly["trigger"]["scheduledTime"] == "2026-11-20T11:00:00"
    assert daily["trigger"]["scheduledTime"] == "2026-11-20T14:00:00"
    assert hourly["alertInfo"]["spokenInfo"]["content"] == [
        {"locale": "en-US", "text": "Time for knee presses"}
    ]
    assert daily["alertInfo"]["spokenInfo"]["content"][0]["text"] == ("Time for your exercises")
    assert set(stored(app)) == {"knee_presses", ALL_THREE}
    assert set(stored(app).values()) == at_amazon(patient)


@pytest.mark.parametrize(
    ("locale", "text"),
    [
        ("en-US", "Time for knee presses"),
        ("en-GB", "Time for knee presses"),
        # "Tijd voor knieën aandrukken" would be 27 characters: the general text instead.
        ("nl-NL", "Tijd voor uw oefeningen"),
    ],
)
def test_the_reminder_text_is_in_the_patients_language_and_short(
    patient: Patient, locale: str, text: str
) -> None:
    patient.locale = locale
    patient.say("SetRemindersIntent")
    bodies = posted(patient)
    content = by_hours(bodies)[HOURLY]["alertInfo"]["spokenInfo"]["content"]
    assert content == [{"locale": locale, "text": text}]
    # What small screens show: about 25 characters, for every reminder.
    for body in bodies:
        assert len(body["alertInfo"]["spokenInfo"]["content"][0]["text"]) <= 25


def test_the_request_time_is_written_as_amazons_example(patient: Patient) -> None:
    patient.say("SetRemindersIntent")
    # UTC, to the millisecond, without a zone (NOW is 15:00Z).
    assert {body["requestTime"] for body in posted(patient)} == {"2026-11-20T15:00:00.000"}


def test_dutch_hours_are_said_the_dutch_way(patient: Patient) -> None:
    patient.locale = "nl-NL"
    reply = patient.say("SetRemindersIntent")
    assert reply.speech.startswith(
        "Klaar. U krijgt elke dag een herinnering elk uur vanaf 8 uur, de laatste om 21 uur, en "
        "om 9, 14 en 19 uur voor knie optrekken en bruggetjes."
    )


def test_setting_up_twice_creates_nothing_twice(patient: Patient, app: Flask) -> None:
    patient.say("SetRemindersIntent")
    first = stored(app)
    calls = len(patient.amazon.calls)
    again = patient.say("SetRemindersIntent")
    assert again.speech.startswith("Done. I'll remind you every day, every hour")
    assert len(patient.amazon.calls) == calls  # nothing changed: not even a PUT
    assert stored(app) == first
    assert len(patient.amazon.reminders()) == 2


def test_a_new_window_updates_the_reminders_in_place(patient: Patient, app: Flask) -> None:
    patient.say("SetRemindersIntent")
    first = stored(app)
    reply = patient.say("SetRemindersIntent", start="09:00", end="21:00")
    assert reply.speech.startswith(
        "Done. I'll remind you every day, every hour from 9 AM, the last at 8 PM"
    )
    assert len(patient.amazon.calls_of("POST")) == 2  # the first set-up's only
    puts = [call.body or {} for call in patient.amazon.calls_of("PUT")]
    assert len(puts) == 2
    assert sorted(hour for hours in by_hours(puts) for hour in hours) == list(range(9, 21))
    assert stored(app) == first  # the same alert tokens
    assert len(patient.amazon.reminders()) == 2


def test_a_new_time_zone_updates_the_reminders_on_the_next_launch(
    patient: Patient, app: Flask
) -> None:
    patient.say("SetRemindersIntent")
    patient.amazon.zones["amzn1.ask.device.AMSTERDAM"] = "Europe/Amsterdam"
    patient.device_id = "amzn1.ask.device.AMSTERDAM"
    patient.launch()
    puts = [call.body or {} for call in patient.amazon.calls_of("PUT")]
    assert len(puts) == 2
    assert {body["trigger"]["timeZoneId"] for body in puts} == {"Europe/Amsterdam"}
    assert len(patient.amazon.calls_of("POST")) == 2
    calls = len(patient.amazon.calls)
    patient.launch()  # nothing owed now: no call at all
    assert len(patient.amazon.calls) == calls


def test_stopping_asks_then_deletes_each_at_amazon_and_here(patient: Patient, app: Flask) -> None:
    patient.say("SetRemindersIntent")
    tokens = set(stored(app).values())
    # One is gone at Amazon already (deleted in the Alexa app): a 404 counts as gone.
    gone = sorted(tokens)[0]
    patient.amazon.local.handle("DELETE", f"/v1/alerts/reminders/{gone}", patient.amazon.api_token)
    ask = patient.say("CancelRemindersIntent")
    assert ask.speech == "Stop all your reminders?"
    assert patient.amazon.calls_of("DELETE") == []
    done = patient.say("AMAZON.YesIntent")
    assert done.speech == "Done, I won't remind you any more. Anything else?"
    deleted = {call.path.rsplit("/", 1)[1] for call in patient.amazon.calls_of("DELETE")}
    assert deleted == tokens
    assert patient.amazon.reminders() == []
    assert stored(app) == {}
    calls = len(patient.amazon.calls)
    patient.launch()  # stopped: nothing is set again
    assert len(patient.amazon.calls) == calls


def test_listing_says_when_they_come_or_offers_them(patient: Patient) -> None:
    none = patient.say("ListRemindersIntent")
    assert none.speech == "You have no reminders. Shall I set them?"
    yes = patient.say("AMAZON.YesIntent")
    assert yes.speech.startswith(
        "Done. I'll remind you every day, every hour from 8 AM, the last at 9 PM"
    )
    listed = patient.say("ListRemindersIntent")
    assert listed.speech == (
        "You have reminders every hour from 8 AM, the last at 9 PM, with knee lifts and bridges "
        "at 9 AM, 2 PM, and 7 PM. Anything else?"
    )


@pytest.mark.parametrize("status", [403, 429, 500, 503, TIMEOUT])
def test_a_fault_is_answered_kindly_and_the_next_launch_sets_the_rest(
    patient: Patient, app: Flask, status: int | str
) -> None:
    # Nothing is kept that Amazon did not create: the first POST works, the second fails.
    patient.amazon.fail(status, method="POST", after=1)
    started = time.monotonic()
    reply = patient.say("SetRemindersIntent")
    elapsed = time.monotonic() - started
    assert reply.speech == (
        "I couldn't reach Alexa's reminders just now; I'll try again next time you open Spine "
        "Coach. Anything else?"
    )
    assert elapsed < 3.0  # one call timed out at most (1.5 s), none after it
    assert len(patient.amazon.reminders()) == 1
    assert set(stored(app).values()) == at_amazon(patient)
    patient.launch()
    assert len(patient.amazon.reminders()) == 2
    assert set(stored(app).values()) == at_amazon(patient)
    assert len(patient.amazon.calls_of("POST")) == 3  # the two that failed or worked, then one


def test_a_revoked_permission_at_amazon_brings_the_permission_ask(
    patient: Patient, app: Flask
) -> None:
    patient.amazon.fail(401, method="POST")
    reply = patient.say("SetRemindersIntent")
    assert reply.speech == "To remind you, I need your permission."
    ask = reply.directive("Connections.SendRequest")
    assert ask is not None
    assert ask["name"] == "AskFor"
    assert stored(app) == {}


def test_without_the_permission_alexa_is_asked_and_an_accept_creates_them(
    patient: Patient, app: Flask
) -> None:
    patient.granted = ()
    reply = patient.say("SetRemindersIntent")
    assert reply.speech == "To remind you, I need your permission."
    assert reply.directive("Connections.SendRequest") == {
        "type": "Connections.SendRequest",
        "name": "AskFor",
        "payload": {
            "@type": "AskForPermissionsConsentRequest",
            "@version": "2",
            "permissionScopes": [
                {"permissionScope": envelopes.REMINDERS_SCOPE, "consentLevel": "ACCOUNT"}
            ],
        },
        "token": "reminders",
    }
    assert "shouldEndSession" not in reply.response
    assert not reply.reprompt
    assert patient.amazon.calls == []
    patient.granted = (envelopes.REMINDERS_SCOPE,)
    accepted = patient.answer_permission("ACCEPTED")
    assert accepted.speech.startswith("Done. I'll remind you every day, every hour")
    assert len(patient.amazon.reminders()) == 2


@pytest.mark.parametrize("status", ["DENIED", "NOT_ANSWERED"])
def test_a_no_to_the_permission_is_not_asked_again_for_seven_days(
    patient: Patient, status: str
) -> None:
    patient.granted = ()
    patient.say("SetRemindersIntent")
    no = patient.answer_permission(status)
    assert no.speech == "All right, no reminders for now. Anything else?"
    patient.advance(days=6)
    again = patient.say("SetRemindersIntent")
    assert again.directive("Connections.SendRequest") is None
    assert again.speech.startswith("To allow reminders, open the Alexa app")
    card = again.response["card"]
    assert card == {
        "type": "AskForPermissionsConsent",
        "permissions": [envelopes.REMINDERS_SCOPE],
    }
    patient.advance(days=1)
    week_later = patient.say("SetRemindersIntent")
    assert week_later.directive("Connections.SendRequest") is not None


def test_where_alexa_cannot_ask_by_voice_the_card_is_sent(patient: Patient) -> None:
    patient.granted = ()
    patient.say("SetRemindersIntent")
    reply = patient.answer_permission("", code="400")
    assert reply.speech.startswith("To allow reminders, open the Alexa app")
    assert reply.response["card"]["type"] == "AskForPermissionsConsent"


def test_a_fired_reminder_is_recorded_once(patient: Patient, app: Flask) -> None:
    patient.say("SetRemindersIntent")
    token = stored(app)["knee_presses"]
    event = envelopes.reminder_event(
        "ReminderStarted", at=patient.at, alert_tokens=(token,), **patient.options()
    )
    patient.event(event)
    replayed = {**event, "request": {**event["request"], "requestId": "amzn1.echo-api.request.x"}}
    patient.event(replayed)
    engine: Engine = app.extensions[EXTENSION].engine
    with engine.connect() as connection:
        rows = connection.execute(select(REMINDER_PROMPTS)).mappings().all()
    assert [(row["alert_token"], row["slot_key"]) for row in rows] == [(token, "knee_presses")]


def test_an_unknown_reminder_firing_records_nothing(patient: Patient, app: Flask) -> None:
    patient.event(
        envelopes.reminder_event(
            "ReminderStarted", at=patient.at, alert_tokens=("not-ours",), **patient.options()
        )
    )
    engine: Engine = app.extensions[EXTENSION].engine
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(REMINDER_PROMPTS)) == 0


def test_a_reminder_deleted_in_the_alexa_app_is_forgotten_here(
    patient: Patient, app: Flask
) -> None:
    patient.say("SetRemindersIntent")
    token = stored(app)["knee_presses"]
    patient.event(
        envelopes.reminder_event(
            "ReminderDeleted", at=patient.at, alert_tokens=(token,), **patient.options()
        )
    )
    assert set(stored(app)) == {ALL_THREE}


def test_a_permission_taken_back_asks_again_and_given_back_updates_rather_than_doubles(
    patient: Patient, app: Flask
) -> None:
    patient.say("SetRemindersIntent")
    tokens = at_amazon(patient)
    patient.event(
        envelopes.permission_event(
            "SkillPermissionChanged", at=patient.at, accepted=(), **patient.options()
        )
    )
    patient.granted = ()
    listed = patient.say("ListRemindersIntent")
    assert listed.speech.startswith("You have no reminders.")
    again = patient.say("SetRemindersIntent")
    assert again.directive("Connections.SendRequest") is not None
    # Given again: what Amazon still holds is updated (PUT), nothing is set beside it.
    patient.granted = (envelopes.REMINDERS_SCOPE,)
    posts_before = len(patient.amazon.calls_of("POST"))
    patient.say("SetRemindersIntent")
    assert len(patient.amazon.calls_of("POST")) == posts_before
    assert len(patient.amazon.calls_of("PUT")) == len(tokens)
    assert at_amazon(patient) == tokens
    assert set(stored(app).values()) == tokens


def test_a_permission_change_keeping_the_scope_changes_nothing(
    patient: Patient, app: Flask
) -> None:
    patient.say("SetRemindersIntent")
    before = stored(app)
    patient.event(
        envelopes.permission_event(
            "SkillPermissionChanged",
            at=patient.at,
            accepted=(envelopes.REMINDERS_SCOPE,),
            **patient.options(),
        )
    )
    assert stored(app) == before


def test_deleting_the_patients_data_deletes_their_reminders_at_amazon(
    patient: Patient, app: Flask
) -> None:
    patient.say("SetRemindersIntent")
    tokens = set(stored(app).values())
    patient.say("DeleteMyDataIntent")
    patient.say("AMAZON.YesIntent")
    assert {call.path.rsplit("/", 1)[1] for call in patient.amazon.calls_of("DELETE")} == tokens
    assert patient.amazon.reminders() == []
    assert stored(app) == {}


def test_the_window_said_becomes_the_patients_own_waking_hours(
    patient: Patient, engine: Engine
) -> None:
    patient.say("SetRemindersIntent", start="09:00", end="21:00")
    record = PatientStore(engine).get(USER)
    assert record is not None
    assert record.waking_hours == WakingHours(start=dt_time(9), end=dt_time(21))
    # Amazon was asked for the new window at once: hourly from 9 until 20.
    hours = sorted(hour for hours in by_hours(posted(patient)) for hour in hours)
    assert hours == list(range(9, 21))


def test_deleting_at_amazon_is_best_effort_when_amazon_fails(patient: Patient, app: Flask) -> None:
    patient.say("SetRemindersIntent")
    patient.amazon.fail(503, method="DELETE")
    patient.say("DeleteMyDataIntent")
    done = patient.say("AMAZON.YesIntent")
    assert done.speech == "Done. I've deleted everything I kept about you. Take care."
    assert len(patient.amazon.calls_of("DELETE")) == 1  # no call after the first fault
    assert stored(app) == {}


def test_the_patients_own_waking_hours_set_the_days_targets(patient: Patient) -> None:
    before = patient.say("ProgressTodayIntent")
    assert "knee presses, 0 of 14" in before.speech  # the plan's 8 to 22
    patient.say("SetRemindersIntent", start="09:00", end="21:00")
    after = patient.say("ProgressTodayIntent")
    assert "knee presses, 0 of 12" in after.speech  # their own 9 to 21


def test_two_set_ups_at_once_create_each_slot_once(patient: Patient, app: Flask) -> None:
    # Two devices ask at the same moment: each slot is claimed by one request, the other skips it.
    other = Patient(app.test_client(), patient.amazon, device_id=patient.device_id)
    start = threading.Barrier(2)
    replies: list[str] = []

    def set_up(who: Patient) -> None:
        start.wait()
        replies.append(who.say("SetRemindersIntent").speech)

    threads = [threading.Thread(target=set_up, args=(who,)) for who in (patient, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(replies) == 2
    assert len(patient.amazon.reminders()) == 2
    assert set(stored(app)) == {"knee_presses", ALL_THREE}
    assert set(stored(app).values()) == at_amazon(patient)
    assert len(patient.amazon.calls_of("POST")) == 2


def test_a_post_that_timed_out_after_amazon_created_it_leaves_no_orphan(
    patient: Patient, app: Flask
) -> None:
    patient.amazon.fail(TIMEOUT_AFTER_DOING, method="POST")
    reply = patient.say("SetRemindersIntent")
    assert reply.speech.startswith("I couldn't reach Alexa's reminders just now")
    assert len(patient.amazon.reminders()) == 1  # created at Amazon, unknown here
    assert stored(app) == {}
    patient.launch()
    # The launch listed what Amazon holds: the one created is adopted or deleted, never doubled.
    assert len(patient.amazon.reminders()) == 2
    assert set(stored(app).values()) == at_amazon(patient)
    assert patient.amazon.calls_of("GET")


def test_a_reminder_amazon_holds_that_is_not_stored_is_deleted_when_unsure(
    patient: Patient, app: Flask
) -> None:
    patient.say("SetRemindersIntent")
    # One Amazon holds that matches no slot (left by an earlier fault), and a fault marks unsure.
    stray = patient.amazon.local.handle(
        "POST",
        "/v1/alerts/reminders",
        patient.amazon.api_token,
        patient.amazon.calls_of("POST")[0].body,
    )[1]["alertToken"]
    engine = app.extensions[EXTENSION].engine
    PatientStore(engine).save_reminders(USER, synced=None)
    patient.launch()
    assert stray not in at_amazon(patient)
    assert len(patient.amazon.reminders()) == 2
    assert set(stored(app).values()) == at_amazon(patient)


def test_a_half_past_window_is_announced_as_stored_and_not_moved_on_the_next_launch(
    patient: Patient, app: Flask
) -> None:
    reply = patient.say("SetRemindersIntent", start="09:30", end="21:00")
    # Kept as whole hours, 10 to 21: what is said and created is that window's.
    engine = app.extensions[EXTENSION].engine
    kept = PatientStore(engine).get(USER)
    assert kept is not None
    assert kept.waking_hours == WakingHours(start=dt_time(10), end=dt_time(21))
    said = reply.speech
    assert "every hour from 10 AM, the last at 8 PM" in said
    hours_at_amazon = {
        tuple(sorted(int(rule.split("BYHOUR=")[1].split(";")[0]) for rule in rules_of))
        for rules_of in (
            reminder.request["trigger"]["recurrence"]["recurrenceRules"]
            for reminder in patient.amazon.reminders()
        )
    }
    daily = next(hours for hours in hours_at_amazon if len(hours) == 3)
    assert said.endswith(
        "at "
        + ", ".join(
            f"{hour - 12 if hour > 12 else hour} {'PM' if hour >= 12 else 'AM'}"
            for hour in daily[:-1]
        )
        + f", and {daily[-1] - 12} PM. Anything else?"
    )
    calls = len(patient.amazon.calls)
    patient.launch()
    assert len(patient.amazon.calls) == calls  # nothing owed: the times did not move


def test_a_401_right_after_the_patient_accepted_does_not_ask_again(
    patient: Patient, app: Flask
) -> None:
    patient.granted = ()
    patient.say("SetRemindersIntent")
    patient.granted = (envelopes.REMINDERS_SCOPE,)
    patient.amazon.fail(401, method="POST")
    accepted = patient.answer_permission("ACCEPTED")
    # No second hand-over to Alexa (a loop): the apology, and the session stays open.
    assert accepted.directive("Connections.SendRequest") is None
    assert accepted.speech == (
        "I couldn't reach Alexa's reminders just now; I'll try again next time you open Spine "
        "Coach. Anything else?"
    )
    assert stored(app) == {}


@pytest.mark.parametrize("status", [401, 503])
def test_stopping_that_amazon_refuses_keeps_the_tokens_and_a_later_launch_deletes_them(
    patient: Patient, app: Flask, status: int
) -> None:
    patient.say("SetRemindersIntent")
    tokens = set(stored(app).values())
    patient.say("CancelRemindersIntent")
    patient.amazon.fail(status, method="DELETE")
    if status == 401:
        patient.granted = ()  # the permission was taken back in the Alexa app
    failed = patient.say("AMAZON.YesIntent")
    assert failed.speech == (
        "I couldn't stop your reminders at Alexa just now; I'll try again next time you open "
        "Spine Coach. You can also delete them in the Alexa app. Anything else?"
    )
    # Amazon may still hold them: nothing is forgotten here.
    assert set(stored(app).values()) == tokens == at_amazon(patient)
    deletes = len(patient.amazon.calls_of("DELETE"))
    patient.launch()
    if status == 401:
        # Still without the permission: no call that can only be refused.
        assert len(patient.amazon.calls_of("DELETE")) == deletes
        patient.granted = (envelopes.REMINDERS_SCOPE,)
        patient.launch()
    assert patient.amazon.reminders() == []
    assert stored(app) == {}


def test_a_slow_amazon_holds_a_request_about_3_seconds_at_most_and_the_launch_sets_the_rest(
    patient: Patient, app: Flask
) -> None:
    # Each call takes 1.2 s (within the 1.5 s timeout): the list, then one POST; the next
    # would start 2.4 s in, past the 1.5 s within which calls may start.
    patient.amazon.delay = 1.2
    started = time.monotonic()
    reply = patient.say("SetRemindersIntent")
    elapsed = time.monotonic() - started
    assert elapsed < 3.0
    assert reply.speech.startswith("I couldn't reach Alexa's reminders just now")
    assert [call.method for call in patient.amazon.calls] == ["GET", "POST"]
    assert len(patient.amazon.reminders()) == 1
    assert set(stored(app).values()) == at_amazon(patient)
    patient.amazon.delay = 0.0
    patient.launch()
    assert len(patient.amazon.reminders()) == 2
    assert set(stored(app).values()) == at_amazon(patient)
