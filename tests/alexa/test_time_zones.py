"""The device's time zone: asked of Alexa's settings API once per device, with safe fallbacks."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from typing import cast
from zoneinfo import ZoneInfo

import pytest
import requests
import responses
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Context, Device, RequestEnvelope
from ask_sdk_model.interfaces.system import SystemState
from ask_sdk_model.services import ApiClientRequest, ApiClientResponse, ServiceClientFactory
from flask.testing import FlaskClient

from skill import create_app
from skill.alexa import http_client as alexa_http
from skill.alexa.api_client import AlexaApiClient
from skill.alexa.endpoint import EXTENSION
from skill.alexa.time_zones import DeviceTimeZones
from skill.devtools.dialog import Dialog
from tests.conftest import TIME_ZONE_URL

# Reads calendar dates: `make test` runs it again with the clock moved years ahead.
pytestmark = pytest.mark.date_sensitive

DEVICE = "amzn1.ask.device.TESTDEVICE"
# 23:30 UTC on 20 November: already 21 November in Amsterdam, still the 20th in New York.
LATE = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)


def phase_reply(client: FlaskClient, surgery: date, at: datetime) -> str:
    """The phase in full, which begins with the time since surgery, counted in days of the zone
    the skill took for the device."""
    dialog = Dialog(client, at=at)
    dialog.launch()
    dialog.say("SetSurgeryDateIntent", surgeryDate=surgery.isoformat())
    dialog.say("AMAZON.YesIntent")
    dialog.say("MoreDetailIntent")
    return dialog.say("CurrentPhaseIntent").speech


@pytest.fixture
def api() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def make_client(sqlite_url: str, **config: object) -> FlaskClient:
    app = create_app({"DATABASE_URL": sqlite_url, "VERIFY_REQUESTS": False, **config})
    return app.test_client()


def test_the_zone_is_asked_once_per_device_with_the_api_token(
    sqlite_url: str, api: responses.RequestsMock
) -> None:
    call = api.add(responses.GET, TIME_ZONE_URL.format(device=DEVICE), json="Europe/Amsterdam")
    client = make_client(sqlite_url)
    speech = phase_reply(client, date(2026, 11, 20), LATE)
    assert speech.startswith("It's been 1 day since your surgery.")
    assert call.call_count == 1
    assert api.calls[0].request.headers["Authorization"] == "Bearer test-api-access-token"
    client.application.extensions[EXTENSION].engine.dispose()


def test_without_the_api_the_default_zone_is_used(
    sqlite_url: str, api: responses.RequestsMock
) -> None:
    api.add(responses.GET, TIME_ZONE_URL.format(device=DEVICE), status=500, json={})
    client = make_client(sqlite_url, DEFAULT_TIMEZONE="America/New_York")
    assert phase_reply(client, date(2026, 11, 20), LATE).startswith("Your surgery was today.")
    client.application.extensions[EXTENSION].engine.dispose()


def test_a_timeout_falls_back_and_is_not_retried_on_every_request(
    sqlite_url: str, api: responses.RequestsMock
) -> None:
    call = api.add(
        responses.GET, TIME_ZONE_URL.format(device=DEVICE), body=requests.ConnectTimeout()
    )
    client = make_client(sqlite_url)  # default zone: UTC, where it is still the 20th
    assert phase_reply(client, date(2026, 11, 20), LATE).startswith("Your surgery was today.")
    assert call.call_count == 1
    client.application.extensions[EXTENSION].engine.dispose()


def test_an_unknown_zone_name_from_the_api_falls_back(
    sqlite_url: str, api: responses.RequestsMock
) -> None:
    api.add(responses.GET, TIME_ZONE_URL.format(device=DEVICE), json="Mars/Olympus_Mons")
    client = make_client(sqlite_url)
    assert phase_reply(client, date(2026, 11, 20), LATE).startswith("Your surgery was today.")
    client.application.extensions[EXTENSION].engine.dispose()


def test_the_patients_stored_zone_is_used_when_the_api_fails_later(
    sqlite_url: str, api: responses.RequestsMock
) -> None:
    ok = api.add(responses.GET, TIME_ZONE_URL.format(device=DEVICE), json="Europe/Amsterdam")
    first = make_client(sqlite_url)
    phase_reply(first, date(2026, 11, 20), LATE)
    first.application.extensions[EXTENSION].engine.dispose()
    api.remove(ok)
    api.add(responses.GET, TIME_ZONE_URL.format(device=DEVICE), status=503, json={})
    # A fresh app (an empty per-device cache) asks again, fails, and uses the stored zone.
    second = make_client(sqlite_url)
    dialog = Dialog(second, at=LATE)
    dialog.launch()
    assert dialog.say("CurrentPhaseIntent").speech.startswith("It's been 1 day")
    second.application.extensions[EXTENSION].engine.dispose()


def test_an_invalid_default_zone_stops_start_up(sqlite_url: str) -> None:
    from skill.config import ConfigError

    with pytest.raises(ConfigError, match="DEFAULT_TIMEZONE='Nowhere/Land'"):
        create_app(
            {
                "DATABASE_URL": sqlite_url,
                "VERIFY_REQUESTS": False,
                "DEFAULT_TIMEZONE": "Nowhere/Land",
            }
        )


@pytest.mark.slow
def test_requests_is_imported_only_when_the_skill_first_calls_amazon(sqlite_url: str) -> None:
    # A worker starts without it (a tenth of the cold start); the first call imports it.
    program = (
        "import sys\n"
        "from skill import create_app\n"
        f"app = create_app({{'DATABASE_URL': {sqlite_url!r}, 'VERIFY_REQUESTS': False,"
        " 'SECRET_KEY': 'x' * 40})\n"
        "print('requests' in sys.modules)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True, timeout=60
    )
    assert completed.stdout.split() == ["False"]


def test_the_api_client_is_built_once_on_first_use(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[float] = []

    class Recording:
        def __init__(self, timeout: float) -> None:
            built.append(timeout)

        def invoke(self, request: ApiClientRequest) -> ApiClientResponse:
            return ApiClientResponse(status_code=200, body=request.url)

    monkeypatch.setattr(alexa_http, "TimeoutApiClient", Recording)
    client = AlexaApiClient(1.5)
    assert built == []
    request = ApiClientRequest(method="GET", url="https://api.amazonalexa.com/x")
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(client.invoke, [request] * 16))
    assert [answer.body for answer in answers] == [request.url] * 16
    assert built == [1.5]


# The per-device cache, on a clock the test moves.


class FakeUps:
    """Alexa's settings API: a zone name per device, or an error; counts the questions."""

    def __init__(self, zones: dict[str, str | None]) -> None:
        self.zones = zones
        self.asked: list[str] = []

    def get_ups_service(self) -> FakeUps:
        return self

    def get_system_time_zone(self, device_id: str) -> str:
        self.asked.append(device_id)
        zone = self.zones[device_id]
        if zone is None:
            raise RuntimeError("the settings API failed")
        return zone


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def on_device(api: FakeUps, device_id: str) -> HandlerInput:
    system = SystemState(device=Device(device_id=device_id))
    return HandlerInput(
        request_envelope=RequestEnvelope(context=Context(system=system)),
        service_client_factory=cast(ServiceClientFactory, api),
    )


def test_a_devices_zone_is_kept_for_its_time_to_live() -> None:
    api, clock = FakeUps({"d1": "Europe/Amsterdam"}), Clock()
    zones = DeviceTimeZones(ttl_seconds=100, failure_ttl_seconds=10, monotonic=clock)
    assert zones.lookup(on_device(api, "d1")) == ZoneInfo("Europe/Amsterdam")
    clock.now += 99
    assert zones.lookup(on_device(api, "d1")) == ZoneInfo("Europe/Amsterdam")
    assert api.asked == ["d1"]
    clock.now += 1
    api.zones["d1"] = "America/New_York"
    assert zones.lookup(on_device(api, "d1")) == ZoneInfo("America/New_York")
    assert api.asked == ["d1", "d1"]


def test_a_failed_lookup_is_asked_again_sooner() -> None:
    api, clock = FakeUps({"d1": None}), Clock()
    zones = DeviceTimeZones(ttl_seconds=100, failure_ttl_seconds=10, monotonic=clock)
    assert zones.lookup(on_device(api, "d1")) is None
    clock.now += 9
    assert zones.lookup(on_device(api, "d1")) is None  # the failure is remembered
    assert api.asked == ["d1"]
    clock.now += 1
    api.zones["d1"] = "Europe/Amsterdam"
    assert zones.lookup(on_device(api, "d1")) == ZoneInfo("Europe/Amsterdam")
    assert api.asked == ["d1", "d1"]


def test_past_the_bound_the_least_recently_used_device_is_asked_again() -> None:
    api, clock = FakeUps({"d1": "UTC", "d2": "UTC", "d3": "UTC"}), Clock()
    zones = DeviceTimeZones(max_devices=2, monotonic=clock)
    for device_id in ("d1", "d2", "d1", "d3", "d1", "d2"):
        zones.lookup(on_device(api, device_id))
    # d2 was the least recently used when d3 came; d1, used since, stayed.
    assert api.asked == ["d1", "d2", "d3", "d2"]
