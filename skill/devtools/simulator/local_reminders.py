"""Amazon's Reminders API, kept in memory: what the simulator's device and the tests' fake
Amazon answer (`POST/GET /v1/alerts/reminders`, `GET/PUT/DELETE /v1/alerts/reminders/{token}`).

Shaped after Amazon's reference: each API access token is one user of one skill and answers
401 until the reminders permission is granted to it; a created reminder comes back with its
`alertToken`, `createdTime`, `updatedTime`, `status`, `version` and `href`; errors carry a
`code` and a `message`. Requests Amazon refuses are refused here too (a `scheduledTime` with
a zone, an unknown `timeZoneId`, a recurrence rule that does not parse, no spoken text), and
`fired_between` says which reminders go off in a stretch of (virtual) time.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrulestr

PATH = "/v1/alerts/reminders"
SCOPE = "alexa::alerts:reminders:skill:readwrite"

Answer = tuple[int, dict[str, Any]]


def _error(status: int, code: str, message: str) -> Answer:
    return status, {"code": code, "message": message}


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@dataclass
class StoredReminder:
    """A reminder as Amazon keeps it: the request's trigger, text and notification."""

    token: str
    request: dict[str, Any]
    created: datetime
    updated: datetime
    version: int = 1

    def summary(self) -> dict[str, Any]:
        """What POST and PUT answer."""
        return {
            "alertToken": self.token,
            "createdTime": _stamp(self.created),
            "updatedTime": _stamp(self.updated),
            "status": "ON",
            "version": str(self.version),
            "href": f"{PATH}/{self.token}",
        }

    def full(self) -> dict[str, Any]:
        """What GET answers."""
        return {
            **self.summary(),
            "trigger": self.request["trigger"],
            "alertInfo": self.request["alertInfo"],
            "pushNotification": self.request.get("pushNotification", {"status": "ENABLED"}),
        }

    def text(self, locale: str | None = None) -> str:
        """The spoken text (in `locale` when it has one, else the first)."""
        content = self.request["alertInfo"]["spokenInfo"]["content"]
        chosen = next((item for item in content if item.get("locale") == locale), content[0])
        return str(chosen.get("text", ""))

    def occurrences(self, start: datetime, end: datetime) -> list[datetime]:
        """When it goes off after `start` up to and including `end` (aware, UTC)."""
        trigger = self.request["trigger"]
        zone = ZoneInfo(trigger["timeZoneId"])
        first = datetime.fromisoformat(trigger["scheduledTime"])
        rules = (trigger.get("recurrence") or {}).get("recurrenceRules") or []
        if not rules:
            moments = [first.replace(tzinfo=zone)]
        else:
            local_start = start.astimezone(zone).replace(tzinfo=None)
            local_end = end.astimezone(zone).replace(tzinfo=None)
            moments = [
                moment.replace(tzinfo=zone)
                for rule in rules
                for moment in rrulestr(rule, dtstart=first).between(
                    local_start, local_end, inc=True
                )
            ]
        return sorted({m.astimezone(UTC) for m in moments if start < m.astimezone(UTC) <= end})


def _problem(body: Any) -> str | None:
    """Why Amazon would refuse this reminder request, or None."""
    if not isinstance(body, dict) or "requestTime" not in body:
        return "requestTime is required"
    trigger = body.get("trigger")
    if not isinstance(trigger, dict) or trigger.get("type") != "SCHEDULED_ABSOLUTE":
        return "trigger.type must be SCHEDULED_ABSOLUTE"
    scheduled = trigger.get("scheduledTime")
    try:
        first = datetime.fromisoformat(str(scheduled))
    except ValueError:
        return "trigger.scheduledTime is not a date and time"
    if first.tzinfo is not None:
        return "trigger.scheduledTime must not carry a zone (use timeZoneId)"
    try:
        ZoneInfo(str(trigger.get("timeZoneId")))
    except (ZoneInfoNotFoundError, ValueError):
        return "trigger.timeZoneId is not a time zone"
    for rule in (trigger.get("recurrence") or {}).get("recurrenceRules") or []:
        try:
            rrulestr(rule, dtstart=first)
        except (ValueError, TypeError):
            return f"recurrence rule {rule!r} does not parse"
    content = ((body.get("alertInfo") or {}).get("spokenInfo") or {}).get("content")
    if not content or not all(isinstance(c, dict) and c.get("text") for c in content):
        return "alertInfo.spokenInfo.content needs a text"
    return None


@dataclass
class LocalReminders:
    """Amazon's Reminders API for the tokens it knows; thread-safe."""

    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    granted: set[str] = field(default_factory=set)
    by_token: dict[str, dict[str, StoredReminder]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def grant(self, api_token: str) -> None:
        """The user allows the skill to set reminders."""
        with self._lock:
            self.granted.add(api_token)

    def revoke(self, api_token: str) -> None:
        """The user takes the permission back (the reminders stay, as at Amazon)."""
        with self._lock:
            self.granted.discard(api_token)

    def reminders(self, api_token: str) -> list[StoredReminder]:
        """The user's reminders, oldest first."""
        with self._lock:
            return list(self.by_token.get(api_token, {}).values())

    def fired_between(
        self, api_token: str, start: datetime, end: datetime
    ) -> list[tuple[datetime, StoredReminder]]:
        """Every reminder going off after `start` up to `end`, in order."""
        return sorted(
            (
                (moment, reminder)
                for reminder in self.reminders(api_token)
                for moment in reminder.occurrences(start, end)
            ),
            key=lambda pair: pair[0],
        )

    def handle(self, method: str, path: str, api_token: str, body: Any = None) -> Answer:
        """Amazon's answer to `method path` with this bearer token and JSON body."""
        path = path.split("?")[0].rstrip("/")
        if not path.endswith(PATH) and f"{PATH}/" not in path:
            return _error(404, "NOT_FOUND", "no such API")
        with self._lock:
            if api_token not in self.granted:
                return _error(401, "UNAUTHORIZED", "the user has not granted this permission")
            mine = self.by_token.setdefault(api_token, {})
            alert_token = path.split(f"{PATH}/", 1)[1] if f"{PATH}/" in path else None
            if alert_token is None:
                return self._collection(method, mine, body)
            return self._one(method, mine, alert_token, body)

    def _collection(self, method: str, mine: dict[str, StoredReminder], body: Any) -> Answer:
        if method == "GET":
            alerts = [reminder.full() for reminder in mine.values()]
            return 200, {"totalCount": str(len(alerts)), "alerts": alerts, "links": None}
        if method != "POST":
            return _error(405, "METHOD_NOT_ALLOWED", method)
        problem = _problem(body)
        if problem:
            return _error(400, "INVALID_REQUEST", problem)
        now = self.clock()
        reminder = StoredReminder(str(uuid.uuid4()), body, created=now, updated=now)
        mine[reminder.token] = reminder
        return 201, reminder.summary()

    def _one(
        self, method: str, mine: dict[str, StoredReminder], alert_token: str, body: Any
    ) -> Answer:
        reminder = mine.get(alert_token)
        if reminder is None:
            return _error(404, "ALERT_NOT_FOUND", "no reminder with this token")
        if method == "GET":
            return 200, reminder.full()
        if method == "DELETE":
            del mine[alert_token]
            return 200, {}
        if method != "PUT":
            return _error(405, "METHOD_NOT_ALLOWED", method)
        problem = _problem(body)
        if problem:
            return _error(400, "INVALID_REQUEST", problem)
        reminder.request, reminder.updated = body, self.clock()
        reminder.version += 1
        return 200, reminder.summary()
