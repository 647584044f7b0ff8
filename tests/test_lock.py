"""The environment is the lock: every installed package is the version uv.lock pins."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _locked() -> dict[str, set[str]]:
    """Each package's locked versions (one per Python or platform where the resolution forks)."""
    lock = tomllib.loads((REPOSITORY / "uv.lock").read_text(encoding="utf-8"))
    versions: dict[str, set[str]] = {}
    for package in lock["package"]:
        versions.setdefault(_normalized(package["name"]), set()).add(package["version"])
    return versions


def _installed() -> dict[str, str]:
    return {_normalized(dist.metadata["Name"]): dist.version for dist in metadata.distributions()}


def test_every_installed_package_is_the_locked_version() -> None:
    locked, installed = _locked(), _installed()
    unlocked = sorted(name for name in installed if name not in locked)
    assert not unlocked, f"installed but not in uv.lock (run `make test`, not pip): {unlocked}"
    moved = {
        name: (version, locked[name])
        for name, version in installed.items()
        if version not in locked[name]
    }
    assert not moved, f"installed versions differ from uv.lock (installed, locked): {moved}"


def test_every_dependency_the_project_declares_is_installed() -> None:
    project = tomllib.loads((REPOSITORY / "pyproject.toml").read_text(encoding="utf-8"))
    declared = [*project["project"]["dependencies"], *project["dependency-groups"]["dev"]]
    names = {
        _normalized(re.split(r"[\[<>=~!; ]", requirement, maxsplit=1)[0])
        for requirement in declared
    }
    missing = sorted(names - _installed().keys())
    assert not missing, f"declared but not installed: {missing}"


def test_the_lock_pins_every_package_with_hashes() -> None:
    lock = tomllib.loads((REPOSITORY / "uv.lock").read_text(encoding="utf-8"))
    unhashed = [
        package["name"]
        for package in lock["package"]
        if "editable" not in package["source"]
        and not all(
            "hash" in dist
            for dist in [*package.get("wheels", []), package.get("sdist", {"hash": ""})]
        )
    ]
    assert not unhashed, f"locked without a hash: {unhashed}"


def test_the_installer_itself_is_pinned_with_hashes() -> None:
    pinned = (REPOSITORY / "tools" / "uv-requirements.txt").read_text(encoding="utf-8")
    assert re.search(r"^uv==\d+\.\d+\.\d+ \\$", pinned, re.MULTILINE)
    assert pinned.count("--hash=sha256:") >= 1


def test_the_vendored_chart_js_keeps_its_version_and_licence() -> None:
    vendor = REPOSITORY / "skill" / "web" / "static" / "vendor" / "chartjs"
    version = re.match(r"Chart\.js (\d+\.\d+\.\d+) ", (vendor / "VERSION").read_text())
    assert version is not None
    banner = (vendor / "chart.umd.min.js").read_text(encoding="utf-8")[:200]
    assert f"Chart.js v{version[1]}" in banner
    assert "MIT License" in banner
    assert "MIT License" in (vendor / "LICENSE.md").read_text(encoding="utf-8")
