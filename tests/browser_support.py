"""Real-browser tests: a live Flask server, and Playwright driving the OS's Chromium.

No browser is ever downloaded. The `playwright` wheel carries only its driver; the browser is
Debian's `chromium` (`make system-deps` installs it), launched by path, so `playwright install`
is never needed. `SPINE_COACH_CHROMIUM` points at another Chromium build.

The `browser` and `new_page` fixtures are imported by tests/conftest.py, so every test module
shares one Chromium per run (Playwright's sync API allows one running instance at a time).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import make_server

CHROMIUM_ENV = "SPINE_COACH_CHROMIUM"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
REPO_ROOT = Path(__file__).resolve().parent.parent


class LiveServer:
    """Serves `app` over HTTP on 127.0.0.1 (a free port) from a background thread.

    Use it as a context manager, or call `close()`: it stops the server, closes its socket and
    joins the thread.
    """

    def __init__(self, app: Flask) -> None:
        # Port 0: the OS picks a free port as the socket binds, so no two servers race for one.
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"LiveServer {self.url}", daemon=True
        )
        self._thread.start()
        self._closed = False

    def close(self) -> None:
        """Stops serving; safe to call more than once."""
        if self._closed:
            return
        self._closed = True
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def chromium_path() -> str:
    """The Chromium to drive: `$SPINE_COACH_CHROMIUM`, else Debian's /usr/bin/chromium."""
    path = os.environ.get(CHROMIUM_ENV) or DEFAULT_CHROMIUM
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise FileNotFoundError(
            f"No Chromium executable at {path}: run `make system-deps` "
            f"(apt-get install chromium) or set {CHROMIUM_ENV} to a Chromium executable"
        )
    return path


def test_output_dir() -> Path:
    """`<repo>/test-output/` (created): screenshots and other files to look at after a run."""
    directory = REPO_ROOT / "test-output"
    directory.mkdir(exist_ok=True)
    return directory


# A test module that imports this helper must not have pytest collect it as a test.
test_output_dir.__test__ = False  # type: ignore[attr-defined]


@contextmanager
def launch_chromium() -> Iterator[Browser]:
    """Headless Chromium under Playwright, closed (browser, then driver) on leaving."""
    executable = chromium_path()
    playwright = sync_playwright().start()
    try:
        # No sandbox: CI runs as root, where Chromium refuses to start with one.
        chromium = playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox"]
        )
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the whole session."""
    with launch_chromium() as chromium:
        yield chromium


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh browser context (own cookies and storage; downloads accepted)."""
    context = browser.new_context(accept_downloads=True)
    try:
        yield context.new_page()
    finally:
        context.close()
