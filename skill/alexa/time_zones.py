"""Device time zones from the Alexa settings API, cached per device, with a safe fallback."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ask_sdk_core.handler_input import HandlerInput

from skill.alexa.request import device_id as device_id_of

log = logging.getLogger(__name__)


def zone_or_none(name: str | None) -> ZoneInfo | None:
    """The zone with this IANA name, or None when there is no such zone."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


class DeviceTimeZones:
    """Asks Alexa for a device's time zone once, then remembers it for a while."""

    def __init__(
        self,
        *,
        max_devices: int = 10_000,
        ttl_seconds: float = 12 * 3600,
        failure_ttl_seconds: float = 300,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._entries: OrderedDict[str, tuple[float, ZoneInfo | None]] = OrderedDict()
        self._lock = threading.Lock()
        self._max_devices = max_devices
        self._ttl = ttl_seconds
        self._failure_ttl = failure_ttl_seconds
        self._monotonic = monotonic

    def lookup(self, handler_input: HandlerInput) -> ZoneInfo | None:
        """The device's zone, or None when Alexa could not tell (the caller falls back)."""
        device_id = device_id_of(handler_input)
        if not device_id:
            return None
        now = self._monotonic()
        with self._lock:
            cached = self._entries.get(device_id)
            if cached is not None and cached[0] > now:
                self._entries.move_to_end(device_id)
                return cached[1]
        zone = self._ask_alexa(handler_input, device_id)
        expires = now + (self._ttl if zone is not None else self._failure_ttl)
        with self._lock:
            self._entries[device_id] = (expires, zone)
            self._entries.move_to_end(device_id)
            while len(self._entries) > self._max_devices:
                self._entries.popitem(last=False)
        return zone

    @staticmethod
    def _ask_alexa(handler_input: HandlerInput, device_id: str) -> ZoneInfo | None:
        factory = handler_input.service_client_factory
        if factory is None:
            return None
        try:
            name = factory.get_ups_service().get_system_time_zone(device_id)
        except Exception as error:  # any API failure falls back; it must not fail the request
            log.warning("time zone lookup failed: %s", type(error).__name__)
            return None
        zone = zone_or_none(name if isinstance(name, str) else None)
        if zone is None:
            log.warning("time zone lookup returned an unusable value")
        return zone
