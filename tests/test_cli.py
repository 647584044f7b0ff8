"""The spine-coach command, run as a user runs it: a real process, real HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRET_KEY

TRACK = bytes(range(256)) * 16
# Real processes and servers: not in `make test-fast`.
pytestmark = pytest.mark.slow

SPINE_COACH = [sys.executable, "-c", "from skill.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPINE_COACH_")}
    env["SPINE_COACH_DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    tracks = tmp_path / "audio" / "tracks"
    tracks.mkdir(parents=True, exist_ok=True)
    (tracks / "feedbeef.mp3").write_bytes(TRACK)
    env["SPINE_COACH_AUDIO_DIR"] = str(tmp_path / "audio")
    env["SPINE_COACH_SECRET_KEY"] = TEST_SECRET_KEY  # never written into the repository
    env.update(extra)
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SPINE_COACH, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_serve_refuses_to_start_without_a_skill_id_while_verifying(tmp_path: Path) -> None:
    result = run(["db", "upgrade"], environment(tmp_path))
    assert result.returncode != 0
    assert "SPINE_COACH_SKILL_ID is required" in result.stderr


def test_db_upgrade_creates_the_schema(tmp_path: Path) -> None:
    result = run(["db", "upgrade"], environment(tmp_path, SPINE_COACH_VERIFY_REQUESTS="0"))
    assert result.returncode == 0, result.stderr
    assert "Database migrated to head." in result.stdout
    assert (tmp_path / "cli.sqlite3").stat().st_size > 0


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    env = environment(tmp_path, SPINE_COACH_VERIFY_REQUESTS="0")
    assert run(["db", "upgrade"], env).returncode == 0
    port = free_port()
    process = subprocess.Popen(
        [*SPINE_COACH, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"server did not start: {process.communicate()}") from None
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_a_launch_request_posted_to_the_served_skill_gets_the_first_time_greeting(
    server: str, tmp_path: Path
) -> None:
    sample = run(["sample-request", "launch"], environment(tmp_path))
    assert sample.returncode == 0, sample.stderr
    request = urllib.request.Request(
        f"{server}/alexa",
        data=sample.stdout.encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body = json.load(response)
    ssml = body["response"]["outputSpeech"]["ssml"]
    assert "I don't replace your care team" in ssml
    assert ssml.endswith("When was your surgery?</speak>")
    with urllib.request.urlopen(f"{server}/readyz", timeout=5) as response:
        assert json.load(response) == {"status": "ready"}


def test_the_served_skill_answers_range_requests_for_tracks(server: str) -> None:
    request = urllib.request.Request(
        f"{server}/audio/tracks/feedbeef.mp3", headers={"Range": "bytes=1000-1499"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 206
        assert response.headers["Content-Type"] == "audio/mpeg"
        assert response.headers["Content-Range"] == f"bytes 1000-1499/{len(TRACK)}"
        assert response.read() == TRACK[1000:1500]
