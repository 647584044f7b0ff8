"""A second locale made for a test: the plan's and the strings' en-US text under its name.
Tests of what is per locale (coach audio, streamed sets) then run the same whether or not, or
how far, a locale's translation has landed.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from skill.content.plan import DEFAULT_PLAN_PATH, LOCALE_PATTERN, RecoveryPlan
from skill.content.strings import DEFAULT_LOCALE, DEFAULT_STRINGS_DIR, Catalogue, load_catalogue


def _with_locale(node: Any, locale: str) -> Any:
    """Every text of `node` (a dict keyed by locales) with its en-US text as `locale`'s."""
    if isinstance(node, dict):
        if node and all(isinstance(key, str) and LOCALE_PATTERN.match(key) for key in node):
            return {**node, locale: node[DEFAULT_LOCALE]}
        return {key: _with_locale(value, locale) for key, value in node.items()}
    if isinstance(node, list):
        return [_with_locale(value, locale) for value in node]
    return node


def plan_file(folder: Path, locale: str) -> Path:
    """The plan, with `locale` among its locales, written to `folder` (for the PLAN setting)."""
    raw = yaml.safe_load(DEFAULT_PLAN_PATH.read_text(encoding="utf-8"))
    made = _with_locale(raw, locale)
    made["locales"] = [*raw["locales"], *([] if locale in raw["locales"] else [locale])]
    RecoveryPlan.model_validate(made)
    path = folder / "plan.yaml"
    path.write_text(yaml.safe_dump(made, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def catalogue(folder: Path, locale: str) -> Catalogue:
    """en-US's strings, and the same as `locale`'s."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(DEFAULT_STRINGS_DIR / f"{DEFAULT_LOCALE}.yaml", folder)
    shutil.copy(folder / f"{DEFAULT_LOCALE}.yaml", folder / f"{locale}.yaml")
    return load_catalogue(folder)
