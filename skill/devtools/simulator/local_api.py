"""Amazon's Alexa APIs, answered locally for the simulator (there is no real device to ask)."""

from __future__ import annotations

import json

from ask_sdk_core.api_client import ApiClient
from ask_sdk_model.services import ApiClientRequest, ApiClientResponse

TIME_ZONE_PATH = "/settings/System.timeZone"


class LocalAlexaApi(ApiClient):
    """The settings API as Alexa answers it for a device in `time_zone`; 404 for the rest."""

    def __init__(self, time_zone: str) -> None:
        self.time_zone = time_zone

    def invoke(self, request: ApiClientRequest) -> ApiClientResponse:
        url = request.url or ""
        if request.method == "GET" and url.split("?")[0].endswith(TIME_ZONE_PATH):
            return ApiClientResponse(headers=[], status_code=200, body=json.dumps(self.time_zone))
        return ApiClientResponse(
            headers=[], status_code=404, body=json.dumps({"message": "not simulated"})
        )
