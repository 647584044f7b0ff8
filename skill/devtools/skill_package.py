"""An ASK CLI v2 skill package for deploying Spine Coach as an HTTPS-hosted custom skill.

Layout (ASK CLI v2, `ask deploy` from the folder holding `ask-resources.json`):

    ask-resources.json
    skill-package/skill.json
    skill-package/interactionModels/custom/<locale>.json

Field names and values follow, and were checked against:
- ask-resources.json: ask-cli v2's `lib/model/resources-config/ask-resources.js`
  (`askcliResourcesVersion: "2020-03-31"`, `profiles.<profile>.skillMetadata.src`).
- skill.json: Amazon's "Skill Manifest Schema" and "Skill Manifest Examples" pages
  (developer.amazon.com/docs/smapi/skill-manifest.html, .../skill-manifest-examples.html: the
  custom skill example has `category: "HEALTH_AND_FITNESS"`, `isAvailableWorldwide`,
  `distributionCountries`, `apis.custom.endpoint.uri` and `apis.custom.interfaces`) and the SMAPI
  v1 model (`v1.skill.Manifest.*`): `SkillManifestEndpoint {uri, sslCertificateType}`,
  `SSLCertificateType` = SelfSigned | Wildcard | Trusted, `SkillManifestEvents {endpoint,
  subscriptions: [{eventName}]}` with `EventNameType` SKILL_ENABLED, SKILL_DISABLED,
  SKILL_PERMISSION_ACCEPTED, SKILL_PERMISSION_CHANGED, REMINDER_STARTED, REMINDER_CREATED,
  REMINDER_UPDATED, REMINDER_DELETED, REMINDER_STATUS_CHANGED, `SkillManifestPrivacyAndCompliance
  {allowsPurchases, usesPersonalInfo, isChildDirected, isExportCompliant, containsAds, locales:
  {privacyPolicyUrl, termsOfUseUrl}}`, and the localized publishing information {name, summary,
  description, examplePhrases (three, taken from the sample utterances), keywords}, written per
  locale in STORE_TEXT (en-US, en-GB, nl-NL).
- The endpoint: "Host a Custom Skill as a Web Service": HTTPS, requests on port 443.
- One permission, `permissions: [{name}]`: `alexa::alerts:reminders:skill:readwrite`, to set the
  exercise reminders the patient asks for (Amazon's "Alexa Reminders API" and "Set Up Voice
  Permissions for Reminders"); the device time zone needs none (Alexa settings API), and the
  skill asks for no other personal data from Alexa.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from skill.devtools.model_check import DEFAULT_MODEL_DIR, intents_of, language_model, normalise

ASK_RESOURCES_VERSION: Final = "2020-03-31"
PACKAGE_DIR: Final = "skill-package"
CERTIFICATE_TYPES: Final = ("Wildcard", "Trusted", "SelfSigned")
EVENTS: Final = (
    "SKILL_ENABLED",
    "SKILL_DISABLED",
    "SKILL_PERMISSION_ACCEPTED",
    "SKILL_PERMISSION_CHANGED",
    "REMINDER_STARTED",
    "REMINDER_CREATED",
    "REMINDER_UPDATED",
    "REMINDER_DELETED",
    "REMINDER_STATUS_CHANGED",
)
PERMISSIONS: Final = ("alexa::alerts:reminders:skill:readwrite",)
CATEGORY: Final = "HEALTH_AND_FITNESS"
# The testing instructions are the certification team's: in this locale's text when it is packaged.
TESTING_LOCALE: Final = "en-US"

_EN_DESCRIPTION: Final = (
    "{name} shares your hospital's advice after spinal fusion surgery. Tell it the date of your "
    "{surgery} and ask which phase of recovery you are in, whether you may drive, cycle or sit "
    "yet, what today's exercises are and what comes next. It counts you through guided exercise "
    "sets, logs what you did, records your pain score and a short daily check-in, and can share "
    "your progress with a {caregiver} by a one-time code.\n\n"
    "{name} does not replace your care team. It is not a substitute for professional medical "
    "advice, diagnosis or treatment, and it does not diagnose. If something worries you, "
    "{call} your care team; in an emergency, call {emergency}.\n\n"
    'You can delete everything {name} stored about you by saying "delete my data".'
)

# Store text per locale (Amazon's localized publishing information); a locale missing here
# cannot be packaged. Each example phrase is the invocation's lead and one of the model's samples
# (Amazon requires example phrases to be sample utterances; example_phrases checks it).
STORE_TEXT: Final[Mapping[str, Mapping[str, Any]]] = {
    "en-US": {
        "name": "Spine Coach",
        "summary": (
            "A voice coach for recovery after spinal fusion: your phase, what you may do, "
            "and guided exercises."
        ),
        "description": _EN_DESCRIPTION.format(
            name="Spine Coach",
            surgery="surgery",
            caregiver="caregiver",
            call="call",
            emergency="your local emergency number",
        ),
        "keywords": ["spinal fusion", "back surgery", "recovery", "physical therapy", "exercise"],
        "open": "Alexa, open {invocation}",
        "examples": (
            ("ask {invocation} ", "what phase am I in"),
            ("ask {invocation} to ", "start my exercises"),
        ),
        "testing": (
            'Say "Alexa, open {invocation}", give a surgery date such as "March third", then '
            'ask "what phase am I in", "can I drive yet" or "start my exercises".'
        ),
    },
    "en-GB": {
        "name": "Spine Coach",
        "summary": (
            "A voice coach for recovery after spinal fusion: your stage of recovery, what you "
            "may do, and guided exercises."
        ),
        "description": _EN_DESCRIPTION.format(
            name="Spine Coach", surgery="operation", caregiver="carer", call="ring", emergency="999"
        ),
        "keywords": ["spinal fusion", "back operation", "recovery", "physiotherapy", "exercise"],
        "open": "Alexa, open {invocation}",
        "examples": (
            ("ask {invocation} ", "what stage am I at"),
            ("ask {invocation} to ", "start my exercises"),
        ),
        "testing": (
            'Say "Alexa, open {invocation}", give an operation date such as "the third of '
            'March", then ask "what stage am I at", "can I drive yet" or "start my exercises".'
        ),
    },
    "nl-NL": {
        "name": "Rug Coach",
        "summary": (
            "Een spraakcoach voor uw herstel na het vastzetten van uw wervels: uw herstelfase, "
            "wat u al mag, en begeleide oefeningen."
        ),
        "description": (
            "Rug Coach geeft u het advies van uw ziekenhuis na een operatie waarbij uw wervels "
            "zijn vastgezet. Noem de datum van uw operatie en vraag in welke herstelfase u zit, "
            "of u al mag autorijden, fietsen of zitten, welke oefeningen u vandaag doet en wat er "
            "hierna komt. Rug Coach telt met u mee bij begeleide oefeningen, noteert wat u deed, "
            "legt uw pijnscore en een korte dagelijkse check-in vast, en kan uw voortgang met "
            "een mantelzorger delen via een eenmalige code.\n\n"
            "Rug Coach vervangt uw zorgteam niet. Het is geen vervanging voor professioneel "
            "medisch advies, diagnose of behandeling, en stelt geen diagnose. Maakt u zich "
            "zorgen, bel dan uw zorgteam; bel in een noodgeval 112.\n\n"
            'Alles wat Rug Coach over u bewaart, wist u door te zeggen: "wis mijn gegevens".'
        ),
        "keywords": ["wervelfusie", "rugoperatie", "herstel", "fysiotherapie", "oefeningen"],
        "open": "Alexa, open {invocation}",
        "examples": (
            ("vraag {invocation} ", "in welke fase zit ik"),
            ("vraag {invocation} om ", "mijn oefeningen te starten"),
        ),
        "testing": (
            'Zeg "Alexa, open {invocation}", noem een operatiedatum zoals "drie maart", en vraag '
            'dan "in welke fase zit ik", "mag ik al autorijden" of "start mijn oefeningen".'
        ),
    },
}


class PackageError(Exception):
    """The package cannot be written as asked (endpoint, locale, models)."""


@dataclass(frozen=True)
class PackageReport:
    resources: Path
    manifest: Path
    models: tuple[Path, ...]
    notes: tuple[str, ...]

    def summary(self) -> str:
        locales = ", ".join(path.stem for path in self.models)
        lines = [
            f"Wrote {self.resources}",
            f"Wrote {self.manifest} ({locales})",
            *(f"Wrote {path}" for path in self.models),
            *(f"Note: {note}" for note in self.notes),
            f"Next: run `ask deploy` in {self.resources.parent}",
        ]
        return "\n".join(lines)


def check_endpoint(endpoint: str) -> str:
    """The endpoint Alexa will call: an absolute https URL on port 443."""
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError as error:
        raise PackageError(f"the endpoint {endpoint!r} is not a valid URL: {error}") from error
    if parts.scheme.lower() != "https":
        raise PackageError(
            f"the endpoint must be an https:// URL (Alexa calls skills over HTTPS only), "
            f"not {endpoint!r}"
        )
    if not parts.hostname:
        raise PackageError(f"the endpoint {endpoint!r} has no host name")
    if port is not None and port != 443:
        raise PackageError(
            f"the endpoint {endpoint!r} uses port {port}; Alexa calls web services on port 443"
        )
    if parts.username or parts.password:
        raise PackageError("the endpoint must not carry a user name or password")
    return endpoint


def check_page_url(option: str, url: str | None) -> str | None:
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("https", "http") or not parts.hostname:
        raise PackageError(f"{option} must be an absolute http(s) URL, not {url!r}")
    return url


def load_models(model_dir: Path) -> dict[str, tuple[Path, dict[str, Any]]]:
    """Locale -> (file, language model) for every model in `model_dir`."""
    models: dict[str, tuple[Path, dict[str, Any]]] = {}
    for path in sorted(model_dir.glob("*.json")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise PackageError(f"cannot read the interaction model {path}: {error}") from error
        model = language_model(document) if isinstance(document, dict) else {}
        if not isinstance(model.get("invocationName"), str):
            raise PackageError(f"{path} has no interactionModel.languageModel.invocationName")
        models[path.stem] = (path, model)
    if not models:
        raise PackageError(f"no interaction models (*.json) in {model_dir}")
    return models


def example_phrases(locale: str, model: Mapping[str, Any], text: Mapping[str, Any]) -> list[str]:
    """At most three, the first opening the skill; each of the others ends in a model sample."""
    invocation = model["invocationName"]
    phrases = [text["open"].format(invocation=invocation)]
    samples = {
        normalise(sample)
        for intent in intents_of(model)
        for sample in intent.get("samples", [])
        if isinstance(sample, str)
    }
    for lead, sample in text["examples"]:
        if normalise(sample) not in samples:
            raise PackageError(
                f"the example phrase {sample!r} of {locale} is not a sample of its interaction "
                "model: pick one of the model's samples in STORE_TEXT"
            )
        phrases.append(f"Alexa, {lead.format(invocation=invocation)}{sample}")
    return phrases[:3]


def locale_text(locale: str) -> Mapping[str, Any]:
    text = STORE_TEXT.get(locale)
    if text is None:
        raise PackageError(
            f"no store text for the locale {locale}: add it to STORE_TEXT in "
            "skill/devtools/skill_package.py"
        )
    return text


def build_manifest(
    models: Mapping[str, Mapping[str, Any]],
    endpoint: str,
    *,
    certificate_type: str = "Wildcard",
    privacy_url: str | None = None,
    terms_url: str | None = None,
) -> dict[str, Any]:
    """skill.json for these locales' models, calling `endpoint` for requests and events."""
    check_endpoint(endpoint)
    if not models:
        raise PackageError("no interaction models to package")
    if certificate_type not in CERTIFICATE_TYPES:
        raise PackageError(
            f"the certificate type must be one of {', '.join(CERTIFICATE_TYPES)}, "
            f"not {certificate_type!r}"
        )
    locales: dict[str, Any] = {}
    for locale, model in sorted(models.items()):
        text = locale_text(locale)
        locales[locale] = {
            "name": text["name"],
            "summary": text["summary"],
            "description": text["description"],
            "examplePhrases": example_phrases(locale, model, text),
            "keywords": list(text["keywords"]),
        }
    first = TESTING_LOCALE if TESTING_LOCALE in models else min(models)
    testing = locale_text(first)["testing"].format(invocation=models[first]["invocationName"])
    countries = sorted({locale.split("-")[1] for locale in models if "-" in locale})
    page_urls = {
        key: url
        for key, url in (("privacyPolicyUrl", privacy_url), ("termsOfUseUrl", terms_url))
        if url is not None
    }
    endpoint_object = {"uri": endpoint, "sslCertificateType": certificate_type}
    return {
        "manifest": {
            "manifestVersion": "1.0",
            "publishingInformation": {
                "locales": locales,
                "isAvailableWorldwide": False,
                "distributionCountries": countries,
                "testingInstructions": testing,
                "category": CATEGORY,
            },
            "privacyAndCompliance": {
                "allowsPurchases": False,
                "usesPersonalInfo": True,
                "isChildDirected": False,
                "isExportCompliant": True,
                "containsAds": False,
                "locales": {locale: dict(page_urls) for locale in sorted(models)},
            },
            "permissions": [{"name": name} for name in PERMISSIONS],
            "events": {
                "endpoint": dict(endpoint_object),
                "subscriptions": [{"eventName": name} for name in EVENTS],
            },
            "apis": {
                "custom": {
                    "endpoint": dict(endpoint_object),
                    "interfaces": [{"type": "AUDIO_PLAYER"}],
                }
            },
        }
    }


def ask_resources() -> dict[str, Any]:
    return {
        "askcliResourcesVersion": ASK_RESOURCES_VERSION,
        "profiles": {"default": {"skillMetadata": {"src": f"./{PACKAGE_DIR}"}}},
    }


def write_json(path: Path, content: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_package(
    out: Path,
    endpoint: str,
    *,
    model_dir: Path = DEFAULT_MODEL_DIR,
    certificate_type: str = "Wildcard",
    privacy_url: str | None = None,
    terms_url: str | None = None,
) -> PackageReport:
    """Write ask-resources.json and skill-package/ under `out`; models are copied byte for byte.

    A model folder left from an earlier run is replaced, so a removed locale does not linger.
    """
    check_endpoint(endpoint)
    privacy_url = check_page_url("--privacy-url", privacy_url)
    terms_url = check_page_url("--terms-url", terms_url)
    models = load_models(model_dir)
    manifest = build_manifest(
        {locale: model for locale, (_, model) in models.items()},
        endpoint,
        certificate_type=certificate_type,
        privacy_url=privacy_url,
        terms_url=terms_url,
    )
    resources_path = out / "ask-resources.json"
    manifest_path = out / PACKAGE_DIR / "skill.json"
    model_out = out / PACKAGE_DIR / "interactionModels" / "custom"
    write_json(resources_path, ask_resources())
    write_json(manifest_path, manifest)
    if model_out.exists():
        shutil.rmtree(model_out)
    model_out.mkdir(parents=True)
    copied: list[Path] = []
    for locale, (source, _) in sorted(models.items()):
        target = model_out / f"{locale}.json"
        shutil.copyfile(source, target)
        copied.append(target)
    notes: list[str] = []
    if privacy_url is None:
        notes.append(
            "the skill stores personal data (usesPersonalInfo is true): certification needs a "
            "privacy policy URL (--privacy-url)"
        )
    if certificate_type == "SelfSigned":
        notes.append(
            "a SelfSigned certificate is for testing only: upload it to the skill (developer "
            "console, Build > Endpoint, or the SSL Certificates API) before testing"
        )
    elif certificate_type == "Wildcard":
        notes.append(
            f"sslCertificateType is {certificate_type}; pass --certificate-type Trusted if the "
            "host's certificate names the host itself rather than a wildcard"
        )
    return PackageReport(resources_path, manifest_path, tuple(copied), tuple(notes))
