"""The script of a guided set: what the coach says and the silences between, per repetition.

One script per exercise, pace, variant and locale; the coach-audio build renders it as a track,
and spoken delivery as SSML. Every step knows the repetition it belongs to: 0 before the first
repetition, 1..n for the repetitions, n + 1 for the closing line.

Two variants: the full one opens with the plan's safety line, the starting position and the
exercise's instruction (the first set of an exercise each day); the short one goes straight to the
count after a breath (later sets that day). The repetitions and closing are the same in both.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from skill.content.plan import InBedExercise, Pace, RecoveryPlan
from skill.content.strings import Strings


class Variant(StrEnum):
    """Full (with the starting position, instruction and safety line) or short (to the count)."""

    FULL = "full"
    SHORT = "short"


@dataclass(frozen=True)
class Say:
    """A phrase the coach speaks; `key` names it stably across builds."""

    key: str
    text: str


@dataclass(frozen=True)
class Silence:
    """A pause, in whole milliseconds."""

    milliseconds: int


@dataclass(frozen=True)
class Step:
    """One phrase or pause, and the repetition it belongs to."""

    repetition: int
    part: Say | Silence


@dataclass(frozen=True)
class Script:
    """A whole guided set."""

    exercise_id: str
    pace: Pace
    locale: str
    repetitions: int
    steps: tuple[Step, ...]
    variant: Variant = Variant.FULL

    @property
    def closing_repetition(self) -> int:
        """The repetition number the closing line carries."""
        return self.repetitions + 1

    def phrases(self) -> list[Say]:
        """Every phrase spoken, in order (with repeats)."""
        return [step.part for step in self.steps if isinstance(step.part, Say)]

    def steps_from(self, repetition: int) -> tuple[Step, ...]:
        """The steps from the start of `repetition` on (to resume there)."""
        return tuple(step for step in self.steps if step.repetition >= repetition)


def _milliseconds(seconds: float, factor: float) -> int:
    return round(seconds * factor * 1000)


def _opening(
    plan: RecoveryPlan, exercise: InBedExercise, locale: str, factor: float, variant: Variant
) -> list[Step]:
    """What comes before the first count: the full instructions, or only a breath."""
    exercises = plan.in_bed_exercises
    timing = exercises.timing
    after_instruction = Silence(_milliseconds(timing.after_instruction, factor))
    if variant is Variant.SHORT:
        return [Step(0, after_instruction)]
    return [
        Step(0, Say("safety", exercises.safety.text[locale])),
        Step(0, after_instruction),
        Step(0, Say("starting_position", exercises.starting_position.text[locale])),
        Step(0, Silence(_milliseconds(timing.after_starting_position, factor))),
        Step(0, Say(f"{exercise.id}.instruction", exercise.instruction[locale])),
        Step(0, after_instruction),
    ]


def build_script(
    plan: RecoveryPlan,
    strings: Strings,
    exercise: InBedExercise,
    pace: Pace,
    variant: Variant = Variant.FULL,
) -> Script:
    """The guided set for `exercise` at `pace`, in the strings' locale, full or short."""
    locale = strings.locale
    exercises = plan.in_bed_exercises
    factor = exercises.paces.factor(pace)
    timing = exercises.timing
    steps = _opening(plan, exercise, locale, factor, Variant(variant))
    tempo = exercise.tempo
    for repetition in range(1, exercise.repetitions + 1):
        steps.append(
            Step(
                repetition,
                Say(f"count.{repetition}", strings.plain("session.count", count=repetition)),
            )
        )
        steps.append(Step(repetition, Silence(_milliseconds(timing.after_count, factor))))
        side = tempo.sides[(repetition - 1) % len(tempo.sides)] if tempo.sides else None
        for index, cue in enumerate(tempo.cues):
            if side is None:
                key, text = f"{exercise.id}.cue.{index}", cue.say[locale]
            else:
                side_name = strings.plain(f"session.sides.{side}")
                key, text = (
                    f"{exercise.id}.cue.{index}.{side}",
                    cue.say[locale].format(side=side_name),
                )
            steps.append(Step(repetition, Say(key, text)))
            steps.append(Step(repetition, Silence(_milliseconds(cue.pause, factor))))
        if repetition < exercise.repetitions:
            steps.append(Step(repetition, Silence(_milliseconds(tempo.rest, factor))))
    closing = exercise.repetitions + 1
    name = exercise.name[locale]
    steps.append(
        Step(
            closing, Say(f"{exercise.id}.closing", strings.plain("session.closing", exercise=name))
        )
    )
    return Script(exercise.id, pace, locale, exercise.repetitions, tuple(steps), Variant(variant))


def all_scripts(plan: RecoveryPlan, strings: Strings) -> list[Script]:
    """Every exercise at every pace, full and short, in the strings' locale."""
    return [
        build_script(plan, strings, exercise, pace, variant)
        for exercise in plan.in_bed_exercises.exercises
        for pace in Pace
        for variant in Variant
    ]


def unique_phrases(scripts: list[Script]) -> dict[str, str]:
    """Every distinct phrase of the scripts, by key (each key always has one text)."""
    phrases: dict[str, str] = {}
    for script in scripts:
        for say in script.phrases():
            if phrases.setdefault(say.key, say.text) != say.text:
                raise ValueError(f"phrase key {say.key!r} has two texts")
    return phrases
