"""What a fresh worker imports: libraries only some requests need wait for the first of them.

Each test runs the app in a fresh interpreter, where `sys.modules` shows what start-up imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from skill import create_app
from skill.alexa.endpoint import EXTENSION
from skill.web.care import DEFAULT_LIMITS, LIMITS_EXTENSION

# Start the app as a worker does and report which modules are loaded, before and after the
# first code attempt on /care (a wrong code: refused, but counted against the limits).
_PROGRAM = """
import json, re, sys
from skill import create_app
app = create_app({{"DATABASE_URL": {url!r}, "VERIFY_REQUESTS": False, "SECRET_KEY": "x" * 40}})
watched = {watched!r}
loaded = {{"started": [name for name in watched if name in sys.modules]}}
client = app.test_client()
page = client.get("/care").get_data(as_text=True)
loaded["care page"] = [name for name in watched if name in sys.modules]
token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
status = client.post("/care", data={{"code": "000000", "csrf_token": token}}).status_code
loaded["code attempt"] = [name for name in watched if name in sys.modules]
print(json.dumps({{"status": status, "loaded": loaded}}))
"""


def _fresh_worker(url: str, watched: list[str]) -> dict[str, object]:
    completed = subprocess.run(
        [sys.executable, "-c", _PROGRAM.format(url=url, watched=watched)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result: dict[str, object] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.slow
def test_the_limits_library_waits_for_the_first_code_attempt(sqlite_url: str) -> None:
    result = _fresh_worker(sqlite_url, ["limits", "limits.storage"])
    assert result["status"] == 400  # counted, then refused as a wrong code
    assert result["loaded"] == {
        "started": [],
        "care page": [],
        "code attempt": ["limits", "limits.storage"],
    }


def test_the_default_limits_parse() -> None:
    # Only configured limits are checked at start-up; the defaults are checked here, as
    # CodeAttemptLimits checks them.
    from limits import parse_many
    from limits.storage import Storage, storage_from_string

    storage_uri, per_client, overall = DEFAULT_LIMITS
    assert [str(item) for item in parse_many(per_client)] == ["5 per 1 minute", "20 per 1 hour"]
    assert [str(item) for item in parse_many(overall)] == ["60 per 1 minute"]
    assert isinstance(storage_from_string(storage_uri), Storage)


def test_configured_limits_are_built_and_checked_at_start_up(
    sqlite_url: str, alexa_api: Any
) -> None:
    settings = {"DATABASE_URL": sqlite_url, "VERIFY_REQUESTS": False}
    configured = create_app({**settings, "CARE_CODE_LIMIT": "3 per minute"})
    default = create_app(settings)
    try:
        assert configured.extensions[LIMITS_EXTENSION].built
        assert not default.extensions[LIMITS_EXTENSION].built
    finally:
        for app in (configured, default):
            app.extensions[EXTENSION].engine.dispose()


_DIALECTS_PROGRAM = """
import sys
from skill import create_app
app = create_app({{"DATABASE_URL": {url!r}, "VERIFY_REQUESTS": False, "SECRET_KEY": "x" * 40}})
print(sorted(name for name in sys.modules if name.startswith("sqlalchemy.dialects.")))
"""


@pytest.mark.slow
def test_an_app_on_sqlite_does_not_import_the_postgresql_dialect(sqlite_url: str) -> None:
    completed = subprocess.run(
        [sys.executable, "-c", _DIALECTS_PROGRAM.format(url=sqlite_url)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    loaded = completed.stdout.strip().splitlines()[-1]
    assert "sqlalchemy.dialects.sqlite" in loaded  # the check sees the dialect in use
    assert "sqlalchemy.dialects.postgresql" not in loaded
