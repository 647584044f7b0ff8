"""Guided sets spoken in chunks (no AudioPlayer): start, go on, resume, pace, pain, log, gating.

Every conversation runs through real HTTP requests to /alexa, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from sqlalchemy import Engine

from skill import create_app
from skill.alexa.endpoint import EXTENSION
from skill.content.plan import DEFAULT_PLAN_PATH, Pace, RecoveryPlan, load_plan
from skill.content.strings import load_catalogue
from skill.devtools import envelopes
from skill.devtools.dialog import AlexaReply, Dialog
from skill.sets.script import build_script
from skill.store.exercise_log import Delivery, ExerciseLog, ExerciseSet, Outcome
from skill.store.patients import PatientStore
from tests.conftest import NOW

pytestmark = pytest.mark.both_databases

SURGERY = date(2026, 10, 21)  # 4 weeks and 2 days before NOW (10:00 in New York)
USER = envelopes.DEFAULT_USER
PLAN = load_plan()
STRINGS = load_catalogue().for_locale("en-US")
# A count is said on its own, then its pause: "6. <break …/>".
_COUNT = re.compile(r"(?<![\w,])(\d{1,2})\.\s*<break")


@pytest.fixture
def engine(app: Flask) -> Engine:
    engine: Engine = app.extensions[EXTENSION].engine
    return engine


@pytest.fixture
def exercise_log(engine: Engine) -> ExerciseLog:
    return ExerciseLog(engine)


@pytest.fixture
def patient(engine: Engine) -> None:
    """A patient whose surgery was on SURGERY."""
    PatientStore(engine).save_surgery_date(USER, SURGERY, locale="en-US")


def exercise(value: str, exercise_id: str | None = None) -> dict[str, Any]:
    """The `exercise` slot as Alexa resolves it (no id: said but not matched)."""
    return envelopes.slot("exercise", value, resolved_id=exercise_id or "", authority="EXERCISE")


def counts(reply: AlexaReply) -> list[int]:
    """The repetition counts spoken ('1.', '2.' …), in order."""
    return [int(number) for number in _COUNT.findall(reply.ssml)]


def assert_asks(reply: AlexaReply) -> None:
    assert not reply.ends_session
    assert reply.speech.endswith("?")
    assert reply.reprompt


def only_set(exercise_log: ExerciseLog, engine: Engine) -> ExerciseSet:
    """The one set the patient has (there must be exactly one)."""
    sets = all_sets(engine)
    assert len(sets) == 1, sets
    found = exercise_log.get(sets[0])
    assert found is not None
    return found


def all_sets(engine: Engine) -> list[str]:
    from sqlalchemy import text

    with engine.connect() as connection:
        rows = connection.execute(text("SELECT set_id FROM exercise_sets ORDER BY started_at"))
        return [row[0] for row in rows]


def breaks_ms(reply: AlexaReply) -> list[int]:
    return [int(value) for value in re.findall(r'<break time="(\d+)ms"/>', reply.ssml)]


# Spoken sets, chunk by chunk -----------------------------------------------------------------


@pytest.mark.usefixtures("patient")
def test_a_spoken_set_of_bridges_goes_five_at_a_time_and_is_logged_complete(
    dialog: Dialog, exercise_log: ExerciseLog, engine: Engine
) -> None:
    bridges = PLAN.exercise("bridges")
    assert bridges is not None
    dialog.launch()
    first = dialog.say("StartExerciseIntent", exercise=exercise("bridges", "bridges"))
    assert first.speech.startswith("Let's do your bridges, at a normal pace.")
    assert PLAN.in_bed_exercises.starting_position.text["en-US"] in first.speech
    assert bridges.instruction["en-US"] in first.speech
    assert counts(first) == [1, 2, 3, 4, 5]
    assert first.speech.count("Lift your bottom.") == 5
    assert first.speech.endswith("Ready for the next 5?")
    assert_asks(first)
    assert len(first.ssml) < 8000
    assert max(breaks_ms(first)) <= 10_000
    saved = only_set(exercise_log, engine)
    assert (saved.outcome, saved.delivery, saved.repetitions_done) == (
        Outcome.IN_PROGRESS,
        Delivery.SPEECH,
        5,
    )

    second = dialog.say("AMAZON.YesIntent")
    assert counts(second) == [6, 7, 8, 9, 10]
    assert "Well done. That's your bridges done." in second.speech
    assert PLAN.in_bed_exercises.starting_position.text["en-US"] not in second.speech
    assert_asks(second)  # offers the next exercise
    done = only_set(exercise_log, engine)
    assert (done.outcome, done.repetitions_done, done.repetitions_target) == (
        Outcome.COMPLETE,
        10,
        10,
    )
    assert done.ended_at is not None


@pytest.mark.usefixtures("patient")
def test_each_spoken_chunk_follows_the_script_of_the_plan(dialog: Dialog) -> None:
    knee_lifts = PLAN.exercise("knee_lifts")
    assert knee_lifts is not None
    script = build_script(PLAN, STRINGS, knee_lifts, Pace.NORMAL)
    expected = [step.part.text for step in script.steps if hasattr(step.part, "text")]
    dialog.launch()
    spoken = dialog.say("StartExerciseIntent", exercise=exercise("knee to nose", "knee_lifts"))
    rest = dialog.say("AMAZON.YesIntent")
    said = spoken.speech + " " + rest.speech
    position = 0
    for text in expected:  # every phrase of the script, in order
        found = said.find(text, position)
        assert found >= 0, text
        position = found + len(text)
    assert "Right knee up, towards your nose." in spoken.speech
    assert "Left knee up, towards your nose." in spoken.speech


@pytest.mark.usefixtures("patient")
def test_a_spoken_set_resumes_at_the_next_repetition_after_the_session_closed(
    dialog: Dialog, exercise_log: ExerciseLog, engine: Engine
) -> None:
    dialog.launch()
    dialog.say("StartExerciseIntent", exercise=exercise("knee lift", "knee_lifts"))
    dialog.end_session("EXCEEDED_MAX_REPROMPTS")
    dialog.advance(days=1)
    greeting = dialog.launch()
    assert greeting.speech == (
        "You stopped at repetition 6 of your knee lifts. Shall we finish them?"
    )
    assert_asks(greeting)
    resumed = dialog.say("AMAZON.YesIntent")
    assert resumed.speech.startswith("Back to your knee lifts, from repetition 6.")
    assert counts(resumed) == [6, 7, 8, 9, 10]
    assert "That's your knee lifts done." in resumed.speech
    assert only_set(exercise_log, engine).outcome is Outcome.COMPLETE


@pytest.mark.usefixtures("patient")
def test_resume_in_a_one_shot_request_goes_on_from_the_saved_repetition(
    dialog: Dialog, exercise_log: ExerciseLog, engine: Engine
) -> None:
    dialog.launch()
    dialog.say("StartExerciseIntent", exercise=exercise("bridge", "bridges"))
    paused = dialog.say("AMAZON.NoIntent")
    assert paused.speech == "Okay, we'll rest here. Say resume when you're ready to go on."
    assert paused.ends_session
    dialog.advance(hours=2)
    resumed = dialog.say("AMAZON.ResumeIntent")  # "Alexa, ask spine coach to resume"
    assert counts(resumed) == [6, 7, 8, 9, 10]
    assert only_set(exercise_log, engine).outcome is Outcome.COMPLETE


@pytest.mark.usefixtures("patient")
def test_saying_no_to_finishing_an_old_set_puts_it_aside(
    dialog: Dialog, exercise_log: ExerciseLog, engine: Engine
) -> None:
    dialog.launch()
    dialog.say("StartExerciseIntent", exercise=exercise("bridges", "bridges"))
    dialog.end_session()
    dialog.launch()
    reply = dialog.say("AMAZON.NoIntent")
    assert reply.speech.startswith("Okay, I've put that set aside.")
    assert_asks(reply)
    assert only_set(exercise_log, engine).outcome is Outcome.PARTIAL
    assert dialog.launch().speech.startswith("Welcome back.")


@pytest.mark.usefixtures("patient")
def test_nothing_to_resume_offers_what_is_due(dialog: Dialog) -> None:
    reply = dialog.say("AMAZON.ResumeIntent")
    assert reply.speech.startswith("There's no set to resume.")
    assert reply.speech.endswith("Next, your knee presses. Ready?")
    assert_asks(reply)


@pytest.mark.usefixtures("patient")
def test_all_three_exercises_spoken_hands_free_in_one_conversation(
    dialog: Dialog, exercise_log: ExerciseLog, engine: Engine
) -> None:
    dialog.launch()
    reply = dialog.say("StartExerciseIntent")  # "start my exercises": the most due first
    assert reply.speech.startswith("Let's do your knee presses")
    done: list[str] = []
    for _ in range(12):
        if "That's your" in reply.speech:
            done.append(reply.speech.split("That's your ")[1].split(" done.")[0])
        if not reply.speech.endswith("?") or reply.speech.endswith("Anything else?"):
            break
        reply = dialog.say("AMAZON.YesIntent")
    assert done == ["knee presses", "knee lifts", "bridges"]
    assert reply.speech.endswith("Anything else?")
    rows = [exercise_log.get(set_id) for set_id in all_sets(engine)]
    assert [(row.exercise_id, row.outcome) for row in rows if row] == [
        ("knee_presses", Outcome.COMPLETE),
        ("knee_lifts", Outcome.COMPLETE),
        ("bridges", Outcome.COMPLETE),
    ]


# Pace -----------------------------------------------------------------------------------------


@pytest.mark.usefixtures("patient")
def test_the_pace_is_remembered_and_stretches_every_pause(dialog: Dialog, engine: Engine) -> None:
    dialog.launch()
    normal = dialog.say("StartExerciseIntent", exercise=exercise("bridges", "bridges"))
    dialog.end_session()
    changed = dialog.say(
        "SetPaceIntent",
        pace=envelopes.slot("pace", "slower", resolved_id="slower", authority="PACE"),
    )
    assert changed.speech.startswith("Okay, a slow pace from now on.")
    stored = PatientStore(engine).get(USER)
    assert stored is not None
    assert stored.preferences["pace"] == "slow"
    dialog.end_session()
    dialog.advance(days=1)
    dialog.launch()
    dialog.say("AMAZON.NoIntent")  # put yesterday's set aside
    slow = dialog.say("StartExerciseIntent", exercise=exercise("bridges", "bridges"))
    assert "at a slow pace" in slow.speech
    factor = PLAN.in_bed_exercises.paces.slow / PLAN.in_bed_exercises.paces.normal
    assert sum(breaks_ms(slow)) == pytest.approx(sum(breaks_ms(normal)) * factor, rel=0.01)
    slower = dialog.say(
        "SetPaceIntent",
        pace=envelopes.slot("pace", "slower", resolved_id="slower", authority="PACE"),
    )
    assert slower.speech.startswith("That's already the slowest pace.")


@pytest.mark.usefixtures("patient")
def test_a_pace_change_mid_set_goes_on_at_the_new_pace(
    dialog: Dialog, exercise_log: ExerciseLog, engine: Engine
) -> None:
    dialog.launch()
    first = dialog.say("StartExerciseIntent", exercise=exercise("knee presses", "knee_presses"))
    assert counts(first) == [1, 2, 3, 4, 5]
    faster = dialog.say(
        "SetPaceIntent",
        pace=envelopes.slot("pace", "faster", resolved_id="faster", authority="PACE"),
    )
    assert faster.speech.startswith("Okay, a brisk pace from now on.")
    assert counts(faster) == [6, 7, 8, 9, 10]
    done = only_set(exercise_log, engine)
    assert (done.pace, done.outcome) == (Pace.BRISK.value, Outcome.COMPLETE)


# Pain -----------------------------------------------------------------------------------------


SAFETY = PLAN.in_bed_exercises.safety.text["en-US"]
CALL_NOW = "With pain that strong, please call the Neurosurgery department now, on 088 979 43 65."
RULE = f"{SAFETY} Questions? Call the Physical Therapy department on 088 979 23 23."


@pytest.mark.usefixtures("patient")
@pytest.mark.parametrize("score", [3, 7, 9])
def test_pain_stops_the_set_asks_the_score_logs_it_and_answers_it(
    dialog: Dialog, exercise_log: ExerciseLog, engine: Engine, score: int
) -> None:
    dialog.launch()
    dialog.say("StartExerciseIntent", exercise=exercise("bridges", "bridges"))
    hurt = dialog.say("PainReportIntent")
    assert hurt.speech == "I've stopped the set. On a scale from 0 to 10, how bad is the pain?"
    assert_asks(hurt)
    stopped = only_set(exercise_log, engine)
    assert stopped.outcome is Outcome.STOPPED_FOR_PAIN
    advice = dialog.say("PainScoreIntent", score=str(score))
    assert_asks(advice)
    if score >= PLAN.in_bed_exercises.pain.threshold:
        # Whom to call now, with the number, first; no second number to confuse it with.
        assert advice.speech == (f"{CALL_NOW} Noted: {score} out of 10. Shall I repeat the number?")
        assert advice.reprompt == "Repeat the number?"
        assert advice.session_attributes["pending"] == {
            "kind": "number",
            "contact": "neurosurgery",
        }
    else:
        assert advice.speech == f"Noted: {score} out of 10. {RULE} Anything else?"
    logged = only_set(exercise_log, engine)
    assert logged.pain_score == score
    reports = exercise_log.pain_reports(USER, NOW - timedelta(days=1))
    assert [value for _, value in reports] == [score]


@pytest.mark.usefixtures("patient")
def test_the_number_to_call_now_is_repeated_on_request(dialog: Dialog) -> None:
    dialog.launch()
    severe = dialog.say("PainReportIntent", score="8")
    assert severe.speech.startswith(CALL_NOW)
    again = dialog.say("AMAZON.YesIntent")
    assert again.speech == (
        "The number is 088 979 43 65, for the Neurosurgery department. Anything else?"
    )
    assert '<say-as interpret-as="telephone">088 979 43 65</say-as>' in again.ssml
    assert "pending" not in again.session_attributes
    # "Say that again" repeats the whole answer, the number and the offer with it.
    dialog.say("PainReportIntent", score="9")
    repeated = dialog.say("AMAZON.RepeatIntent")
    assert repeated.speech.startswith(CALL_NOW)
    assert repeated.speech.endswith("Shall I repeat the number?")
    assert dialog.say("AMAZON.YesIntent").speech.startswith("The number is 088 979 43 65")
    declined = dialog.say("PainReportIntent", score="9")
    assert declined.speech.startswith(CALL_NOW)
    assert dialog.say("AMAZON.NoIntent").speech == "Anything else?"


@pytest.mark.usefixtures("patient")
def test_the_plans_rule_comes_with_the_first_milder_score_of_each_day(dialog: Dialog) -> None:
    dialog.launch()
    first = dialog.say("PainReportIntent", score="8")
    assert SAFETY not in first.speech  # a severe score gets the call, not the rule
    milder = dialog.say("PainReportIntent", score="4")
    assert milder.speech == f"Noted: 4 out of 10. {RULE} Anything else?"
    later = dialog.say("PainReportIntent", score="2")
    assert later.speech == "Noted: 2 out of 10. Anything else?"
    dialog.advance(hours=13)  # 23:00 in New York: the same day there, the next in UTC
    assert SAFETY not in dialog.say("PainReportIntent", score="3").speech
    dialog.advance(hours=2)  # 01:00 the next morning in New York
    assert dialog.say("PainReportIntent", score="3").speech == (
        f"Noted: 3 out of 10. {RULE} Anything else?"
    )


@pytest.mark.usefixtures("patient")
@pytest.mark.parametrize(
    ("score", "expected"),
    [
        ("3", f"I've stopped the set. {RULE} Anything else?"),
        (
            "8",
            f"{CALL_NOW} I've stopped the set. Noted: 8 out of 10. Shall I repeat the number?",
        ),
    ],
)
def test_pain_with_its_score_in_one_breath_during_a_set(
    dialog: Dialog, exercise_log: ExerciseLog, engine: Engine, score: str, expected: str
) -> None:
    dialog.launch()
    dialog.say("StartExerciseIntent", exercise=exercise("bridges", "bridges"))
    reply = dialog.say("PainReportIntent", score=score)
    assert reply.speech == expected
    assert only_set(exercise_log, engine).pain_score == int(score)


@pytest.mark.usefixtures("patient")
def test_a_pain_score_that_is_not_a_number_from_0_to_10_is_asked_again(
    dialog: Dialog, exercise_log: ExerciseLog
) -> None:
    dialog.launch()
    dialog.say("PainReportIntent")
    for said in ("11", None):
        again = dialog.say("PainScoreIntent", score=said)
        assert again.speech == (
            "Sorry, I need a number from 0 to 10. On a scale from 0 to 10, how bad is the pain?"
        )
        assert_asks(again)
    confused = dialog.say("AMAZON.FallbackIntent")
    assert confused.speech.startswith("Sorry, I need a number from 0 to 10.")
    dialog.say("PainScoreIntent", score="4")
    assert [value for _, value in exercise_log.pain_reports(USER, NOW - timedelta(days=1))] == [4]


def test_pain_with_a_score_in_one_breath_needs_no_question(
    dialog: Dialog, exercise_log: ExerciseLog
) -> None:
    reply = dialog.say("PainReportIntent", score="8")
    assert reply.speech.startswith(CALL_NOW)
    assert [value for _, value in exercise_log.pain_reports(USER, NOW - timedelta(days=1))] == [8]


# Logging and progress ------------------------------------------------------------------------


@pytest.mark.usefixtures("patient")
def test_a_set_done_alone_is_logged_once_even_when_alexa_retries(
    client: Any, exercise_log: ExerciseLog
) -> None:
    body = envelopes.intent(
        "LogExerciseIntent",
        {"exercise": exercise("knee squeezes", "knee_presses")},
        at=NOW,
        new_session=True,
    )
    first = AlexaReply(client.post("/alexa", json=body).get_json())
    assert first.speech.startswith("Got it, one set of knee presses. That's 1 of 14 today.")
    retried = AlexaReply(client.post("/alexa", json=body).get_json())  # same request id
    assert retried.speech.startswith("Got it, one set of knee presses. That's 1 of 14 today.")
    day = (NOW - timedelta(hours=12), NOW + timedelta(hours=12))
    assert exercise_log.completed_counts(USER, *day) == {"knee_presses": 1}


@pytest.mark.usefixtures("patient")
def test_logging_without_an_exercise_asks_which_with_a_slot_elicitation(dialog: Dialog) -> None:
    reply = dialog.say("LogExerciseIntent")
    assert reply.speech == "Which exercise? Knee presses, knee lifts or bridges?"
    assert reply.directive("Dialog.ElicitSlot") is not None
    assert_asks(reply)
    unknown = dialog.say("LogExerciseIntent", exercise=exercise("push ups"))
    assert unknown.speech.startswith("I only guide your in-bed exercises")


@pytest.mark.usefixtures("patient")
def test_progress_today_counts_each_exercise_against_its_target(
    dialog: Dialog, exercise_log: ExerciseLog
) -> None:
    for index, (exercise_id, target) in enumerate(
        [("knee_presses", 10), ("knee_presses", 10), ("bridges", 10)]
    ):
        exercise_log.log_self_report(
            USER,
            exercise_id,
            pace=Pace.NORMAL,
            target=target,
            at=NOW - timedelta(hours=1),
            key=f"k{index}",
        )
    # Yesterday's set and an unfinished one do not count today.
    exercise_log.log_self_report(
        USER, "knee_lifts", pace=Pace.NORMAL, target=10, at=NOW - timedelta(days=1), key="old"
    )
    exercise_log.start(
        USER, "knee_lifts", pace=Pace.NORMAL, delivery=Delivery.SPEECH, target=10, at=NOW
    )
    reply = dialog.say("ProgressTodayIntent")
    assert reply.speech.startswith(
        "Today so far: knee presses, 2 of 14, knee lifts, 0 of 3, and bridges, 1 of 3."
    )
    # One set behind on both knee presses and knee lifts at 10:00: plan order decides.
    assert reply.speech.endswith("Shall we do your knee presses now?")
    assert_asks(reply)
    started = dialog.say("AMAZON.YesIntent")
    assert started.speech.startswith("Let's do your knee presses")


@pytest.mark.usefixtures("patient")
def test_start_without_an_exercise_picks_the_one_most_due(
    dialog: Dialog, exercise_log: ExerciseLog
) -> None:
    # At 10:00 three hourly knee-press sets are due, and one of each daily exercise.
    for index in range(3):
        exercise_log.log_self_report(
            USER, "knee_presses", pace=Pace.NORMAL, target=10, at=NOW, key=f"p{index}"
        )
    exercise_log.log_self_report(USER, "knee_lifts", pace=Pace.NORMAL, target=10, at=NOW, key="l")
    reply = dialog.say("StartExerciseIntent")
    assert reply.speech.startswith("Let's do your bridges")


# Gating and the surgery date -----------------------------------------------------------------


def test_exercises_need_the_surgery_date_first(dialog: Dialog) -> None:
    reply = dialog.say("StartExerciseIntent", exercise=exercise("bridges", "bridges"))
    assert reply.speech == "First, I need your surgery date. When was your surgery?"


@pytest.fixture
def gated_plan(tmp_path: Path) -> Path:
    """The default plan with bridges held back to week 2."""
    raw = yaml.safe_load(DEFAULT_PLAN_PATH.read_text())
    for item in raw["in_bed_exercises"]["exercises"]:
        if item["id"] == "bridges":
            item["from_week"] = 2
            item["not_yet_because"] = {
                "en-US": "Your wound needs time to heal first.",
                "en-GB": "Your wound needs time to heal first.",
                "nl-NL": "Uw wond moet eerst genezen.",
            }
    RecoveryPlan.model_validate(raw)
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_an_exercise_not_yet_allowed_says_why_and_from_when(
    gated_plan: Path, database_url: str, alexa_api: Any
) -> None:
    app = create_app(
        {"DATABASE_URL": database_url, "VERIFY_REQUESTS": False, "PLAN": str(gated_plan)}
    )
    try:
        engine: Engine = app.extensions[EXTENSION].engine
        PatientStore(engine).save_surgery_date(USER, NOW.date() - timedelta(days=3), locale="en-US")
        dialog = Dialog(app.test_client(), at=NOW)
        reply = dialog.say("StartExerciseIntent", exercise=exercise("bridges", "bridges"))
        assert reply.speech.startswith(
            "Not yet. Your wound needs time to heal first. Your plan starts them from week 2, "
            "that's Tuesday, December 1."
        )
        assert not ExerciseLog(engine).current(USER)
        # The routine skips it until then.
        routine = dialog.say("StartExerciseIntent")
        assert "bridges" not in routine.speech.split("?")[0].split(".")[0]
        dialog.advance(days=11)
        allowed = dialog.say("StartExerciseIntent", exercise=exercise("bridges", "bridges"))
        assert allowed.speech.startswith("Let's do your bridges")
    finally:
        app.extensions[EXTENSION].engine.dispose()


@pytest.mark.parametrize("exercise_id", [e.id for e in PLAN.in_bed_exercises.exercises])
def test_a_whole_set_at_the_slowest_pace_keeps_every_response_within_alexa_limits(
    dialog: Dialog, engine: Engine, exercise_id: str
) -> None:
    PatientStore(engine).save_surgery_date(USER, SURGERY, locale="en-US")
    PatientStore(engine).update_preferences(USER, {"pace": "slow"})
    target = PLAN.exercise(exercise_id)
    assert target is not None
    reply = dialog.say("StartExerciseIntent", exercise=exercise(exercise_id, exercise_id))
    spoken: list[int] = []
    for _ in range(target.repetitions):
        assert len(reply.ssml) < 8000
        assert max(breaks_ms(reply)) <= 10_000
        assert sum(breaks_ms(reply)) <= 240_000
        spoken += counts(reply)
        if (
            not reply.speech.startswith("Ready for the next")
            and "Ready for the" not in reply.speech
        ):
            break
        reply = dialog.say("AMAZON.YesIntent")
    assert spoken == list(range(1, target.repetitions + 1))


@pytest.mark.usefixtures("patient")
def test_next_exercise_puts_the_set_aside_and_starts_the_next_one(
    dialog: Dialog, exercise_log: ExerciseLog, engine: Engine
) -> None:
    dialog.launch()
    dialog.say("StartExerciseIntent")  # the routine: knee presses, knee lifts, bridges
    moved = dialog.say("NextExerciseIntent")
    assert moved.speech.startswith("Let's do your knee lifts")
    assert counts(moved) == [1, 2, 3, 4, 5]
    rows = [exercise_log.get(set_id) for set_id in all_sets(engine)]
    assert [(row.exercise_id, row.outcome) for row in rows if row] == [
        ("knee_presses", Outcome.PARTIAL),
        ("knee_lifts", Outcome.IN_PROGRESS),
    ]
    last = dialog.say("AMAZON.NextIntent")  # the built-in, outside any stream
    assert last.speech.startswith("Let's do your bridges")
    # Past the routine, "next" goes to what is still due: the knee presses skipped earlier.
    skipped = dialog.say("NextExerciseIntent")
    assert skipped.speech.startswith("Let's do your knee presses")


@pytest.mark.usefixtures("patient")
def test_next_exercise_when_everything_is_done_says_so(
    dialog: Dialog, exercise_log: ExerciseLog
) -> None:
    for exercise_id, sets in (("knee_presses", 14), ("knee_lifts", 3), ("bridges", 3)):
        for index in range(sets):
            exercise_log.log_self_report(
                USER, exercise_id, pace=Pace.NORMAL, target=10, at=NOW, key=f"{exercise_id}{index}"
            )
    done = dialog.say("NextExerciseIntent")
    assert done.speech == "That was the last exercise for now. Anything else?"
    extra = dialog.say("StartExerciseIntent")
    assert extra.speech == (
        "You've done all of today's sets. Well done! Want to do an extra set of knee presses?"
    )
    assert dialog.say("AMAZON.YesIntent").speech.startswith("Let's do your knee presses")


@pytest.mark.usefixtures("patient")
def test_start_over_and_previous_in_a_spoken_set(
    dialog: Dialog, exercise_log: ExerciseLog, engine: Engine
) -> None:
    dialog.launch()
    dialog.say("StartExerciseIntent", exercise=exercise("bridges", "bridges"))
    back = dialog.say("AMAZON.PreviousIntent")  # saved at 5 done: go back to repetition 5
    assert back.speech.startswith("Back to your bridges, from repetition 5.")
    assert counts(back)[0] == 5
    again = dialog.say("AMAZON.StartOverIntent")
    assert counts(again) == [1, 2, 3, 4, 5]
    assert PLAN.in_bed_exercises.starting_position.text["en-US"] in again.speech
    assert only_set(exercise_log, engine).repetitions_done == 5


@pytest.mark.usefixtures("patient")
def test_an_exercise_name_the_plan_does_not_have_gets_the_list(dialog: Dialog) -> None:
    reply = dialog.say("StartExerciseIntent", exercise=exercise("push ups"))
    assert reply.speech == (
        "I only guide your in-bed exercises: knee presses, knee lifts, and bridges. "
        "Which exercise? Knee presses, knee lifts or bridges?"
    )
    assert_asks(reply)
    chosen = dialog.say("StartExerciseIntent", exercise=exercise("bridges", "bridges"))
    assert chosen.speech.startswith("Let's do your bridges")


@pytest.mark.usefixtures("patient")
def test_two_devices_logging_at_once_lose_nothing_and_count_nothing_twice(
    client: Any, exercise_log: ExerciseLog
) -> None:
    import threading

    def request(key: int, request_id: str) -> dict[str, Any]:
        body = envelopes.intent(
            "LogExerciseIntent",
            {"exercise": exercise("bridges", "bridges")},
            at=NOW,
            new_session=True,
            device_id=f"amzn1.ask.device.ECHO{key % 2}",
        )
        body["request"]["requestId"] = request_id
        return body

    bodies = [request(n, f"amzn1.echo-api.request.distinct-{n}") for n in range(6)]
    bodies += [request(n, "amzn1.echo-api.request.retried") for n in range(6)]
    barrier = threading.Barrier(len(bodies))
    statuses: list[int] = []

    def post(body: dict[str, Any]) -> None:
        barrier.wait()
        statuses.append(client.post("/alexa", json=body).status_code)

    threads = [threading.Thread(target=post, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * len(bodies)
    day = (NOW - timedelta(hours=12), NOW + timedelta(hours=12))
    assert exercise_log.completed_counts(USER, *day) == {"bridges": 7}
