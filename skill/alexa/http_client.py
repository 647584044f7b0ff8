"""ask-sdk's requests-based client for Alexa's APIs, with a timeout and pooling (imported by
`skill.alexa.api_client` when the skill first calls Amazon)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import requests
from ask_sdk_core.api_client import DefaultApiClient
from ask_sdk_core.exceptions import ApiClientException


class TimeoutApiClient(DefaultApiClient):
    """ask-sdk's client never times out; a slow Alexa API must not hold a request past 8 s."""

    def __init__(self, timeout: float, session: requests.Session | None = None) -> None:
        self._timeout = timeout
        self._session = session or requests.Session()

    def _resolve_method(self, request: Any) -> Callable[..., requests.Response]:
        method = (request.method or "").lower()
        if method not in {"get", "post", "put", "delete", "patch", "head"}:
            raise ApiClientException(f"Invalid request method: {request.method}")
        return partial(getattr(self._session, method), timeout=self._timeout)
