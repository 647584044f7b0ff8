"""The caregiver's page in Dutch in a real browser (Debian's Chromium, driven by Playwright): a
browser set to Dutch gets Dutch headings and Dutch chart labels drawn by care.js; the switch
turns the page British and the choice holds on the next visit."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page

from skill import create_app
from skill.alexa.endpoint import EXTENSION
from skill.content.plan import Pace
from skill.devtools.dialog import Dialog
from skill.store.exercise_log import ExerciseLog
from skill.store.patients import PatientStore
from tests.browser_support import LiveServer
from tests.care_support import PATIENT
from tests.conftest import NOW

# Reads calendar dates: `make test` runs it again with the clock moved years ahead.
pytestmark = pytest.mark.date_sensitive


@pytest.fixture
def care_app(sqlite_url: str, alexa_api: Any) -> Iterator[Flask]:
    """The app with a patient's sets over three days and two pain scores."""
    app = create_app(
        {
            "DATABASE_URL": sqlite_url,
            "VERIFY_REQUESTS": False,
            "CLOCK": lambda: NOW,
            "DEFAULT_TIMEZONE": "Europe/Amsterdam",
        }
    )
    engine = app.extensions[EXTENSION].engine
    PatientStore(engine).save_surgery_date(PATIENT, date(2026, 10, 21), locale="en-US")
    exercise_log = ExerciseLog(engine)
    for day in range(3):
        exercise_log.log_self_report(
            PATIENT,
            "bridges",
            pace=Pace.NORMAL,
            target=10,
            at=NOW - timedelta(days=day),
            key=f"set-{day}",
        )
    for day, score in ((4, 6), (1, 3)):
        exercise_log.record_pain(PATIENT, score, at=NOW - timedelta(days=day))
    yield app
    engine.dispose()


@pytest.fixture
def dutch_page(browser: Browser) -> Iterator[Page]:
    """A page in a browser whose language is Dutch (its Accept-Language says nl-NL)."""
    context = browser.new_context(locale="nl-NL")
    try:
        yield context.new_page()
    finally:
        context.close()


def _sign_in(page: Page, app: Flask, url: str) -> None:
    reply = Dialog(app.test_client(), at=NOW).say("CaregiverCodeIntent")
    groups = re.findall(r'interpret-as="digits">([0-9]{3})<', reply.ssml)
    page.goto(f"{url}/care")
    assert page.locator("h2").first.inner_text() == "Voer de code in"
    page.fill("#code", " ".join(groups))
    page.click("button[type=submit]")
    page.wait_for_selector("#sets-chart")
    page.wait_for_function("() => window.spineCoachCharts && window.spineCoachCharts.pain")


def test_a_dutch_browser_gets_the_dashboard_and_its_charts_in_dutch(
    care_app: Flask, dutch_page: Page
) -> None:
    page = dutch_page
    with LiveServer(care_app) as server:
        _sign_in(page, care_app, server.url)
        assert page.get_attribute("html", "lang") == "nl"
        headings = page.locator("h2").all_inner_texts()
        assert headings[:3] == [
            "Verloop van het herstel",
            "Oefenseries per dag (afgelopen 14 dagen)",
            "Pijnscores",
        ]
        assert "Operatie op woensdag 21 oktober" in page.inner_text("#timeline")
        sets = page.evaluate(
            "() => { const chart = window.spineCoachCharts.sets;"
            " return { labels: chart.data.labels,"
            " datasets: chart.data.datasets.map(d => d.label),"
            " axis: chart.options.scales.y.title.text, locale: chart.options.locale }; }"
        )
        assert sets["labels"][-3:] == ["18 nov", "19 nov", "20 nov"]
        assert sets["axis"] == "series"
        assert sets["locale"] == "nl"
        assert sets["datasets"][1].endswith(": streefaantal")
        pain = page.evaluate(
            "() => { const chart = window.spineCoachCharts.pain;"
            " return [chart.data.datasets[0].label, chart.data.labels]; }"
        )
        assert pain == ["pijn (0 tot 10)", ["16 nov, 16:00", "19 nov, 16:00"]]
        assert page.locator("#sign-out button").inner_text() == "Afmelden"

        page.click("text=English (United Kingdom)")
        page.wait_for_function("() => window.spineCoachCharts && window.spineCoachCharts.pain")
        assert page.get_attribute("html", "lang") == "en-GB"
        assert "Operation on Wednesday 21 October" in page.inner_text("#timeline")
        page.goto(f"{server.url}/care")  # the choice holds
        assert page.locator("h2").first.inner_text() == "Recovery timeline"
