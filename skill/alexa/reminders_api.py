"""Alexa's Reminders API for one request, over ask-sdk's `ReminderManagementServiceClient`.

Every fault (an HTTP error, a timeout, a refused connection) becomes one `RemindersFault`
with a kind: the permission is gone (401), or Amazon could not be reached now (the rest). One
request's calls start within START_WITHIN seconds of its first (then OUT_OF_TIME).

Listing what Amazon holds (`AlexaReminders.listed`) does not use the client's
`get_reminders`: ask-sdk-model cannot deserialize its answer (its `GetRemindersResponse` names a
class path, `reminder_management.alert_info_spoken_info.SpokenInfo`, that does not exist), so the
GET goes through the same `ApiClient` as an `ApiClientRequest` and the JSON is read here.
"""

from __future__ import annotations

import enum
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from ask_sdk_core.exceptions import ApiClientException
from ask_sdk_model.services import ApiClientRequest, ApiConfiguration, ServiceException
from ask_sdk_model.services.reminder_management import (
    AlertInfo,
    PushNotification,
    PushNotificationStatus,
    Recurrence,
    ReminderManagementServiceClient,
    ReminderRequest,
    SpokenInfo,
    SpokenText,
    Trigger,
    TriggerType,
)

# No call to Amazon starts later than this after the request's first one: with the API client's
# timeout (ALEXA_API_TIMEOUT, 1.5 s) a slow Amazon holds a request at most about 3 s; the rest
# is left to the next launch's catch-up.
START_WITHIN = 1.5

# The permission scope of this skill's reminders.
SCOPE = "alexa::alerts:reminders:skill:readwrite"


class FaultKind(enum.Enum):
    """Why a call to Amazon's Reminders API failed."""

    PERMISSION_GONE = "permission_gone"  # 401: the patient took the permission back
    NOT_FOUND = "not_found"  # 404: that reminder is gone already
    UNAVAILABLE = "unavailable"  # 403, 429, 5xx, a timeout or no connection: try again later
    OUT_OF_TIME = "out_of_time"  # not called: this request's time for Amazon is used up


class RemindersFault(Exception):
    """A call to the Reminders API failed; `kind` says how."""

    def __init__(self, kind: FaultKind, detail: str = "") -> None:
        super().__init__(f"{kind.value}: {detail}" if detail else kind.value)
        self.kind = kind


@dataclass(frozen=True)
class ReminderSpec:
    """One reminder as the skill wants it at Amazon: its local hours, zone and spoken text."""

    hours: tuple[int, ...]
    time_zone: str
    locale: str
    text: str


def daily_rule(hour: int) -> str:
    """The recurrence rule of a reminder at `hour` every day (Amazon documents no hourly one)."""
    return f"FREQ=DAILY;BYHOUR={hour};BYMINUTE=0;BYSECOND=0;INTERVAL=1"


def first_time(hours: tuple[int, ...], local_now: datetime) -> datetime:
    """The first of `hours` still to come (local, naive: sent without a zone or 'Z')."""
    naive = local_now.replace(tzinfo=None, microsecond=0)
    today = naive.replace(minute=0, second=0)
    for hour in sorted(hours):
        moment = today.replace(hour=hour)
        if moment > naive:
            return moment
    return today.replace(hour=min(hours)) + timedelta(days=1)


class AmazonTime(datetime):
    """A naive time serialized as Amazon's examples write it: milliseconds, no zone
    ("2026-11-20T15:00:00.000"); ask-sdk's serializer calls `isoformat`."""

    def isoformat(self, sep: str = "T", timespec: str = "auto") -> str:
        return super().isoformat(sep, "milliseconds")


def request_time(now: datetime) -> AmazonTime:
    """`requestTime`: `now` in UTC, without a zone, to the millisecond."""
    utc = now.astimezone(UTC).replace(tzinfo=None, microsecond=now.microsecond // 1000 * 1000)
    return AmazonTime.combine(utc.date(), utc.time())


def reminder_request(spec: ReminderSpec, now: datetime) -> ReminderRequest:
    """The body of a POST or PUT: daily rules at `spec.hours` in `spec.time_zone`."""
    local_now = now.astimezone(ZoneInfo(spec.time_zone))
    return ReminderRequest(
        request_time=request_time(now),
        trigger=Trigger(
            object_type=TriggerType.SCHEDULED_ABSOLUTE,
            scheduled_time=first_time(spec.hours, local_now),
            time_zone_id=spec.time_zone,
            recurrence=Recurrence(recurrence_rules=[daily_rule(hour) for hour in spec.hours]),
        ),
        alert_info=AlertInfo(
            spoken_info=SpokenInfo(content=[SpokenText(locale=spec.locale, text=spec.text)])
        ),
        push_notification=PushNotification(status=PushNotificationStatus.ENABLED),
    )


def _fault(error: ServiceException) -> RemindersFault:
    status = error.status_code
    if status == 401:
        return RemindersFault(FaultKind.PERMISSION_GONE, str(error))
    if status == 404:
        return RemindersFault(FaultKind.NOT_FOUND, str(error))
    # 403, 429, 5xx; ask-sdk reports a timeout or a refused connection as a 500 too.
    return RemindersFault(FaultKind.UNAVAILABLE, f"{status}: {error}")


def _hours_of(alert: object) -> tuple[int, ...]:
    """The hours of a listed reminder's daily rules (empty if it has none this skill makes)."""
    trigger = alert.get("trigger") if isinstance(alert, dict) else None
    recurrence = trigger.get("recurrence") if isinstance(trigger, dict) else None
    rules = recurrence.get("recurrenceRules") if isinstance(recurrence, dict) else None
    hours = []
    for rule in rules if isinstance(rules, list) else []:
        parts = dict(part.split("=", 1) for part in str(rule).split(";") if "=" in part)
        if parts.get("BYHOUR", "").isdigit():
            hours.append(int(parts["BYHOUR"]))
    return tuple(sorted(hours))


class AlexaReminders:
    """Create, update, delete and list this skill's reminders for the request's user
    (`configuration`: the request's API client, endpoint and token, for the listing)."""

    def __init__(
        self,
        client: ReminderManagementServiceClient,
        configuration: ApiConfiguration | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        start_within: float = START_WITHIN,
    ) -> None:
        self._client = client
        self._configuration = configuration
        self._clock = clock
        self._start_within = start_within
        self._first_call: float | None = None

    def _in_time(self) -> None:
        """RemindersFault OUT_OF_TIME once `start_within` seconds have passed since the first
        call (one object per request: Turn.reminders_api)."""
        now = self._clock()
        if self._first_call is None:
            self._first_call = now
        elif now - self._first_call > self._start_within:
            raise RemindersFault(FaultKind.OUT_OF_TIME, "this request's time for Amazon is up")

    def listed(self) -> list[tuple[str, tuple[int, ...]]]:
        """GET /v1/alerts/reminders: every reminder Amazon holds of this skill for this user,
        as (alert token, daily hours)."""
        configuration = self._configuration
        if configuration is None or configuration.api_client is None:
            raise RemindersFault(FaultKind.UNAVAILABLE, "no API client to list reminders")
        self._in_time()
        request = ApiClientRequest(
            url=f"{configuration.api_endpoint}/v1/alerts/reminders",
            method="GET",
            headers=[
                ("Accept", "application/json"),
                ("Authorization", f"Bearer {configuration.authorization_value}"),
            ],
        )
        try:
            response = configuration.api_client.invoke(request)
        except ApiClientException as error:
            raise RemindersFault(FaultKind.UNAVAILABLE, f"listing: {error}") from error
        status = int(response.status_code or 0)
        if not 200 <= status < 300:
            raise _fault(ServiceException(str(response.body), status, None, None))
        try:
            answer = json.loads(response.body or "{}")
        except ValueError as error:
            raise RemindersFault(FaultKind.UNAVAILABLE, "listing: not JSON") from error
        alerts = answer.get("alerts") if isinstance(answer, dict) else None
        return [
            (alert["alertToken"], _hours_of(alert))
            for alert in (alerts if isinstance(alerts, list) else [])
            if isinstance(alert, dict) and isinstance(alert.get("alertToken"), str)
        ]

    def create(self, spec: ReminderSpec, now: datetime) -> str:
        """POST a reminder; its alert token."""
        self._in_time()
        try:
            response = self._client.create_reminder(reminder_request(spec, now))
        except ServiceException as error:
            raise _fault(error) from error
        token = getattr(response, "alert_token", None)
        if not isinstance(token, str) or not token:
            raise RemindersFault(FaultKind.UNAVAILABLE, "no alertToken in the answer")
        return token

    def update(self, alert_token: str, spec: ReminderSpec, now: datetime) -> None:
        """PUT the reminder `alert_token` as `spec`."""
        self._in_time()
        try:
            self._client.update_reminder(alert_token, reminder_request(spec, now))
        except ServiceException as error:
            raise _fault(error) from error

    def delete(self, alert_token: str) -> None:
        """DELETE the reminder (RemindersFault NOT_FOUND if it is gone already)."""
        self._in_time()
        try:
            self._client.delete_reminder(alert_token)
        except ServiceException as error:
            raise _fault(error) from error
