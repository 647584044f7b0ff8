"""Every handler, through real HTTP requests to /alexa, as multi-turn dialogs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from flask.testing import FlaskClient

from skill.content.plan import load_plan
from skill.devtools import envelopes
from skill.devtools.dialog import AlexaReply, Dialog
from skill.devtools.envelopes import slot
from tests.conftest import NOW

# Reads calendar dates: `make test` runs it again with the clock moved years ahead.
pytestmark = pytest.mark.date_sensitive

# NOW is 10:00 on Friday 20 November 2026 in New York, the device's zone.
TODAY = date(2026, 11, 20)
SURGERY = date(2026, 10, 21)  # a Wednesday: 4 weeks and 2 days before TODAY
PLAN = load_plan()


def words(reply: AlexaReply) -> int:
    """How many words the answer has before its final question."""
    text = reply.speech
    if reply.reprompt and "?" in text:
        text = text[: text.rstrip("?").rfind(".") + 1] or text
    return len(text.split())


def set_surgery_date(dialog: Dialog, day: date = SURGERY) -> AlexaReply:
    dialog.launch()
    dialog.say("SetSurgeryDateIntent", surgeryDate=day.isoformat())
    return dialog.say("AMAZON.YesIntent")


def activity(value: str, activity_id: str | None) -> dict[str, object]:
    return slot("activity", value, resolved_id=activity_id if activity_id else "")


def assert_asks(reply: AlexaReply) -> None:
    """A response that keeps the session open must ask a question and carry a reprompt."""
    assert not reply.ends_session
    assert reply.speech.endswith("?")
    assert reply.reprompt


def test_first_launch_gives_the_disclaimer_and_asks_for_the_surgery_date(dialog: Dialog) -> None:
    reply = dialog.launch()
    assert "don't replace your care team" in reply.speech
    assert reply.speech.endswith("When was your surgery?")
    assert reply.reprompt == "Your surgery date?"
    assert_asks(reply)


def test_surgery_date_is_confirmed_then_stored(dialog: Dialog) -> None:
    dialog.launch()
    confirm = dialog.say("SetSurgeryDateIntent", surgeryDate="2026-10-21")
    assert confirm.speech == "So your surgery was on Wednesday, October 21. Is that right?"
    assert_asks(confirm)
    saved = dialog.say("AMAZON.YesIntent")
    assert saved.speech.startswith("Got it, Wednesday, October 21.")
    assert "It's been 4 weeks and 2 days since your surgery." in saved.speech
    assert "static stabilization" in saved.speech
    assert_asks(saved)
    # A new session knows the date: the returning greeting.
    dialog.advance(days=1)
    again = dialog.launch()
    # Where the patient is, then the one exercise due now (10:00: the hourly knee presses).
    assert again.speech == (
        "Welcome back. You're in static stabilization. Shall we do your knee presses now?"
    )
    assert again.reprompt == "Your knee presses now?"
    assert_asks(again)


def test_a_returning_launch_with_nothing_due_asks_what_they_would_like(dialog: Dialog) -> None:
    set_surgery_date(dialog)
    dialog.advance(hours=-4)  # 06:00 in New York: before the day's first sets are due
    offer = dialog.launch()  # the first such launch offers reminders, once (test_reminders.py)
    assert offer.session_attributes["pending"] == {"kind": "reminders_offer"}
    dialog.end_session()
    reply = dialog.launch()
    assert reply.speech == (
        "Welcome back. You're in static stabilization. What would you like to know?"
    )
    assert reply.reprompt == "What would you like?"
    assert "pending" not in reply.session_attributes


def test_yes_to_the_launch_offer_starts_the_exercise_due_now(dialog: Dialog) -> None:
    set_surgery_date(dialog)
    dialog.advance(hours=1)
    offer = dialog.launch()
    assert offer.session_attributes["pending"] == {
        "kind": "start",
        "exercise": "knee_presses",
        "up_next": ["knee_lifts", "bridges"],
    }
    started = dialog.say("AMAZON.YesIntent")
    assert "knee presses" in started.speech


def test_a_returning_launch_in_full_adds_the_time_and_the_days_exercises(dialog: Dialog) -> None:
    set_surgery_date(dialog)
    dialog.say("MoreDetailIntent")
    reply = dialog.launch()
    assert reply.speech == (
        "Welcome back. It's been 4 weeks and 2 days since your surgery. You're in static "
        "stabilization. Today's exercises are knee presses, knee lifts, and bridges. "
        "Shall we do your knee presses now?"
    )


def test_saying_no_to_the_confirmation_stores_nothing_and_asks_again(dialog: Dialog) -> None:
    dialog.launch()
    dialog.say("SetSurgeryDateIntent", surgeryDate="2026-10-21")
    reply = dialog.say("AMAZON.NoIntent")
    assert reply.speech == "Okay, let's try again. When was your surgery?"
    assert_asks(reply)
    assert dialog.say("CurrentPhaseIntent").speech.startswith("First, I need your surgery date.")


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("2026-W45", "I need the exact day. When was your surgery?"),
        ("2026-W45-WE", "I need the exact day."),
        ("2026-11", "I need the exact day."),
        ("2026", "I need the exact day."),
        ("202X", "I need the exact day."),
        ("2026-FA", "I need the exact day."),
        ("2026-12-01", "That date is still to come. When was your surgery?"),
        ("2024-11-19", "That's more than two years ago"),
        ("not-a-date", "Sorry, I didn't catch the date. You can say a date, like November third"),
    ],
)
def test_a_date_that_is_not_one_past_day_is_asked_again(
    dialog: Dialog, value: str, said: str
) -> None:
    dialog.launch()
    reply = dialog.say("SetSurgeryDateIntent", surgeryDate=value)
    assert reply.speech.startswith(said)
    assert reply.speech.endswith("When was your surgery?")
    assert reply.session_attributes["pending"] == {"kind": "surgery_date"}  # nothing to confirm
    assert_asks(reply)


@pytest.mark.parametrize(
    ("slots", "confirmed"),
    [
        ({"surgeryDate": "XXXX-10-21"}, "Wednesday, October 21"),
        ({"surgeryDate": "XXXX-12-24"}, "Wednesday, December 24"),  # last year's
        ({"surgeryDate": "PRESENT_REF"}, "Friday, November 20"),
        ({"surgeryAgo": "P3W"}, "Friday, October 30"),
        ({"surgeryAgo": "P10D"}, "Tuesday, November 10"),
    ],
)
def test_partial_and_relative_dates_resolve_to_a_past_day(
    dialog: Dialog, slots: dict[str, str], confirmed: str
) -> None:
    dialog.launch()
    reply = dialog.say("SetSurgeryDateIntent", **slots)
    assert reply.speech == f"So your surgery was on {confirmed}. Is that right?"


def test_set_surgery_date_without_a_value_asks_for_it(dialog: Dialog) -> None:
    dialog.launch()
    reply = dialog.say("SetSurgeryDateIntent")
    assert reply.speech == "When was your surgery?"
    assert_asks(reply)


def test_anything_else_while_asked_for_the_date_asks_again(dialog: Dialog) -> None:
    dialog.launch()
    reply = dialog.say("AMAZON.FallbackIntent")
    assert reply.speech == (
        "Sorry, I didn't catch the date. You can say a date, like November third, or how long ago "
        "it was. When was your surgery?"
    )


def test_current_phase_needs_the_surgery_date_first(dialog: Dialog) -> None:
    dialog.launch()
    reply = dialog.say("CurrentPhaseIntent")
    assert reply.speech == "First, I need your surgery date. When was your surgery?"
    assert_asks(reply)


@pytest.mark.parametrize(
    ("days_after_surgery", "phase"),
    [
        (0, "the first days after surgery"),
        (6, "the first days after surgery"),
        (7, "static stabilization"),
        (41, "static stabilization"),
        (42, "dynamic stabilization"),
        (83, "dynamic stabilization"),
        (84, "low-impact aerobic exercise"),
        (111, "low-impact aerobic exercise"),
        (112, "core strengthening"),
        (400, "core strengthening"),
    ],
)
def test_current_phase_at_each_boundary(
    dialog: Dialog, days_after_surgery: int, phase: str
) -> None:
    set_surgery_date(dialog, TODAY - timedelta(days=days_after_surgery))
    reply = dialog.say("CurrentPhaseIntent")
    assert reply.speech.startswith(f"You're in {phase}.")  # the headline first
    assert reply.speech.endswith("Want to hear what's next?")
    assert_asks(reply)
    dialog.say("MoreDetailIntent")
    full = dialog.say("CurrentPhaseIntent")
    # In full, the time since surgery comes first (and a longer summary where the plan has one).
    assert full.speech.endswith(
        f"You're in {phase}. {summary(phase, full=True)} Want to hear what's next?"
    )
    assert full.speech.startswith(("It's been", "Your surgery was today."))


def summary(phase_name: str, *, full: bool = False) -> str:
    """The plan's summary of the phase with this name (the full one, where it has one)."""
    phase = next(each for each in PLAN.phases if each.name["en-US"] == phase_name)
    text = phase.summary_full if full and phase.summary_full else phase.summary
    return text["en-US"]


def test_the_phase_is_its_name_and_one_line(dialog: Dialog) -> None:
    set_surgery_date(dialog)
    reply = dialog.say("CurrentPhaseIntent")
    assert reply.speech == (
        f"You're in static stabilization. {summary('static stabilization')} "
        "Want to hear what's next?"
    )
    assert reply.reprompt == "Want to hear what's next?"


def test_phase_then_yes_tells_the_next_milestone_then_the_one_after(dialog: Dialog) -> None:
    set_surgery_date(dialog)
    dialog.say("CurrentPhaseIntent")
    first = dialog.say("AMAZON.YesIntent")
    assert first.speech.startswith("From Wednesday, December 2, you can start driving, cycling")
    assert first.speech.endswith("Want to hear the one after that?")
    second = dialog.say("AMAZON.YesIntent")
    assert second.speech.startswith("From Wednesday, December 2, you can start adding trunk")
    third = dialog.say("AMAZON.YesIntent")
    assert third.speech.startswith("From Wednesday, January 13, once your flexibility")
    fourth = dialog.say("AMAZON.YesIntent")
    assert fourth.speech.startswith("From Wednesday, February 10, you can usually")
    assert fourth.speech.endswith("Anything else?")
    # Nothing is offered any more: a yes now asks what they would like.
    assert dialog.say("AMAZON.YesIntent").speech.endswith("What would you like?")


def test_milestones_when_all_are_reached(dialog: Dialog) -> None:
    set_surgery_date(dialog, TODAY - timedelta(weeks=20))
    reply = dialog.say("MilestonesIntent")
    assert reply.speech.startswith("Your plan has no more milestones.")
    assert_asks(reply)


@pytest.mark.parametrize(
    ("value", "activity_id", "answer"),
    [
        ("drive", "drive", "Not yet. From Wednesday, December 2, if your legs"),
        ("cycling", "cycle", "Not yet. From Wednesday, December 2,"),
        ("go back to work", "work", "Not yet. Often from Wednesday, December 2,"),
        ("swimming", "swim", "Not yet. Swimming comes once your flexibility and strength"),
        ("stationary bike", "stationary_bike", "Not yet. A stationary bike usually comes"),
        ("walking", "walk", "Yes, walk often, and a little further each day."),
        ("sitting", "sit", "Yes, if it doesn't cause too much pain."),
        ("smoke", "smoke", "No. Smoking slows bone healing"),
        ("running", "run", "Only once your doctor says so."),
        ("bend over", "bend", "Move your back gently, but don't bend"),
    ],
)
def test_activity_answers_come_from_the_plan_for_this_week(
    dialog: Dialog, value: str, activity_id: str, answer: str
) -> None:
    set_surgery_date(dialog)
    reply = dialog.say("ActivityCheckIntent", activity=activity(value, activity_id))
    assert reply.speech.startswith(answer)
    assert reply.speech.endswith("Anything else?")
    assert words(reply) <= 35
    assert_asks(reply)


def test_driving_is_allowed_from_the_first_day_of_week_six(dialog: Dialog) -> None:
    set_surgery_date(dialog, TODAY - timedelta(weeks=6))
    reply = dialog.say("ActivityCheckIntent", activity=activity("drive", "drive"))
    assert reply.speech.startswith("Yes, if your legs and back have good feeling and strength.")
    dialog.launch()
    dialog.say("SetSurgeryDateIntent", surgeryDate=(TODAY - timedelta(days=41)).isoformat())
    dialog.say("AMAZON.YesIntent")
    reply = dialog.say("ActivityCheckIntent", activity=activity("drive", "drive"))
    assert reply.speech.startswith("Not yet. From Saturday, November 21,")


def test_can_i_drive_gives_the_answer_first_and_the_week_in_full(dialog: Dialog) -> None:
    set_surgery_date(dialog)
    brief = dialog.say("ActivityCheckIntent", activity=activity("drive", "drive"))
    assert brief.speech == (
        "Not yet. From Wednesday, December 2, if your legs and back have good feeling and "
        "strength. Anything else?"
    )
    dialog.say("MoreDetailIntent")
    full = dialog.say("ActivityCheckIntent", activity=activity("drive", "drive"))
    assert full.speech == (
        "Not yet. From week 6, that's Wednesday, December 2, if your legs and back have good "
        "feeling and strength. Anything else?"
    )


@pytest.mark.parametrize(
    ("value", "activity_id"),
    [("lifting", "lift"), ("take a flight", "fly"), ("skydiving", None)],
)
def test_an_activity_without_guidance_gets_an_honest_answer_and_a_contact(
    dialog: Dialog, value: str, activity_id: str | None
) -> None:
    set_surgery_date(dialog)
    reply = dialog.say("ActivityCheckIntent", activity=activity(value, activity_id))
    assert reply.speech.startswith("I don't have guidance on that in your plan.")
    assert "the Physical Therapy department, on 088 979 23 23" in reply.speech
    assert '<say-as interpret-as="telephone">088 979 23 23</say-as>' in reply.ssml


def test_an_activity_allowed_from_the_start_needs_no_surgery_date(dialog: Dialog) -> None:
    dialog.launch()
    reply = dialog.say("ActivityCheckIntent", activity=activity("walking", "walk"))
    assert reply.speech.startswith("Yes, walk often")


def test_a_gated_activity_without_a_surgery_date_asks_for_it(dialog: Dialog) -> None:
    dialog.launch()
    reply = dialog.say("ActivityCheckIntent", activity=activity("drive", "drive"))
    assert reply.speech == "First, I need your surgery date. When was your surgery?"


def test_activity_check_without_an_activity_asks_which(dialog: Dialog) -> None:
    set_surgery_date(dialog)
    reply = dialog.say("ActivityCheckIntent")
    assert reply.speech == "Which activity do you want to check, like driving or walking?"
    assert reply.response["directives"] == [
        {"type": "Dialog.ElicitSlot", "slotToElicit": "activity"}
    ]
    assert_asks(reply)
    answer = dialog.say("ActivityCheckIntent", activity=activity("driving", "drive"))
    assert answer.speech.startswith("Not yet. From Wednesday, December 2")


def test_today_exercises_are_what_is_due_now_and_the_first_is_offered(dialog: Dialog) -> None:
    set_surgery_date(dialog)
    # 10:00: the hourly knee presses' sets of 8, 9 and 10 o'clock are due, one of each other.
    reply = dialog.say("TodayExercisesIntent")
    assert reply.speech == (
        "Due now: 3 sets of knee presses, 10 knee lifts, and 10 bridges. "
        "Shall we do your knee presses now?"
    )
    assert reply.session_attributes["pending"] == {
        "kind": "start",
        "exercise": "knee_presses",
        "up_next": ["knee_lifts", "bridges"],
    }
    started = dialog.say("AMAZON.YesIntent")
    assert "knee presses" in started.speech


def test_today_exercises_done_so_far_are_not_said_again(dialog: Dialog) -> None:
    set_surgery_date(dialog)
    for _ in range(3):
        dialog.say(
            "LogExerciseIntent",
            exercise=slot(
                "exercise", "knee presses", resolved_id="knee_presses", authority="EXERCISE"
            ),
        )
    reply = dialog.say("TodayExercisesIntent")
    assert reply.speech.startswith("Due now: 10 knee lifts and 10 bridges. ")
    assert "knee presses" not in reply.speech.split(".")[0]


def test_before_the_waking_day_nothing_is_due_yet(dialog: Dialog) -> None:
    set_surgery_date(dialog)
    dialog.at = datetime(2026, 11, 20, 11, 30, tzinfo=UTC)  # 06:30 in New York
    reply = dialog.say("TodayExercisesIntent")
    assert reply.speech == (
        "Nothing is due right now. 20 sets are left for later today. Anything else?"
    )


def test_contact_names_the_one_to_call_and_offers_the_other(dialog: Dialog) -> None:
    dialog.launch()
    reply = dialog.say("ContactIntent")
    assert reply.speech == (
        "Call the Physical Therapy department on 088 979 23 23. "
        "Want the number for the Neurosurgery department too?"
    )
    assert reply.ssml.count('interpret-as="telephone"') == 1
    other = dialog.say("AMAZON.YesIntent")
    assert other.speech == (
        "Call the Neurosurgery department on 088 979 43 65. Want me to repeat that?"
    )
    again = dialog.say("AMAZON.YesIntent")
    assert again.ssml == other.ssml


def test_contact_about_pain_is_the_one_the_pain_rule_names(dialog: Dialog) -> None:
    dialog.launch()
    reply = dialog.say(
        "ContactIntent",
        topic=slot("topic", "my pain", resolved_id="pain", authority="CONTACT_TOPIC"),
    )
    assert reply.speech.startswith("Call the Neurosurgery department on 088 979 43 65. ")
    assert reply.speech.endswith("Want the number for the Physical Therapy department too?")
    declined = dialog.say("AMAZON.NoIntent")
    assert declined.speech == "Anything else?"
    assert not declined.ends_session


@pytest.mark.parametrize(
    "intent",
    ["AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.NavigateHomeIntent", "AMAZON.NoIntent"],
)
def test_stop_cancel_home_and_no_say_goodbye_and_end(dialog: Dialog, intent: str) -> None:
    dialog.launch()
    reply = dialog.say(intent)
    assert reply.speech == "Take care, and rest well."
    assert reply.ends_session
    assert not reply.reprompt


def test_help_lists_what_to_ask(dialog: Dialog) -> None:
    dialog.launch()
    reply = dialog.say("AMAZON.HelpIntent")
    assert reply.speech == (
        "You can say: start my exercises, what phase am I in, or who do I call. "
        "What would you like?"
    )
    assert reply.reprompt == "What would you like?"
    assert_asks(reply)


def test_repeat_says_the_last_answer_again(dialog: Dialog) -> None:
    set_surgery_date(dialog)
    phase = dialog.say("CurrentPhaseIntent")
    again = dialog.say("AMAZON.RepeatIntent")
    assert again.ssml == phase.ssml
    assert again.reprompt == phase.reprompt


def test_repeat_with_nothing_said_yet(dialog: Dialog) -> None:
    reply = dialog.say("AMAZON.RepeatIntent")
    assert reply.speech.startswith("There's nothing to repeat yet.")
    assert_asks(reply)


def test_yes_with_nothing_offered_asks_what_they_would_like(dialog: Dialog) -> None:
    dialog.launch()
    dialog.say("AMAZON.HelpIntent")
    reply = dialog.say("AMAZON.YesIntent")
    assert reply.speech.endswith("What would you like?")


@pytest.mark.parametrize("intent", ["AMAZON.FallbackIntent", "SomeIntentThisSkillLacks"])
def test_fallback_and_unknown_intents_get_a_helpful_answer(dialog: Dialog, intent: str) -> None:
    set_surgery_date(dialog)
    reply = dialog.say(intent)
    assert reply.speech.startswith("Sorry, I can't help with that.")
    assert_asks(reply)


def test_session_ended_says_nothing(dialog: Dialog) -> None:
    dialog.launch()
    reply = dialog.end_session()
    assert reply.response == {}


def test_a_stale_offer_is_not_accepted_later(dialog: Dialog) -> None:
    set_surgery_date(dialog)
    dialog.say("CurrentPhaseIntent")  # offers the next milestone
    dialog.say("ActivityCheckIntent", activity=activity("walking", "walk"))  # withdraws it
    reply = dialog.say("AMAZON.YesIntent")
    assert reply.speech.endswith("What would you like?")


@pytest.mark.parametrize(
    "pending",
    [
        {"kind": "confirm_surgery_date", "day": "2026-13-45"},
        {"kind": "confirm_delete", "forged": True},
        "confirm_delete",
    ],
)
def test_a_question_the_skill_never_asked_is_not_answered(
    client: FlaskClient, pending: object
) -> None:
    """A tampered or stale session value is dropped: 'yes' gets the ordinary answer."""
    body = envelopes.intent("AMAZON.YesIntent", at=NOW, session_attributes={"pending": pending})
    reply = client.post("/alexa", json=body).get_json()
    speech = reply["response"]["outputSpeech"]["ssml"]
    assert speech.endswith("What would you like?</speak>")
    assert "pending" not in reply.get("sessionAttributes", {})


def test_the_day_is_the_devices_day_not_utc(dialog: Dialog) -> None:
    # 03:00 UTC on 21 November is still 20 November, 22:00, in New York.
    dialog.at = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
    saved = set_surgery_date(dialog, date(2026, 11, 20))
    assert saved.speech.startswith("Got it, Friday, November 20. Your surgery was today.")
    reply = dialog.say("CurrentPhaseIntent")
    assert reply.speech.startswith("You're in the first days after surgery.")


def test_every_answer_is_short_before_its_question(dialog: Dialog) -> None:
    set_surgery_date(dialog)
    replies = [
        dialog.launch(),
        dialog.say("CurrentPhaseIntent"),
        dialog.say("AMAZON.YesIntent"),
        dialog.say("MilestonesIntent"),
        dialog.say("ContactIntent"),
        dialog.say("TodayExercisesIntent"),
    ]
    for reply in replies:
        assert words(reply) <= 40, reply.speech
        assert len(reply.ssml) < 8000


def test_a_conversation_on_postgresql(postgres_url: str, alexa_api: object) -> None:
    from skill import create_app
    from skill.alexa.endpoint import EXTENSION

    app = create_app({"DATABASE_URL": postgres_url, "VERIFY_REQUESTS": False})
    dialog = Dialog(app.test_client(), at=datetime(2026, 11, 20, 15, 0, tzinfo=UTC))
    set_surgery_date(dialog)
    dialog.advance(days=12)
    reply = dialog.launch()
    assert reply.speech.startswith("Welcome back. You're in dynamic stabilization.")
    app.extensions[EXTENSION].engine.dispose()
