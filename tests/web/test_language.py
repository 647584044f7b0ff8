"""The pages' language: chosen from Accept-Language, overridden by the switch (remembered),
English otherwise; the caregiver's dashboard in Dutch and British English (Babel's dates, 24-hour
times, translated chart labels); /try's page following the language its Echo speaks."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from skill import create_app
from skill.alexa.endpoint import EXTENSION
from skill.content.plan import Pace
from skill.devtools.try_site import LOCALE_COOKIE, skill_locales
from skill.devtools.try_site import init_app as init_try_site
from skill.store.check_ins import CheckIns
from skill.store.exercise_log import ExerciseLog
from skill.store.patients import PatientStore
from tests.care_support import PATIENT, code_for, enter
from tests.conftest import NOW

# Reads calendar dates: `make test` runs it again with the clock moved years ahead.
pytestmark = pytest.mark.date_sensitive

SURGERY = date(2026, 10, 21)  # a Wednesday


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    # NOW is 15:00 UTC, 16:00 in Amsterdam: an afternoon, so 12- and 24-hour times differ.
    return {**app_config, "CLOCK": lambda: NOW, "DEFAULT_TIMEZONE": "Europe/Amsterdam"}


@pytest.fixture
def signed_in(app: Flask, client: FlaskClient) -> FlaskClient:
    """A caregiver's browser on the dashboard of a patient with a set, a pain score and a
    check-in (at NOW, 16:00 in Amsterdam)."""
    engine = app.extensions[EXTENSION].engine
    PatientStore(engine).save_surgery_date(PATIENT, SURGERY, locale="en-US")
    ExerciseLog(engine).log_self_report(
        PATIENT, "bridges", pace=Pace.NORMAL, target=10, at=NOW - timedelta(days=1), key="set"
    )
    ExerciseLog(engine).record_pain(PATIENT, 4, at=NOW - timedelta(days=2))
    CheckIns(engine).save(PATIENT, at=NOW, answers={"pain": 4, "worried": True}, alerts=[])
    assert enter(client, code_for(client, PATIENT)).status_code == 303
    return client


def _page(client: FlaskClient, path: str = "/care", **headers: str) -> str:
    response = client.get(path, headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _html_lang(page: str) -> str:
    found = re.search(r'<html lang="([^"]+)">', page)
    assert found is not None
    return found.group(1)


def _chart_data(page: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', page)
    assert found is not None
    data: dict[str, Any] = json.loads(found.group(1))
    return data


@pytest.mark.parametrize(
    ("accept", "lang", "heading"),
    [
        ("nl-NL,nl;q=0.9,en;q=0.8", "nl", "Voer de code in"),
        ("nl-BE", "nl", "Voer de code in"),
        ("en-GB,en;q=0.9", "en-GB", "Enter the code"),
        ("en-US", "en", "Enter the code"),
        ("fr-FR,de;q=0.8", "en", "Enter the code"),  # none offered: English
        ("", "en", "Enter the code"),
    ],
)
def test_the_browser_language_picks_the_page_language(
    client: FlaskClient, accept: str, lang: str, heading: str
) -> None:
    page = _page(client, **({"Accept-Language": accept} if accept else {}))
    assert _html_lang(page) == lang
    assert f"<h2>{heading}</h2>" in page


def test_the_switch_overrides_the_browser_and_is_remembered(client: FlaskClient) -> None:
    dutch = {"Accept-Language": "nl-NL,nl;q=0.9"}
    switched = client.get("/care?lang=en-GB", headers=dutch)
    cookie = switched.headers["Set-Cookie"]
    for flag in ("lang=en-GB", "HttpOnly", "Path=/care", "SameSite=Lax"):
        assert flag in cookie
    assert _html_lang(switched.get_data(as_text=True)) == "en-GB"
    assert "Spine Coach for carers" in switched.get_data(as_text=True)
    # The next page, without the switch, stays British; switching back to Dutch works too.
    assert _html_lang(_page(client, **dutch)) == "en-GB"
    assert _html_lang(_page(client, "/care?lang=nl", **dutch)) == "nl"
    assert _html_lang(_page(client, **dutch)) == "nl"


def test_an_unknown_choice_is_ignored(client: FlaskClient) -> None:
    response = client.get("/care?lang=xx", headers={"Accept-Language": "nl"})
    assert not [c for c in response.headers.getlist("Set-Cookie") if c.startswith("lang=")]
    assert _html_lang(response.get_data(as_text=True)) == "nl"


def test_the_switch_is_a_plain_link_to_each_language(client: FlaskClient) -> None:
    page = _page(client, **{"Accept-Language": "nl"})
    assert '<strong aria-current="true" lang="nl">Nederlands</strong>' in page
    assert '<a href="?lang=en-GB" lang="en-GB" hreflang="en-GB">English (United Kingdom)</a>' in (
        page
    )
    assert '<a href="?lang=en" lang="en" hreflang="en">English (United States)</a>' in page


def test_a_refused_code_is_said_in_the_page_language(client: FlaskClient) -> None:
    client.get("/care?lang=nl")
    refused = enter(client, "000000000000")
    assert refused.status_code == 400
    assert "Die code werkte niet." in refused.get_data(as_text=True)


def test_the_dashboard_in_dutch(signed_in: FlaskClient) -> None:
    page = _page(signed_in, "/care?lang=nl")
    assert "<h2>Verloop van het herstel</h2>" in page
    assert "Operatie op woensdag 21 oktober; vandaag is het week 4." in page
    assert "<td>20 nov, 16:00</td>" in page  # the check-in, 24-hour, in the patient's zone
    assert "<td>ja</td>" in page
    data = _chart_data(page)
    assert data["locale"] == "nl"
    assert data["labels"] == {"sets": "series", "pain": "pijn (0 tot 10)"}
    assert data["days"][-1] == "20 nov"
    assert data["days"][0] == "7 nov"
    assert [series["targetLabel"] for series in data["exercises"]] == [
        f"{series['name']}: streefaantal" for series in data["exercises"]
    ]
    assert data["pain"][0]["at"] == "18 nov, 16:00"


def test_the_dashboard_in_british_and_american_english(signed_in: FlaskClient) -> None:
    british = _page(signed_in, "/care?lang=en-GB")
    assert "Operation on Wednesday 21 October; today is week 4." in british
    assert "<td>20 Nov, 16:00</td>" in british
    assert _chart_data(british)["days"][-1] == "20 Nov"
    american = _page(signed_in, "/care?lang=en")
    assert "Surgery on Wednesday, October 21; today is week 4." in american
    assert "<td>Nov 20, 4:00\u202fPM</td>" in american
    data = _chart_data(american)
    assert data["days"][-1] == "Nov 20"
    assert data["labels"] == {"sets": "sets", "pain": "pain (0 to 10)"}


def test_the_export_keeps_its_machine_format_in_any_language(signed_in: FlaskClient) -> None:
    exported = signed_in.get("/care/export.json?lang=nl").get_json()
    assert exported["surgery_date"] == SURGERY.isoformat()


# /try ----------------------------------------------------------------------------------------


def test_try_offers_the_locales_the_skill_has_a_model_and_strings_for(tmp_path: Path) -> None:
    models, strings = tmp_path / "models", tmp_path / "strings"
    models.mkdir()
    strings.mkdir()
    for name in ("en-US.json", "nl-NL.json", "en-GB.json", "de-DE.json"):
        (models / name).write_text("{}")
    for name in ("en-US.yaml", "nl-NL.yaml", "de-DE.yaml"):
        (strings / name).write_text("{}")
    # en-GB has no strings yet; de-DE is not a locale /try offers.
    assert skill_locales(models, strings) == ("en-US", "nl-NL")
    repo = Path(__file__).resolve().parents[2]
    assert skill_locales() == tuple(
        locale
        for locale in ("en-US", "en-GB", "nl-NL")
        if (repo / "interaction_model" / f"{locale}.json").is_file()
        and (repo / "skill" / "content" / "strings" / f"{locale}.yaml").is_file()
    )


@pytest.fixture
def try_app(app_config: dict[str, Any], alexa_api: Any) -> Iterator[Flask]:
    """/try offering American English and Dutch, as it will once the skill speaks Dutch."""
    app = create_app(app_config)
    init_try_site(app, csrf=app.extensions["csrf"], locales=("en-US", "nl-NL"))
    yield app
    app.extensions[EXTENSION].engine.dispose()


def test_try_follows_the_chosen_language_of_the_echo(try_app: Flask) -> None:
    client = try_app.test_client()
    english = _page(client, "/try")
    assert _html_lang(english) == "en"
    assert "<h1>Try Spine Coach</h1>" in english
    assert 'href="?lang=nl-NL"' in english
    dutch = client.get("/try?lang=nl-NL")
    assert f"{LOCALE_COOKIE}=nl-NL" in dutch.headers["Set-Cookie"]
    page = dutch.get_data(as_text=True)
    assert _html_lang(page) == "nl"
    assert "<h1>Spine Coach uitproberen</h1>" in page
    assert '<button type="submit">Zeggen</button>' in page
    assert '"speechLang": "nl-NL"' in page
    # Remembered; and a Dutch browser gets Dutch without choosing.
    assert _html_lang(_page(client, "/try")) == "nl"
    assert _html_lang(_page(try_app.test_client(), "/try", **{"Accept-Language": "nl"})) == "nl"


def test_try_in_a_dutch_browser_is_english_while_the_skill_speaks_only_english(
    app_config: dict[str, Any], alexa_api: Any
) -> None:
    app = create_app(app_config)
    try:
        init_try_site(app, csrf=app.extensions["csrf"], locales=("en-US",))
        page = _page(app.test_client(), "/try?lang=nl-NL", **{"Accept-Language": "nl"})
        assert _html_lang(page) == "en"
        assert "?lang=nl-NL" not in page
        assert "English (United States)" in page
    finally:
        app.extensions[EXTENSION].engine.dispose()
