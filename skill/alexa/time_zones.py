"""Device time zones from the Alexa settings API, cached per device, with a safe fallback."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from enum import Enum, auto
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ask_sdk_core.handler_input import HandlerInput
from cachetools import TLRUCache

from skill.alexa.request import device_id as device_id_of

log = logging.getLogger(__name__)


class _Unknown(Enum):
    """Not asked yet, or asked too long ago (a failed lookup is cached, as None)."""

    UNKNOWN = auto()


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
        def expires(_device_id: str, zone: ZoneInfo | None, now: float) -> float:
            # A failed lookup (None) is asked again sooner than a zone is.
            return now + (ttl_seconds if zone is not None else failure_ttl_seconds)

        # The zones by device, the least recently used dropped first; shared by threads.
        self._zones: TLRUCache[str, ZoneInfo | None] = TLRUCache(
            maxsize=max_devices, ttu=expires, timer=monotonic
        )
        self._lock = threading.Lock()

    def lookup(self, handler_input: HandlerInput) -> ZoneInfo | None:
        """The device's zone, or None when Alexa could not tell (the caller falls back)."""
        device_id = device_id_of(handler_input)
        if not device_id:
            return None
        with self._lock:
            cached = self._zones.get(device_id, _Unknown.UNKNOWN)
        if cached is not _Unknown.UNKNOWN:
            return cached
        zone = self._ask_alexa(handler_input, device_id)
        with self._lock:
            self._zones[device_id] = zone
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
