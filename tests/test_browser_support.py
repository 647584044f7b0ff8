"""The real-browser chain, offline: Flask served live, Debian's Chromium driven by Playwright."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response
from playwright.sync_api import Page

from tests.browser_support import LiveServer, test_output_dir

CSV = "day,sets\n1,3\n2,4\n"
PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Browser check</title></head>
<body>
  <p id="status">Waiting</p>
  <button id="go" onclick="document.getElementById('status').textContent = 'Clicked'">Go</button>
  <a id="export" href="/export.csv">Export</a>
</body>
</html>
"""


def tiny_app() -> Flask:
    app = Flask(__name__)

    @app.get("/")
    def index() -> str:
        return PAGE

    @app.get("/export.csv")
    def export() -> Response:
        return Response(
            CSV,
            mimetype="text/csv",
            headers={"Content-Disposition": "attachment; filename=sets.csv"},
        )

    return app


def test_chromium_clicks_downloads_and_screenshots(new_page: Page) -> None:
    screenshot = test_output_dir() / "browser_support.png"
    screenshot.unlink(missing_ok=True)
    with LiveServer(tiny_app()) as server:
        new_page.goto(server.url)
        assert new_page.text_content("#status") == "Waiting"

        new_page.click("#go")
        assert new_page.text_content("#status") == "Clicked"

        with new_page.expect_download() as download_info:
            new_page.click("#export")
        download = download_info.value
        assert download.suggested_filename == "sets.csv"
        assert Path(download.path()).read_text(encoding="utf-8") == CSV

        new_page.screenshot(path=screenshot)
    assert screenshot.read_bytes().startswith(b"\x89PNG")
