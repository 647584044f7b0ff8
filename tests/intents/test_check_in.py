"""The spoken check-in: every question with its reprompt, skips, misunderstandings, worrying
answers and their alerts, and what is stored — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from pydantic import ValidationError

from skill import create_app
from skill.alexa.endpoint import EXTENSION
from skill.content.plan import DEFAULT_PLAN_PATH, RecoveryPlan, load_plan
from skill.devtools import envelopes
from skill.devtools.dialog import AlexaReply, Dialog
from skill.store.check_ins import CheckIns, StoredCheckIn
from tests.conftest import NOW

pytestmark = pytest.mark.both_databases

USER = envelopes.DEFAULT_USER
PLAN = load_plan()
PAIN_Q = "How bad is your pain right now, from 0 to 10?"
WALK_Q = "About how many minutes did you walk today?"
SIT_Q = "About how many minutes can you sit comfortably?"
WORRY_Q = "Is anything about your recovery worrying you?"


@pytest.fixture
def check_ins(app: Flask) -> CheckIns:
    return CheckIns(app.extensions[EXTENSION].engine)


def stored(check_ins: CheckIns) -> list[StoredCheckIn]:
    return check_ins.since(USER, NOW - timedelta(days=1))


def asks(reply: AlexaReply, question: str) -> None:
    assert reply.speech.endswith(question)
    assert not reply.ends_session
    assert reply.reprompt


def minutes(value: str) -> dict[str, Any]:
    return envelopes.slot("minutes", value)


def test_four_questions_then_saved(dialog: Dialog, check_ins: CheckIns) -> None:
    start = dialog.say("CheckInIntent")
    intro = "Let's do your check-in: four quick questions. You can say skip to any of them."
    assert start.speech == f"{intro} {PAIN_Q}"
    assert start.reprompt == "Your pain, from 0 to 10? Or say skip."
    asks(dialog.say("PainScoreIntent", score="3"), WALK_Q)
    asks(dialog.say("CheckInMinutesIntent", minutes=minutes("20")), SIT_Q)
    reply = dialog.say("CheckInMinutesIntent", duration=envelopes.slot("duration", "PT15M"))
    asks(reply, WORRY_Q)
    assert reply.reprompt == "Yes, no, or skip?"
    done = dialog.say("AMAZON.NoIntent")
    assert done.speech == "Your check-in is saved. Anything else?"
    [saved] = stored(check_ins)
    assert (saved.pain, saved.walk_minutes, saved.sitting_minutes, saved.worried) == (
        3,
        20,
        15,
        False,
    )
    assert saved.alerts == ()
    assert saved.checked_at == NOW


def test_skips_no_and_things_not_understood(dialog: Dialog, check_ins: CheckIns) -> None:
    dialog.say("CheckInIntent")
    for said in (
        ("PainScoreIntent", {"score": "11"}),
        ("AMAZON.FallbackIntent", {}),
        ("AMAZON.YesIntent", {}),
    ):
        again = dialog.say(said[0], **said[1])
        assert again.speech == f"Sorry, I didn't get that. {PAIN_Q}"
        assert again.reprompt
    asks(dialog.say("SkipIntent"), WALK_Q)
    asks(dialog.say("AMAZON.NoIntent"), SIT_Q)  # didn't walk: zero minutes
    asks(dialog.say("SkipIntent"), WORRY_Q)
    dialog.say("SkipIntent")
    [saved] = stored(check_ins)
    assert (saved.pain, saved.walk_minutes, saved.sitting_minutes, saved.worried) == (
        None,
        0,
        None,
        None,
    )


def test_worrying_answers_get_urgent_advice_at_once_and_are_recorded_as_alerts(
    dialog: Dialog, check_ins: CheckIns
) -> None:
    dialog.say("CheckInIntent")
    pain = dialog.say("PainScoreIntent", score="8")
    assert pain.speech.startswith("That's a lot of pain. Please call your care team about it.")
    assert "Call the Physical Therapy department on 088 979 23 23, or 911 in an emergency." in (
        pain.speech
    )
    assert '<say-as interpret-as="telephone">088 979 23 23</say-as>' in pain.ssml
    assert '<say-as interpret-as="telephone">911</say-as>' in pain.ssml
    asks(pain, WALK_Q)
    # "Say that again" repeats the advice with the number, and the check-in goes on after it.
    again = dialog.say("AMAZON.RepeatIntent")
    assert again.ssml == pain.ssml
    assert again.session_attributes["pending"]["kind"] == "check_in"
    dialog.say("CheckInMinutesIntent", minutes=minutes("5"))
    calm = dialog.say("CheckInMinutesIntent", minutes=minutes("10"))
    assert "emergency" not in calm.speech
    worry = dialog.say("AMAZON.YesIntent")
    assert worry.speech.startswith("If your recovery isn't going well, please call your care team.")
    assert "911" in worry.speech
    [saved] = stored(check_ins)
    assert saved.alerts == ("pain_too_much", "recovery_worry")


def test_answers_given_before_the_session_ends_are_kept(
    dialog: Dialog, check_ins: CheckIns
) -> None:
    dialog.say("CheckInIntent")
    dialog.say("PainScoreIntent", score="9")
    dialog.end_session("EXCEEDED_MAX_REPROMPTS")
    [saved] = stored(check_ins)
    assert (saved.pain, saved.walk_minutes, saved.alerts) == (9, None, ("pain_too_much",))


def test_answer_intents_outside_a_check_in_are_not_taken_as_answers(
    dialog: Dialog, check_ins: CheckIns
) -> None:
    reply = dialog.say("SkipIntent")
    assert reply.speech.startswith("Sorry, I can't help with that.")
    assert stored(check_ins) == []


def clinic_plan(tmp_path: Path, extra: dict[str, Any]) -> Path:
    raw = yaml.safe_load(DEFAULT_PLAN_PATH.read_text())
    raw["check_in"]["alerts"].append(extra)
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_a_clinic_adds_its_own_worrying_answer(
    tmp_path: Path, database_url: str, alexa_api: Any
) -> None:
    extra = {
        "id": "sitting_hard",
        "answer": "sitting_minutes",
        "at_most": 5,
        "advice": {
            "en-US": "Sitting that little is worth a call.",
            "en-GB": "Sitting that little is worth a call.",
            "nl-NL": "Zo kort kunnen zitten is een telefoontje waard.",
        },
        "source": "hmc",
    }
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "VERIFY_REQUESTS": False,
            "PLAN": str(clinic_plan(tmp_path, extra)),
        }
    )
    try:
        dialog = Dialog(app.test_client(), at=NOW)
        dialog.say("CheckInIntent")
        dialog.say("PainScoreIntent", score="2")
        dialog.say("CheckInMinutesIntent", minutes=minutes("30"))
        reply = dialog.say("CheckInMinutesIntent", minutes=minutes("3"))
        assert reply.speech.startswith("Sitting that little is worth a call.")
        dialog.say("AMAZON.NoIntent")
        [saved] = CheckIns(app.extensions[EXTENSION].engine).since(USER, NOW - timedelta(days=1))
        assert saved.alerts == ("sitting_hard",)
    finally:
        app.extensions[EXTENSION].engine.dispose()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"at_least": 5, "at_most": 2}, "exactly one of"),
        ({"equals": True}, "'equals' is for the yes/no answer"),
    ],
)
def test_a_malformed_clinic_alert_is_rejected(change: dict[str, Any], message: str) -> None:
    raw = yaml.safe_load(DEFAULT_PLAN_PATH.read_text())
    alert = {"id": "x", "answer": "pain", "advice": {"en-US": "Call."}, "source": "hmc", **change}
    if "at_least" not in change:
        alert.setdefault("at_least", None)
    raw["check_in"]["alerts"].append(alert)
    with pytest.raises(ValidationError, match=message):
        RecoveryPlan.model_validate(raw)


def test_the_check_in_contact_must_be_in_the_plan() -> None:
    raw = yaml.safe_load(DEFAULT_PLAN_PATH.read_text())
    raw["check_in"]["contact"] = "nobody"
    with pytest.raises(ValidationError, match=r"check_in\.contact"):
        RecoveryPlan.model_validate(raw)


def test_the_default_alerts_cite_the_hospital_source() -> None:
    assert {alert.id: alert.source for alert in PLAN.check_in.alerts} == {
        "pain_too_much": "hmc",
        "recovery_worry": "hmc",
    }
