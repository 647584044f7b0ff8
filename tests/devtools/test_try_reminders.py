"""/try end to end with reminders (issue 18, "Done when"): a new patient asks to be reminded,
allows it with the page's button, hears them listed, sees them go off on the virtual clock,
moves the day's window and stops them; the skill hears every reminder that went off."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Flask

from skill.alexa.endpoint import EXTENSION
from skill.store.reminders import ReminderStore
from tests.conftest import NOW
from tests.devtools.test_try_site import Browser


def _listen_an_hour(browser: Browser) -> dict[str, Any]:
    return browser.act("/try/listen", {"seconds": 3600})


def test_a_new_patient_is_reminded_on_the_virtual_clock(try_app: Flask) -> None:
    browser = Browser(try_app)  # NOW: Friday 20 November 2026, 15:00 UTC (the device's zone)
    browser.say("open spine coach")
    browser.say("my surgery was three weeks ago")
    browser.say("yes")
    assert _listen_an_hour(browser)["reminders"] == []  # none set yet

    asked = browser.say("remind me to do my exercises")
    assert asked["heard"]["intent"] == "SetRemindersIntent"
    assert "Connections.SendRequest" in asked["directives"]
    assert asked["alexa_asks"] == (
        "Do you give Spine Coach permission to set reminders? You can say 'I approve' or 'no'."
    )
    assert asked["asking"] is True
    assert asked["ends_session"] is False  # Alexa answers in this session

    allowed = browser.act("/try/permission", {"allow": True})
    assert allowed["heard"]["request"] == "Connections.Response"
    assert allowed["heard"]["permission"] == "ACCEPTED"
    assert allowed["asking"] is False
    assert "every hour" in allowed["speech"]
    # Answered: the buttons do nothing more.
    again = browser.post("/try/permission", {"allow": True})
    assert again.status_code == 400
    assert "not asking" in again.get_json()["error"]

    listed = browser.say("what reminders do I have")
    assert listed["heard"]["intent"] == "ListRemindersIntent"
    assert "every hour from 8 AM, the last at 9 PM" in listed["speech"]

    hour = _listen_an_hour(browser)  # 16:00 UTC
    assert hour["reminders"] == [
        {"at": "2026-11-20T17:00:00+00:00", "time": "17:00", "text": "Time for knee presses"}
    ]
    assert hour["events"] == ["ReminderStarted"]
    assert hour["clock"] == "2026-11-20T17:00:00+00:00"
    store = ReminderStore(try_app.extensions[EXTENSION].engine)
    now = datetime.fromisoformat(hour["clock"])
    prompted = store.prompts(browser.user_id, NOW, now + timedelta(seconds=1))
    assert [at for _key, at in prompted] == [now]  # the skill recorded the prompt

    day = browser.act("/try/advance", {"days": 1})
    assert len(day["reminders"]) == 5
    assert day["more_reminders"] > 0
    assert [r["at"] for r in day["reminders"]] == sorted(r["at"] for r in day["reminders"])
    assert day["events"] == [f"ReminderStarted x{5 + day['more_reminders']}"]

    moved = browser.say("remind me from nine till nine")
    assert "from 9 AM, the last at 8 PM" in moved["speech"]
    morning = browser.act("/try/advance", {"days": 0.625})  # 17:00 to 08:00 the next day
    assert [(r["time"], r["text"]) for r in morning["reminders"]] == [
        ("18:00", "Time for your exercises"),  # lifts and bridges moved to 18:00
        ("19:00", "Time for knee presses"),
        ("20:00", "Time for knee presses"),  # the last of the new window: none at 21:00
    ]
    assert morning["more_reminders"] == 0

    stop = browser.say("stop reminding me")
    assert stop["heard"]["intent"] == "CancelRemindersIntent"
    stopped = browser.say("yes")
    assert "won't remind you" in stopped["speech"]
    assert _listen_an_hour(browser)["reminders"] == []
    assert browser.act("/try/advance", {"days": 1})["reminders"] == []


def test_saying_no_to_alexa_sets_no_reminders(try_app: Flask) -> None:
    browser = Browser(try_app)
    browser.say("open spine coach")
    browser.say("my surgery was three weeks ago")
    browser.say("yes")
    assert browser.say("remind me to do my exercises")["asking"] is True
    declined = browser.say("no")
    assert declined["heard"]["permission"] == "DENIED"
    assert declined["speech"]
    assert browser.act("/try/advance", {"days": 1})["reminders"] == []
