"""Builders for Alexa request envelopes, shaped exactly as Alexa sends them (tests, simulator)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

DEFAULT_USER = "amzn1.ask.account.TESTUSER"
DEFAULT_DEVICE = "amzn1.ask.device.TESTDEVICE"
DEFAULT_SKILL_ID = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"
API_ENDPOINT = "https://api.amazonalexa.com"
API_ACCESS_TOKEN = "test-api-access-token"
REMINDERS_SCOPE = "alexa::alerts:reminders:skill:readwrite"


def timestamp(moment: datetime) -> str:
    """Alexa's timestamp format: UTC, whole seconds, 'Z'."""
    if moment.tzinfo is None:
        raise ValueError("use an aware datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def context(
    *,
    user_id: str = DEFAULT_USER,
    device_id: str = DEFAULT_DEVICE,
    skill_id: str = DEFAULT_SKILL_ID,
    interfaces: dict[str, Any] | None = None,
    audio_player: dict[str, Any] | None = None,
    granted: tuple[str, ...] = (),
    api_endpoint: str = API_ENDPOINT,
    api_access_token: str = API_ACCESS_TOKEN,
) -> dict[str, Any]:
    """The context object: System with application, user, device and API access; `granted`
    permission scopes appear under the user, as Alexa sends them once the user allowed them."""
    user: dict[str, Any] = {"userId": user_id}
    if granted:
        user["permissions"] = {
            "consentToken": api_access_token,
            "scopes": {scope: {"status": "GRANTED"} for scope in granted},
        }
    ctx: dict[str, Any] = {
        "System": {
            "application": {"applicationId": skill_id},
            "user": user,
            "device": {"deviceId": device_id, "supportedInterfaces": interfaces or {}},
            "apiEndpoint": api_endpoint,
            "apiAccessToken": api_access_token,
        }
    }
    if audio_player is not None:
        ctx["AudioPlayer"] = audio_player
    return ctx


def envelope(
    request: dict[str, Any],
    *,
    at: datetime,
    locale: str = "en-US",
    user_id: str = DEFAULT_USER,
    device_id: str = DEFAULT_DEVICE,
    skill_id: str = DEFAULT_SKILL_ID,
    session_attributes: dict[str, Any] | None = None,
    new_session: bool = False,
    session_id: str | None = None,
    with_session: bool = True,
    interfaces: dict[str, Any] | None = None,
    audio_player: dict[str, Any] | None = None,
    granted: tuple[str, ...] = (),
    api_endpoint: str = API_ENDPOINT,
    api_access_token: str = API_ACCESS_TOKEN,
) -> dict[str, Any]:
    """A full request envelope around `request`, with the common fields filled in."""
    body: dict[str, Any] = {
        "version": "1.0",
        "context": context(
            user_id=user_id,
            device_id=device_id,
            skill_id=skill_id,
            interfaces=interfaces,
            audio_player=audio_player,
            granted=granted,
            api_endpoint=api_endpoint,
            api_access_token=api_access_token,
        ),
        "request": {
            "requestId": f"amzn1.echo-api.request.{uuid.uuid4()}",
            "timestamp": timestamp(at),
            "locale": locale,
            **request,
        },
    }
    if with_session:
        body["session"] = {
            "new": new_session,
            "sessionId": session_id or f"amzn1.echo-api.session.{uuid.uuid4()}",
            "application": {"applicationId": skill_id},
            "user": {"userId": user_id},
            "attributes": dict(session_attributes or {}),
        }
    return body


def launch(*, at: datetime, **options: Any) -> dict[str, Any]:
    """A LaunchRequest: 'Alexa, open spine coach'."""
    return envelope({"type": "LaunchRequest"}, at=at, new_session=True, **options)


def slot(
    name: str,
    value: str | None = None,
    *,
    resolved_id: str | None = None,
    authority: str = "ACTIVITY",
) -> dict[str, Any]:
    """A slot as Alexa sends it; with `resolved_id`, an entity-resolution match (or no match)."""
    data: dict[str, Any] = {"name": name, "confirmationStatus": "NONE"}
    if value is not None:
        data["value"] = value
    if resolved_id is not None:
        authority_name = f"amzn1.er-authority.echo-sdk.amzn1.ask.skill.test.{authority}"
        if resolved_id:
            data["resolutions"] = {
                "resolutionsPerAuthority": [
                    {
                        "authority": authority_name,
                        "status": {"code": "ER_SUCCESS_MATCH"},
                        "values": [{"value": {"name": value, "id": resolved_id}}],
                    }
                ]
            }
        else:
            data["resolutions"] = {
                "resolutionsPerAuthority": [
                    {
                        "authority": authority_name,
                        "status": {"code": "ER_SUCCESS_NO_MATCH"},
                    }
                ]
            }
    return data


def intent(
    name: str,
    slots: dict[str, dict[str, Any]] | None = None,
    *,
    at: datetime,
    dialog_state: str | None = None,
    **options: Any,
) -> dict[str, Any]:
    """An IntentRequest; `slots` maps slot names to `slot(...)` dicts."""
    request: dict[str, Any] = {
        "type": "IntentRequest",
        "intent": {"name": name, "confirmationStatus": "NONE", "slots": slots or {}},
    }
    if dialog_state is not None:
        request["dialogState"] = dialog_state
    return envelope(request, at=at, **options)


def session_ended(
    *, at: datetime, reason: str = "USER_INITIATED", **options: Any
) -> dict[str, Any]:
    """A SessionEndedRequest."""
    return envelope({"type": "SessionEndedRequest", "reason": reason}, at=at, **options)


def request_of_type(
    request_type: str,
    *,
    at: datetime,
    options: dict[str, Any] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """Any other request type (lifecycle events, AudioPlayer …) with extra request fields;
    `options` are envelope options (user, device, interfaces, audio_player …). No session
    unless `options` asks for one."""
    settings = {"with_session": False, **(options or {})}
    return envelope({"type": request_type, **fields}, at=at, **settings)


def audio_player_event(
    event: str,
    *,
    at: datetime,
    token: str,
    offset_ms: int,
    player_activity: str,
    **options: Any,
) -> dict[str, Any]:
    """An AudioPlayer request as Alexa sends it: no session, the token and offset in the request
    and in `context.AudioPlayer`."""
    fields: dict[str, Any] = {"token": token, "offsetInMilliseconds": offset_ms}
    if event == "PlaybackFailed":
        fields = {
            "token": token,
            "error": {"type": "MEDIA_ERROR_SERVICE_UNAVAILABLE", "message": "stream unreachable"},
            "currentPlaybackState": {
                "token": token,
                "offsetInMilliseconds": offset_ms,
                "playerActivity": player_activity,
            },
        }
    state = {"token": token, "offsetInMilliseconds": offset_ms, "playerActivity": player_activity}
    return request_of_type(
        f"AudioPlayer.{event}", at=at, options={**options, "audio_player": state}, **fields
    )


def permission_answer(
    status: str = "ACCEPTED",
    *,
    at: datetime,
    code: str = "200",
    token: str = "",
    scope: str = REMINDERS_SCOPE,
    **options: Any,
) -> dict[str, Any]:
    """The `Connections.Response` to an `AskFor` permission request, in the session that asked:
    `status` ACCEPTED, DENIED or NOT_ANSWERED; a `code` other than 200 when Alexa could not ask
    (then the payload has no status)."""
    payload: dict[str, Any] = {"permissionScope": scope}
    if code == "200":
        payload["status"] = status
    request = {
        "type": "Connections.Response",
        "name": "AskFor",
        "status": {"code": code, "message": "OK" if code == "200" else "Bad Request"},
        "token": token,
        "payload": payload,
    }
    return envelope(request, at=at, **options)


def reminder_event(
    event: str, *, at: datetime, alert_tokens: tuple[str, ...], **options: Any
) -> dict[str, Any]:
    """A `Reminders.*` event (ReminderStarted, Created, Updated, StatusChanged, Deleted), no
    session: Deleted names its `alertTokens`, the others one `alertToken`."""
    if event == "ReminderDeleted":
        body: dict[str, Any] = {"alertTokens": list(alert_tokens)}
    else:
        body = {"alertToken": alert_tokens[0]}
        if event == "ReminderStatusChanged":
            body["status"] = "COMPLETED"
    return request_of_type(f"Reminders.{event}", at=at, options=options, body=body)


def permission_event(
    event: str, *, at: datetime, accepted: tuple[str, ...], **options: Any
) -> dict[str, Any]:
    """`AlexaSkillEvent.SkillPermissionAccepted` or `SkillPermissionChanged`: the scopes the user
    allows now (a scope missing from a change was taken back)."""
    stamp = timestamp(at)
    return request_of_type(
        f"AlexaSkillEvent.{event}",
        at=at,
        options=options,
        body={"acceptedPermissions": [{"scope": scope} for scope in accepted]},
        eventCreationTime=stamp,
        eventPublishingTime=stamp,
    )


def now() -> datetime:
    """The current UTC time (for callers that have no clock of their own)."""
    return datetime.now(UTC)
