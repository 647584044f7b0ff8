"""Brief and full wordings: a catalogue key `<name>_full` and a plan field `<field>_full` are
said instead of `<name>` / `<field>` to a patient who asked for more detail."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from skill.content import plan as plan_module
from skill.content.plan import DEFAULT_PLAN_PATH, LocalizedText, PlanError, load_plan
from skill.content.strings import (
    DEFAULT_STRINGS_DIR,
    FULL,
    Detail,
    Strings,
    StringsError,
    load_catalogue,
)


@pytest.fixture(scope="module")
def en() -> Strings:
    return load_catalogue().for_locale("en-US")


def test_a_key_with_a_full_wording_says_it_only_to_a_patient_who_chose_it(en: Strings) -> None:
    brief = en.detailed(lambda: Detail.BRIEF)
    full = en.detailed(lambda: Detail.FULL)
    params = {"name": "the clinic", "phone": "1 2 3", "hours": "weekdays"}
    assert brief.text("contact.call", **params) == "Call the clinic on 1 2 3."
    assert full.text("contact.call", **params) == "Call the clinic on 1 2 3, weekdays."
    assert en.text("contact.call", **params) == "Call the clinic on 1 2 3."  # the default
    assert full.plain("contact.call", **params) == "Call the clinic on 1 2 3, weekdays."


def test_the_patient_is_asked_only_for_a_key_that_has_a_full_wording(en: Strings) -> None:
    asked: list[str] = []

    def detail() -> Detail:
        asked.append("asked")
        return Detail.FULL

    strings = en.detailed(detail)
    strings.text("conversation.anything_else")
    assert asked == []
    strings.text("contact.call", name="x", phone="1", hours="y")
    assert asked == ["asked"]


def test_pick_chooses_the_plans_full_text_when_there_is_one(en: Strings) -> None:
    full = en.detailed(lambda: Detail.FULL)
    assert full.pick("brief", "full") == "full"
    assert full.pick("brief", None) == "brief"
    assert en.pick("brief", "full") == "brief"


def test_every_full_wording_has_its_brief_default(en: Strings) -> None:
    keys = en.keys()
    fulls = {key for key in keys if key.endswith(FULL)}
    assert fulls  # the mechanism is in use
    assert {key.removesuffix(FULL) for key in fulls} <= keys


def test_a_full_wording_without_its_brief_default_stops_loading(tmp_path: Path) -> None:
    shutil.copy(DEFAULT_STRINGS_DIR / "en-US.yaml", tmp_path / "en-US.yaml")
    raw = yaml.safe_load((tmp_path / "en-US.yaml").read_text(encoding="utf-8"))
    raw["contact"]["nowhere_full"] = "Nowhere."
    (tmp_path / "en-US.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(StringsError, match=re.escape("contact.nowhere_full: a full wording needs")):
        load_catalogue(tmp_path)


def test_a_plans_full_text_needs_every_locale(tmp_path: Path) -> None:
    raw = yaml.safe_load(DEFAULT_PLAN_PATH.read_text(encoding="utf-8"))
    assert "nl-NL" in raw["locales"]
    del raw["milestones"][0]["text_full"]["nl-NL"]
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(PlanError, match=r"milestones\.0\.text_full: no text for nl-NL"):
        load_plan(path)


def test_the_default_plans_milestone_has_both_wordings() -> None:
    milestone = load_plan().milestones[0]
    assert milestone.text_full is not None
    assert milestone.text["en-US"] != milestone.text_full["en-US"]


class _Item(plan_module._Model):
    hours: LocalizedText | None = None
    hours_full: LocalizedText | None = None


def test_a_plan_items_full_text_needs_its_brief_one() -> None:
    assert _Item(hours={"en-US": "a"}, hours_full={"en-US": "b"}).hours_full == {"en-US": "b"}
    with pytest.raises(ValidationError, match="'hours_full' is the full wording of a missing"):
        _Item(hours_full={"en-US": "b"})
