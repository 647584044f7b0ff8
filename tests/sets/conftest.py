"""The app the guided-set tests drive: SQLite, the built en-US coach audio, hosted over HTTPS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from skill import create_app
from skill.alexa.endpoint import EXTENSION
from tests.conftest import AUDIO_BASE_URL


@pytest.fixture
def app(sqlite_url: str, built_audio: Path, alexa_api: Any) -> Iterator[Flask]:
    app = create_app(
        {
            "DATABASE_URL": sqlite_url,
            "VERIFY_REQUESTS": False,
            "SKILL_ID": None,
            "AUDIO_DIR": str(built_audio),
            "AUDIO_BASE_URL": AUDIO_BASE_URL,
        }
    )
    yield app
    app.extensions[EXTENSION].engine.dispose()
