"""What is measured: each scenario is one request kind sent to one app.

Later request kinds are new entries in SCENARIOS; a Spine Coach scenario names the hello-world
scenario it is compared with (`baseline`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from skill.testing import envelopes

HELLO = "hello"
SPINE = "spine"
# The gunicorn app of each name ("module:factory()").
APPS = {HELLO: "bench.hello_skill:create()", SPINE: "bench.spine_app:create()"}
TARGET_RATIO = 0.6


@dataclass(frozen=True)
class Scenario:
    """One request kind against one app, and what a correct answer says."""

    name: str
    app: str
    envelope: Callable[[datetime], dict[str, Any]]
    expected_speech: str
    baseline: str | None = None


def _launch(at: datetime) -> dict[str, Any]:
    return envelopes.launch(at=at)


def _current_phase(at: datetime) -> dict[str, Any]:
    return envelopes.intent("CurrentPhaseIntent", at=at)


# The hello skill gets the very same envelopes, so body sizes and parsing work are equal.
SCENARIOS: tuple[Scenario, ...] = (
    Scenario("hello LaunchRequest", HELLO, _launch, "Hello world"),
    Scenario("hello IntentRequest", HELLO, _current_phase, "Hello world"),
    Scenario("spine LaunchRequest", SPINE, _launch, "Welcome back.",
             baseline="hello LaunchRequest"),
    Scenario("spine CurrentPhaseIntent", SPINE, _current_phase, "You're in",
             baseline="hello IntentRequest"),
)
