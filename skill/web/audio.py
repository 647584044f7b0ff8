"""GET /audio/<path>: the built coach audio, with range requests and immutable caching."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, Response, abort, current_app, send_from_directory
from flask_wtf.csrf import CSRFProtect

from skill.web.headers import protect_files

AUDIO_DIR_KEY = "AUDIO_DIR_RESOLVED"
SERVED_SUFFIXES = {".mp3": "audio/mpeg", ".json": "application/json"}
# File names are content hashes, so a file at a URL never changes: cache it for a year.
IMMUTABLE = "public, max-age=31536000, immutable"


def audio(name: str) -> Response:
    """A clip, a track or its cue map; Range requests answered with 206 (AudioPlayer seeks)."""
    suffix = Path(name).suffix
    if suffix not in SERVED_SUFFIXES:
        abort(404)
    audio_dir: Path = current_app.config[AUDIO_DIR_KEY]
    response = send_from_directory(
        audio_dir, name, mimetype=SERVED_SUFFIXES[suffix], conditional=True, max_age=None
    )
    if name != "manifest.json":  # the manifest changes with each build
        response.headers["Cache-Control"] = IMMUTABLE
    else:
        response.headers["Cache-Control"] = "no-cache"
    return response


def init_app(app: Flask, audio_dir: Path, *, csrf: CSRFProtect) -> None:
    """Mount GET /audio/<path>, serving the files in `audio_dir` (exempt from `csrf`, as the
    skill's other machine-facing routes are)."""
    pages = Blueprint("audio", __name__)
    protect_files(pages)
    pages.add_url_rule("/audio/<path:name>", "audio", audio, methods=["GET"])
    csrf.exempt(pages)
    app.config[AUDIO_DIR_KEY] = audio_dir
    app.register_blueprint(pages)
