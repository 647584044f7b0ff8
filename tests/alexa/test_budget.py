"""The word budget: what it counts (speech before the final question), what it leaves out (a
guided set's repetitions, the plan's exercise instructions where they are given, nothing else),
and the recorder that holds every test to it."""

from __future__ import annotations

from typing import Any

from flask import request_finished
from flask.testing import FlaskClient

from skill.alexa.budget import (
    EXCEPTIONS,
    WORD_BUDGET,
    counted_ssml,
    over_budget,
    speech_before_question,
    spoken_text,
    without_final_question,
    words_before_question,
)
from skill.content.plan import load_plan
from skill.devtools import envelopes
from tests.conftest import NOW
from tests.speech_budget import Recorder


def body(ssml: str, *, question: bool = True, pending: str | None = None) -> dict[str, Any]:
    """A skill response as the endpoint writes it."""
    response: dict[str, Any] = {"outputSpeech": {"type": "SSML", "ssml": f"<speak>{ssml}</speak>"}}
    if question:
        response["reprompt"] = {"outputSpeech": {"type": "SSML", "ssml": "<speak>Well?</speak>"}}
        response["shouldEndSession"] = False
    else:
        response["shouldEndSession"] = True
    attributes = {"pending": {"kind": pending}} if pending else {}
    return {"version": "1.0", "sessionAttributes": attributes, "response": response}


def test_tags_are_dropped_and_entities_read() -> None:
    number = '<say-as interpret-as="telephone">088 979</say-as>'
    assert spoken_text(f"<speak>Call {number}.</speak>") == "Call 088 979."
    assert spoken_text("Rock &amp; roll<break time='1s'/> now") == "Rock & roll now"


def test_the_final_question_is_the_last_sentence() -> None:
    assert without_final_question("You did 3 sets. Pain averaged 4.5 today. Want more?") == (
        "You did 3 sets. Pain averaged 4.5 today."
    )
    assert without_final_question("Anything else?") == ""


def test_words_before_the_question_are_counted_unless_the_session_ends() -> None:
    said = "You did 3 of 14 sets. Anything else?"
    assert words_before_question(body(said)) == 6
    assert words_before_question(body(said, question=False)) == 8


def test_an_answer_over_the_budget_is_found() -> None:
    long = " ".join(["word"] * WORD_BUDGET) + ". Anything else?"
    assert over_budget(body(long)) is None
    longer = " ".join(["word"] * (WORD_BUDGET + 1)) + ". Anything else?"
    assert over_budget(body(longer)) == WORD_BUDGET + 1
    assert over_budget(body(longer, pending="chunk")) == WORD_BUDGET + 1  # no kind is excused


def test_a_sets_repetitions_are_left_out_but_its_opening_and_close_count() -> None:
    pause = '<break time="500ms"/>'
    reps = pause.join(f"{n}. {pause} Press down. {pause} Relax." for n in range(1, 11))
    ssml = f"Let's do your knee presses. {pause} {reps} {pause} Well done. Next, bridges. Ready?"
    counted, exception = counted_ssml(body(ssml))
    assert exception is not None
    assert exception.name == "a guided set's repetitions"
    assert spoken_text(counted) == "Let's do your knee presses. Well done. Next, bridges. Ready?"
    assert speech_before_question(body(ssml)) == (
        "Let's do your knee presses. Well done. Next, bridges."
    )
    opening = " ".join(["word"] * WORD_BUDGET)
    assert over_budget(body(f"{opening}. {pause} {reps} {pause} Ready?")) is None
    assert over_budget(body(f"{opening} more. {pause} {reps} {pause} Ready?")) == WORD_BUDGET + 1


def test_the_plans_instructions_are_left_out_where_the_starting_position_is_said() -> None:
    in_bed = load_plan().in_bed_exercises
    safety = in_bed.safety.text["en-US"]
    position = in_bed.starting_position.text["en-US"]
    instruction = in_bed.exercises[0].instruction["en-US"]
    pause = '<break time="500ms"/>'
    reps = pause.join(f"{n}. {pause} Press down. {pause} Relax." for n in range(1, 11))
    start = "Let's do your knee presses. If it hurts, just say: it hurts."
    first_set = (
        f"{start} {safety} {pause} {position} {pause} {instruction} {pause} {reps} {pause} Ready?"
    )
    counted, exception = counted_ssml(body(first_set))
    assert exception is not None
    assert exception.name == "an exercise's instructions"
    assert spoken_text(counted) == f"{start} Ready?"
    # "How do I do this?": the position and instruction, then the question.
    how_to = f"{position} {instruction} Shall we start your knee presses?"
    assert speech_before_question(body(how_to)) == ""
    # The safety line without the starting position (the pain rule) counts.
    rule = f"{safety} Questions? Call the clinic. Anything else?"
    assert counted_ssml(body(rule)) == (f"<speak>{rule}</speak>", None)
    assert words_before_question(body(rule)) == len(safety.split()) + 4


def test_digits_in_groups_are_not_a_set() -> None:
    pause = '<break time="400ms"/>'
    code = f"Your code is 123 {pause} 456 {pause} 789 {pause} 012. It works once. Again?"
    assert counted_ssml(body(code)) == (f"<speak>{code}</speak>", None)
    assert words_before_question(body(code)) == 10


def test_every_exception_gives_its_reason() -> None:
    assert EXCEPTIONS
    for exception in EXCEPTIONS:
        assert exception.name
        assert len(exception.reason) > 20


def test_the_recorder_keeps_each_alexa_answer_and_names_those_over(client: FlaskClient) -> None:
    recorder = Recorder()
    request_finished.connect(recorder)
    try:
        client.post("/alexa", json=envelopes.launch(at=NOW))
        client.get("/healthz")
    finally:
        request_finished.disconnect(recorder)
    assert len(recorder.bodies) == 1
    assert recorder.bodies[0]["response"]["outputSpeech"]["ssml"].startswith("<speak>")
    assert recorder.over() == []
    recorder.bodies.append(body(" ".join(["word"] * 40) + ". Anything else?"))
    (problem,) = recorder.over()
    assert problem.startswith(f"40 words before the question (budget {WORD_BUDGET})")
