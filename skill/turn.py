"""One request's context: who is speaking, in which locale, and what day it is for them."""

from __future__ import annotations

from datetime import date, datetime
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_locale, get_user_id

from skill.patients import PatientRecord
from skill.recovery_plan import RecoveryPlan
from skill.services import Services
from skill.speech import Reply
from skill.strings import Strings
from skill.time_zones import zone_or_none

TURN_KEY = "spine_coach.turn"


class NeedSurgeryDate(Exception):
    """The answer depends on the surgery date, which the patient has not given yet."""


class Turn:
    """What handlers need about the current request, loaded lazily and at most once."""

    def __init__(self, handler_input: HandlerInput, services: Services) -> None:
        self.handler_input = handler_input
        self.services = services
        self.user_id: str = get_user_id(handler_input) or ""
        self.strings: Strings = services.catalogue.for_locale(get_locale(handler_input))

    @property
    def plan(self) -> RecoveryPlan:
        """The recovery plan."""
        return self.services.plan

    @property
    def session(self) -> dict[str, Any]:
        """This session's attributes."""
        attributes: dict[str, Any] = self.handler_input.attributes_manager.session_attributes
        return attributes

    @cached_property
    def patient(self) -> PatientRecord | None:
        """The stored patient, read once per request."""
        return self.services.patients.get(self.user_id) if self.user_id else None

    @cached_property
    def time_zone(self) -> ZoneInfo:
        """The device's zone; else the one last stored for the patient; else the default."""
        zone = self.services.time_zones.lookup(self.handler_input)
        stored = self.patient.time_zone if self.patient else None
        if zone is not None:
            if self.patient is not None and stored != zone.key:
                self.services.patients.save_time_zone(self.user_id, zone.key)
            return zone
        return zone_or_none(stored) or ZoneInfo(self.services.default_time_zone)

    @cached_property
    def today(self) -> date:
        """The request's timestamp, as a date in the device's time zone."""
        timestamp = self.handler_input.request_envelope.request.timestamp
        if not isinstance(timestamp, datetime):
            raise ValueError("the request has no timestamp")
        if timestamp.tzinfo is None:
            timestamp = timestamp.replace(tzinfo=ZoneInfo("UTC"))
        return timestamp.astimezone(self.time_zone).date()

    @property
    def surgery_date(self) -> date | None:
        """The patient's surgery date, if given."""
        return self.patient.surgery_date if self.patient else None

    def require_surgery_date(self) -> date:
        """The surgery date, or NeedSurgeryDate (which asks for it)."""
        surgery_date = self.surgery_date
        if surgery_date is None:
            raise NeedSurgeryDate()
        # Saved as "not after today" in the zone of the day; another zone may see it a day early.
        return min(surgery_date, self.today)

    def reply(self) -> Reply:
        """A new response in this locale."""
        return Reply(self.strings)


def turn_of(handler_input: HandlerInput) -> Turn:
    """The Turn an interceptor attached to this request."""
    turn: Turn = handler_input.attributes_manager.request_attributes[TURN_KEY]
    return turn
