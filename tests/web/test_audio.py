"""GET /audio/<path>: right MIME type, immutable caching, byte ranges, nothing outside."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from skill import create_app
from skill.alexa.endpoint import EXTENSION

TRACK = bytes(range(256)) * 40  # 10,240 bytes


def fetch(client: FlaskClient, path: str, **headers: str) -> TestResponse:
    """GET, with the file handle closed (streamed files stay open until then)."""
    response = client.get(path, headers=headers)
    response.get_data()
    response.close()
    return response


@pytest.fixture
def audio_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "audio"
    (folder / "tracks").mkdir(parents=True)
    (folder / "tracks" / "0123abcd.mp3").write_bytes(TRACK)
    (folder / "tracks" / "0123abcd.cues.json").write_text('{"duration_ms": 1}')
    manifest = {"version": 1, "engine": "espeak", "phrases": {}, "tracks": {}}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    (folder / "README.md").write_text("not served")
    (tmp_path / "secret.mp3").write_bytes(b"outside")
    return folder


@pytest.fixture
def audio_client(sqlite_url: str, audio_dir: Path) -> Iterator[FlaskClient]:
    app = create_app(
        {"DATABASE_URL": sqlite_url, "VERIFY_REQUESTS": False, "AUDIO_DIR": str(audio_dir)}
    )
    yield app.test_client()
    app.extensions[EXTENSION].engine.dispose()


def test_a_track_is_served_whole_with_immutable_caching(audio_client: FlaskClient) -> None:
    response = fetch(audio_client, "/audio/tracks/0123abcd.mp3")
    assert response.status_code == 200
    assert response.mimetype == "audio/mpeg"
    assert response.data == TRACK
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Accept-Ranges"] == "bytes"


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [("bytes=100-199", 100, 199), ("bytes=10000-", 10000, 10239), ("bytes=-40", 10200, 10239)],
)
def test_range_requests_get_206_with_exactly_those_bytes(
    audio_client: FlaskClient, header: str, start: int, end: int
) -> None:
    response = fetch(audio_client, "/audio/tracks/0123abcd.mp3", Range=header)
    assert response.status_code == 206
    assert response.data == TRACK[start : end + 1]
    assert response.headers["Content-Range"] == f"bytes {start}-{end}/{len(TRACK)}"


def test_an_unsatisfiable_range_gets_416(audio_client: FlaskClient) -> None:
    response = fetch(audio_client, "/audio/tracks/0123abcd.mp3", Range="bytes=99999-")
    assert response.status_code == 416


def test_cue_maps_are_json_and_the_manifest_is_revalidated(audio_client: FlaskClient) -> None:
    cues = fetch(audio_client, "/audio/tracks/0123abcd.cues.json")
    assert cues.mimetype == "application/json"
    manifest = fetch(audio_client, "/audio/manifest.json")
    assert manifest.headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize(
    "path",
    [
        "/audio/README.md",
        "/audio/../secret.mp3",
        "/audio/%2e%2e/secret.mp3",
        "/audio/tracks/missing.mp3",
        "/audio/tracks/",
    ],
)
def test_nothing_else_is_served(audio_client: FlaskClient, path: str) -> None:
    assert fetch(audio_client, path).status_code == 404
