"""/try in a real browser (Debian's Chromium under Playwright): a conversation, then a track.

Headless Chromium has `speechSynthesis` (speaking fails there with "synthesis-failed", which
the page ignores), so nothing is stubbed.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Locator, Page, ViewportSize, expect

from tests.browser_support import LiveServer, test_output_dir

# Reads calendar dates: `make test` runs it again with the clock moved years ahead.
pytestmark = pytest.mark.date_sensitive

PHONE: ViewportSize = {"width": 400, "height": 860}


def _answers(page: Page) -> Locator:
    return page.locator("#transcript li.alexa")


def _say_until_answered(page: Page, action: Any, count: int) -> str:
    """Do `action` (a click or a typed line) and wait for the `count`-th answer."""
    action()
    answer = _answers(page).nth(count - 1)
    expect(answer).to_be_visible()
    return answer.inner_text()


def _first_visit(page: Page) -> None:
    assert page.evaluate("() => typeof window.speechSynthesis") == "object"
    launch = _say_until_answered(page, lambda: page.click('[data-say="open spine coach"]'), 1)
    assert "When was your surgery?" in launch
    heard = page.locator("#transcript li.you .heard").first
    expect(heard).to_have_text("LaunchRequest")

    def type_the_date() -> None:
        page.fill("#utterance", "my surgery was three weeks ago")
        page.press("#utterance", "Enter")

    assert "Friday, October 30" in _say_until_answered(page, type_the_date, 2)
    expect(page.locator("#transcript li.you .heard").nth(1)).to_have_text(
        "SetSurgeryDateIntent · surgeryDate=2026-10-30"
    )
    assert "Got it" in _say_until_answered(page, lambda: page.click('[data-say="yes"]'), 3)


def test_a_conversation_in_the_browser(try_app: Flask, new_page: Page) -> None:
    page = new_page
    with LiveServer(try_app) as server:
        page.set_viewport_size(PHONE)
        page.goto(f"{server.url}/try")
        expect(page.locator("#clock")).to_contain_text("Nov 20")
        _first_visit(page)
        drive = _say_until_answered(page, lambda: page.click('[data-say="can I drive yet"]'), 4)
        assert drive.startswith("Not yet.")
        chunk = _say_until_answered(page, lambda: page.click('[data-say="start my bridges"]'), 5)
        assert "Lift your bottom" in chunk
        assert "Ready for the next 5?" in chunk
        expect(page.locator("#track")).to_have_text("Nothing playing.")
        page.click("#next-day")
        expect(page.locator("#clock")).to_contain_text("Nov 21")
        assert page.locator("#transcript .error").count() == 0


def test_a_streamed_set_in_the_browser(audio_app: Flask, new_page: Page) -> None:
    page = new_page
    with LiveServer(audio_app) as server:
        page.set_viewport_size(PHONE)
        page.goto(f"{server.url}/try")
        _first_visit(page)
        started = _say_until_answered(page, lambda: page.click('[data-say="start my bridges"]'), 4)
        assert "Here are your bridges" in started
        expect(page.locator("#activity")).to_have_text("PLAYING")
        expect(page.locator("#track")).to_have_text("bridges, normal pace")
        src = page.get_attribute("#audio", "src")
        assert src is not None
        assert src.startswith("/audio/tracks/")
        # The browser fetched the track from this app and knows how long it is.
        page.wait_for_function("() => document.getElementById('audio').duration > 100")
        expect(page.locator("#progress")).to_have_attribute("data-offset", "0")

        page.click('[data-listen="10"]')
        expect(page.locator("#progress")).to_have_attribute("data-offset", "10000")
        expect(page.locator("#position")).to_have_text("0:10")
        assert page.evaluate("() => document.getElementById('progress').value") == 10_000
        expect(page.locator("#clock")).to_contain_text("03:00:10 PM")

        page.click('[data-press="Pause"]')
        expect(page.locator("#activity")).to_have_text("STOPPED")
        expect(page.locator("#transcript li.events").last).to_contain_text("PlaybackStopped")
        assert page.evaluate("() => document.getElementById('audio').paused")
        assert page.locator("#transcript .error").count() == 0
        shot = test_output_dir() / "try.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
