"""/try: a bedside Echo in the browser, to try the skill without a device.

Each browser gets its own `Simulator` (skill.devtools.simulator.session) and its own patient, kept
in memory under a random id in a cookie; the least recently used is dropped past a bound. The
simulator talks to this very app in-process, so what it hears is what Alexa would be answered.

Registered only when the SIMULATOR setting is on (local trials): anyone who can reach /try can
make patients. JSON endpoints take POSTs with the page's CSRF token in an `X-CSRFToken` header.
Tracks the skill streams (only when AUDIO_BASE_URL is HTTPS, as Alexa requires) are given to
the browser as this app's own /audio/ URLs.

The page offers the skill's locales that have both an interaction model and strings
(`skill_locales`); the one chosen (`?lang=nl-NL`, remembered in a cookie, else the browser's
Accept-Language) is the language the simulated Echo speaks, and the page's own text follows it
(skill.web.language). Choosing another keeps the patient and the clock: their Echo now speaks it.
What the page suggests saying in a locale (its chips) is the locale's `suggestions` in
skill/devtools/simulator/languages/<locale>.yaml.
"""

from __future__ import annotations

import logging
import math
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ask_sdk_core.api_client import ApiClient
from cachetools import LRUCache
from flask import (
    Flask,
    Response,
    current_app,
    jsonify,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf

from skill.coach_audio.manifest import Manifest, load_manifest
from skill.config import ConfigError
from skill.content.plan import Pace, RecoveryPlan, load_plan
from skill.content.strings import DEFAULT_STRINGS_DIR, Catalogue, load_catalogue
from skill.devtools.dialog import AlexaReply, SkillFailed
from skill.devtools.simulator.local_api import LocalAlexaApi
from skill.devtools.simulator.session import Exchange, Passed, Rang, Simulator, start_of_day
from skill.devtools.simulator.understanding import MODELS_DIR, Understanding
from skill.sets.tokens import parse_token
from skill.web.audio import AUDIO_DIR_KEY
from skill.web.care import set_private_cookie
from skill.web.headers import page_blueprint
from skill.web.language import Choice, autonym, page_locale_of, set_chooser

EXTENSION = "spine_coach.try"
COOKIE = "try_simulator"
COOKIE_MAX_AGE = 7 * 24 * 3600
USER_PREFIX = "amzn1.ask.account.TRY-"
LOCALE = "en-US"
# The locales /try can offer, in the order it lists them; a locale is offered once the skill
# has its interaction model and strings (skill_locales).
SKILL_LOCALES = ("en-US", "en-GB", "nl-NL")
SWITCH = "lang"
LOCALE_COOKIE = "try_locale"
MAX_SIMULATORS = 100
MAX_TEXT = 500
MAX_LISTEN_SECONDS = 3600
MAX_ADVANCE_DAYS = 366
BUTTONS = ("Play", "Pause", "Next", "Previous")


# Replies a simulator keeps (the Dialog's history grows with every turn otherwise).
KEEP_REPLIES = 50
log = logging.getLogger(__name__)


class BadInput(ValueError):
    """A request /try cannot act on; the message says what to send instead."""


@dataclass
class _Held:
    """One browser's simulator, and the lock that keeps its turns one at a time."""

    simulator: Simulator
    lock: threading.Lock = field(default_factory=threading.Lock)


# How a simulator is made: for a cookie id, in a locale, taking over from the patient's
# simulator in another locale (their clock, reminders and permissions), or None for a new one.
MakeSimulator = Callable[[str, str, Simulator | None], Simulator]


class Simulators:
    """The simulators by cookie id: at most `limit`, the least recently used dropped first."""

    def __init__(self, make: MakeSimulator, limit: int = MAX_SIMULATORS) -> None:
        self._make = make
        self._held: LRUCache[str, _Held] = LRUCache(maxsize=limit)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._held)

    def peek(self, key: str | None) -> Simulator | None:
        """The simulator under `key`, if any (without making one); a look counts as a use."""
        with self._lock:
            held = self._held.get(key) if key else None
            return held.simulator if held else None

    def get(self, key: str | None, locale: str) -> tuple[str, _Held]:
        """The simulator under `key` speaking `locale`; when it speaks another, one for the same
        patient at the same time in `locale` takes its place; a new one (under a new key) when
        there is none."""
        with self._lock:
            held = self._held.get(key) if key else None
            if key and held is not None:
                if held.simulator.dialog.locale != locale:
                    held = _Held(self._make(key, locale, held.simulator))
                    self._held[key] = held
                return key, held
        return self.new(locale)

    def new(self, locale: str, replacing: str | None = None) -> tuple[str, _Held]:
        """A new simulator with a new patient, under a new key; `replacing` is dropped."""
        key = secrets.token_urlsafe(18)
        held = _Held(self._make(key, locale, None))
        with self._lock:
            if replacing is not None:
                self._held.pop(replacing, None)
            self._held[key] = held
        return key, held


@dataclass
class TrySite:
    """What /try needs: the app to talk to, the audio built, a clock, the plan and strings the
    player names a set by, and the locales offered (each heard with its interaction model)."""

    app: Flask
    manifest: Manifest | None
    clock: Callable[[], datetime]
    streams: bool
    plan: RecoveryPlan
    catalogue: Catalogue
    time_zone: str = "UTC"
    locales: tuple[str, ...] = (LOCALE,)
    # Amazon's APIs as the app answers them; when local, each patient's reminders live there.
    alexa_api: LocalAlexaApi | None = None
    simulators: Simulators = field(init=False)
    models_dir: Path = MODELS_DIR
    _understood: dict[str, Understanding] = field(default_factory=dict, init=False, repr=False)
    _understood_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        self.simulators = Simulators(self._simulator)
        tracks = self.manifest.all_tracks() if self.manifest else []
        self._track_files = sorted({track.file for track in tracks}, key=len, reverse=True)

    def _simulator(self, key: str, locale: str, previous: Simulator | None) -> Simulator:
        return Simulator(
            self.app.test_client(),
            self.understanding_of(locale),
            at=previous.now if previous else self.clock(),
            locale=locale,
            audio_player=True,
            manifest=self.manifest,
            user_id=f"{USER_PREFIX}{key}",
            time_zone=self.time_zone,
            alexa_api=self.alexa_api,
            api_token=previous.api_token if previous else None,
            reminders=previous.reminders if previous else None,
            granted=previous.dialog.granted if previous else (),
        )

    def understanding_of(self, locale: str) -> Understanding:
        """How the simulator hears `locale` (its model read at the first use)."""
        with self._understood_lock:
            if locale not in self._understood:
                self._understood[locale] = Understanding.for_locale(locale, self.models_dir)
            return self._understood[locale]

    def chosen_locale(self) -> str:
        """The request's locale: the switch, else the cookie, else the browser's best match."""
        asked, kept = request.args.get(SWITCH), request.cookies.get(LOCALE_COOKIE)
        for value in (asked, kept):
            if value in self.locales:
                return str(value)
        return request.accept_languages.best_match(self.locales) or self.locales[0]

    def choices(self) -> list[Choice]:
        """The language switch: every locale offered, by its own name."""
        current = self.chosen_locale()
        return [
            Choice(locale, autonym(locale.replace("-", "_")), locale == current)
            for locale in self.locales
        ]

    def exercise_name(self, exercise_id: str, locale: str) -> str | None:
        """The exercise's name as the Echo says it in `locale`; None if the plan lacks it."""
        exercise = self.plan.exercise(exercise_id)
        return exercise.name.get(locale) if exercise else None

    def pace_name(self, pace: Pace, locale: str) -> str:
        """The pace's name as the Echo says it in `locale` ("normaal")."""
        return str(self.catalogue.for_locale(locale).text(f"pace.names.{pace.value}"))

    def local_url(self, url: str) -> str | None:
        """This app's /audio/ URL for a streamed track, or None for anything else."""
        name = next((file for file in self._track_files if url.endswith(file)), None)
        return url_for("audio.audio", name=name) if name else None


def skill_locales(
    models_dir: Path = MODELS_DIR, strings_dir: Path = DEFAULT_STRINGS_DIR
) -> tuple[str, ...]:
    """The locales the skill speaks: those with interaction_model/<locale>.json and
    skill/content/strings/<locale>.yaml, in SKILL_LOCALES's order."""
    return tuple(
        locale
        for locale in SKILL_LOCALES
        if (models_dir / f"{locale}.json").is_file() and (strings_dir / f"{locale}.yaml").is_file()
    )


def _site() -> TrySite:
    site = current_app.extensions[EXTENSION]
    assert isinstance(site, TrySite)
    return site


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _first_day_clock(first_day: date | None, time_zone: str) -> Callable[[], datetime]:
    if first_day is None:
        return _utc_now
    start = start_of_day(first_day, time_zone)
    return lambda: start


# Requests ------------------------------------------------------------------------------------


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadInput("send a JSON object")
    return data


def _number(data: dict[str, Any], name: str, highest: float) -> float:
    value = data.get(name)
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0 < value <= highest
    ):
        raise BadInput(f"{name} must be a number above 0 and at most {highest:g}")
    return float(value)


def _text(data: dict[str, Any]) -> str:
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        raise BadInput("text must be what the patient says")
    if len(text) > MAX_TEXT:
        raise BadInput(f"text must be at most {MAX_TEXT} characters")
    return text.strip()


# Answers -------------------------------------------------------------------------------------


def _card(reply: AlexaReply) -> dict[str, str] | None:
    card = reply.response.get("card")
    if not isinstance(card, dict):
        return None
    return {
        "title": str(card.get("title") or ""),
        "content": str(card.get("content") or card.get("text") or ""),
    }


def _player(site: TrySite, simulator: Simulator) -> dict[str, Any] | None:
    player = simulator.player
    if player is None or player.current is None:
        return None
    stream = player.current
    token = parse_token(stream.token)
    locale = simulator.dialog.locale
    return {
        "activity": player.activity,
        "url": site.local_url(stream.url),
        "offset_ms": stream.offset_ms,
        "duration_ms": player.duration_of(stream.url),
        "exercise": token.exercise_id if token else None,
        "pace": token.pace if token else None,
        # What the page shows: the set as the Echo names it, in its language.
        "exercise_name": site.exercise_name(token.exercise_id, locale) if token else None,
        "pace_name": site.pace_name(token.pace, locale) if token else None,
    }


def _event_names(types: list[str]) -> list[str]:
    """The events' names; a run of reminder events shown once with its count
    ("ReminderStarted x14")."""
    names: list[str] = []
    counts: list[int] = []
    for kind in types:
        name = kind.split(".", 1)[-1]
        if names and names[-1] == name and kind.startswith("Reminders."):
            counts[-1] += 1
        else:
            names.append(name)
            counts.append(1)
    return [
        name if count == 1 else f"{name} x{count}"
        for name, count in zip(names, counts, strict=True)
    ]


def _rang(simulator: Simulator, rang: Rang) -> dict[str, str]:
    local = rang.at.astimezone(simulator.time_zone)
    return {"at": rang.at.isoformat(), "time": f"{local:%H:%M}", "text": rang.text}


@dataclass
class Turned:
    """What one action on the Echo did: the skill's reply, what was heard, Alexa's own
    question, the permission answer sent, and what happened while the clock moved."""

    reply: AlexaReply | None = None
    heard: dict[str, Any] | None = None
    alexa_asks: str = ""
    permission: str | None = None
    passed: Passed | None = None


def _state(
    site: TrySite, simulator: Simulator, *, events_from: int, turned: Turned
) -> dict[str, Any]:
    reply = turned.reply
    reprompt = ""
    if reply is not None:
        ssml = reply.response.get("reprompt", {}).get("outputSpeech", {}).get("ssml", "")
        reprompt = simulator.spoken(AlexaReply({"response": {"outputSpeech": {"ssml": ssml}}}))
    passed = turned.passed
    return {
        "heard": turned.heard,
        "speech": simulator.spoken(reply) if reply is not None else "",
        "reprompt": reprompt,
        "ends_session": reply.ends_session if reply is not None else None,
        "card": _card(reply) if reply is not None else None,
        "directives": [str(d.get("type")) for d in reply.directives] if reply else [],
        "events": _event_names(simulator.dialog.event_types[events_from:]),
        "alexa_asks": turned.alexa_asks,
        "asking": simulator.asking is not None,
        "permission": turned.permission,
        "reminders": [_rang(simulator, rang) for rang in passed.rang] if passed else [],
        "more_reminders": passed.more if passed else 0,
        "player": _player(site, simulator),
        "clock": simulator.now.isoformat(),
        "csrf": generate_csrf(),
    }


def _trim(simulator: Simulator) -> None:
    dialog = simulator.dialog
    for replies in (dialog.history, dialog.events, dialog.event_types):
        del replies[:-KEEP_REPLIES]


def _answer(key: str, body: dict[str, Any], status: int = 200) -> Response:
    response = make_response(jsonify(body), status)
    response.headers["Cache-Control"] = "no-store"
    set_private_cookie(response, COOKIE, key, path="/try", max_age=COOKIE_MAX_AGE)
    return response


Turn = Callable[[Simulator], Turned]


def _act(turn: Turn, *, key: str | None = None, held: _Held | None = None) -> Response:
    site = _site()
    if key is None or held is None:
        key, held = site.simulators.get(request.cookies.get(COOKIE), site.chosen_locale())
    with held.lock:
        simulator = held.simulator
        before = len(simulator.dialog.event_types)
        try:
            turned = turn(simulator)
        except SkillFailed as error:
            log.warning("/try: the skill failed to answer: %s", error)
            failed = gettext("The skill failed to answer; see the server log.")
            return _answer(key, {"error": failed}, 502)
        body = _state(site, simulator, events_from=before, turned=turned)
        _trim(simulator)
    return _answer(key, body)


def _exchanged(exchange: Exchange) -> Turned:
    heard = exchange.heard
    shown: dict[str, Any] = {
        "request": exchange.request,
        "intent": heard.intent if heard else None,
        "slots": {name: slot.value for name, slot in heard.slots.items()} if heard else {},
        "sample": heard.sample if heard else None,
    }
    if exchange.permission is not None:
        shown["permission"] = exchange.permission  # what "yes" or "no" told the skill
    return Turned(
        exchange.reply,
        shown,
        alexa_asks=exchange.alexa_asks,
        permission=exchange.permission,
    )


def _moved(passed: Passed) -> Turned:
    """Time passed: the skill's answer to a permission ask left unanswered, if there was one."""
    if passed.unanswered is None:
        return Turned(passed=passed)
    turned = _exchanged(passed.unanswered)
    turned.passed = passed
    return turned


# Views ---------------------------------------------------------------------------------------


def page() -> Response:
    """GET /try: the chat page."""
    site = _site()
    simulator = site.simulators.peek(request.cookies.get(COOKIE))
    clock = simulator.now if simulator else site.clock()
    locale = site.chosen_locale()
    html = render_template(
        "try/index.html",
        clock=clock.isoformat(),
        streams=site.streams,
        languages=site.choices(),
        locale=locale,
        phrases=site.understanding_of(locale).spoken.suggestions,
    )
    response = make_response(html)
    response.headers["Cache-Control"] = "no-store"
    if request.args.get(SWITCH) == locale:
        set_private_cookie(response, LOCALE_COOKIE, locale, path="/try", max_age=COOKIE_MAX_AGE)
    return response


def say() -> Response:
    """POST /try/say {text}: the patient says something to the Echo (or answers Alexa)."""
    text = _text(_body())
    return _act(lambda simulator: _exchanged(simulator.say(text)))


def permission() -> Response:
    """POST /try/permission {allow: true|false}: the patient's answer to Alexa's permission ask,
    given with the page's buttons (Allow, Don't allow)."""
    allow = _body().get("allow")
    if not isinstance(allow, bool):
        raise BadInput("allow must be true or false")

    def turn(simulator: Simulator) -> Turned:
        if simulator.asking is None:
            raise BadInput("Alexa is not asking for a permission")
        return _exchanged(simulator.answer_permission(allow))

    return _act(turn)


def listen() -> Response:
    """POST /try/listen {seconds}: time passes with the Echo playing on."""
    seconds = _number(_body(), "seconds", MAX_LISTEN_SECONDS)
    return _act(lambda simulator: _moved(simulator.wait(seconds)))


def advance() -> Response:
    """POST /try/advance {days}: the patient is away for a while."""
    days = _number(_body(), "days", MAX_ADVANCE_DAYS)
    return _act(lambda simulator: _moved(simulator.away(days=days)))


def press() -> Response:
    """POST /try/press {button}: a device button, Play, Pause, Next or Previous."""
    button = _body().get("button")
    if button not in BUTTONS:
        raise BadInput(f"button must be one of {', '.join(BUTTONS)}")
    return _act(lambda simulator: Turned(simulator.press(str(button))))


def reset() -> Response:
    """POST /try/reset: a new patient on a new Echo, at the current time."""
    site = _site()
    key, held = site.simulators.new(site.chosen_locale(), replacing=request.cookies.get(COOKIE))
    return _act(lambda _simulator: Turned(), key=key, held=held)


def _bad_input(error: BadInput) -> Response:
    response = make_response(jsonify(error=str(error)), 400)
    response.headers["Cache-Control"] = "no-store"
    return response


def _csrf_failed(error: CSRFError) -> Response:
    # A fresh token, so a page left open past the token's lifetime can retry once.
    response = make_response(jsonify(error=str(error.description), csrf=generate_csrf()), 400)
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(
    app: Flask,
    *,
    csrf: CSRFProtect,
    first_day: date | None = None,
    time_zone: str = "UTC",
    locales: tuple[str, ...] | None = None,
    models_dir: Path = MODELS_DIR,
    plan: RecoveryPlan | None = None,
    catalogue: Catalogue | None = None,
    alexa_api: ApiClient | None = None,
) -> None:
    """Mount /try, `csrf` checked on its POSTs (the caller checks the SIMULATOR setting; mount
    /audio and skill.web.language first).

    New simulated patients start at the app's clock, or on `first_day` (10:00 in `time_zone`),
    so a trial can be pinned to a day; each page's "next day" moves its own clock on. The page
    offers `locales`, by default the skill's (`skill_locales`); its player names a set with
    `plan` and `catalogue` (the skill's, loaded again when not given). With `alexa_api` the app's
    LocalAlexaApi, each patient's reminders are kept there and go off on their clock."""
    manifest = load_manifest(app.config[AUDIO_DIR_KEY])
    base_url = str(app.config.get("AUDIO_BASE_URL") or "")
    offered = locales or skill_locales(models_dir)
    if not offered:
        raise ConfigError(
            f"/try has no locale to offer: none of {', '.join(SKILL_LOCALES)} has both "
            f"{models_dir}/<locale>.json and skill/content/strings/<locale>.yaml"
        )
    site = TrySite(
        app=app,
        manifest=manifest,
        clock=app.config.get("CLOCK") or _first_day_clock(first_day, time_zone),
        streams=manifest is not None and base_url.startswith("https://"),
        plan=plan or load_plan(),
        catalogue=catalogue or load_catalogue(),
        time_zone=time_zone,
        locales=offered,
        models_dir=models_dir,
        alexa_api=alexa_api if isinstance(alexa_api, LocalAlexaApi) else None,
    )
    site.understanding_of(offered[0])  # a model that does not load stops start-up
    pages = page_blueprint("try", __name__, "/try", csrf)
    pages.add_url_rule("", "page", page, methods=["GET"])
    pages.add_url_rule("/say", "say", say, methods=["POST"])
    pages.add_url_rule("/listen", "listen", listen, methods=["POST"])
    pages.add_url_rule("/advance", "advance", advance, methods=["POST"])
    pages.add_url_rule("/press", "press", press, methods=["POST"])
    pages.add_url_rule("/permission", "permission", permission, methods=["POST"])
    pages.add_url_rule("/reset", "reset", reset, methods=["POST"])
    pages.register_error_handler(BadInput, _bad_input)
    pages.register_error_handler(CSRFError, _csrf_failed)
    app.extensions[EXTENSION] = site
    set_chooser(app, pages.name, lambda: page_locale_of(_site().chosen_locale()))
    app.register_blueprint(pages)
