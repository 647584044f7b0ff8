"""The open question, typed: each kind round-trips through the session; anything the skill could
not have written is dropped, and only the intents a question names answer it."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from skill.alexa import pending
from skill.alexa.pending import (
    CheckInStep,
    DeletionToConfirm,
    DetailsOffered,
    MilestoneOffered,
    NextChunkOffered,
    NumberOffered,
    OtherContactOffered,
    PainScoreAsked,
    RemindersCancelToConfirm,
    RemindersOffered,
    RepeatOffered,
    ResumeOffered,
    RevokeOffered,
    SetOffered,
    SurgeryDateAsked,
    SurgeryDateToConfirm,
)

EVERY_KIND = [
    SurgeryDateAsked(),
    SurgeryDateToConfirm(day=date(2026, 10, 21)),
    DeletionToConfirm(),
    PainScoreAsked(set_id="a" * 32),
    PainScoreAsked(),
    CheckInStep(step=2, answers={"pain": 3, "fever": False, "walk_minutes": None}),
    MilestoneOffered(index=1),
    DetailsOffered(),
    OtherContactOffered(contact="neurosurgery"),
    RepeatOffered(),
    NumberOffered(contact="neurosurgery"),
    RevokeOffered(),
    NextChunkOffered(set_id="s1"),
    ResumeOffered(set_id="s1"),
    SetOffered(exercise="bridges", up_next=["knee_lifts"]),
    RemindersOffered(),
    RemindersCancelToConfirm(),
]


def test_every_kind_of_question_is_listed() -> None:
    assert {type(question) for question in EVERY_KIND} == set(pending.KINDS)


@pytest.mark.parametrize("question", EVERY_KIND, ids=lambda question: question.kind)
def test_each_question_round_trips_through_the_session_as_json(question: Any) -> None:
    session = {pending.SESSION_KEY: pending.dump(question)}
    assert pending.load(session) == question


@pytest.mark.parametrize(
    "value",
    [
        {"kind": "confirm_surgery_date", "day": "the day before yesterday"},
        {"kind": "confirm_surgery_date"},
        {"kind": "confirm_delete", "also": "drop table"},
        {"kind": "milestone", "index": -1},
        {"kind": "milestone", "index": "1; 2"},
        {"kind": "chunk", "set_id": ""},
        {"kind": "chunk", "set_id": "x" * 81},
        {"kind": "check_in", "step": 99},
        {"kind": "check_in", "step": 1, "answers": {"pain": 2.5}},
        {"kind": "check_in", "step": 1, "answers": {f"q{n}": 1 for n in range(21)}},
        {"kind": "start", "exercise": "bridges", "up_next": "knee_lifts"},
        {"kind": "unknown"},
        {"no": "kind"},
        "confirm_delete",
        ["confirm_delete"],
        42,
    ],
)
def test_a_value_the_skill_could_not_have_written_is_dropped(value: Any) -> None:
    assert pending.load({pending.SESSION_KEY: value}) is None


def test_nothing_pending() -> None:
    assert pending.load({}) is None
    assert pending.load({pending.SESSION_KEY: None}) is None
    assert not pending.answers(None, "AMAZON.YesIntent")


def test_only_the_intents_a_question_names_answer_it() -> None:
    assert pending.answers(DeletionToConfirm(), "AMAZON.YesIntent")
    assert pending.answers(DeletionToConfirm(), "AMAZON.NoIntent")
    assert not pending.answers(DeletionToConfirm(), "AMAZON.FallbackIntent")
    assert pending.answers(SurgeryDateAsked(), "AMAZON.FallbackIntent")
    assert not pending.answers(SurgeryDateAsked(), "AMAZON.YesIntent")
    assert pending.answers(CheckInStep(step=0), "SkipIntent")
    assert pending.answers(CheckInStep(step=0), "PainScoreIntent")
    assert not pending.answers(MilestoneOffered(index=0), "PainScoreIntent")
