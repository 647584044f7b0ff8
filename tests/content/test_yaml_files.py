"""The content's YAML is read with libyaml when PyYAML has it, and reads the same either way."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from skill.content import yaml_files
from skill.content.plan import DEFAULT_PLAN_PATH, load_plan
from skill.content.strings import DEFAULT_STRINGS_DIR
from skill.content.yaml_files import safe_load

CONTENT_FILES = [DEFAULT_PLAN_PATH, *sorted(DEFAULT_STRINGS_DIR.glob("*.yaml"))]
needs_libyaml = pytest.mark.skipif(
    not yaml.__with_libyaml__, reason="PyYAML was built without libyaml"
)


def test_the_libyaml_loader_is_used_when_pyyaml_has_it() -> None:
    expected = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
    assert yaml_files.SAFE_LOADER is expected


@needs_libyaml
@pytest.mark.parametrize("path", CONTENT_FILES, ids=lambda path: path.name)
def test_both_loaders_read_each_content_file_identically(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    in_c = yaml.load(text, Loader=yaml.CSafeLoader)
    in_python = yaml.load(text, Loader=yaml.SafeLoader)
    assert in_c == in_python
    # == holds between 1, 1.0 and True; the representation also tells the types apart.
    assert repr(in_c) == repr(in_python)


@needs_libyaml
def test_the_plan_is_the_same_with_either_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    with_c = load_plan()
    monkeypatch.setattr(yaml_files, "SAFE_LOADER", yaml.SafeLoader)
    assert load_plan() == with_c


@pytest.mark.parametrize("loader", [yaml.SafeLoader, getattr(yaml, "CSafeLoader", None)])
def test_either_loader_refuses_what_safe_load_refuses(
    loader: type[yaml.SafeLoader] | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if loader is None:
        pytest.skip("PyYAML was built without libyaml")
    monkeypatch.setattr(yaml_files, "SAFE_LOADER", loader)
    assert safe_load("a: [1, 2.5, true, null, '3']") == {"a": [1, 2.5, True, None, "3"]}
    with pytest.raises(yaml.YAMLError):
        safe_load("!!python/object/apply:os.system ['true']")
    with pytest.raises(yaml.YAMLError):
        safe_load("a: [unclosed")
