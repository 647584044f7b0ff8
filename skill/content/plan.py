"""The recovery plan: clinical content as validated data, loaded from YAML."""

from __future__ import annotations

import re
import string
from datetime import date, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, Self

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from skill.content.yaml_files import safe_load

DEFAULT_PLAN_PATH = Path(__file__).parent / "plan.yaml"
LOCALE_PATTERN = re.compile(r"^[a-z]{2}-[A-Z]{2}$")

LocalizedText = Annotated[
    dict[
        Annotated[str, StringConstraints(pattern=LOCALE_PATTERN.pattern)],
        Annotated[str, Field(min_length=1)],
    ],
    Field(min_length=1),
]
"""Text keyed by locale, e.g. {"en-US": "…"}; every plan locale must be present."""


class PlanError(RuntimeError):
    """The plan file is unreadable or invalid; the message names the file and the field."""


FULL = "_full"


class _Model(BaseModel):
    """A plan item. A text field `<name>_full`, where a model has one, is the full wording of
    `<name>` (the brief default), said to a patient who asked for more detail."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="after")
    def _full_wording_beside_brief(self) -> Self:
        for name in type(self).model_fields:
            brief = name.removesuffix(FULL)
            if brief != name and getattr(self, name) is not None and getattr(self, brief) is None:
                raise ValueError(f"'{name}' is the full wording of a missing '{brief}'")
        return self


class Source(_Model):
    """One of the clinical source documents the plan cites."""

    file: str
    title: str


class Sourced(_Model):
    """A plan item that makes a health statement, citing its source document."""

    source: str


class Contact(Sourced):
    """A department the patient may call."""

    phone: Annotated[str, Field(pattern=r"^[0-9+() -]{3,}$")]
    name: LocalizedText
    hours: LocalizedText | None = None


class Phase(Sourced):
    """A stage of recovery starting at a whole week after surgery."""

    id: str
    starts_week: Annotated[int, Field(ge=0)]
    name: LocalizedText
    summary: LocalizedText
    summary_full: LocalizedText | None = None


class Milestone(Sourced):
    """Something that becomes possible from a given week (or from a phase's start)."""

    week: Annotated[int, Field(ge=0)] | None = None
    phase: str | None = None
    text: LocalizedText
    text_full: LocalizedText | None = None

    @model_validator(mode="after")
    def _week_or_phase(self) -> Self:
        if (self.week is None) == (self.phase is None):
            raise ValueError("give exactly one of 'week' or 'phase'")
        return self


class ActivityRule(Sourced):
    """The plan's answer to "can I … yet?" for one activity."""

    from_week: Annotated[int, Field(ge=0)] = 0
    answer: LocalizedText
    answer_before: LocalizedText | None = None
    answer_before_full: LocalizedText | None = None

    @model_validator(mode="after")
    def _before_text_when_gated(self) -> Self:
        if self.from_week > 0 and self.answer_before is None:
            raise ValueError("'answer_before' is required when 'from_week' is above 0")
        if self.from_week == 0 and self.answer_before is not None:
            raise ValueError("'answer_before' is never said when 'from_week' is 0")
        for name in ("answer_before", "answer_before_full"):
            for text in (getattr(self, name) or {}).values():
                fields = {n for _, n, _, _ in string.Formatter().parse(text) if n is not None}
                if not fields <= {"week", "date"}:
                    raise ValueError(f"'{name}' may use only {{week}} and {{date}}: {text!r}")
        return self


class SourcedText(Sourced):
    """A sourced sentence."""

    text: LocalizedText


Seconds = Annotated[float, Field(ge=0, le=10)]
MAX_BREAK_SECONDS = 10.0  # Alexa's longest SSML <break>
SIDES = ("right", "left")


class Cue(_Model):
    """One thing the coach says in each repetition, then a pause (seconds at the normal pace)."""

    say: LocalizedText
    pause: Seconds


class Tempo(_Model):
    """How a repetition is timed and cued; repetitions alternate `sides` when given."""

    cues: Annotated[list[Cue], Field(min_length=1)]
    rest: Seconds
    sides: list[Literal["right", "left"]] | None = None

    @model_validator(mode="after")
    def _side_placeholder(self) -> Self:
        for index, cue in enumerate(self.cues):
            for text in cue.say.values():
                fields = {n for _, n, _, _ in string.Formatter().parse(text) if n is not None}
                allowed = {"side"} if self.sides else set()
                if not fields <= allowed:
                    raise ValueError(
                        f"cues.{index}.say may use {sorted(allowed) or 'no placeholders'}: {text!r}"
                    )
        return self

    @property
    def longest_pause(self) -> float:
        """The longest pause in a repetition."""
        return max([self.rest, *(cue.pause for cue in self.cues)])


class Pace(StrEnum):
    """How fast a guided set goes; the patient's choice."""

    SLOW = "slow"
    NORMAL = "normal"
    BRISK = "brisk"


class Paces(_Model):
    """How each pace stretches the pauses: slow above 1, brisk below."""

    slow: Annotated[float, Field(gt=0, le=3)]
    normal: Annotated[float, Field(gt=0, le=3)]
    brisk: Annotated[float, Field(gt=0, le=3)]

    def factor(self, pace: Pace) -> float:
        """The factor for a pace."""
        factor: float = getattr(self, pace.value)
        return factor


class Timing(_Model):
    """Pauses around the start of a guided set, in seconds at the normal pace."""

    after_starting_position: Seconds
    after_instruction: Seconds
    after_count: Seconds


class InBedExercise(Sourced):
    """One of the exercises done lying in bed.

    `from_week` gates it: before that week the coach says "not yet", giving `not_yet_because`.
    """

    id: Annotated[str, Field(pattern=r"^[a-z_]{1,64}$")]
    name: LocalizedText
    instruction: LocalizedText
    repetitions: Annotated[int, Field(ge=1, le=100)]
    every_hour: bool = False
    times_per_day: Annotated[int, Field(ge=1, le=24)] | None = None
    # When reminders name a daily exercise: one whole local hour per set, within the plan's
    # waking hours (a patient's own waking hours move them proportionally).
    remind_at: Annotated[list[time], Field(min_length=1, max_length=24)] | None = None
    from_week: Annotated[int, Field(ge=0)] = 0
    not_yet_because: LocalizedText | None = None
    tempo: Tempo

    @model_validator(mode="after")
    def _one_schedule(self) -> Self:
        if self.every_hour == (self.times_per_day is not None):
            raise ValueError("give either 'every_hour: true' or 'times_per_day'")
        if (self.from_week > 0) != (self.not_yet_because is not None):
            raise ValueError("give 'not_yet_because' exactly when 'from_week' is above 0")
        if self.remind_at is not None:
            if self.times_per_day != len(self.remind_at):
                raise ValueError("'remind_at' gives one time for each of 'times_per_day'")
            if any(moment.minute or moment.second for moment in self.remind_at):
                raise ValueError("'remind_at' times are whole hours, like '09:00'")
            if self.remind_at != sorted(set(self.remind_at)):
                raise ValueError("'remind_at' times are distinct and in order")
        return self


class WakingHours(_Model):
    """The local hours across which daily sets are spread (hourly ones: once each hour)."""

    start: time = time(8, 0)
    end: time = time(22, 0)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not self.start < self.end:
            raise ValueError("'start' must be before 'end'")
        return self


class PainRule(_Model):
    """What the coach does when a set hurts.

    The plan's safety rule is always said; a score at or above `threshold` (0 to 10) adds
    `urgent`, naming `contact` (a key of `contacts`). The threshold is a clinic's setting.
    """

    threshold: Annotated[int, Field(ge=1, le=10)] = 7
    contact: str
    urgent: SourcedText

    @model_validator(mode="after")
    def _urgent_placeholders(self) -> Self:
        for text in self.urgent.text.values():
            fields = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
            if not fields <= {"contact", "phone"}:
                raise ValueError(f"'urgent' may use only {{contact}} and {{phone}}: {text!r}")
        return self


class InBedExercises(_Model):
    """The in-bed exercises with their shared starting position and safety rule."""

    starting_position: SourcedText
    safety: SourcedText
    pain: PainRule
    waking_hours: WakingHours = WakingHours()
    paces: Paces
    timing: Timing
    exercises: Annotated[list[InBedExercise], Field(min_length=1)]

    @model_validator(mode="after")
    def _breaks_within_alexa_limit(self) -> Self:
        slowest = max(self.paces.slow, self.paces.normal, self.paces.brisk)
        longest = max(
            [
                self.timing.after_starting_position,
                self.timing.after_instruction,
                self.timing.after_count,
                *(exercise.tempo.longest_pause for exercise in self.exercises),
            ]
        )
        if longest * slowest > MAX_BREAK_SECONDS:
            raise ValueError(
                f"a {longest} s pause at the slowest pace ({slowest}x) is longer than "
                f"Alexa's {MAX_BREAK_SECONDS:.0f} s break"
            )
        ids = [exercise.id for exercise in self.exercises]
        if len(ids) != len(set(ids)):
            raise ValueError("exercises: each id may appear once")
        hours = self.waking_hours
        for exercise in self.exercises:
            if any(not hours.start <= at < hours.end for at in exercise.remind_at or ()):
                raise ValueError(f"{exercise.id}: 'remind_at' lies outside the waking hours")
        return self


CheckInAnswer = Literal["pain", "walk_minutes", "sitting_minutes", "worried"]


class CheckInAlert(Sourced):
    """A check-in answer that is worrying: said at once with `advice`, and recorded as an alert.

    A number answer is worrying at or above `at_least` (or at or below `at_most`); the yes/no
    answer `worried` when it equals `equals`.
    """

    id: Annotated[str, Field(pattern=r"^[a-z_]{1,64}$")]
    answer: CheckInAnswer
    at_least: Annotated[int, Field(ge=0)] | None = None
    at_most: Annotated[int, Field(ge=0)] | None = None
    equals: bool | None = None
    advice: LocalizedText

    @model_validator(mode="after")
    def _one_condition(self) -> Self:
        given = [c for c in (self.at_least, self.at_most, self.equals) if c is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'at_least', 'at_most' or 'equals'")
        if (self.answer == "worried") != (self.equals is not None):
            raise ValueError("'equals' is for the yes/no answer 'worried' only")
        return self

    def applies(self, value: int | bool | None) -> bool:
        """Whether an answer (None: skipped) sets off this alert."""
        if value is None:
            return False
        if self.equals is not None:
            return value is self.equals
        if isinstance(value, bool):
            return False
        if self.at_least is not None:
            return value >= self.at_least
        return self.at_most is not None and value <= self.at_most


class CheckIn(_Model):
    """The daily check-in: which answers are worrying, and whom the advice names."""

    contact: str
    alerts: list[CheckInAlert]


class RecoveryPlan(_Model):
    """The whole plan: sources, contacts, phases, milestones, activity rules, exercises."""

    schema_version: int = Field(ge=1, le=1)
    name: str
    locales: Annotated[list[str], Field(min_length=1)]
    sources: dict[str, Source]
    contacts: Annotated[dict[str, Contact], Field(min_length=1)]
    phases: Annotated[list[Phase], Field(min_length=1)]
    milestones: list[Milestone]
    activities: dict[str, ActivityRule]
    in_bed_exercises: InBedExercises
    check_in: CheckIn

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        for locale in self.locales:
            if not LOCALE_PATTERN.match(locale):
                raise ValueError(f"locale {locale!r} is not like 'en-US'")
        self._check_texts(self.model_dump(), ())
        self._check_sources(self.model_dump(), ())
        starts = [phase.starts_week for phase in self.phases]
        if starts[0] != 0 or starts != sorted(set(starts)):
            raise ValueError(
                "phases: the first starts at week 0 and each starts later than the one before"
            )
        phase_ids = {phase.id for phase in self.phases}
        for index, milestone in enumerate(self.milestones):
            if milestone.phase is not None and milestone.phase not in phase_ids:
                raise ValueError(f"milestones.{index}.phase: no phase {milestone.phase!r}")
        if self.in_bed_exercises.pain.contact not in self.contacts:
            raise ValueError(
                f"in_bed_exercises.pain.contact: no contact {self.in_bed_exercises.pain.contact!r}"
            )
        if self.check_in.contact not in self.contacts:
            raise ValueError(f"check_in.contact: no contact {self.check_in.contact!r}")
        alert_ids = [alert.id for alert in self.check_in.alerts]
        if len(alert_ids) != len(set(alert_ids)):
            raise ValueError("check_in.alerts: each id may appear once")
        weeks = [self.milestone_week(milestone) for milestone in self.milestones]
        if weeks != sorted(weeks):
            raise ValueError("milestones: list them in the order they are reached")
        return self

    def _check_texts(self, node: Any, path: tuple[str, ...]) -> None:
        if isinstance(node, dict):
            keys = set(node)
            if keys and all(isinstance(key, str) and LOCALE_PATTERN.match(key) for key in keys):
                missing = set(self.locales) - keys
                if missing:
                    raise ValueError(f"{'.'.join(path)}: no text for {', '.join(sorted(missing))}")
                return
            for key, value in node.items():
                self._check_texts(value, (*path, str(key)))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                self._check_texts(value, (*path, str(index)))

    def _check_sources(self, node: Any, path: tuple[str, ...]) -> None:
        if isinstance(node, dict):
            source = node.get("source")
            if isinstance(source, str) and source not in self.sources:
                raise ValueError(f"{'.'.join(path)}.source: no source {source!r} in 'sources'")
            for key, value in node.items():
                self._check_sources(value, (*path, str(key)))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                self._check_sources(value, (*path, str(index)))

    def milestone_week(self, milestone: Milestone) -> int:
        """The week a milestone is reached."""
        if milestone.week is not None:
            return milestone.week
        return next(phase.starts_week for phase in self.phases if phase.id == milestone.phase)

    @property
    def primary_contact(self) -> Contact:
        """The contact offered by default: the first listed."""
        return next(iter(self.contacts.values()))

    def contact_for(self, topic: str | None) -> str:
        """The key of the contact to call about `topic` (a CONTACT_TOPIC slot id): the one the
        plan names for it (pain: the pain rule's contact), else the first listed."""
        named = {"pain": self.in_bed_exercises.pain.contact}
        return named.get(topic or "", next(iter(self.contacts)))

    def exercise(self, exercise_id: str) -> InBedExercise | None:
        """The in-bed exercise with this id, if the plan has it."""
        return next((e for e in self.in_bed_exercises.exercises if e.id == exercise_id), None)


def week_start(surgery_date: date, week: int) -> date:
    """The first day of a week counted from surgery (week 6 starts 42 days after it)."""
    return surgery_date + timedelta(weeks=week)


def load_plan(path: Path | None = None) -> RecoveryPlan:
    """Read and validate a plan file; raise PlanError naming the file and field on any problem."""
    path = path or DEFAULT_PLAN_PATH
    try:
        raw = safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise PlanError(f"{path}: cannot read the plan: {error}") from error
    try:
        return RecoveryPlan.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in issue['loc']) or '(top level)'}: {issue['msg']}"
            for issue in error.errors()
        )
        raise PlanError(f"{path}: invalid plan: {problems}") from error
