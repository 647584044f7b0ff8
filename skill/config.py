"""Settings: defaults, then SPINE_COACH_* environment variables, then the mapping passed in."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from flask import Flask
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

ENV_PREFIX = "SPINE_COACH"
MAX_REQUEST_BYTES = 128 * 1024


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message says how to fix it."""


class Settings(BaseModel):
    """The validated settings the app is assembled from."""

    model_config = ConfigDict(extra="ignore", arbitrary_types_allowed=True, frozen=True)

    DATABASE_URL: str | None = None
    VERIFY_REQUESTS: bool = True
    SKILL_ID: str | None = None
    CA_BUNDLE: Path | None = None
    PLAN: Path | None = None
    DEFAULT_TIMEZONE: str = "UTC"
    MAX_REQUEST_BYTES: int = Field(default=MAX_REQUEST_BYTES, gt=0)
    CERT_FETCH_TIMEOUT: float = Field(default=2.0, gt=0)
    CERT_MAX_BYTES: int = Field(default=64 * 1024, gt=0)
    CERT_CACHE_SIZE: int = Field(default=16, gt=0)
    TIMESTAMP_TOLERANCE: int = Field(default=150, gt=0, le=150)
    # Remember every verified request id (in the database) and refuse a replay of it. Only the
    # benchmark turns it off, to send one signed body many times.
    REFUSE_REPLAYS: bool = True
    ALEXA_API_TIMEOUT: float = Field(default=1.5, gt=0)
    AUDIO_DIR: Path | None = None
    AUDIO_BASE_URL: str | None = None
    # Signs the caregiver page's cookies and keys the stored code hashes; every instance must
    # share it. Unset: one is made and kept in the instance folder (fine for a single machine).
    SECRET_KEY: str | None = Field(default=None, min_length=32)
    # Where rate-limit counters live: memory:// for one process, redis://host:6379 for several.
    RATELIMIT_STORAGE_URL: str = "memory://"
    CARE_CODE_LIMIT: str = "5 per minute; 20 per hour"
    CARE_CODE_GLOBAL_LIMIT: str = "60 per minute"
    SESSION_COOKIE_SECURE: bool = True
    # Behind N reverse proxies / load balancers: trust N X-Forwarded-For/-Proto hops, so rate
    # limits see each caregiver's address rather than the balancer's (0: none trusted).
    PROXY_HOPS: int = Field(default=0, ge=0, le=5)
    # /try, the web simulator of an Echo (local trials only; never on in production).
    SIMULATOR: bool = False
    # The day /try's simulated patients start on (10:00 in DEFAULT_TIMEZONE); unset: now.
    SIMULATOR_TODAY: date | None = None

    @field_validator("AUDIO_BASE_URL")
    @classmethod
    def _base_url_ends_with_slash(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("https://", "http://")):
            raise ValueError("give a full URL, like https://cdn.example.org/spine-coach/audio/")
        return value if value.endswith("/") else value + "/"

    @field_validator(
        "SKILL_ID", "DATABASE_URL", "AUDIO_BASE_URL", "SECRET_KEY", "SIMULATOR_TODAY", mode="before"
    )
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if value == "" else value


def load_settings(app: Flask, overrides: dict[str, Any] | None) -> Settings:
    """Merge defaults, environment and overrides into app.config and validate them."""
    app.config.from_mapping({name: field.default for name, field in Settings.model_fields.items()})
    app.config.from_prefixed_env(ENV_PREFIX)
    if overrides:
        app.config.from_mapping(overrides)
    try:
        settings = Settings.model_validate(dict(app.config))
    except ValidationError as error:
        problems = "; ".join(
            f"{ENV_PREFIX}_{'.'.join(str(part) for part in issue['loc'])}: {issue['msg']}"
            for issue in error.errors()
        )
        raise ConfigError(f"Invalid settings: {problems}") from error
    # Flask reads some settings from app.config itself: give it the validated values
    # (an environment "0" is the number 0 there, which Werkzeug would write as "Secure=0").
    app.config["SESSION_COOKIE_SECURE"] = settings.SESSION_COOKIE_SECURE
    # Flask's session cookie (it holds the CSRF token's secret) is never sent cross-site.
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    if settings.VERIFY_REQUESTS and not settings.SKILL_ID:
        raise ConfigError(
            f"{ENV_PREFIX}_SKILL_ID is required while request verification is on. "
            f"Set it to your skill's id (amzn1.ask.skill.…) from the Alexa developer console, "
            f"or set {ENV_PREFIX}_VERIFY_REQUESTS=0 for a local trial."
        )
    return settings
