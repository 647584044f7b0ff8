"""Fixtures: app (verification off, temp database) → client → dialog; SQLite and PostgreSQL.

Markers (declared in pyproject.toml):
- `both_databases`: the module's `app` runs on SQLite and again on PostgreSQL
  (`pytestmark = pytest.mark.both_databases`); elsewhere it runs on SQLite.
- `browser`: the test drives Chromium; set here for every test using `browser` or `new_page`.
- `slow`: left out of `make test-fast` with the browser tests; set by each slow module or test.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, text

from skill import create_app
from skill.alexa.endpoint import EXTENSION
from skill.devtools import envelopes
from skill.devtools.databases import postgres_schema
from skill.devtools.dialog import Dialog
from skill.devtools.signing import LocalPki
from skill.store.engine import make_engine, upgrade
from tests.browser_support import browser, new_page  # noqa: F401  (shared: one Chromium per run)
from tests.clock_shift import (  # noqa: F401  (the clock-shift run: --clock-shift-days)
    pytest_addoption,
    pytest_configure,
    pytest_report_header,
    shifted_clock,
)
from tests.speech_budget import speech_budget  # noqa: F401  (the word budget, on every answer)

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
ON_CI = bool(os.environ.get("CI"))
# Friday 20 November 2026, 10:00 in New York: the suite's default "now".
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
TEST_SECRET_KEY = "test-secret-key-for-spine-coach-only-0123456789"
TIME_ZONE_URL = "https://api.amazonalexa.com/v2/devices/{device}/settings/System.timeZone"
# The databases of `database_url` and of `app` in a module marked `both_databases`.
DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
BOTH_DATABASES = "both_databases"


def verified_config(
    database_url: str,
    pki: LocalPki,
    fetch: Callable[[str], bytes],
    *,
    clock: Callable[[], datetime] = lambda: NOW,
) -> dict[str, Any]:
    """Settings for an app that verifies requests against `pki`, its chain got by `fetch`."""
    return {
        "DATABASE_URL": database_url,
        "VERIFY_REQUESTS": True,
        "SKILL_ID": envelopes.DEFAULT_SKILL_ID,
        "TRUST_ROOTS": [pki.root_cert],
        "CERT_CHAIN_FETCHER": fetch,
        "CLOCK": clock,
    }


def pytest_sessionstart(session: pytest.Session) -> None:
    if ON_CI and not TEST_DATABASE_URL:
        raise pytest.UsageError("CI is set but TEST_DATABASE_URL is not: PostgreSQL tests must run")


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The PostgreSQL server's URL; on CI its absence fails the run instead of skipping."""
    if not TEST_DATABASE_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    try:
        engine = create_engine(TEST_DATABASE_URL)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:
        if ON_CI:
            pytest.fail(f"PostgreSQL at TEST_DATABASE_URL is unreachable: {error}")
        pytest.skip(f"PostgreSQL unreachable: {error}")
    return TEST_DATABASE_URL


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, migrated schema on the PostgreSQL server, dropped afterwards."""
    with postgres_schema(postgres_server) as url:
        yield url


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated to head once per run (a copy is 500 times faster than migrating)."""
    path = tmp_path_factory.mktemp("migrated") / "spine_coach.sqlite3"
    upgrade(f"sqlite:///{path}")
    assert [file.name for file in path.parent.iterdir()] == [path.name]  # no journal beside it
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path, migrated_sqlite: Path) -> str:
    """A fresh, migrated SQLite file: a copy of `migrated_sqlite`."""
    path = tmp_path / "spine_coach.sqlite3"
    shutil.copyfile(migrated_sqlite, path)
    return f"sqlite:///{path}"


def _database(request: pytest.FixtureRequest, database: str) -> str:
    fixture = "sqlite_url" if database == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest) -> str:
    """Each database test runs on SQLite and again on PostgreSQL."""
    return _database(request, request.param)


@pytest.fixture
def app_database_url(request: pytest.FixtureRequest) -> str:
    """The database `app` runs on: SQLite, or in a module marked `both_databases` each of SQLite
    and PostgreSQL (`pytest_generate_tests`), shared with `database_url` if the test uses it."""
    if request.node.get_closest_marker(BOTH_DATABASES) and "database_url" in request.fixturenames:
        url: str = request.getfixturevalue("database_url")
        return url
    return _database(request, getattr(request, "param", "sqlite"))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """In a module marked `both_databases`, every test of the app runs on both databases."""
    fixtures = metafunc.fixturenames
    if (
        metafunc.definition.get_closest_marker(BOTH_DATABASES)
        and "app_database_url" in fixtures
        and "database_url" not in fixtures  # already on both, and `app` shares it
    ):
        metafunc.parametrize("app_database_url", DATABASES, indirect=True)


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that drives Chromium is marked `browser`, so none is forgotten."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on each database (modules that test through the app define their own)."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def alexa_api() -> Iterator[responses.RequestsMock]:
    """Amazon's Alexa APIs, mocked at the HTTP edge: the device time zone is New York."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(
            responses.GET,
            TIME_ZONE_URL.format(device="amzn1.ask.device.TESTDEVICE"),
            json="America/New_York",
        )
        yield mock


@pytest.fixture(autouse=True)
def empty_audio_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No built audio unless a test builds some: the repository's audio/ is never read.

    Likewise a fixed secret key, so no test writes one into the repository's instance/."""
    folder = tmp_path / "no-audio"
    folder.mkdir()
    monkeypatch.setenv("SPINE_COACH_AUDIO_DIR", str(folder))
    monkeypatch.setenv("SPINE_COACH_SECRET_KEY", TEST_SECRET_KEY)
    return folder


@pytest.fixture
def app_config(app_database_url: str) -> dict[str, Any]:
    """Settings for the app under test: verification off, a temporary database.

    A module adds settings by overriding it: `def app_config(app_config): return {**app_config, …}`.
    """
    return {"DATABASE_URL": app_database_url, "VERIFY_REQUESTS": False, "SKILL_ID": None}


@pytest.fixture
def app(app_config: dict[str, Any], alexa_api: responses.RequestsMock) -> Iterator[Flask]:
    """The app, as create_app builds it."""
    app = create_app(app_config)
    yield app
    app.extensions[EXTENSION].engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A real HTTP client of the app (in-process WSGI)."""
    return app.test_client()


@pytest.fixture
def dialog(client: FlaskClient) -> Dialog:
    """A patient talking to the skill, starting at NOW."""
    return Dialog(client, at=NOW)


@pytest.fixture(scope="session")
def built_audio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The en-US coach audio, built once per run with the offline voice (espeak-ng)."""
    from skill.coach_audio.build import build_audio
    from skill.coach_audio.synthesis import EspeakEngine

    folder = tmp_path_factory.mktemp("coach-audio") / "audio"
    build_audio(folder, locale="en-US", engine=EspeakEngine(), progress=False)
    return folder


# Where tests say the built audio is hosted (an HTTPS address, so sets stream).
AUDIO_BASE_URL = "https://audio.example.org/spine-coach/"


def _simulator_app(config: dict[str, Any]) -> Iterator[Flask]:
    app = create_app({"VERIFY_REQUESTS": False, "SIMULATOR": True, "CLOCK": lambda: NOW, **config})
    yield app
    app.extensions[EXTENSION].engine.dispose()


@pytest.fixture
def try_app(sqlite_url: str, alexa_api: responses.RequestsMock) -> Iterator[Flask]:
    """The app with /try on, no built audio: sets are spoken."""
    yield from _simulator_app({"DATABASE_URL": sqlite_url})


@pytest.fixture
def audio_app(
    sqlite_url: str, alexa_api: responses.RequestsMock, built_audio: Path
) -> Iterator[Flask]:
    """The app with /try on, built audio and an HTTPS base URL: sets are streamed."""
    yield from _simulator_app(
        {
            "DATABASE_URL": sqlite_url,
            "AUDIO_DIR": str(built_audio),
            "AUDIO_BASE_URL": AUDIO_BASE_URL,
        }
    )
