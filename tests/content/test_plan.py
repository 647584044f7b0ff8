"""The recovery plan: the default plan is sound and sourced; broken plans name file and field."""

from __future__ import annotations

import copy
import json
import os
import re
import string
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from skill.content.plan import (
    DEFAULT_PLAN_PATH,
    ActivityRule,
    PlanError,
    RecoveryPlan,
    Sourced,
    load_plan,
)

REPO = Path(__file__).resolve().parents[2]
SOURCES_DIR = Path(__file__).resolve().parents[3] / "shared" / "sources"
INTERACTION_MODEL = REPO / "interaction_model" / "en-US.json"
LOCALE_KEY = re.compile(r"^[a-z]{2}-[A-Z]{2}$")

Raw = dict[str, Any]


@pytest.fixture(scope="module")
def plan() -> RecoveryPlan:
    return load_plan()


@pytest.fixture
def raw_plan() -> Raw:
    raw: Raw = yaml.safe_load(DEFAULT_PLAN_PATH.read_text(encoding="utf-8"))
    return raw


@pytest.fixture(scope="module")
def sources_dir() -> Path:
    """shared/sources beside the repository; it lives outside the repo, so guard its absence."""
    if not SOURCES_DIR.is_dir():
        message = f"the clinical sources folder {SOURCES_DIR} is missing (shared/ beside the repo)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return SOURCES_DIR


def normalise_whitespace(text: str) -> str:
    return " ".join(text.split())


def activity_ids_in_model() -> list[str]:
    model = json.loads(INTERACTION_MODEL.read_text(encoding="utf-8"))
    types = model["interactionModel"]["languageModel"]["types"]
    (activity,) = [t for t in types if t["name"] == "ACTIVITY"]
    return [value["id"] for value in activity["values"]]


# --- the default plan ----------------------------------------------------------------------


def test_default_plan_loads(plan: RecoveryPlan) -> None:
    assert plan.schema_version == 1
    assert plan.locales == ["en-US", "en-GB", "nl-NL"]
    assert set(plan.sources) == {"hmc", "spine_institute"}
    assert [phase.starts_week for phase in plan.phases] == [0, 1, 6, 12, 16]
    assert plan.primary_contact.phone == "088 979 23 23"
    assert [e.id for e in plan.in_bed_exercises.exercises] == [
        "knee_presses",
        "knee_lifts",
        "bridges",
    ]


def test_load_plan_with_the_default_path_equals_load_plan_without_one(plan: RecoveryPlan) -> None:
    assert load_plan(DEFAULT_PLAN_PATH) == plan


def _sourced_items(node: object, path: str) -> Iterator[tuple[str, Sourced]]:
    """Every Sourced model anywhere in the plan, with its dotted path."""
    if isinstance(node, Sourced):
        yield path, node
    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _sourced_items(getattr(node, name), f"{path}.{name}".lstrip("."))
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _sourced_items(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _sourced_items(value, f"{path}.{index}")


def test_every_sourced_item_cites_a_known_source(plan: RecoveryPlan) -> None:
    items = dict(_sourced_items(plan, ""))
    # contacts 2 + phases 5 + milestones 4 + activities 16 + starting position + safety
    # + urgent pain advice + exercises 3 + check-in alerts 2, counted in plan.yaml.
    assert len(items) == 35
    unknown = {path: item.source for path, item in items.items() if item.source not in plan.sources}
    assert unknown == {}


def _texts_without_a_source(node: object, path: str, sourced: bool) -> Iterator[str]:
    """Paths of locale-keyed texts in the raw YAML with no `source` on any enclosing mapping."""
    if isinstance(node, dict):
        if node and all(isinstance(k, str) and LOCALE_KEY.match(k) for k in node):
            if not sourced:
                yield path
            return
        sourced = sourced or "source" in node
        for key, value in node.items():
            yield from _texts_without_a_source(value, f"{path}.{key}", sourced)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _texts_without_a_source(value, f"{path}.{index}", sourced)


def test_every_health_statement_in_the_yaml_sits_under_a_source(raw_plan: Raw) -> None:
    assert list(_texts_without_a_source(raw_plan, "", sourced=False)) == []


def test_the_unsourced_text_finder_finds_unsourced_text(raw_plan: Raw) -> None:
    # The check above must be able to fail: drop one source and it is reported.
    del raw_plan["phases"][2]["source"]
    assert list(_texts_without_a_source(raw_plan, "", sourced=False)) == [
        ".phases.2.name",
        ".phases.2.summary",
    ]


def _texts(node: object, path: str) -> Iterator[tuple[str, dict[str, str]]]:
    """Every locale-keyed text in the raw YAML, with its path."""
    if isinstance(node, dict):
        if node and all(isinstance(k, str) and LOCALE_KEY.match(k) for k in node):
            yield path, node
            return
        for key, value in node.items():
            yield from _texts(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _texts(value, f"{path}.{index}")


# Texts whose numbers differ by locale on purpose, and why.
NUMBERS_SAID_APART = {
    # 12-hour in the United States, 24-hour in Britain and the Netherlands.
    ".contacts.physical_therapy.hours",
    # "a right angle" in English; the Dutch source itself says "90°" ("90 graden").
    ".in_bed_exercises.exercises.1.instruction",
}


def _numbers(text: str) -> list[str]:
    return re.findall(r"\d+", text)


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_locale_says_the_same_numbers_and_fills_the_same_placeholders(
    raw_plan: Raw,
) -> None:
    """A translation keeps the facts: the same figures (4 hours, 3 months, week 6 …) and the
    same {date}, {week}, {contact} in every locale's text."""
    texts = dict(_texts(raw_plan, ""))
    assert len(texts) > 60
    assert set(texts) >= NUMBERS_SAID_APART
    for path, by_locale in texts.items():
        reference = by_locale["en-US"]
        for locale, text in by_locale.items():
            assert _fields(text) == _fields(reference), (path, locale)
            if path not in NUMBERS_SAID_APART:
                assert _numbers(text) == _numbers(reference), (path, locale)


def test_every_source_file_exists(plan: RecoveryPlan, sources_dir: Path) -> None:
    missing = [s.file for s in plan.sources.values() if not (sources_dir / s.file).is_file()]
    assert missing == []


@pytest.mark.parametrize("contact_id", ["physical_therapy", "neurosurgery"])
def test_contact_phone_appears_in_its_cited_source(
    plan: RecoveryPlan, sources_dir: Path, contact_id: str
) -> None:
    contact = plan.contacts[contact_id]
    source_file = sources_dir / plan.sources[contact.source].file
    text = normalise_whitespace(source_file.read_text(encoding="utf-8"))
    assert normalise_whitespace(contact.phone) in text


def test_every_contact_is_checked_above(plan: RecoveryPlan) -> None:
    assert set(plan.contacts) == {"physical_therapy", "neurosurgery"}


# --- the plan and the interaction model ----------------------------------------------------


def test_model_activity_ids_are_valid_and_unique() -> None:
    ids = activity_ids_in_model()
    assert ids, "the ACTIVITY slot type has no values"
    assert len(ids) == len(set(ids))
    assert [i for i in ids if not re.fullmatch(r"[a-z][a-z_]*", i)] == []


def test_model_activity_ids_with_rules_resolve_to_rules(plan: RecoveryPlan) -> None:
    with_rules = [i for i in activity_ids_in_model() if i in plan.activities]
    assert len(with_rules) == len(plan.activities)
    assert all(isinstance(plan.activities[i], ActivityRule) for i in with_rules)


def test_every_plan_activity_is_an_activity_in_the_model(plan: RecoveryPlan) -> None:
    assert sorted(set(plan.activities) - set(activity_ids_in_model())) == []


def test_no_spoken_activity_name_maps_to_two_ids() -> None:
    model = json.loads(INTERACTION_MODEL.read_text(encoding="utf-8"))
    types = model["interactionModel"]["languageModel"]["types"]
    (activity,) = [t for t in types if t["name"] == "ACTIVITY"]
    owners: dict[str, set[str]] = {}
    for value in activity["values"]:
        for phrase in [value["name"]["value"], *value["name"].get("synonyms", [])]:
            owners.setdefault(phrase.lower(), set()).add(value["id"])
    assert {phrase: ids for phrase, ids in owners.items() if len(ids) > 1} == {}


# --- broken plans --------------------------------------------------------------------------

Mutation = Callable[[Raw], None]


def _add_locale(raw: Raw) -> None:
    raw["locales"] = [*raw["locales"], "de-DE"]


def _only_french_summary(raw: Raw) -> None:
    raw["phases"][0]["summary"] = {"fr-FR": "Vous pouvez vous lever 4 heures après."}


def _empty_summary(raw: Raw) -> None:
    raw["phases"][0]["summary"] = {}


def _miscased_locale(raw: Raw) -> None:
    raw["phases"][0]["summary"] = {"en-us": "You can get out of bed 4 hours after surgery."}


def _unknown_source(raw: Raw) -> None:
    raw["phases"][1]["source"] = "nhs"


def _phases_out_of_order(raw: Raw) -> None:
    phases = raw["phases"]
    phases[2], phases[3] = phases[3], phases[2]


def _phases_same_week(raw: Raw) -> None:
    raw["phases"][3]["starts_week"] = 6


def _first_phase_not_week_0(raw: Raw) -> None:
    del raw["phases"][0]


def _milestone_week_and_phase(raw: Raw) -> None:
    raw["milestones"][1]["week"] = 6


def _milestone_neither_week_nor_phase(raw: Raw) -> None:
    del raw["milestones"][0]["week"]


def _milestone_unknown_phase(raw: Raw) -> None:
    raw["milestones"][1]["phase"] = "rehabilitation"


def _milestones_out_of_order(raw: Raw) -> None:
    milestones = raw["milestones"]
    milestones[2], milestones[3] = milestones[3], milestones[2]


def _gated_without_answer_before(raw: Raw) -> None:
    del raw["activities"]["drive"]["answer_before"]


def _answer_before_when_not_gated(raw: Raw) -> None:
    raw["activities"]["walk"]["answer_before"] = {"en-US": "Not yet."}


def _answer_before_unknown_placeholder(raw: Raw) -> None:
    raw["activities"]["drive"]["answer_before"]["en-US"] = "Not yet. From {foo}."


def _answer_before_positional_placeholder(raw: Raw) -> None:
    # "{}" cannot be filled by .format(week=…, date=…): it raises IndexError when spoken.
    raw["activities"]["drive"]["answer_before"]["en-US"] = "Not yet. From week {}."


def _answer_before_full_unknown_placeholder(raw: Raw) -> None:
    raw["activities"]["drive"]["answer_before_full"]["en-US"] = "Not yet. From week {weeks}."


def _exercise_two_schedules(raw: Raw) -> None:
    raw["in_bed_exercises"]["exercises"][0]["times_per_day"] = 3


def _exercise_no_schedule(raw: Raw) -> None:
    del raw["in_bed_exercises"]["exercises"][1]["times_per_day"]


def _unknown_top_level_field(raw: Raw) -> None:
    raw["colour"] = "blue"


def _unknown_nested_field(raw: Raw) -> None:
    raw["contacts"]["neurosurgery"]["email"] = "neuro@example.org"


def _bad_phone(raw: Raw) -> None:
    raw["contacts"]["neurosurgery"]["phone"] = "call the desk"


@pytest.mark.parametrize(
    ("mutate", "field_names"),
    [
        pytest.param(_add_locale, ["contacts.physical_therapy.name", "de-DE"], id="locale-added"),
        pytest.param(_only_french_summary, ["phases.0.summary", "en-US"], id="text-lacks-locale"),
        pytest.param(_empty_summary, ["phases.0.summary"], id="text-empty-mapping"),
        pytest.param(_miscased_locale, ["phases.0.summary"], id="text-miscased-locale"),
        pytest.param(_unknown_source, ["phases.1.source", "nhs"], id="unknown-source"),
        pytest.param(_phases_out_of_order, ["phases"], id="phases-out-of-order"),
        pytest.param(_phases_same_week, ["phases"], id="phases-same-week"),
        pytest.param(_first_phase_not_week_0, ["phases", "week 0"], id="first-phase-not-week-0"),
        pytest.param(_milestone_week_and_phase, ["milestones.1", "week", "phase"], id="ms-both"),
        pytest.param(
            _milestone_neither_week_nor_phase, ["milestones.0", "week", "phase"], id="ms-neither"
        ),
        pytest.param(
            _milestone_unknown_phase, ["milestones.1.phase", "rehabilitation"], id="ms-bad-phase"
        ),
        pytest.param(_milestones_out_of_order, ["milestones"], id="ms-out-of-order"),
        pytest.param(
            _gated_without_answer_before,
            ["activities.drive", "answer_before"],
            id="gated-no-answer-before",
        ),
        pytest.param(
            _answer_before_when_not_gated,
            ["activities.walk", "answer_before"],
            id="answer-before-not-gated",
        ),
        pytest.param(
            _answer_before_unknown_placeholder,
            ["activities.drive", "answer_before", "{foo}"],
            id="answer-before-unknown-placeholder",
        ),
        pytest.param(
            _answer_before_positional_placeholder,
            ["activities.drive", "answer_before"],
            id="answer-before-positional-placeholder",
        ),
        pytest.param(
            _answer_before_full_unknown_placeholder,
            ["activities.drive", "answer_before_full", "{weeks}"],
            id="answer-before-full-unknown-placeholder",
        ),
        pytest.param(
            _exercise_two_schedules,
            ["in_bed_exercises.exercises.0", "every_hour", "times_per_day"],
            id="exercise-two-schedules",
        ),
        pytest.param(
            _exercise_no_schedule,
            ["in_bed_exercises.exercises.1", "every_hour", "times_per_day"],
            id="exercise-no-schedule",
        ),
        pytest.param(_unknown_top_level_field, ["colour"], id="unknown-top-level-field"),
        pytest.param(
            _unknown_nested_field, ["contacts.neurosurgery.email"], id="unknown-nested-field"
        ),
        pytest.param(_bad_phone, ["contacts.neurosurgery.phone"], id="bad-phone"),
    ],
)
def test_broken_plan_names_file_and_field(
    raw_plan: Raw, tmp_path: Path, mutate: Mutation, field_names: list[str]
) -> None:
    mutate(raw_plan)
    path = tmp_path / "broken-plan.yaml"
    path.write_text(yaml.safe_dump(raw_plan, allow_unicode=True, sort_keys=False), encoding="utf-8")

    with pytest.raises(PlanError) as caught:
        load_plan(path)

    message = str(caught.value)
    assert str(path) in message
    for name in field_names:
        assert name in message


def test_unmodified_dump_of_the_default_plan_loads(
    raw_plan: Raw, tmp_path: Path, plan: RecoveryPlan
) -> None:
    # The broken-plan table relies on dump → load being faithful when nothing is broken.
    path = tmp_path / "plan.yaml"
    path.write_text(
        yaml.safe_dump(copy.deepcopy(raw_plan), allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )
    assert load_plan(path) == plan


def test_bad_yaml_syntax_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text("schema_version: 1\nphases: [\n  - id: hospital\n", encoding="utf-8")
    with pytest.raises(PlanError, match=re.escape(str(path))) as caught:
        load_plan(path)
    assert "line" in str(caught.value)


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "no-such-plan.yaml"
    with pytest.raises(PlanError, match=re.escape(str(path))):
        load_plan(path)


@pytest.mark.parametrize(
    "content",
    [pytest.param("", id="empty-file"), pytest.param("- just\n- a list\n", id="a-list")],
)
def test_plan_that_is_not_a_mapping_names_the_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PlanError, match=re.escape(str(path))):
        load_plan(path)
