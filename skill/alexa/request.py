"""Typed access to the parts of an ask-sdk request the skill reads (ask-sdk's types are loose)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_device_id, get_locale, get_slot, get_user_id
from ask_sdk_model import IntentRequest


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def user_id(handler_input: HandlerInput) -> str | None:
    """The Alexa user id."""
    return _text(get_user_id(handler_input))


def device_id(handler_input: HandlerInput) -> str | None:
    """The device id."""
    return _text(get_device_id(handler_input))


def locale(handler_input: HandlerInput) -> str | None:
    """The request's locale, e.g. 'en-US'."""
    return _text(get_locale(handler_input))


def request_type(handler_input: HandlerInput) -> str:
    """The request type, e.g. 'IntentRequest' or 'AudioPlayer.PlaybackStopped'."""
    return _text(getattr(handler_input.request_envelope.request, "object_type", None)) or ""


def raw_request(handler_input: HandlerInput) -> dict[str, Any]:
    """The request object as Alexa sent it, with fields ask-sdk-model does not model."""
    envelope = handler_input.context
    request = envelope.get("request") if isinstance(envelope, dict) else None
    return request if isinstance(request, dict) else {}


def request_id(handler_input: HandlerInput) -> str | None:
    """The request's id (Alexa keeps it when it retries a request)."""
    return _text(getattr(handler_input.request_envelope.request, "request_id", None))


def timestamp(handler_input: HandlerInput) -> datetime | None:
    """When Alexa sent the request."""
    moment = getattr(handler_input.request_envelope.request, "timestamp", None)
    return moment if isinstance(moment, datetime) else None


def has_session(handler_input: HandlerInput) -> bool:
    """Whether the request belongs to a session (AudioPlayer events do not)."""
    return handler_input.request_envelope.session is not None


def session_attributes(handler_input: HandlerInput) -> dict[str, Any]:
    """The session's attributes; empty (and not kept) for requests without a session."""
    if not has_session(handler_input):
        return {}
    attributes = handler_input.attributes_manager.session_attributes
    if attributes is None:
        attributes = {}
        handler_input.attributes_manager.session_attributes = attributes
    return attributes


def request_attributes(handler_input: HandlerInput) -> dict[str, Any]:
    """Attributes that live for this request only."""
    attributes: dict[str, Any] = handler_input.attributes_manager.request_attributes
    return attributes


def intent_name(handler_input: HandlerInput) -> str | None:
    """The intent's name, for IntentRequests."""
    request = handler_input.request_envelope.request
    if not isinstance(request, IntentRequest) or request.intent is None:
        return None
    return _text(request.intent.name)


def slot_value(handler_input: HandlerInput, name: str) -> str | None:
    """The slot's spoken value, or None when absent or empty."""
    if intent_name(handler_input) is None:
        return None
    return _text(getattr(get_slot(handler_input, name), "value", None))


def resolved_id(handler_input: HandlerInput, name: str) -> str | None:
    """The custom-type id Alexa matched for a slot (entity resolution), or None."""
    if intent_name(handler_input) is None:
        return None
    resolutions = getattr(get_slot(handler_input, name), "resolutions", None)
    for authority in getattr(resolutions, "resolutions_per_authority", None) or []:
        code = getattr(getattr(authority, "status", None), "code", None)
        if getattr(code, "value", code) != "ER_SUCCESS_MATCH":
            continue
        for item in getattr(authority, "values", None) or []:
            value_id = _text(getattr(getattr(item, "value", None), "id", None))
            if value_id:
                return value_id
    return None


def permission_granted(handler_input: HandlerInput, scope: str) -> bool:
    """Whether the user granted `scope` (context.System.user.permissions.scopes)."""
    system = getattr(handler_input.request_envelope.context, "system", None)
    permissions = getattr(getattr(system, "user", None), "permissions", None)
    scopes = getattr(permissions, "scopes", None)
    if not isinstance(scopes, dict):
        return False
    status = getattr(scopes.get(scope), "status", None)
    return getattr(status, "value", status) == "GRANTED"
