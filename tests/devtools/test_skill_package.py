"""`spine-coach package`: the ASK CLI v2 skill package, written by the command as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from skill.devtools.model_check import default_models, language_model
from skill.devtools.skill_package import (
    EVENTS,
    PackageError,
    build_manifest,
    check_endpoint,
    write_package,
)

# The command runs as a process in most tests: not in `make test-fast`.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SPINE_COACH = [sys.executable, "-c", "from skill.cli import main; main()"]
ENDPOINT = "https://coach.example.org/alexa"


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SPINE_COACH, "package", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def workdir(tmp_path: Path) -> Path:
    """An empty folder to run in (tmp_path itself holds the conftest's audio folder)."""
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


def read(path: Path) -> dict[str, Any]:
    content: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return content


def real_models() -> dict[str, dict[str, Any]]:
    return {path.stem: language_model(read(path)) for path in default_models()}


@pytest.fixture
def packaged(tmp_path: Path) -> Path:
    work = workdir(tmp_path)
    result = run(["--endpoint", ENDPOINT], work)
    assert result.returncode == 0, result.stderr
    return work


def test_the_default_output_is_the_current_directory(packaged: Path) -> None:
    assert sorted(str(path.relative_to(packaged)) for path in packaged.rglob("*.json")) == sorted(
        [
            "ask-resources.json",
            "skill-package/skill.json",
            *(f"skill-package/interactionModels/custom/{p.name}" for p in default_models()),
        ]
    )


def test_ask_resources_points_the_default_profile_at_the_skill_package(packaged: Path) -> None:
    assert read(packaged / "ask-resources.json") == {
        "askcliResourcesVersion": "2020-03-31",
        "profiles": {"default": {"skillMetadata": {"src": "./skill-package"}}},
    }


def test_the_models_are_copied_byte_for_byte(packaged: Path) -> None:
    for model in default_models():
        copied = packaged / "skill-package" / "interactionModels" / "custom" / model.name
        assert copied.read_bytes() == model.read_bytes()


def test_the_manifest_calls_the_endpoint_with_audio_player(packaged: Path) -> None:
    manifest = read(packaged / "skill-package" / "skill.json")["manifest"]
    assert set(manifest) == {
        "manifestVersion",
        "publishingInformation",
        "privacyAndCompliance",
        "permissions",
        "events",
        "apis",
    }
    # Only the reminders the patient asks for: the time zone needs none; none other invented.
    assert manifest["permissions"] == [{"name": "alexa::alerts:reminders:skill:readwrite"}]
    assert manifest["apis"] == {
        "custom": {
            "endpoint": {"uri": ENDPOINT, "sslCertificateType": "Wildcard"},
            "interfaces": [{"type": "AUDIO_PLAYER"}],
        }
    }
    assert manifest["events"] == {
        "endpoint": {"uri": ENDPOINT, "sslCertificateType": "Wildcard"},
        "subscriptions": [
            {"eventName": "SKILL_ENABLED"},
            {"eventName": "SKILL_DISABLED"},
            {"eventName": "SKILL_PERMISSION_ACCEPTED"},
            {"eventName": "SKILL_PERMISSION_CHANGED"},
            {"eventName": "REMINDER_STARTED"},
            {"eventName": "REMINDER_CREATED"},
            {"eventName": "REMINDER_UPDATED"},
            {"eventName": "REMINDER_DELETED"},
            {"eventName": "REMINDER_STATUS_CHANGED"},
        ],
    }


def test_the_publishing_information_covers_every_model_locale(packaged: Path) -> None:
    models = real_models()
    publishing = read(packaged / "skill-package" / "skill.json")["manifest"][
        "publishingInformation"
    ]
    assert set(publishing["locales"]) == set(models)
    assert set(models) >= {"en-US", "en-GB", "nl-NL"}
    assert publishing["category"] == "HEALTH_AND_FITNESS"
    assert publishing["isAvailableWorldwide"] is False
    assert publishing["distributionCountries"] == sorted(locale[-2:] for locale in models)
    assert publishing["testingInstructions"].startswith('Say "Alexa, open spine coach"')
    for locale, info in publishing["locales"].items():
        invocation = models[locale]["invocationName"]
        words = STORE_WORDS[locale]
        assert info["name"] == words["name"]
        assert 0 < len(info["summary"]) <= 160
        for said in words["description"]:
            assert said in info["description"], (locale, said)
        phrases = info["examplePhrases"]
        assert 1 <= len(phrases) <= 3
        assert phrases[0] == f"Alexa, open {invocation}"
        samples = {
            sample for intent in models[locale]["intents"] for sample in intent.get("samples", [])
        }
        for phrase in phrases[1:]:
            lead = f"Alexa, {words['ask']} {invocation} "
            assert phrase.startswith(lead)
            # Amazon requires example phrases to come from the sample utterances.
            tail = phrase.removeprefix(lead).removeprefix(f"{words['joiner']} ")
            assert tail in samples, phrase


# What each locale's store text must say: the disclaimer and the emergency number of its country.
STORE_WORDS: dict[str, dict[str, Any]] = {
    "en-US": {
        "name": "Spine Coach",
        "ask": "ask",
        "joiner": "to",
        "description": [
            "does not replace your care team",
            "not a substitute for professional medical advice",
            '"delete my data"',
        ],
    },
    "en-GB": {
        "name": "Spine Coach",
        "ask": "ask",
        "joiner": "to",
        "description": [
            "does not replace your care team",
            "not a substitute for professional medical advice",
            "call 999",
            "carer",
        ],
    },
    "nl-NL": {
        "name": "Rug Coach",
        "ask": "vraag",
        "joiner": "om",
        "description": [
            "vervangt uw zorgteam niet",
            "geen vervanging voor professioneel medisch advies",
            "bel in een noodgeval 112",
            '"wis mijn gegevens"',
        ],
    },
}


def test_privacy_and_compliance(packaged: Path) -> None:
    privacy = read(packaged / "skill-package" / "skill.json")["manifest"]["privacyAndCompliance"]
    assert privacy == {
        "allowsPurchases": False,
        "usesPersonalInfo": True,
        "isChildDirected": False,
        "isExportCompliant": True,
        "containsAds": False,
        "locales": {locale: {} for locale in real_models()},
    }


def test_the_command_says_what_it_wrote_and_what_is_left_to_do(tmp_path: Path) -> None:
    result = run(["--endpoint", ENDPOINT], workdir(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "Wrote skill-package/skill.json (en-GB, en-US, nl-NL)" in result.stdout
    assert "--privacy-url" in result.stdout
    assert "ask deploy" in result.stdout


def test_out_puts_everything_under_the_folder(tmp_path: Path) -> None:
    work = workdir(tmp_path)
    result = run(
        [
            "--endpoint",
            ENDPOINT,
            "--out",
            "build/alexa",
            "--certificate-type",
            "Trusted",
            "--privacy-url",
            "https://coach.example.org/privacy",
            "--terms-url",
            "https://coach.example.org/terms",
        ],
        work,
    )
    assert result.returncode == 0, result.stderr
    out = work / "build" / "alexa"
    assert sorted(path.name for path in work.iterdir()) == ["build"]
    assert read(out / "ask-resources.json")["profiles"]["default"]["skillMetadata"] == {
        "src": "./skill-package"
    }
    manifest = read(out / "skill-package" / "skill.json")["manifest"]
    assert manifest["apis"]["custom"]["endpoint"]["sslCertificateType"] == "Trusted"
    assert manifest["events"]["endpoint"]["sslCertificateType"] == "Trusted"
    assert manifest["privacyAndCompliance"]["locales"] == {
        locale: {
            "privacyPolicyUrl": "https://coach.example.org/privacy",
            "termsOfUseUrl": "https://coach.example.org/terms",
        }
        for locale in real_models()
    }
    for model in default_models():
        copied = out / "skill-package" / "interactionModels" / "custom" / model.name
        assert copied.read_bytes() == model.read_bytes()
    assert "--privacy-url" not in result.stdout


@pytest.mark.parametrize(
    ("endpoint", "message"),
    [
        ("http://coach.example.org/alexa", "must be an https:// URL"),
        ("coach.example.org/alexa", "must be an https:// URL"),
        ("https:///alexa", "has no host name"),
        ("https://coach.example.org:8443/alexa", "Alexa calls web services on port 443"),
    ],
)
def test_the_endpoint_must_be_https_on_port_443(
    tmp_path: Path, endpoint: str, message: str
) -> None:
    work = workdir(tmp_path)
    result = run(["--endpoint", endpoint], work)
    assert result.returncode == 2
    assert result.stderr.startswith("Error: ")
    assert message in result.stderr
    assert list(work.iterdir()) == []  # nothing written


def test_an_unknown_certificate_type_is_refused(tmp_path: Path) -> None:
    result = run(["--endpoint", ENDPOINT, "--certificate-type", "Whatever"], workdir(tmp_path))
    assert result.returncode == 2
    assert "--certificate-type" in result.stderr


def test_a_page_url_must_be_absolute(tmp_path: Path) -> None:
    result = run(["--endpoint", ENDPOINT, "--privacy-url", "privacy.html"], workdir(tmp_path))
    assert result.returncode == 2
    assert "--privacy-url must be an absolute http(s) URL" in result.stderr


def test_the_endpoint_may_name_port_443() -> None:
    assert check_endpoint("https://coach.example.org:443/alexa")


def test_a_second_run_replaces_the_models_of_the_first(tmp_path: Path) -> None:
    stale = tmp_path / "skill-package" / "interactionModels" / "custom" / "xx-XX.json"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}")
    write_package(tmp_path, ENDPOINT)
    assert not stale.exists()
    assert sorted(path.name for path in stale.parent.iterdir()) == [
        path.name for path in default_models()
    ]


def test_locales_and_countries_follow_the_models() -> None:
    model = real_models()["en-US"]
    manifest = build_manifest({"en-US": model, "en-GB": model}, ENDPOINT)["manifest"]
    assert sorted(manifest["publishingInformation"]["locales"]) == ["en-GB", "en-US"]
    assert manifest["publishingInformation"]["distributionCountries"] == ["GB", "US"]
    assert sorted(manifest["privacyAndCompliance"]["locales"]) == ["en-GB", "en-US"]
    assert [event["eventName"] for event in manifest["events"]["subscriptions"]] == list(EVENTS)


def test_a_locale_without_store_text_is_refused() -> None:
    with pytest.raises(PackageError, match="no store text for the locale de-DE"):
        build_manifest({"de-DE": real_models()["en-US"]}, ENDPOINT)


def test_an_example_phrase_that_is_not_a_sample_of_the_model_is_refused() -> None:
    model = dict(real_models()["nl-NL"])
    model["intents"] = [
        intent for intent in model["intents"] if intent["name"] != "CurrentPhaseIntent"
    ]
    with pytest.raises(PackageError, match="'in welke fase zit ik' of nl-NL is not a sample"):
        build_manifest({"nl-NL": model}, ENDPOINT)


def test_a_model_folder_without_models_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PackageError, match="no interaction models"):
        write_package(tmp_path / "out", ENDPOINT, model_dir=tmp_path)


# Each subscription's request type, as Alexa sends it (Amazon's "Skill Events" and "Alexa
# Reminders API" references).
EVENT_REQUESTS = {
    "SKILL_ENABLED": "AlexaSkillEvent.SkillEnabled",
    "SKILL_DISABLED": "AlexaSkillEvent.SkillDisabled",
    "SKILL_PERMISSION_ACCEPTED": "AlexaSkillEvent.SkillPermissionAccepted",
    "SKILL_PERMISSION_CHANGED": "AlexaSkillEvent.SkillPermissionChanged",
    "REMINDER_STARTED": "Reminders.ReminderStarted",
    "REMINDER_CREATED": "Reminders.ReminderCreated",
    "REMINDER_UPDATED": "Reminders.ReminderUpdated",
    "REMINDER_DELETED": "Reminders.ReminderDeleted",
    "REMINDER_STATUS_CHANGED": "Reminders.ReminderStatusChanged",
}


def test_every_subscribed_event_but_enabling_has_a_handler_of_its_own() -> None:
    from skill.skill_builder import DispatchTable, request_handlers

    assert set(EVENT_REQUESTS) == set(EVENTS)
    table = DispatchTable(request_handlers())
    for event, request in EVENT_REQUESTS.items():
        handlers = [type(chain.request_handler).__name__ for chain in table.route(request, None)]
        if event == "SKILL_ENABLED":  # nothing to do: the catch-all answers it empty
            assert handlers == ["UnhandledRequestHandler"]
        else:
            assert handlers[0] != "UnhandledRequestHandler", event
