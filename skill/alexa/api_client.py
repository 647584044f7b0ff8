"""The client for Alexa's APIs (the device time zone): built at its first call.

ask-sdk's client stands on requests, whose import is a tenth of the app's cold start; most
requests never call Amazon (a device's zone is cached for hours), so a new worker imports it
when the skill first asks Amazon something, not while it starts.
"""

from __future__ import annotations

import threading

from ask_sdk_model.services import ApiClient, ApiClientRequest, ApiClientResponse


class AlexaApiClient(ApiClient):
    """ask-sdk's DefaultApiClient with a timeout (`skill.alexa.http_client`), made on first use."""

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout
        self._client: ApiClient | None = None
        self._lock = threading.Lock()

    def invoke(self, request: ApiClientRequest) -> ApiClientResponse:
        """Send `request` to Alexa's API."""
        return self._http().invoke(request)

    def _http(self) -> ApiClient:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    from skill.alexa.http_client import TimeoutApiClient

                    self._client = TimeoutApiClient(self._timeout)
        return self._client
