"""The spoken check-in's questions, in order, and which answers the plan finds worrying."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from skill.content.plan import CheckInAlert, RecoveryPlan

Kind = Literal["number", "yes_no"]


@dataclass(frozen=True)
class Question:
    """One check-in question: the answer it fills and what kind of answer it takes."""

    answer: str
    kind: Kind
    most: int  # the largest number accepted (numbers only)


QUESTIONS = (
    Question("pain", "number", 10),
    Question("walk_minutes", "number", 24 * 60),
    Question("sitting_minutes", "number", 24 * 60),
    Question("worried", "yes_no", 0),
)

Answers = Mapping[str, int | bool | None]


def accepts(question: Question, value: int | bool) -> bool:
    """Whether a value answers the question (a number in range, or a yes/no)."""
    if question.kind == "yes_no":
        return isinstance(value, bool)
    return not isinstance(value, bool) and 0 <= value <= question.most


def alerts_for(plan: RecoveryPlan, answer: str, value: int | bool | None) -> list[CheckInAlert]:
    """The plan's alerts one answer sets off."""
    return [
        alert for alert in plan.check_in.alerts if alert.answer == answer and alert.applies(value)
    ]


def all_alerts(plan: RecoveryPlan, answers: Answers) -> list[CheckInAlert]:
    """Every alert a whole check-in sets off, in the plan's order."""
    return [alert for alert in plan.check_in.alerts if alert.applies(answers.get(alert.answer))]
