"""Alexa's Reminders API for one request, over ask-sdk's `ReminderManagementServiceClient`.

Every fault (an HTTP error, a timeout, a refused connection) becomes one `RemindersFault`
with a kind: the permission is gone (401), or Amazon could not be reached now (the rest).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from ask_sdk_model.services.reminder_management import ReminderManagementServiceClient

# The permission scope of this skill's reminders.
SCOPE = "alexa::alerts:reminders:skill:readwrite"


class FaultKind(enum.Enum):
    """Why a call to Amazon's Reminders API failed."""

    PERMISSION_GONE = "permission_gone"  # 401: the patient took the permission back
    NOT_FOUND = "not_found"  # 404: that reminder is gone already
    UNAVAILABLE = "unavailable"  # 403, 429, 5xx, a timeout or no connection: try again later


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


class AlexaReminders:
    """Create, update, delete and list this skill's reminders for the request's user."""

    def __init__(self, client: ReminderManagementServiceClient) -> None:
        self._client = client

    def create(self, spec: ReminderSpec, now: datetime) -> str:
        """POST a reminder; its alert token."""
        raise NotImplementedError

    def update(self, alert_token: str, spec: ReminderSpec, now: datetime) -> None:
        """PUT the reminder `alert_token` as `spec`."""
        raise NotImplementedError

    def delete(self, alert_token: str) -> None:
        """DELETE the reminder (RemindersFault NOT_FOUND if it is gone already)."""
        raise NotImplementedError
