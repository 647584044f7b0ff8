"""Reading the content's YAML files: with libyaml's safe loader when PyYAML has it.

`yaml.safe_load` always parses in pure Python, which took about 30 ms of every start for the
plan and the strings; libyaml's `CSafeLoader` reads them in a tenth of that and builds the same
values with the same constructors (tests/content/test_yaml_files.py compares them). PyYAML
built without libyaml has no `CSafeLoader`; then the pure-Python `SafeLoader` is used.
"""

from __future__ import annotations

from typing import Any

import yaml

SAFE_LOADER: type[yaml.SafeLoader | yaml.CSafeLoader] = getattr(
    yaml, "CSafeLoader", yaml.SafeLoader
)


def safe_load(text: str) -> Any:
    """The YAML document in `text`, as `yaml.safe_load` reads it (raises yaml.YAMLError)."""
    return yaml.load(text, Loader=SAFE_LOADER)
