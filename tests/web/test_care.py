"""Consented caregiver access: codes by voice, the /care page, limits, isolation, revocation.

Voice through /alexa and the web pages through the Flask client, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select

from skill import create_app
from skill.alexa.endpoint import EXTENSION
from skill.config import ConfigError
from skill.content.plan import Pace
from skill.content.strings import load_catalogue
from skill.devtools import envelopes
from skill.devtools.dialog import Dialog
from skill.devtools.simulator.understanding import Understanding
from skill.devtools.try_site import skill_locales
from skill.store.caregivers import (
    CODE_DIGITS,
    CODE_LIFETIME,
    SESSION_IDLE_TIMEOUT,
    SESSION_MAX_AGE,
    SESSION_TOUCH_EVERY,
)
from skill.store.exercise_log import ExerciseLog
from skill.store.patients import PatientStore
from skill.store.tables import CAREGIVER_SESSIONS
from skill.web.care import COOKIE, LIMITS_EXTENSION, CodeAttemptLimits, code_request_for
from skill.web.language import page_locale_of
from tests.care_support import (  # noqa: F401  (clock_fixture: the `clock` fixture)
    OTHER,
    PATIENT,
    Clock,
    clock_fixture,
    code_for,
    csrf_token,
    enter,
    said_code,
)
from tests.conftest import NOW

# Reads calendar dates: `make test` runs it again with the clock moved years ahead.
pytestmark = [pytest.mark.date_sensitive, pytest.mark.both_databases]


@pytest.fixture
def app_config(app_config: dict[str, Any], clock: Clock) -> dict[str, Any]:
    return {**app_config, "CLOCK": clock}


@pytest.fixture
def engine(app: Flask) -> Engine:
    engine: Engine = app.extensions[EXTENSION].engine
    store, log = PatientStore(engine), ExerciseLog(engine)
    for user, day, exercise in (
        (PATIENT, date(2026, 10, 21), "bridges"),
        (OTHER, date(2026, 9, 1), "knee_lifts"),
    ):
        store.save_surgery_date(user, day, locale="en-US")
        log.log_self_report(
            user,
            exercise,
            pace=Pace.NORMAL,
            target=10,
            at=NOW - timedelta(days=1),
            key=f"{user}-set",
        )
        log.record_pain(user, 3 if user == PATIENT else 8, at=NOW - timedelta(days=2))
    return engine


@pytest.mark.usefixtures("engine")
def test_a_code_is_said_digit_by_digit_shown_on_a_card_and_repeated(client: FlaskClient) -> None:
    dialog = Dialog(client, at=NOW)
    reply = dialog.say("CaregiverCodeIntent")
    code = said_code(reply.ssml)
    assert len(code) == CODE_DIGITS == 12
    assert re.search(
        r'Your caregiver\'s code is (<say-as interpret-as="digits">[0-9]{3}</say-as>'
        r'<break time="400ms"/>){3}<say-as interpret-as="digits">[0-9]{3}</say-as>\.',
        reply.ssml,
    ), reply.ssml
    assert reply.speech.endswith("Want me to repeat that?")
    grouped = " ".join(code[start : start + 3] for start in range(0, CODE_DIGITS, 3))
    assert f"Enter {grouped} on" in reply.response["card"]["content"]
    again = dialog.say("AMAZON.YesIntent")
    assert again.ssml == reply.ssml


@pytest.mark.parametrize("skill_locale", skill_locales())
def test_the_code_page_gives_a_request_the_patients_echo_hears(
    client: FlaskClient, skill_locale: str
) -> None:
    page_locale = page_locale_of(skill_locale)
    sentence = code_request_for(load_catalogue(), page_locale)
    assert sentence is not None
    understanding = Understanding.for_locale(skill_locale)
    said, launch = understanding.strip_invocation(sentence)
    assert not launch
    assert understanding.hear(said, NOW).intent == "CaregiverCodeIntent", sentence
    page = client.get(f"/care?lang={page_locale.replace('_', '-')}").get_data(as_text=True)
    assert f"<q>{sentence}</q>" in page


@pytest.mark.usefixtures("engine")
def test_a_code_opens_a_session_bound_to_that_patient(client: FlaskClient) -> None:
    form = client.get("/care")
    assert form.status_code == 200
    assert "Enter the code" in form.get_data(as_text=True)
    response = enter(client, code_for(client, PATIENT))
    assert response.status_code == 303
    cookie = response.headers["Set-Cookie"]
    for flag in ("HttpOnly", "Secure", "SameSite=Lax", "Path=/care"):
        assert flag in cookie
    page = client.get("/care").get_data(as_text=True)
    assert "Surgery on Wednesday, October 21" in page
    assert 'id="sets-chart"' in page
    assert 'id="pain-chart"' in page


@pytest.mark.usefixtures("engine")
def test_a_code_works_once_and_only_for_ten_minutes(
    client: FlaskClient, clock: Clock, app: Flask
) -> None:
    code = code_for(client, PATIENT)
    assert enter(client, code).status_code == 303
    second_browser = app.test_client()
    reused = enter(second_browser, code)
    assert reused.status_code == 400
    assert "That code didn't work. Codes work once, for 10 minutes." in reused.get_data(
        as_text=True
    )
    late = code_for(client, PATIENT)
    clock.now = NOW + CODE_LIFETIME + timedelta(seconds=1)
    assert enter(app.test_client(), late).status_code == 400
    clock.now = NOW


@pytest.mark.usefixtures("engine")
def test_a_new_code_cancels_the_patients_earlier_unused_one(
    client: FlaskClient, app: Flask
) -> None:
    first = code_for(client, PATIENT)
    second = code_for(client, PATIENT)
    assert enter(app.test_client(), first).status_code == 400 or first == second
    assert enter(app.test_client(), second).status_code == 303


def test_forms_without_the_csrf_token_are_refused(client: FlaskClient, engine: Engine) -> None:
    del engine
    response = client.post("/care", data={"code": code_for(client, PATIENT)})
    assert response.status_code == 400
    assert client.get("/care").get_data(as_text=True).count("Enter the code") == 1


@pytest.mark.usefixtures("engine")
def test_guessing_is_cut_off_per_client_and_across_clients(client: FlaskClient, app: Flask) -> None:
    code = code_for(client, PATIENT)
    wrong = f"{(int(code) + 1) % 10**CODE_DIGITS:0{CODE_DIGITS}d}"
    statuses = [enter(client, wrong, ip="198.51.100.7").status_code for _ in range(5)]
    assert statuses == [400] * 5
    blocked = enter(client, code, ip="198.51.100.7")  # even the right code, once over the limit
    assert blocked.status_code == 429
    assert "Too many tries" in blocked.get_data(as_text=True)
    assert enter(app.test_client(), code, ip="198.51.100.8").status_code == 303
    # Within the limits no code is guessable: at most 60 tries a minute across all clients
    # over a code's 10 minutes is 600 of a million codes.
    assert 60 * CODE_LIFETIME.total_seconds() / 60 / 10**CODE_DIGITS < 0.001
    # Nor any of 100 live codes in a year of the whole limit (README, Caregivers): < 0.01.
    assert 100 / 10**CODE_DIGITS * 60 * 60 * 24 * 365 < 0.01


def test_the_overall_limit_bites_across_many_clients(
    database_url: str, alexa_api: Any, clock: Clock
) -> None:
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "VERIFY_REQUESTS": False,
            "CLOCK": clock,
            "CARE_CODE_GLOBAL_LIMIT": "10 per minute",
        }
    )
    try:
        client = app.test_client()
        statuses = [enter(client, "000000", ip=f"203.0.113.{n}").status_code for n in range(12)]
        assert statuses[:10] == [400] * 10
        assert statuses[10:] == [429, 429]
    finally:
        app.extensions[EXTENSION].engine.dispose()


def test_limits_are_shared_between_instances_through_redis(
    database_url: str, alexa_api: Any, clock: Clock
) -> None:
    import redis

    try:
        redis.Redis(host="127.0.0.1", port=6379).ping()
    except redis.RedisError as error:  # pragma: no cover - the machine runs Redis
        pytest.fail(f"Redis at 127.0.0.1:6379 is unreachable: {error}")
    config = {
        "DATABASE_URL": database_url,
        "VERIFY_REQUESTS": False,
        "CLOCK": clock,
        "RATELIMIT_STORAGE_URL": "redis://127.0.0.1:6379",
        "CARE_CODE_GLOBAL_LIMIT": "1000 per minute",
    }
    first, second = create_app(config), create_app(config)
    ip = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    try:
        for _ in range(5):
            assert enter(first.test_client(), "000000", ip=ip).status_code == 400
        assert enter(second.test_client(), "000000", ip=ip).status_code == 429
    finally:
        for app in (first, second):
            app.extensions[EXTENSION].engine.dispose()


@pytest.mark.usefixtures("engine")
def test_only_code_attempts_reach_the_limits(
    client: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    limits = app.extensions[LIMITS_EXTENSION]
    counted: list[str] = []
    take_attempt = limits.take_attempt

    def spy(address: str) -> bool:
        counted.append(address)
        return bool(take_attempt(address))

    monkeypatch.setattr(limits, "take_attempt", spy)
    assert client.post("/alexa", json=envelopes.launch(at=NOW)).status_code == 200
    assert client.get("/care").status_code == 200
    assert client.get("/care/export.csv").status_code == 401
    assert counted == []
    assert enter(client, "000000", ip="192.0.2.77").status_code == 400
    assert counted == ["192.0.2.77"]


def test_a_limit_that_does_not_parse_stops_start_up(sqlite_url: str, alexa_api: Any) -> None:
    for setting in ("CARE_CODE_LIMIT", "CARE_CODE_GLOBAL_LIMIT"):
        with pytest.raises(ConfigError, match=f"SPINE_COACH_{setting}='5 a minute'"):
            create_app(
                {"DATABASE_URL": sqlite_url, "VERIFY_REQUESTS": False, setting: "5 a minute"}
            )


def test_counting_moves_to_memory_while_redis_fails_and_back_when_it_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import redis
    from limits.storage import RedisStorage

    now = [0.0]
    limits = CodeAttemptLimits(
        "redis://127.0.0.1:6379",
        per_client="1000 per hour",
        overall="1000 per hour",
        clock=lambda: now[0],
    )
    client = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    key = f"LIMITS:LIMITER/{client}/care.redeem_code/1000/1/hour"  # as Flask-Limiter kept it
    server = redis.Redis(host="127.0.0.1", port=6379)
    try:
        assert limits.take_attempt(client)
        assert server.get(key) == b"1"

        def down(*args: Any, **kwargs: Any) -> Any:
            raise redis.ConnectionError("Redis is down")

        with monkeypatch.context() as outage:
            outage.setattr(RedisStorage, "incr", down)
            outage.setattr(RedisStorage, "check", lambda self: False)
            for _ in range(3):
                assert limits.take_attempt(client)  # counted in memory
            now[0] += 5  # past the first check: still down, so still in memory
            assert limits.take_attempt(client)
        assert limits.take_attempt(client)  # Redis is back, but the next check is not due yet
        assert server.get(key) == b"1"
        now[0] += 60
        assert limits.take_attempt(client)
        assert server.get(key) == b"2"
    finally:
        server.delete(key)
        server.close()


def test_alexa_never_touches_the_rate_limit_storage(sqlite_url: str, alexa_api: Any) -> None:
    # Only /care is limited: with the limiter's storage unreachable, Alexa is answered as
    # ever, and /care falls back to limits kept in memory (a wrong code is still a 400).
    app = create_app(
        {
            "DATABASE_URL": sqlite_url,
            "VERIFY_REQUESTS": False,
            "RATELIMIT_STORAGE_URL": "redis://127.0.0.1:1",
        }
    )
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        client = app.test_client()
        answered = client.post("/alexa", json=envelopes.launch(at=NOW))
        assert answered.status_code == 200
        assert answered.get_json()["response"]["outputSpeech"]["type"] == "SSML"
        assert [enter(client, "000000", ip="192.0.2.9").status_code for _ in range(6)] == [
            *[400] * 5,
            429,
        ]
    finally:
        app.extensions[EXTENSION].engine.dispose()


@pytest.mark.usefixtures("engine")
def test_each_caregiver_sees_only_their_patient(client: FlaskClient, app: Flask) -> None:
    mine, theirs = app.test_client(), app.test_client()
    assert enter(mine, code_for(client, PATIENT), ip="192.0.2.1").status_code == 303
    assert enter(theirs, code_for(client, OTHER), ip="192.0.2.2").status_code == 303
    assert "Surgery on Wednesday, October 21" in mine.get("/care").get_data(as_text=True)
    assert "Surgery on Tuesday, September 1" in theirs.get("/care").get_data(as_text=True)
    exported = json.loads(mine.get("/care/export.json").get_data(as_text=True))
    assert exported["surgery_date"] == "2026-10-21"
    sets = [row for row in exported["records"] if row["kind"] == "set"]
    assert [row["exercise"] for row in sets] == ["bridges"]
    assert [row["pain"] for row in exported["records"] if row["kind"] == "pain"] == [3]
    rows = list(csv.DictReader(io.StringIO(theirs.get("/care/export.csv").get_data(as_text=True))))
    assert [(row["kind"], row["exercise"] or row["pain"]) for row in rows] == [
        ("set", "knee_lifts"),
        ("pain", "8"),
    ]


@pytest.mark.usefixtures("engine")
def test_revoking_ends_every_caregiver_session_of_the_patient(
    client: FlaskClient, app: Flask
) -> None:
    browsers = [app.test_client() for _ in range(2)]
    for index, browser in enumerate(browsers):
        assert enter(browser, code_for(client, PATIENT), ip=f"192.0.2.{index}").status_code == 303
    other = app.test_client()
    assert enter(other, code_for(client, OTHER), ip="192.0.2.9").status_code == 303
    reply = Dialog(client, at=NOW).say("RevokeCaregiversIntent")
    assert reply.speech.startswith("Done. I've ended 2 caregiver sessions")
    for browser in browsers:
        assert "Enter the code" in browser.get("/care").get_data(as_text=True)
        assert browser.get("/care/export.csv").status_code == 401
    assert "Surgery on Tuesday, September 1" in other.get("/care").get_data(as_text=True)


def test_behind_a_load_balancer_each_caregiver_is_limited_on_their_own_address(
    database_url: str, alexa_api: Any, clock: Clock
) -> None:
    app = create_app(
        {"DATABASE_URL": database_url, "VERIFY_REQUESTS": False, "CLOCK": clock, "PROXY_HOPS": 1}
    )
    try:
        client = app.test_client()

        def attempt(forwarded_for: str) -> int:
            token = csrf_token(client)
            return int(
                client.post(
                    "/care",
                    data={"code": "000000", "csrf_token": token},
                    headers={"X-Forwarded-For": forwarded_for},
                    environ_base={"REMOTE_ADDR": "10.0.0.1"},  # the balancer
                ).status_code
            )

        assert [attempt("198.51.100.20") for _ in range(6)] == [400] * 5 + [429]
        assert attempt("198.51.100.21") == 400  # another caregiver is not locked out
    finally:
        app.extensions[EXTENSION].engine.dispose()


def signed_in(
    app: Flask,
    client: FlaskClient,
    user_id: str = PATIENT,
    *,
    ip: str = "192.0.2.30",
    at: datetime = NOW,
) -> FlaskClient:
    """A new browser with a caregiver session open for `user_id`, the code asked for at `at`."""
    browser = app.test_client()
    assert enter(browser, code_for(client, user_id, at), ip=ip).status_code == 303
    return browser


def sees_the_dashboard(browser: FlaskClient) -> bool:
    page = browser.get("/care").get_data(as_text=True)
    assert ("Enter the code" in page) != ("Recovery timeline" in page), page
    return "Recovery timeline" in page


@pytest.mark.usefixtures("engine")
def test_a_session_is_refused_twelve_hours_after_it_opened_however_much_it_is_used(
    client: FlaskClient, app: Flask, clock: Clock
) -> None:
    assert timedelta(hours=12) == SESSION_MAX_AGE
    browser = signed_in(app, client)
    steps = int(SESSION_MAX_AGE / timedelta(minutes=20))
    for step in range(1, steps):
        clock.now = NOW + step * timedelta(minutes=20)
        assert sees_the_dashboard(browser), clock.now
    clock.now = NOW + SESSION_MAX_AGE - timedelta(seconds=1)
    assert browser.get("/care/export.json").status_code == 200
    clock.now = NOW + SESSION_MAX_AGE
    assert not sees_the_dashboard(browser)
    assert browser.get("/care/export.csv").status_code == 401
    assert browser.get("/care/export.json").status_code == 401


@pytest.mark.usefixtures("engine")
def test_a_session_unused_for_thirty_minutes_is_refused(
    client: FlaskClient, app: Flask, clock: Clock
) -> None:
    assert timedelta(minutes=30) == SESSION_IDLE_TIMEOUT
    browser = signed_in(app, client)
    idle = SESSION_IDLE_TIMEOUT - timedelta(seconds=1)
    clock.now = NOW + idle
    assert sees_the_dashboard(browser)
    clock.now += idle  # an export counts as use too
    assert browser.get("/care/export.csv").status_code == 200
    clock.now += idle
    assert sees_the_dashboard(browser)
    clock.now += SESSION_IDLE_TIMEOUT
    assert not sees_the_dashboard(browser)
    assert browser.get("/care/export.csv").status_code == 401
    clock.now += timedelta(seconds=1)  # and it stays refused, used or not
    assert not sees_the_dashboard(browser)


@pytest.mark.usefixtures("engine")
def test_a_sessions_use_is_written_at_most_once_a_minute(
    client: FlaskClient, app: Flask, clock: Clock, engine: Engine
) -> None:
    def last_used() -> datetime:
        with engine.connect() as connection:
            value: datetime = connection.execute(
                select(CAREGIVER_SESSIONS.c.last_used_at)
            ).scalar_one()
        return value

    browser = signed_in(app, client)
    assert last_used() == NOW
    clock.now = NOW + SESSION_TOUCH_EVERY - timedelta(seconds=1)
    assert sees_the_dashboard(browser)
    assert browser.get("/care/export.json").status_code == 200
    assert last_used() == NOW  # not written: used less than a minute ago
    clock.now = NOW + SESSION_TOUCH_EVERY
    assert sees_the_dashboard(browser)
    assert last_used() == NOW + SESSION_TOUCH_EVERY
    # The idle time counts from that last use, not from the sign-in.
    clock.now = NOW + SESSION_TOUCH_EVERY + SESSION_IDLE_TIMEOUT - timedelta(seconds=1)
    assert sees_the_dashboard(browser)


@pytest.mark.usefixtures("engine")
def test_signing_out_ends_that_session_on_the_server_and_clears_the_cookie(
    client: FlaskClient, app: Flask
) -> None:
    browser = signed_in(app, client, ip="192.0.2.31")
    other_browser = signed_in(app, client, ip="192.0.2.32")  # the same patient's, elsewhere
    cookie = browser.get_cookie(COOKIE, path="/care")
    assert cookie is not None
    token = cookie.value
    page = browser.get("/care").get_data(as_text=True)
    assert 'action="/care/sign-out"' in page
    assert ">Sign out</button>" in page
    assert "<script>" not in page
    assert "style=" not in page
    # Without the form's CSRF token nothing is signed out.
    assert browser.post("/care/sign-out").status_code == 400
    assert sees_the_dashboard(browser)
    signed_out = browser.post("/care/sign-out", data={"csrf_token": csrf_token(browser)})
    assert signed_out.status_code == 303
    assert signed_out.headers["Location"] == "/care"
    cleared = signed_out.headers["Set-Cookie"]
    assert cleared.startswith(f"{COOKIE}=;")
    assert "Max-Age=0" in cleared
    assert "Path=/care" in cleared
    assert browser.get_cookie(COOKIE, path="/care") is None
    assert not sees_the_dashboard(browser)
    # The old cookie, replayed, is refused: the session ended on the server.
    replayer = app.test_client()
    replayer.set_cookie(COOKIE, token, path="/care")
    assert not sees_the_dashboard(replayer)
    assert replayer.get("/care/export.csv").status_code == 401
    assert replayer.get("/care/export.json").status_code == 401
    assert sees_the_dashboard(other_browser)  # only that session ended
    assert (
        Dialog(client, at=NOW)
        .say("CaregiverSessionsIntent")
        .speech.startswith("1 caregiver session is open right now.")
    )


@pytest.mark.usefixtures("engine")
def test_sign_out_works_from_a_page_left_open_for_two_hours(
    client: FlaskClient, app: Flask, clock: Clock
) -> None:
    """The form's CSRF token is older than Flask-WTF's default hour; the session, used in
    another tab meanwhile, is live: signing out ends it (was: 400, still signed in)."""
    browser = signed_in(app, client, ip="192.0.2.33")
    old_token = csrf_token(browser)  # the page with the Sign out button, loaded at NOW
    for minutes in range(20, 120, 20):  # used in another tab meanwhile
        clock.now = NOW + timedelta(minutes=minutes)
        assert browser.get("/care/export.json").status_code == 200
    clock.now = NOW + timedelta(hours=2)
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=2), tick=True):
        # A cross-site form has no token: still refused, the session still live.
        assert browser.post("/care/sign-out").status_code == 400
        assert sees_the_dashboard(browser)
        signed_out = browser.post("/care/sign-out", data={"csrf_token": old_token})
        assert signed_out.status_code == 303
        assert browser.get_cookie(COOKIE, path="/care") is None
        assert not sees_the_dashboard(browser)
    # A page can be older than its token's time limit only once its session has ended anyway.
    assert timedelta(seconds=app.config["WTF_CSRF_TIME_LIMIT"]) == SESSION_MAX_AGE
    with time_machine.travel(datetime.now(UTC) + SESSION_MAX_AGE + timedelta(seconds=1)):
        refused = browser.post("/care/sign-out", data={"csrf_token": old_token})
        assert refused.status_code == 400


@pytest.mark.usefixtures("engine")
def test_who_can_see_my_progress_counts_live_sessions_and_offers_to_end_them(
    client: FlaskClient, app: Flask, clock: Clock
) -> None:
    dialog = Dialog(client, at=NOW)
    nobody = dialog.say("CaregiverSessionsIntent")
    assert nobody.speech == "No caregiver can see your progress right now. Anything else?"
    assert not nobody.ends_session
    assert nobody.reprompt
    stale = signed_in(app, client, ip="192.0.2.40")  # opened, then left idle
    clock.now = NOW + SESSION_IDLE_TIMEOUT
    browsers = [signed_in(app, client, ip=f"192.0.2.{n}", at=clock.now) for n in (41, 42)]
    signed_in(app, client, OTHER, ip="192.0.2.43", at=clock.now)  # another patient's: not counted
    dialog = Dialog(client, at=clock.now)
    offer = dialog.say("CaregiverSessionsIntent")
    assert offer.speech == (
        "2 caregiver sessions are open right now. They can see your progress. Shall I end them?"
    )
    assert offer.reprompt == "End those sessions?"
    kept = dialog.say("AMAZON.NoIntent")
    assert kept.speech.startswith("Okay, I've left caregiver access as it is.")
    assert all(sees_the_dashboard(browser) for browser in browsers)
    dialog.say("CaregiverSessionsIntent")
    ended = dialog.say("AMAZON.YesIntent")
    assert ended.speech.startswith("Done. I've ended 2 caregiver sessions")
    assert not ended.ends_session
    assert not any(sees_the_dashboard(browser) for browser in [*browsers, stale])
    assert dialog.say("CaregiverSessionsIntent").speech.startswith("No caregiver can see")
    one = signed_in(app, client, ip="192.0.2.44", at=clock.now)
    offer = Dialog(client, at=clock.now).say("CaregiverSessionsIntent")
    assert offer.speech == (
        "1 caregiver session is open right now. It can see your progress. Shall I end it?"
    )
    assert sees_the_dashboard(one)
