"""/try, the web simulator: off by default; with it on, a chat page and its JSON API."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine

from skill import ConfigError, create_app
from skill.alexa.endpoint import EXTENSION
from skill.coach_audio.manifest import load_manifest, repetition_start_ms
from skill.devtools.dialog import SkillFailed
from skill.devtools.simulator.session import Simulator
from skill.devtools.simulator.understanding import Understanding
from skill.devtools.try_site import COOKIE, MAX_TEXT, USER_PREFIX, Simulators, skill_locales
from skill.store.patients import PatientStore
from tests.conftest import NOW

# Reads calendar dates: `make test` runs it again with the clock moved years ahead.
pytestmark = pytest.mark.date_sensitive

_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


class Browser:
    """One browser on /try: its own cookies, and the page's CSRF token."""

    def __init__(self, app: Flask) -> None:
        self.client = app.test_client()
        page = self.client.get("/try")
        assert page.status_code == 200
        found = _CSRF.search(page.get_data(as_text=True))
        assert found is not None
        self.token = found.group(1)

    def post(self, path: str, payload: Any) -> Any:
        return self.client.post(path, json=payload, headers={"X-CSRFToken": self.token})

    def act(self, path: str, payload: Any) -> dict[str, Any]:
        response = self.post(path, payload)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.headers["Cache-Control"] == "no-store"
        body: dict[str, Any] = response.get_json()
        return body

    def say(self, text: str) -> dict[str, Any]:
        return self.act("/try/say", {"text": text})

    @property
    def user_id(self) -> str:
        cookie = self.client.get_cookie(COOKIE, path="/try")
        assert cookie is not None
        return USER_PREFIX + cookie.value


def _engine(app: Flask) -> Engine:
    engine: Engine = app.extensions[EXTENSION].engine
    return engine


def test_try_is_not_found_by_default(client: FlaskClient) -> None:
    assert client.get("/try").status_code == 404
    assert client.post("/try/say", json={"text": "open spine coach"}).status_code == 404


def test_the_environment_turns_the_simulator_on(
    sqlite_url: str, alexa_api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPINE_COACH_SIMULATOR", "1")
    app = create_app({"DATABASE_URL": sqlite_url, "VERIFY_REQUESTS": False})
    try:
        assert app.test_client().get("/try").status_code == 200
    finally:
        _engine(app).dispose()


def test_the_page_has_a_csrf_token_the_utterances_and_the_device_buttons(try_app: Flask) -> None:
    response = try_app.test_client().get("/try")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert _CSRF.search(page)
    for phrase in ("open spine coach", "my surgery was three weeks ago", "can I drive yet"):
        assert f'data-say="{phrase}"' in page
    for button in ("Play", "Pause", "Next", "Previous"):
        assert f'data-press="{button}"' in page
    assert 'data-listen="10"' in page
    assert 'data-advance="1"' in page
    assert "/static/try/try.js" in page
    assert "/static/try/try.css" in page
    assert "HTTPS <code>SPINE_COACH_AUDIO_BASE_URL</code>" in page  # spoken sets, and why
    with try_app.test_client().get("/static/try/try.js") as script:
        assert script.status_code == 200


def test_each_language_suggests_its_own_words(try_app: Flask) -> None:
    client = try_app.test_client()
    dutch = client.get("/try?lang=nl-NL").get_data(as_text=True)
    assert 'data-say="mag ik al autorijden"' in dutch
    assert 'placeholder="Alexa, vraag rug coach …"' in dutch
    assert "<q>open rug coach</q>" in dutch
    assert 'data-say="can I drive yet"' not in dutch
    british = client.get("/try?lang=en-GB").get_data(as_text=True)
    assert 'data-say="what stage am I at"' in british
    assert 'data-say="mag ik al autorijden"' not in british


@pytest.mark.parametrize("locale", skill_locales())
def test_every_suggestion_is_heard_as_a_request_the_skill_answers(locale: str) -> None:
    understanding = Understanding.for_locale(locale)
    suggestions = understanding.spoken.suggestions
    assert suggestions is not None, f"no suggestions in languages/{locale}.yaml"
    assert suggestions.start in suggestions.chips
    for chip in suggestions.chips:
        said, launch = understanding.strip_invocation(chip)
        if launch:
            continue
        heard = understanding.hear(said, NOW)
        assert heard.intent != "AMAZON.FallbackIntent", (locale, chip)
        # A custom value the model does not know would reach the skill unresolved.
        unresolved = [s.name for s in heard.slots.values() if s.resolved_id is None]
        assert all(heard.slots[name].type.startswith("AMAZON.") for name in unresolved), chip


def test_a_whole_conversation(try_app: Flask) -> None:
    browser = Browser(try_app)
    launch = browser.say("open spine coach")
    assert launch["heard"] == {
        "request": "LaunchRequest",
        "intent": None,
        "slots": {},
        "sample": None,
    }
    assert launch["speech"].endswith("When was your surgery?")
    assert launch["reprompt"] == "Your surgery date?"
    assert launch["ends_session"] is False
    assert launch["player"] is None
    assert launch["clock"] == NOW.isoformat()

    date_said = browser.say("my surgery was three weeks ago")
    assert date_said["heard"]["intent"] == "SetSurgeryDateIntent"
    assert date_said["heard"]["slots"] == {"surgeryDate": "2026-10-30"}
    assert "Friday, October 30. Is that right?" in date_said["speech"]
    assert "Got it, Friday, October 30" in browser.say("yes")["speech"]
    assert PatientStore(_engine(try_app)).get(browser.user_id) is not None

    drive = browser.say("can I drive yet")
    assert drive["heard"]["slots"] == {"activity": "drive"}
    assert drive["speech"].startswith("Not yet.")

    bridges = browser.say("start my bridges")
    assert bridges["heard"]["intent"] == "StartExerciseIntent"
    assert "Let's do your bridges" in bridges["speech"]
    assert "Lift your bottom" in bridges["speech"]  # a chunk of repetitions, spoken
    assert bridges["speech"].endswith("Ready for the next 5?")
    assert bridges["player"] is None  # nothing streams without hosted audio

    goodbye = browser.say("stop")
    assert goodbye["ends_session"] is True


def test_a_streamed_set_plays_from_this_apps_audio_pauses_and_resumes_next_day(
    audio_app: Flask, built_audio: Path
) -> None:
    manifest = load_manifest(built_audio)
    assert manifest is not None
    browser = Browser(audio_app)
    browser.say("open spine coach")
    browser.say("my surgery was three weeks ago")
    browser.say("yes")

    started = browser.say("start my bridges")
    assert "Here are your bridges" in started["speech"]
    assert started["directives"] == ["AudioPlayer.Play"]
    assert started["events"] == ["PlaybackStarted"]
    player = started["player"]
    assert player["activity"] == "PLAYING"
    assert player["exercise"] == "bridges"
    track = manifest.track("en-US", "bridges", player["pace"])
    assert track is not None
    assert player["url"] == f"/audio/{track.file}"
    assert player["duration_ms"] == track.duration_ms
    assert player["offset_ms"] == 0
    with browser.client.get(player["url"]) as audio:
        assert audio.status_code == 200
        assert audio.mimetype == "audio/mpeg"
        assert len(audio.get_data()) > 1000

    listened = browser.act("/try/listen", {"seconds": 30})
    assert listened["player"]["offset_ms"] == 30_000
    assert listened["player"]["activity"] == "PLAYING"
    assert listened["speech"] == ""
    assert listened["heard"] is None
    assert datetime.fromisoformat(listened["clock"]) == NOW + timedelta(seconds=30)
    listened = browser.act("/try/listen", {"seconds": 45})  # into the second repetition
    assert listened["player"]["offset_ms"] == 75_000

    paused = browser.say("pause")
    assert paused["heard"]["intent"] == "AMAZON.PauseIntent"
    assert paused["events"] == ["PlaybackStopped"]
    assert paused["player"]["activity"] == "STOPPED"
    assert paused["player"]["offset_ms"] == 75_000

    next_day = browser.act("/try/advance", {"days": 1})
    assert datetime.fromisoformat(next_day["clock"]) == NOW + timedelta(days=1, seconds=75)
    assert next_day["player"]["activity"] == "STOPPED"

    resumed = browser.say("resume")
    assert re.search(r"Back to your bridges, from repetition \d+", resumed["speech"])
    player = resumed["player"]
    assert player["activity"] == "PLAYING"
    starts = {repetition_start_ms(track, span.repetition) for span in track.repetitions}
    assert player["offset_ms"] in starts
    assert 0 < player["offset_ms"] <= 75_000


def test_device_buttons_pause_and_play_the_track(audio_app: Flask) -> None:
    browser = Browser(audio_app)
    browser.say("open spine coach")
    browser.say("my surgery was three weeks ago")
    browser.say("yes")
    browser.say("start my bridges")
    browser.act("/try/listen", {"seconds": 10})

    paused = browser.act("/try/press", {"button": "Pause"})
    assert paused["events"] == ["PauseCommandIssued", "PlaybackStopped"]
    assert paused["directives"] == ["AudioPlayer.Stop"]
    assert paused["player"]["activity"] == "STOPPED"
    assert paused["heard"] is None

    played = browser.act("/try/press", {"button": "Play"})
    assert played["events"] == ["PlayCommandIssued", "PlaybackStarted"]
    assert played["player"]["activity"] == "PLAYING"

    following = browser.act("/try/press", {"button": "Next"})
    assert following["events"][0] == "NextCommandIssued"
    assert following["player"]["exercise"] != "bridges"

    again = browser.act("/try/press", {"button": "Previous"})  # the repetition again
    assert again["events"][0] == "PreviousCommandIssued"
    assert again["player"]["exercise"] == following["player"]["exercise"]
    assert again["player"]["activity"] == "PLAYING"


def test_listening_without_a_track_only_moves_the_clock(try_app: Flask) -> None:
    browser = Browser(try_app)
    answer = browser.act("/try/listen", {"seconds": 60})
    assert answer["player"] is None
    assert answer["events"] == []
    assert datetime.fromisoformat(answer["clock"]) == NOW + timedelta(minutes=1)


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("/try/say", {}),
        ("/try/say", {"text": ""}),
        ("/try/say", {"text": "   "}),
        ("/try/say", {"text": 42}),
        ("/try/say", {"text": ["yes"]}),
        ("/try/say", {"text": "a" * (MAX_TEXT + 1)}),
        ("/try/say", ["yes"]),
        ("/try/say", "yes"),
        ("/try/listen", {}),
        ("/try/listen", {"seconds": -10}),
        ("/try/listen", {"seconds": 0}),
        ("/try/listen", {"seconds": 10**9}),
        ("/try/listen", {"seconds": "10"}),
        ("/try/listen", {"seconds": True}),
        ("/try/listen", {"seconds": None}),
        ("/try/advance", {"days": -1}),
        ("/try/advance", {"days": 10_000}),
        ("/try/advance", {"days": 1e308}),
        ("/try/advance", {"hours": 1}),
        ("/try/press", {"button": "Stop"}),
        ("/try/press", {"button": "play"}),
        ("/try/press", {"button": None}),
        ("/try/press", {}),
    ],
)
def test_bad_input_is_a_400_with_a_json_error(try_app: Flask, path: str, payload: Any) -> None:
    response = Browser(try_app).post(path, payload)
    assert response.status_code == 400
    assert isinstance(response.get_json()["error"], str)


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/try/listen", '{"seconds": NaN}'),
        ("/try/advance", '{"days": Infinity}'),
        ("/try/say", "not json"),
        ("/try/say", ""),
    ],
)
def test_odd_json_is_a_400(try_app: Flask, path: str, data: str) -> None:
    browser = Browser(try_app)
    response = browser.client.post(
        path, data=data, content_type="application/json", headers={"X-CSRFToken": browser.token}
    )
    assert response.status_code == 400
    assert "error" in response.get_json()


def test_a_post_without_the_csrf_token_is_refused_with_a_fresh_token(try_app: Flask) -> None:
    browser = Browser(try_app)
    response = browser.client.post("/try/say", json={"text": "open spine coach"})
    assert response.status_code == 400
    body = response.get_json()
    assert "CSRF" in body["error"]
    retried = browser.client.post(
        "/try/say", json={"text": "open spine coach"}, headers={"X-CSRFToken": body["csrf"]}
    )
    assert retried.status_code == 200


def test_every_post_but_alexas_checks_csrf_although_the_app_checks_none_by_default(
    try_app: Flask,
) -> None:
    """CSRF is off by default (Alexa's requests run none of it): each blueprint taking forms
    checks it itself. A new POST route outside Alexa's blueprint must too."""
    assert try_app.config["WTF_CSRF_CHECK_DEFAULT"] is False
    client = try_app.test_client()
    client.get("/try")  # a session, so only the token is missing
    posts = sorted(
        rule.rule
        for rule in try_app.url_map.iter_rules()
        if "POST" in (rule.methods or ()) and rule.endpoint != "alexa.alexa"
    )
    assert posts == [
        "/care",
        "/care/sign-out",
        "/try/advance",
        "/try/listen",
        "/try/permission",
        "/try/press",
        "/try/reset",
        "/try/say",
    ]
    for path in posts:
        response = client.post(path, data={"text": "hello", "code": "123456"})
        assert response.status_code == 400, path
        assert "CSRF token is missing" in response.get_data(as_text=True), path


def test_two_browsers_have_their_own_simulators_and_patients(try_app: Flask) -> None:
    first, second = Browser(try_app), Browser(try_app)
    first.say("open spine coach")
    first.say("my surgery was three weeks ago")
    first.say("yes")
    second.act("/try/advance", {"days": 2})
    second.say("open spine coach")
    second.say("my surgery was october first")
    assert "Thursday, October 1" in second.say("yes")["speech"]

    assert first.user_id != second.user_id
    store = PatientStore(_engine(try_app))
    first_patient, second_patient = store.get(first.user_id), store.get(second.user_id)
    assert first_patient is not None
    assert second_patient is not None
    assert first_patient.surgery_date == date(2026, 10, 30)
    assert second_patient.surgery_date == date(2026, 10, 1)
    assert first.say("what phase am I in")["clock"] == NOW.isoformat()
    second_clock = second.say("what phase am I in")["clock"]
    assert datetime.fromisoformat(second_clock) == NOW + timedelta(days=2)


def test_reset_starts_a_new_patient(try_app: Flask) -> None:
    browser = Browser(try_app)
    browser.say("open spine coach")
    browser.say("my surgery was three weeks ago")
    browser.say("yes")
    browser.act("/try/advance", {"days": 3})
    before = browser.user_id

    reset = browser.act("/try/reset", {})
    assert reset["clock"] == NOW.isoformat()
    assert reset["player"] is None
    assert reset["speech"] == ""
    assert browser.user_id != before
    assert browser.say("open spine coach")["speech"].endswith("When was your surgery?")


def test_the_page_shows_the_virtual_clock_of_the_browsers_simulator(try_app: Flask) -> None:
    browser = Browser(try_app)
    browser.act("/try/advance", {"days": 5})
    page = browser.client.get("/try").get_data(as_text=True)
    assert f'datetime="{(NOW + timedelta(days=5)).isoformat()}"' in page


def test_the_simulators_first_day_can_be_set_and_heard_in_the_devices_zone(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SPINE_COACH_SIMULATOR_TODAY pins /try's first day (10:00 in the default zone), so a trial
    means the same on any day; "today" is heard as the device's day."""
    monkeypatch.setenv("SPINE_COACH_SIMULATOR_TODAY", "2027-01-15")
    app = create_app(
        {
            "DATABASE_URL": sqlite_url,
            "VERIFY_REQUESTS": False,
            "SIMULATOR": True,
            "DEFAULT_TIMEZONE": "Pacific/Auckland",  # UTC+13 in January
        }
    )
    try:
        browser = Browser(app)
        launch = browser.say("open spine coach")
        # 10:00 on 15 January in Auckland is 21:00 on the 14th in UTC.
        assert launch["clock"] == "2027-01-14T21:00:00+00:00"
        said = browser.say("my surgery was today")
        assert said["heard"]["slots"] == {"surgeryDate": "2027-01-15"}
        assert "Friday, January 15. Is that right?" in said["speech"]
        browser.act("/try/advance", {"days": 1})
        page = browser.client.get("/try").get_data(as_text=True)
        assert 'datetime="2027-01-15T21:00:00+00:00"' in page  # "next day" still moves on
    finally:
        _engine(app).dispose()


def test_a_first_day_that_is_not_a_date_stops_start_up(sqlite_url: str) -> None:
    with pytest.raises(ConfigError, match="SPINE_COACH_SIMULATOR_TODAY"):
        create_app(
            {
                "DATABASE_URL": sqlite_url,
                "VERIFY_REQUESTS": False,
                "SIMULATOR": True,
                "SIMULATOR_TODAY": "next tuesday",
            }
        )


def _fake_simulator(locale: str, at: datetime | None) -> Simulator:
    """Enough of a Simulator for Simulators: the locale its Echo speaks and its clock."""
    return cast(Simulator, SimpleNamespace(dialog=SimpleNamespace(locale=locale), now=at or NOW))


def _made(locale: str, previous: Simulator | None) -> Simulator:
    return _fake_simulator(locale, previous.now if previous else None)


def test_the_least_recently_used_simulator_is_dropped_past_the_bound() -> None:
    made: list[str] = []

    def make(key: str, locale: str, previous: Simulator | None) -> Simulator:
        made.append(key)
        return _made(locale, previous)

    simulators = Simulators(make, limit=2)
    first, _ = simulators.get(None, "en-US")
    second, _ = simulators.get(None, "en-US")
    assert simulators.get(first, "en-US")[0] == first  # used again: now the most recent
    third, _ = simulators.get(None, "en-US")
    assert len(simulators) == 2
    assert simulators.peek(second) is None
    assert simulators.peek(first) is not None
    assert simulators.peek(third) is not None
    assert simulators.get("unknown", "en-US")[0] not in made[:3]
    assert simulators.get("", "en-US")[0] != ""


def test_another_language_keeps_the_patient_and_the_clock() -> None:
    made: list[tuple[str, str, Simulator | None]] = []

    def make(key: str, locale: str, previous: Simulator | None) -> Simulator:
        made.append((key, locale, previous))
        return _made(locale, previous)

    simulators = Simulators(make)
    key, held = simulators.get(None, "en-US")
    later = NOW + timedelta(days=3)
    held.simulator = _fake_simulator("en-US", later)  # three days on, in that Echo
    same_key, switched = simulators.get(key, "nl-NL")
    assert same_key == key
    assert switched.simulator.dialog.locale == "nl-NL"
    assert made[-1][:2] == (key, "nl-NL")
    taken_over = made[-1][2]
    assert taken_over is not None
    assert taken_over.now == later
    assert switched.simulator.now == later
    assert simulators.get(key, "nl-NL")[1] is switched  # no new one while the language stays
    assert len(simulators) == 1


def test_a_skill_that_fails_to_answer_is_a_502_with_a_json_error(
    try_app: Flask, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(_simulator: Simulator, _text: str) -> None:
        raise SkillFailed("/alexa answered 500: b'oops'")

    monkeypatch.setattr(Simulator, "say", broken)
    response = Browser(try_app).post("/try/say", {"text": "open spine coach"})
    assert response.status_code == 502
    assert "failed to answer" in response.get_json()["error"]
    assert "/alexa answered 500" in caplog.text


def test_with_the_simulator_on_amazons_apis_are_answered_locally(sqlite_url: str) -> None:
    """Simulated devices have nothing at Amazon to ask: no request leaves the machine."""
    import responses

    from skill.devtools import envelopes as built

    with responses.RequestsMock(assert_all_requests_are_fired=False) as outside:
        app = create_app(
            {
                "DATABASE_URL": sqlite_url,
                "VERIFY_REQUESTS": False,
                "SIMULATOR": True,
                "DEFAULT_TIMEZONE": "Europe/Amsterdam",
            }
        )
        try:
            body = built.intent("CurrentPhaseIntent", at=NOW, new_session=True)
            response = app.test_client().post("/alexa", json=body)
            assert response.status_code == 200
            assert "surgery date" in response.get_json()["response"]["outputSpeech"]["ssml"]
            assert len(outside.calls) == 0
        finally:
            app.extensions[EXTENSION].engine.dispose()
