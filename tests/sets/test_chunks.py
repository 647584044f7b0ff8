"""Spoken guided sets cut into chunks: every repetition once, in order, each chunk within Alexa's
limits for one response, for the default plan and for generated plans (long, odd, unicode and
XML-hostile texts; pauses up to Alexa's longest break at the slowest pace)."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skill.alexa.speech import MAX_SSML_CHARS, ssml
from skill.content.plan import MAX_BREAK_SECONDS, Pace, RecoveryPlan, load_plan
from skill.content.strings import Strings, load_catalogue
from skill.sets.chunks import (
    SPEECH_MS_PER_CHAR,
    Chunk,
    ChunkLimits,
    Part,
    Render,
    all_chunks,
    estimated_ms,
    next_chunk,
)
from skill.sets.coach_voice import CoachVoice
from skill.sets.script import Say, Script, Silence, Variant, build_script

LOCALE = "en-US"
PLAN = load_plan()
STRINGS: Strings = load_catalogue().for_locale(LOCALE)
VOICE = CoachVoice(None, None)
ALEXA_MAX_MS = 240_000
ALEXA_MAX_BREAK_MS = 10_000
SPEAK = "<speak></speak>"
BREAK = re.compile(r'<break time="(\d+)ms"/>')


def render(parts: Sequence[Part]) -> str:
    """What the skill says for the parts when no audio is hosted."""
    return ssml(VOICE.render(LOCALE, parts))


def default_scripts() -> list[Script]:
    return [
        build_script(PLAN, STRINGS, exercise, pace, variant)
        for exercise in PLAN.in_bed_exercises.exercises
        for pace in Pace
        for variant in Variant
    ]


DEFAULT_SCRIPTS = default_scripts()


# --- what a chunk should hold, from the script alone -------------------------------------------


def parts_of(script: Script, repetition: int) -> list[Part]:
    return [step.part for step in script.steps if step.repetition == repetition]


def expected_parts(script: Script, first: int, last: int) -> list[Part]:
    """Repetitions first..last, with the introduction before the first and the closing line
    after the last repetition of the set."""
    parts = parts_of(script, 0) if first == 1 else []
    for repetition in range(first, last + 1):
        parts += parts_of(script, repetition)
    if last == script.repetitions:
        parts += parts_of(script, script.repetitions + 1)
    return parts


def counted(parts: Sequence[Part]) -> list[int]:
    """The repetition numbers the coach counts out ("3.") in the parts, in order."""
    return [
        int(part.key.removeprefix("count."))
        for part in parts
        if isinstance(part, Say) and part.key.startswith("count.")
    ]


def within(parts: Sequence[Part], limits: ChunkLimits, render: Render) -> bool:
    return estimated_ms(parts) <= limits.max_ms and len(render(parts)) <= limits.max_chars


def speech_of(parts: Sequence[Part]) -> str:
    return " ".join(" ".join(part.text for part in parts if isinstance(part, Say)).split())


def check_ssml(parts: Sequence[Part]) -> None:
    """The rendered parts are well-formed SSML that says exactly the texts, with breaks of at
    most 10 s adding up to the silences, within Alexa's 8000 characters."""
    text = render(parts)
    assert len(text) + len(SPEAK) < MAX_SSML_CHARS
    breaks = [int(ms) for ms in BREAK.findall(text)]
    assert all(0 < ms <= ALEXA_MAX_BREAK_MS for ms in breaks), breaks
    silences = sum(part.milliseconds for part in parts if isinstance(part, Silence))
    assert sum(breaks) == silences
    root = ET.fromstring(f"<speak>{text}</speak>")
    elements = list(root.iter())[1:]
    assert {element.tag for element in elements} <= {"break"}
    assert [element.attrib for element in elements] == [{"time": f"{ms}ms"} for ms in breaks]
    assert " ".join("".join(root.itertext()).split()) == speech_of(parts)


def check_set(
    plan: RecoveryPlan,
    script: Script,
    chunks: list[Chunk],
    limits: ChunkLimits,
    render: Render = render,
) -> None:
    """The chunks guide the whole set once, in order, each as full as the limits allow."""
    n = script.repetitions
    # (a) 1..n exactly once, in order, contiguous; and exactly the script's parts.
    assert chunks[0].first_repetition == 1
    assert chunks[-1].last_repetition == n
    for before, after in pairwise(chunks):
        assert after.first_repetition == before.last_repetition + 1
    assert counted([part for chunk in chunks for part in chunk.parts]) == list(range(1, n + 1))
    assert [part for chunk in chunks for part in chunk.parts] == [s.part for s in script.steps]
    for chunk in chunks:
        assert list(chunk.parts) == expected_parts(
            script, chunk.first_repetition, chunk.last_repetition
        )
        assert counted(chunk.parts) == list(
            range(chunk.first_repetition, chunk.last_repetition + 1)
        )
        assert chunk.repetitions == chunk.last_repetition - chunk.first_repetition + 1 >= 1
        # (b) within the limits.
        assert chunk.repetitions <= limits.max_repetitions
        assert estimated_ms(chunk.parts) <= limits.max_ms
        assert len(render(chunk.parts)) <= limits.max_chars
    # As full as they can be: one more repetition would break a limit.
    for chunk in chunks[:-1]:
        if chunk.repetitions < limits.max_repetitions:
            bigger = expected_parts(script, chunk.first_repetition, chunk.last_repetition + 1)
            assert not within(bigger, limits, render), chunk
    # (d) in the full variant the safety line, starting position and instruction open the
    # set; the short one opens with the first count and never says them. The closing line ends
    # the set, and no other chunk has any of them.
    exercise = plan.exercise(script.exercise_id)
    assert exercise is not None
    in_bed = plan.in_bed_exercises
    said = [part for part in chunks[0].parts if isinstance(part, Say)]
    instructions = [
        Say("safety", in_bed.safety.text[LOCALE]),
        Say("starting_position", in_bed.starting_position.text[LOCALE]),
        Say(f"{exercise.id}.instruction", exercise.instruction[LOCALE]),
    ]
    if script.variant is Variant.FULL:
        assert said[:3] == instructions
        assert isinstance(chunks[0].parts[0], Say)
    else:
        assert said[0].key == "count.1"
        assert isinstance(chunks[0].parts[0], Silence)
    instruction_keys = {say.key for say in instructions}
    closing = Say(
        f"{exercise.id}.closing", STRINGS.plain("session.closing", exercise=exercise.name[LOCALE])
    )
    assert chunks[-1].parts[-1] == closing
    assert [chunk.finishes_set for chunk in chunks] == [False] * (len(chunks) - 1) + [True]
    for index, chunk in enumerate(chunks):
        keys = [part.key for part in chunk.parts if isinstance(part, Say)]
        opens = index == 0 and script.variant is Variant.FULL
        assert {key for key in keys if key in instruction_keys} == (
            instruction_keys if opens else set()
        )
        assert (closing.key in keys) == (index == len(chunks) - 1)


def script_for(plan: RecoveryPlan, pace: Pace, variant: Variant = Variant.FULL) -> Script:
    return build_script(plan, STRINGS, plan.in_bed_exercises.exercises[0], pace, variant)


def ids(script: Script) -> str:
    return f"{script.exercise_id}-{script.pace.value}-{script.variant.value}"


# --- the default plan --------------------------------------------------------------------------


@pytest.mark.parametrize("script", DEFAULT_SCRIPTS, ids=ids)
def test_the_default_plan_is_chunked_within_alexa_limits(script: Script) -> None:
    limits = ChunkLimits()
    chunks = all_chunks(script, render)
    check_set(PLAN, script, chunks, limits)
    for chunk in chunks:
        check_ssml(chunk.parts)
        assert estimated_ms(chunk.parts) <= ALEXA_MAX_MS
    # The plan's sets are short enough that only "at most five repetitions" cuts them.
    exercise = PLAN.exercise(script.exercise_id)
    assert exercise is not None
    sizes = [chunk.repetitions for chunk in chunks]
    assert sum(sizes) == exercise.repetitions
    assert sizes == [limits.max_repetitions] * (len(sizes) - 1) + [sizes[-1]]


@pytest.mark.parametrize("script", DEFAULT_SCRIPTS, ids=ids)
def test_the_default_plan_resumes_at_any_repetition(script: Script) -> None:
    n = script.repetitions
    for k in range(1, n + 1):
        chunk = next_chunk(script, k, render)
        assert chunk.first_repetition == k
        assert list(chunk.parts) == expected_parts(script, k, chunk.last_repetition)
        first_said = next(part for part in chunk.parts if isinstance(part, Say))
        opening = "safety" if script.variant is Variant.FULL else "count.1"
        assert first_said.key == (opening if k == 1 else f"count.{k}")
        check_ssml(chunk.parts)
    assert next_chunk(script, 0, render) == next_chunk(script, 1, render)
    assert next_chunk(script, -7, render) == next_chunk(script, 1, render)
    assert next_chunk(script, n + 1, render) == next_chunk(script, n, render)
    assert next_chunk(script, 10 * n, render) == next_chunk(script, n, render)


def test_estimates_count_pauses_exactly_and_speech_no_faster_than_alexa() -> None:
    parts: list[Part] = [Say("a", "Hold."), Silence(1500), Say("b", "And relax."), Silence(250)]
    speech_chars = len("Hold.") + len("And relax.")
    assert estimated_ms(parts) == 1750 + speech_chars * SPEECH_MS_PER_CHAR
    # Alexa says about 13 characters a second: an estimate never assumes faster speech.
    assert estimated_ms(parts) >= 1750 + speech_chars * 1000 / 13
    assert estimated_ms([]) == 0


def test_pauses_longer_than_alexa_allows_are_said_as_several_breaks() -> None:
    for milliseconds in (10_000, 10_001, 25_000):
        parts: list[Part] = [Say("a", "Hold."), Silence(milliseconds), Say("b", "And relax.")]
        check_ssml(parts)
        assert len(BREAK.findall(render(parts))) == math.ceil(milliseconds / ALEXA_MAX_BREAK_MS)


# --- tight limits and renders that never fit ---------------------------------------------------


def test_a_render_that_never_fits_is_an_error() -> None:
    def huge(parts: Sequence[Part]) -> str:
        return "x" * 10_000

    script = DEFAULT_SCRIPTS[0]
    for k in (1, 2, script.repetitions):
        with pytest.raises(ValueError, match=script.exercise_id):
            next_chunk(script, k, huge)
    with pytest.raises(ValueError, match="does not fit"):
        all_chunks(script, huge)


def test_a_repetition_longer_than_max_ms_is_an_error() -> None:
    script = DEFAULT_SCRIPTS[0]
    second = estimated_ms(parts_of(script, 2))
    assert next_chunk(script, 2, render, ChunkLimits(max_ms=second)).last_repetition == 2
    with pytest.raises(ValueError, match="does not fit"):
        next_chunk(script, 2, render, ChunkLimits(max_ms=second - 1))


def test_chars_for_one_repetition_make_one_repetition_chunks() -> None:
    def by_count(parts: Sequence[Part]) -> str:
        """1000 characters per repetition counted, whatever else is said."""
        return "x" * (1000 * len(counted(parts)))

    for script in DEFAULT_SCRIPTS:
        chunks = all_chunks(script, by_count, ChunkLimits(max_chars=1500))
        assert [(c.first_repetition, c.last_repetition) for c in chunks] == [
            (k, k) for k in range(1, script.repetitions + 1)
        ]
        check_set(PLAN, script, chunks, ChunkLimits(max_chars=1500), by_count)
        chunks = all_chunks(script, by_count, ChunkLimits(max_chars=2999))
        assert [c.repetitions for c in chunks] == [2] * (script.repetitions // 2) + [1] * (
            script.repetitions % 2
        )


@pytest.mark.parametrize("script", DEFAULT_SCRIPTS, ids=ids)
def test_smaller_limits_make_smaller_chunks(script: Script) -> None:
    n = script.repetitions
    alone = [expected_parts(script, k, k) for k in range(1, n + 1)]
    default = all_chunks(script, render)
    # Room for the biggest single repetition (introduction or closing line included) only.
    for limits in (
        ChunkLimits(max_chars=max(len(render(parts)) for parts in alone)),
        ChunkLimits(max_ms=max(estimated_ms(parts) for parts in alone)),
        ChunkLimits(max_repetitions=2),
        ChunkLimits(max_repetitions=1),
    ):
        chunks = all_chunks(script, render, limits)
        check_set(PLAN, script, chunks, limits)
        assert len(chunks) > len(default)
        assert max(chunk.repetitions for chunk in chunks) < max(c.repetitions for c in default)
    assert [c.repetitions for c in all_chunks(script, render, ChunkLimits(max_repetitions=1))] == [
        1
    ] * n


# --- generated plans ---------------------------------------------------------------------------

XML_HOSTILE = "&<>\"'"
TEXT_CHARACTERS = st.one_of(
    st.sampled_from(XML_HOSTILE),
    # Anything XML can carry; braces would be format placeholders in the plan.
    st.characters(exclude_categories=("Cc", "Cs", "Cn"), exclude_characters="{}"),
)


def texts(max_size: int) -> st.SearchStrategy[str]:
    """Texts of any length up to `max_size`: the length is drawn first, so long ones are as
    likely as short ones (and chunks get cut by their size, not only by their count)."""
    return st.integers(1, max_size).flatmap(
        lambda size: st.text(TEXT_CHARACTERS, min_size=size, max_size=size)
    )


def below_break(slowest: float) -> float:
    """The longest pause the plan takes (10 s) that the slowest pace keeps within 10 s."""
    limit = min(MAX_BREAK_SECONDS, MAX_BREAK_SECONDS / slowest)
    while limit * slowest > MAX_BREAK_SECONDS:
        limit = math.nextafter(limit, 0)
    return limit


@st.composite
def generated_plans(draw: st.DrawFn) -> RecoveryPlan:
    """The default plan with one generated exercise, timing, paces and starting position."""
    factors = st.floats(min_value=0.1, max_value=3.0, allow_nan=False)
    paces = {"slow": draw(factors), "normal": draw(factors), "brisk": draw(factors)}
    seconds = st.floats(min_value=0, max_value=below_break(max(paces.values())))
    sides = draw(st.one_of(st.none(), st.lists(st.sampled_from(["right", "left"]), min_size=1)))
    cues = []
    for _ in range(draw(st.integers(1, 4))):
        text = draw(texts(120))
        if sides and draw(st.booleans()):
            at = draw(st.integers(0, len(text)))
            text = f"{text[:at]}{{side}}{text[at:]}"
        cues.append({"say": {LOCALE: text}, "pause": draw(seconds)})
    exercise: dict[str, Any] = {
        "id": draw(st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=20)),
        "name": {LOCALE: draw(texts(60))},
        "instruction": {LOCALE: draw(texts(300))},
        "repetitions": draw(st.integers(1, 40)),
        "times_per_day": 3,
        "source": "hmc",
        "tempo": {"cues": cues, "rest": draw(seconds), "sides": sides},
    }
    in_bed = PLAN.in_bed_exercises.model_dump()
    in_bed.update(
        paces=paces,
        timing={
            "after_starting_position": draw(seconds),
            "after_instruction": draw(seconds),
            "after_count": draw(seconds),
        },
        starting_position={"text": {LOCALE: draw(texts(300))}, "source": "hmc"},
        exercises=[exercise],
    )
    # Generated in en-US only: the plan's other locales have no text for these.
    return RecoveryPlan.model_validate(
        {**PLAN.model_dump(), "locales": [LOCALE], "in_bed_exercises": in_bed}
    )


GENERATED = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@GENERATED
@given(plan=generated_plans(), pace=st.sampled_from(Pace), variant=st.sampled_from(Variant))
def test_generated_sets_are_chunked_within_alexa_limits(
    plan: RecoveryPlan, pace: Pace, variant: Variant
) -> None:
    script = script_for(plan, pace, variant)
    chunks = all_chunks(script, render)
    check_set(plan, script, chunks, ChunkLimits())
    for chunk in chunks:
        check_ssml(chunk.parts)
        assert estimated_ms(chunk.parts) <= ALEXA_MAX_MS


@GENERATED
@given(plan=generated_plans(), pace=st.sampled_from(Pace), data=st.data())
def test_generated_sets_resume_at_any_repetition(
    plan: RecoveryPlan, pace: Pace, data: st.DataObject
) -> None:
    script = script_for(plan, pace)
    n = script.repetitions
    k = data.draw(st.integers(1, n), label="resume at")
    chunk = next_chunk(script, k, render)
    assert chunk.first_repetition == k
    assert list(chunk.parts) == expected_parts(script, k, chunk.last_repetition)
    assert counted(chunk.parts)[0] == k
    check_ssml(chunk.parts)
    # The rest of the set, from there, is the same as chunking it from the start would give.
    rest = [chunk]
    while not rest[-1].finishes_set:
        rest.append(next_chunk(script, rest[-1].last_repetition + 1, render))
    from_k = script.steps_from(k) if k > 1 else script.steps  # the first: introduction too
    assert [part for c in rest for part in c.parts] == [step.part for step in from_k]
    outside = data.draw(st.one_of(st.integers(max_value=0), st.integers(min_value=n + 1)))
    clamped = 1 if outside <= 0 else n
    assert next_chunk(script, outside, render) == next_chunk(script, clamped, render)


@GENERATED
@given(
    plan=generated_plans(),
    pace=st.sampled_from(Pace),
    limits=st.builds(
        ChunkLimits,
        max_repetitions=st.integers(1, 8),
        max_ms=st.integers(5_000, ALEXA_MAX_MS),
        max_chars=st.integers(200, 7000),
    ),
)
def test_generated_sets_follow_any_limits_or_say_they_cannot(
    plan: RecoveryPlan, pace: Pace, limits: ChunkLimits
) -> None:
    script = script_for(plan, pace)
    try:
        chunks = all_chunks(script, render, limits)
    except ValueError:
        # Only when some repetition (with the introduction or closing line it carries) does
        # not fit on its own.
        alone = [expected_parts(script, k, k) for k in range(1, script.repetitions + 1)]
        assert not all(within(parts, limits, render) for parts in alone)
    else:
        check_set(plan, script, chunks, limits)
