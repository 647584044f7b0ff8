"""Amazon's Alexa APIs, answered locally for the simulator (there is no real device to ask).

The device settings API answers the simulated device's time zone; the Reminders API
(`/v1/alerts/reminders`) is answered by a `LocalReminders` per simulated user, found by the
request's bearer token (the envelope's `apiAccessToken`): each simulator attaches its own,
whose clock is its virtual clock. A token no simulator attached is answered by a shared
`LocalReminders` in which nothing is granted (401, as Amazon answers without consent).
"""

from __future__ import annotations

import json
import threading
import weakref
from typing import Any

from ask_sdk_core.api_client import ApiClient
from ask_sdk_model.services import ApiClientRequest, ApiClientResponse

from skill.devtools.simulator.local_reminders import PATH as REMINDERS_PATH
from skill.devtools.simulator.local_reminders import LocalReminders

TIME_ZONE_PATH = "/settings/System.timeZone"


def bearer_token(request: ApiClientRequest) -> str:
    """The API access token of `Authorization: Bearer …`, or ''."""
    for name, value in request.headers or []:
        if name.lower() == "authorization" and str(value).startswith("Bearer "):
            return str(value)[len("Bearer ") :]
    return ""


def _json_body(body: Any) -> Any:
    """The request's JSON body: ask-sdk's serializer hands the client a JSON-ready object (its
    HTTP client dumps it), another client may hand over the text."""
    if body is None or body == "":
        return None
    if isinstance(body, str | bytes):
        return json.loads(body)
    return json.loads(json.dumps(body))


def _answer(status: int, body: Any) -> ApiClientResponse:
    text = "" if body == {} and status == 200 else json.dumps(body)
    return ApiClientResponse(
        headers=[("Content-Type", "application/json")], status_code=status, body=text
    )


class LocalAlexaApi(ApiClient):
    """The settings API as Alexa answers it for a device in `time_zone`, the Reminders API from
    the `LocalReminders` attached to the request's token; 404 for the rest."""

    def __init__(self, time_zone: str) -> None:
        self.time_zone = time_zone
        self.unattached = LocalReminders()
        # A simulator dropped (the /try page's least recently used) takes its reminders along.
        self._reminders: weakref.WeakValueDictionary[str, LocalReminders] = (
            weakref.WeakValueDictionary()
        )
        self._lock = threading.Lock()

    def attach(self, api_token: str, reminders: LocalReminders) -> None:
        """Answer the Reminders API for `api_token` from `reminders` (held while it lives)."""
        with self._lock:
            self._reminders[api_token] = reminders

    def reminders_of(self, api_token: str) -> LocalReminders:
        """The reminders the API keeps for this token."""
        with self._lock:
            return self._reminders.get(api_token) or self.unattached

    def invoke(self, request: ApiClientRequest) -> ApiClientResponse:
        url = request.url or ""
        path = url.split("?")[0]
        if request.method == "GET" and path.endswith(TIME_ZONE_PATH):
            return ApiClientResponse(headers=[], status_code=200, body=json.dumps(self.time_zone))
        if REMINDERS_PATH in path:
            token = bearer_token(request)
            try:
                body = _json_body(request.body)
            except (TypeError, ValueError):
                return _answer(400, {"code": "INVALID_REQUEST", "message": "body is not JSON"})
            local_path = path[path.index(REMINDERS_PATH) :]
            status, answer = self.reminders_of(token).handle(
                str(request.method), local_path, token, body
            )
            return _answer(status, answer)
        return ApiClientResponse(
            headers=[], status_code=404, body=json.dumps({"message": "not simulated"})
        )
