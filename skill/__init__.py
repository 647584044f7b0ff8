"""Spine Coach: an Alexa skill for recovery after spinal fusion. `create_app` builds it."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ask_sdk_model.services import ApiClient
from flask import Flask
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from skill.alexa import endpoint as alexa_endpoint
from skill.alexa.api_client import AlexaApiClient
from skill.alexa.endpoint import AlexaEndpoint
from skill.alexa.serializer import AlexaSerializer
from skill.alexa.time_zones import DeviceTimeZones
from skill.alexa.verification import RequestVerifier, fetch_chain_over_https, load_trust_roots
from skill.coach_audio.manifest import load_manifest
from skill.config import ENV_PREFIX, ConfigError, Settings, load_settings
from skill.content.plan import load_plan
from skill.content.strings import load_catalogue
from skill.reminders.service import Reminders
from skill.services import Services
from skill.sets.coach_voice import CoachVoice
from skill.sets.service import GuidedSets
from skill.sets.spoken import SpokenSets
from skill.skill_builder import build_skill
from skill.store.caregivers import SESSION_MAX_AGE, CaregiverAccess
from skill.store.check_ins import CheckIns
from skill.store.engine import make_engine, sqlite_url
from skill.store.exercise_log import ExerciseLog
from skill.store.patient_data import PatientData
from skill.store.patients import PatientStore
from skill.store.reminders import ReminderStore
from skill.store.seen_requests import SeenRequests
from skill.web import audio, care, language, logs
from skill.web.care import CareSite
from skill.web.sessions import CookieSessionsExcept

__all__ = ["ConfigError", "create_app"]
# The repository's audio/ folder, where `spine-coach build-audio` writes by default.
DEFAULT_AUDIO_DIR = Path(__file__).resolve().parents[1] / "audio"
log = logging.getLogger(__name__)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _build_verifier(
    settings: Settings, injected: Mapping[str, Any], engine: Engine
) -> RequestVerifier:
    fetch: Callable[[str], bytes] = injected.get("CERT_CHAIN_FETCHER") or (
        lambda url: fetch_chain_over_https(
            url, timeout=settings.CERT_FETCH_TIMEOUT, max_bytes=settings.CERT_MAX_BYTES
        )
    )
    return RequestVerifier(
        trust_roots=injected.get("TRUST_ROOTS") or load_trust_roots(settings.CA_BUNDLE),
        fetch_chain=fetch,
        clock=injected.get("CLOCK") or _utc_now,
        cache_size=settings.CERT_CACHE_SIZE,
        timestamp_tolerance=timedelta(seconds=settings.TIMESTAMP_TOLERANCE),
        seen_requests=SeenRequests(engine) if settings.REFUSE_REPLAYS else None,
    )


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app: defaults, then SPINE_COACH_* environment variables, then `config`.

    Besides settings, `config` may inject collaborators for tests and benchmarks:
    CERT_CHAIN_FETCHER, TRUST_ROOTS, CLOCK (for verification), ALEXA_API_CLIENT and CATALOGUE
    (the strings, e.g. with a locale made for a test).
    """
    app = Flask(
        __name__,
        instance_relative_config=True,
        static_folder="web/static",
        template_folder="web/templates",
    )
    logs.init_app(app)  # first: request ids and access lines around every other hook
    settings = load_settings(app, dict(config or {}))
    try:
        ZoneInfo(settings.DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ConfigError(
            f"{ENV_PREFIX}_DEFAULT_TIMEZONE={settings.DEFAULT_TIMEZONE!r} is not an IANA time "
            f"zone name like 'Europe/Amsterdam'"
        ) from error
    app.config["MAX_CONTENT_LENGTH"] = settings.MAX_REQUEST_BYTES
    if settings.PROXY_HOPS:
        hops = settings.PROXY_HOPS
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    audio_dir = (settings.AUDIO_DIR or DEFAULT_AUDIO_DIR).resolve()
    coach_voice = CoachVoice(load_manifest(audio_dir), settings.AUDIO_BASE_URL)
    database_url = settings.DATABASE_URL
    if database_url is None:
        database_url = sqlite_url(app.instance_path)
    engine = make_engine(database_url)
    secret_key = settings.SECRET_KEY or _instance_secret(Path(app.instance_path))
    app.config["SECRET_KEY"] = secret_key
    caregivers = CaregiverAccess(engine, secret_key.encode("utf-8"))
    plan, catalogue = load_plan(settings.PLAN), app.config.get("CATALOGUE") or load_catalogue()
    patients, exercise_log = PatientStore(engine), ExerciseLog(engine)
    spoken_sets = SpokenSets(plan, catalogue, coach_voice)
    guided_sets = GuidedSets(plan, exercise_log, patients, coach_voice, spoken_sets)
    services = Services(
        plan=plan,
        catalogue=catalogue,
        patients=patients,
        exercise_log=exercise_log,
        patient_data=PatientData(engine),
        check_ins=CheckIns(engine),
        caregivers=caregivers,
        time_zones=DeviceTimeZones(),
        coach_voice=coach_voice,
        spoken_sets=spoken_sets,
        guided_sets=guided_sets,
        reminders=Reminders(plan, catalogue, patients, ReminderStore(engine), guided_sets),
        default_time_zone=settings.DEFAULT_TIMEZONE,
    )
    api_client = app.config.get("ALEXA_API_CLIENT") or _alexa_api(settings)
    verifier = None
    if settings.VERIFY_REQUESTS:
        verifier = _build_verifier(settings, app.config, engine)
    else:
        log.warning(
            "!!! REQUEST VERIFICATION IS OFF: anyone can send requests to /alexa. "
            "Use this only for local trials; set %s_VERIFY_REQUESTS=1 in production. !!!",
            ENV_PREFIX,
        )
    app.config["DATABASE_URL_RESOLVED"] = database_url
    # Each part attaches itself alike, Flask-extension style: init_app builds its blueprint
    # and mounts it, keeping what its views need in app.extensions or app.config.
    # CSRF is checked by the blueprints that take forms (/care, /try) in their own
    # before_request, so Alexa's requests, the audio and health probes run none of its code.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    # A form's token lasts as long as a caregiver session can (Flask-WTF's default is an hour):
    # "Sign out" on a page left open still ends a live session. The token is bound to the
    # cookie session's secret, and the server refuses a caregiver session older than this.
    app.config["WTF_CSRF_TIME_LIMIT"] = int(SESSION_MAX_AGE.total_seconds())
    csrf = CSRFProtect(app)
    alexa_endpoint.init_app(
        app,
        AlexaEndpoint(
            skill=build_skill(services, api_client=api_client),
            catalogue=services.catalogue,
            engine=engine,
            verifier=verifier,
            skill_id=settings.SKILL_ID,
            serializer=AlexaSerializer(),
            on_parsed=logs.adopt_alexa_request_id,
        ),
        csrf=csrf,
    )
    audio.init_app(app, audio_dir, csrf=csrf)
    language.init_app(app)  # the pages' language: /care and /try
    care.init_app(
        app,
        CareSite(services, caregivers, app.config.get("CLOCK") or _utc_now),
        csrf=csrf,
        storage_uri=settings.RATELIMIT_STORAGE_URL,
        per_client=settings.CARE_CODE_LIMIT,
        overall=settings.CARE_CODE_GLOBAL_LIMIT,
    )
    if settings.SIMULATOR:
        from skill.devtools.try_site import init_app as init_try_site

        init_try_site(
            app,
            csrf=csrf,
            first_day=settings.SIMULATOR_TODAY,
            time_zone=settings.DEFAULT_TIMEZONE,
            plan=services.plan,
            catalogue=services.catalogue,
            alexa_api=api_client,
        )
    # No cookie session where no page uses one: Alexa's requests, health probes, the audio.
    app.session_interface = CookieSessionsExcept.for_blueprints(app, ("alexa", "audio"))
    return app


def _alexa_api(settings: Settings) -> ApiClient:
    """Amazon's APIs over HTTPS; with the simulator on, answered locally (its requests come
    from no real device, so there is nothing at Amazon to ask)."""
    if settings.SIMULATOR:
        from skill.devtools.simulator.local_api import LocalAlexaApi

        return LocalAlexaApi(settings.DEFAULT_TIMEZONE)
    return AlexaApiClient(settings.ALEXA_API_TIMEOUT)


def _instance_secret(instance: Path) -> str:
    """The secret key kept in the instance folder, made on first use (one machine only)."""
    path = instance / "secret_key"
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    instance.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(secret)
    log.warning(
        "made a secret key in %s; set %s_SECRET_KEY when running several instances",
        path,
        ENV_PREFIX,
    )
    return secret
