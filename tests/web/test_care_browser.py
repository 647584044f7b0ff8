"""The caregiver's page in a real browser: Debian's Chromium, driven by Playwright.

A caregiver enters the patient's code, sees the timeline, both charts and the highlighted
alert, exports the CSV, and a screenshot of the page is saved under test-output/.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page

from skill import create_app
from skill.alexa.endpoint import EXTENSION
from skill.content.plan import Pace
from skill.devtools import envelopes
from skill.devtools.dialog import Dialog
from skill.store.check_ins import CheckIns
from skill.store.exercise_log import ExerciseLog
from skill.store.patients import PatientStore
from tests.browser_support import LiveServer, test_output_dir
from tests.conftest import NOW

# Reads calendar dates: `make test` runs it again with the clock moved years ahead.
pytestmark = pytest.mark.date_sensitive

USER = envelopes.DEFAULT_USER


@pytest.fixture
def care_app(sqlite_url: str, alexa_api: Any) -> Iterator[Flask]:
    """The app with a patient's week of sets, pain scores and an alerting check-in."""
    app = create_app({"DATABASE_URL": sqlite_url, "VERIFY_REQUESTS": False, "CLOCK": lambda: NOW})
    engine = app.extensions[EXTENSION].engine
    PatientStore(engine).save_surgery_date(USER, date(2026, 10, 21), locale="en-US")
    exercise_log = ExerciseLog(engine)
    for day in range(5):
        for n in range(day + 1):
            exercise_log.log_self_report(
                USER,
                "knee_presses",
                pace=Pace.NORMAL,
                target=10,
                at=NOW - timedelta(days=day, hours=n),
                key=f"{day}-{n}",
            )
    for day, score in ((6, 6), (3, 5), (1, 3)):
        exercise_log.record_pain(USER, score, at=NOW - timedelta(days=day))
    CheckIns(engine).save(
        USER,
        at=NOW - timedelta(hours=3),
        answers={"pain": 8, "worried": False},
        alerts=["pain_too_much"],
    )
    yield app
    engine.dispose()


def test_a_caregiver_enters_the_code_sees_both_charts_and_exports_csv(
    care_app: Flask, new_page: Page
) -> None:
    reply = Dialog(care_app.test_client(), at=NOW).say("CaregiverCodeIntent")
    groups = re.findall(r'interpret-as="digits">([0-9]{3})<', reply.ssml)
    assert len(groups) == 4, reply.ssml
    page = new_page
    with LiveServer(care_app) as server:
        page.set_viewport_size({"width": 420, "height": 900})  # a phone
        page.goto(f"{server.url}/care")
        page.fill("#code", " ".join(groups))  # typed as the card shows it
        page.click("button[type=submit]")
        page.wait_for_selector("#sets-chart")
        # The canvas is in the page before its scripts have run (Chart.js is large): wait for
        # the charts themselves, or a slow load reads them before they exist.
        page.wait_for_function("() => window.spineCoachCharts && window.spineCoachCharts.pain")
        assert "Surgery on Wednesday, October 21" in page.inner_text("#timeline")
        assert page.locator(".phases li.current").inner_text().startswith("Oct 28")
        sets = page.evaluate(
            "() => window.spineCoachCharts.sets.data.datasets.map(d => [d.label, d.data])"
        )
        knee_presses = dict(sets)["knee presses"]
        assert knee_presses[-5:] == [5, 4, 3, 2, 1][::-1][::-1] or knee_presses[-5:] == [
            5,
            4,
            3,
            2,
            1,
        ]
        assert dict(sets)["knee presses target"][0] == 14
        pain = page.evaluate("() => window.spineCoachCharts.pain.data.datasets[0].data")
        assert pain == [6, 5, 3, 8]
        drawn = page.evaluate("() => window.spineCoachCharts.pain.getDatasetMeta(0).data.length")
        assert drawn == 4
        assert page.locator("tr.alert").count() == 1
        with page.expect_download() as download:
            page.click("#export-csv")
        path = download.value.path()
        with open(path, newline="", encoding="utf-8") as file:
            rows = list(csv.DictReader(file))
        assert sum(1 for row in rows if row["kind"] == "set") == 15
        assert [row["pain"] for row in rows if row["kind"] == "check_in"] == ["8"]
        shot = test_output_dir() / "care-dashboard.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
