"""Settings: defaults, then SPINE_COACH_* environment variables, then the mapping passed in."""

from __future__ import annotations

from pathlib import Path

import pytest

from skill import ConfigError, create_app
from skill.alexa.endpoint import EXTENSION
from skill.content.plan import PlanError


def test_verification_is_on_by_default_and_needs_the_skill_id(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SPINE_COACH_SKILL_ID", raising=False)
    monkeypatch.delenv("SPINE_COACH_VERIFY_REQUESTS", raising=False)
    with pytest.raises(ConfigError, match="SPINE_COACH_SKILL_ID is required") as error:
        create_app({"DATABASE_URL": sqlite_url})
    assert "SPINE_COACH_VERIFY_REQUESTS=0" in str(error.value)


def test_with_a_skill_id_verification_is_on(sqlite_url: str) -> None:
    app = create_app({"DATABASE_URL": sqlite_url, "SKILL_ID": "amzn1.ask.skill.x"})
    assert app.extensions[EXTENSION].verifier is not None
    assert app.extensions[EXTENSION].skill_id == "amzn1.ask.skill.x"
    app.extensions[EXTENSION].engine.dispose()


def test_environment_overrides_defaults_and_the_mapping_overrides_both(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SPINE_COACH_VERIFY_REQUESTS", "0")
    monkeypatch.setenv("SPINE_COACH_DEFAULT_TIMEZONE", "Europe/Amsterdam")
    monkeypatch.setenv("SPINE_COACH_DATABASE_URL", "sqlite:////nonexistent/ignored.sqlite3")
    app = create_app({"DATABASE_URL": sqlite_url})
    assert app.extensions[EXTENSION].verifier is None
    assert app.config["DEFAULT_TIMEZONE"] == "Europe/Amsterdam"
    assert app.config["DATABASE_URL_RESOLVED"] == sqlite_url
    assert "REQUEST VERIFICATION IS OFF" in caplog.text
    app.extensions[EXTENSION].engine.dispose()


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("SPINE_COACH_VERIFY_REQUESTS", "maybe", "SPINE_COACH_VERIFY_REQUESTS"),
        ("SPINE_COACH_TIMESTAMP_TOLERANCE", "600", "SPINE_COACH_TIMESTAMP_TOLERANCE"),
        ("SPINE_COACH_CERT_FETCH_TIMEOUT", "-1", "SPINE_COACH_CERT_FETCH_TIMEOUT"),
    ],
)
def test_a_bad_setting_stops_start_up_naming_the_variable(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, named: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=named):
        create_app({"DATABASE_URL": sqlite_url, "SKILL_ID": "amzn1.ask.skill.x"})


def test_a_clinic_plan_replaces_the_default(sqlite_url: str, tmp_path: Path) -> None:
    from skill.content.plan import DEFAULT_PLAN_PATH

    plan = tmp_path / "clinic.yaml"
    plan.write_text(
        DEFAULT_PLAN_PATH.read_text().replace("088 979 23 23", "020 555 01 01"), encoding="utf-8"
    )
    app = create_app({"DATABASE_URL": sqlite_url, "VERIFY_REQUESTS": False, "PLAN": str(plan)})
    from skill.devtools.dialog import Dialog
    from tests.conftest import NOW

    reply = Dialog(app.test_client(), at=NOW).say("ContactIntent")
    assert "020 555 01 01" in reply.speech
    app.extensions[EXTENSION].engine.dispose()


def test_a_broken_plan_stops_start_up_naming_the_file_and_field(
    sqlite_url: str, tmp_path: Path
) -> None:
    from skill.content.plan import DEFAULT_PLAN_PATH

    plan = tmp_path / "broken.yaml"
    plan.write_text(
        DEFAULT_PLAN_PATH.read_text().replace("repetitions: 10", "repetitions: lots", 1),
        encoding="utf-8",
    )
    with pytest.raises(
        PlanError, match=r"broken\.yaml.*in_bed_exercises\.exercises\.0\.repetitions"
    ):
        create_app({"DATABASE_URL": sqlite_url, "VERIFY_REQUESTS": False, "PLAN": str(plan)})


def test_without_a_secret_key_one_is_made_once_and_kept_private(tmp_path: Path) -> None:
    from skill import _instance_secret

    first = _instance_secret(tmp_path / "instance")
    path = tmp_path / "instance" / "secret_key"
    assert len(first) >= 48
    assert path.stat().st_mode & 0o777 == 0o600
    assert _instance_secret(tmp_path / "instance") == first  # kept across restarts


def test_a_short_secret_key_is_refused() -> None:
    with pytest.raises(ConfigError, match="SPINE_COACH_SECRET_KEY"):
        create_app({"VERIFY_REQUESTS": False, "SECRET_KEY": "too-short"})


@pytest.mark.parametrize(("value", "secure"), [("0", False), ("1", True)])
def test_cookie_security_from_the_environment_is_a_true_flag(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str, secure: bool
) -> None:
    monkeypatch.setenv("SPINE_COACH_SESSION_COOKIE_SECURE", value)
    app = create_app(
        {"VERIFY_REQUESTS": False, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    )
    try:
        cookie = app.test_client().get("/care").headers["Set-Cookie"]
        assert ("Secure" in cookie) is secure
        assert "Secure=" not in cookie
    finally:
        app.extensions[EXTENSION].engine.dispose()
