"""The word budget, enforced on every answer the tests make the skill give.

An autouse fixture listens to Flask's `request_finished` signal (a public API; every app the
tests make sends it, whichever fixture or helper built it) for the length of each test, keeps
each `/alexa` response, and at the test's end checks each against the budget
(`skill.alexa.budget`: at most WORD_BUDGET words before the final question, the named
EXCEPTIONS apart). An answer over the budget makes that test fail at teardown, naming the words
said. So the dialog scripts (tests/devtools/test_dialog_scripts.py), the handler tests and any
other test that talks to /alexa measure every answer they produce, in the locale they speak.

No test is excused: what may say more is named in skill/alexa/budget.py's EXCEPTIONS only.
Set SPEECH_BUDGET_LOG to a file to have every answer's count appended to it (test, words,
exception, open question, text), to measure answers before and after a change.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, Response, request, request_finished

from skill.alexa.budget import (
    WORD_BUDGET,
    count_words,
    counted_ssml,
    over_budget,
    pending_kind,
    speech_before_question,
)

LOG_VARIABLE = "SPEECH_BUDGET_LOG"


class Recorder:
    """Every /alexa response (JSON body) the apps answered while it listened."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, sender: Flask, response: Response, **_: Any) -> None:
        if request.path != "/alexa" or response.status_code != 200 or not response.is_json:
            return
        body = response.get_json(silent=True)
        if not isinstance(body, dict):
            return
        self.bodies.append(body)

    def over(self) -> list[str]:
        """Each answer over the budget, described."""
        return [
            f"{words} words before the question (budget {WORD_BUDGET}): "
            f"{speech_before_question(body)!r}"
            for body in self.bodies
            if (words := over_budget(body)) is not None
        ]


def _log(path: str, test: str, bodies: list[dict[str, Any]]) -> None:
    with open(path, "a", encoding="utf-8") as log:
        for body in bodies:
            before, exception = speech_before_question(body), counted_ssml(body)[1]
            name = exception.name if exception else ""
            kind = pending_kind(body) or ""
            log.write(f"{test}\t{count_words(before)}\t{name}\t{kind}\t{before}\n")


@pytest.fixture(autouse=True)
def speech_budget(request: pytest.FixtureRequest) -> Iterator[Recorder]:
    """Records the test's /alexa answers; fails the test if one says more than the budget."""
    recorder = Recorder()
    request_finished.connect(recorder)
    try:
        yield recorder
    finally:
        request_finished.disconnect(recorder)
    if os.environ.get(LOG_VARIABLE):
        _log(os.environ[LOG_VARIABLE], request.node.nodeid, recorder.bodies)
    problems = recorder.over()
    if problems:
        pytest.fail("Answers over the word budget:\n" + "\n".join(problems), pytrace=False)
