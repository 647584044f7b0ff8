"""One request's context: who is speaking, in which locale, and what day it is for them."""

from __future__ import annotations

from datetime import date, datetime
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from ask_sdk_core.handler_input import HandlerInput

from skill.alexa import pending as pending_question
from skill.alexa import request as alexa_request
from skill.alexa.pending import Pending
from skill.alexa.reminders_api import SCOPE as REMINDERS_SCOPE
from skill.alexa.reminders_api import AlexaReminders
from skill.alexa.speech import Reply
from skill.alexa.time_zones import zone_or_none
from skill.content.plan import RecoveryPlan, WakingHours
from skill.content.strings import Detail
from skill.recovery.timeline import NeedSurgeryDate
from skill.services import Services
from skill.sets.player import supports_audio_player
from skill.store.patients import PatientAndSet, PatientRecord
from skill.store.utc import read_utc

TURN_KEY = "spine_coach.turn"


class Turn:
    """What handlers need about the current request, loaded lazily and at most once."""

    def __init__(self, handler_input: HandlerInput, services: Services) -> None:
        self.handler_input = handler_input
        self.services = services
        self.user_id = alexa_request.user_id(handler_input) or ""
        self.device_id = alexa_request.device_id(handler_input) or ""
        # A key with a full wording reads the patient's choice, and only then (lazily).
        self.strings = services.catalogue.for_locale(alexa_request.locale(handler_input)).detailed(
            lambda: self.speech_detail
        )

    @property
    def locale(self) -> str:
        """The language the patient is answered in (the catalogue's, where it lacks theirs)."""
        return self.strings.locale

    @cached_property
    def audio_player(self) -> bool:
        """Whether the device can play AudioPlayer streams."""
        return supports_audio_player(self.handler_input)

    @property
    def plan(self) -> RecoveryPlan:
        """The recovery plan."""
        return self.services.plan

    @property
    def session(self) -> dict[str, Any]:
        """This session's attributes."""
        return alexa_request.session_attributes(self.handler_input)

    @cached_property
    def pending(self) -> Pending | None:
        """The question the last answer left open (typed), or None."""
        return pending_question.load(self.session)

    @cached_property
    def patient_and_set(self) -> PatientAndSet | None:
        """On a launch (which offers to finish a set left in progress): the patient and that
        set, read together in one statement, once; None on other requests."""
        if not self.user_id or alexa_request.request_type(self.handler_input) != "LaunchRequest":
            return None
        return self.services.patients.get_with_set_in_progress(self.user_id)

    @cached_property
    def patient(self) -> PatientRecord | None:
        """The stored patient, read once per request (with their set in progress on a launch)."""
        if not self.user_id:
            return None
        both = self.patient_and_set
        return both.patient if both is not None else self.services.patients.get(self.user_id)

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
    def now(self) -> datetime:
        """The request's timestamp (aware, UTC): the skill's clock."""
        timestamp = alexa_request.timestamp(self.handler_input)
        if timestamp is None:
            raise ValueError("the request has no timestamp")
        return read_utc(timestamp)

    @cached_property
    def local_now(self) -> datetime:
        """The request's timestamp in the device's time zone."""
        return self.now.astimezone(self.time_zone)

    @cached_property
    def today(self) -> date:
        """The request's timestamp, as a date in the device's time zone."""
        return self.local_now.date()

    @property
    def preferences(self) -> dict[str, Any]:
        """The patient's stored preferences (pace, devices that cannot stream)."""
        return self.patient.preferences if self.patient else {}

    @property
    def speech_detail(self) -> Detail:
        """How much the patient wants to hear ("shorter" / "more detail"): brief by default."""
        return self.patient.speech_detail if self.patient else Detail.BRIEF

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

    @property
    def waking_hours(self) -> WakingHours:
        """The patient's own waking hours ("remind me from nine till nine"), else the plan's."""
        own = self.patient.waking_hours if self.patient else None
        return own or self.plan.in_bed_exercises.waking_hours

    @property
    def reminders_permitted(self) -> bool:
        """Whether the patient allowed this skill's reminders (the request's permissions)."""
        return alexa_request.permission_granted(self.handler_input, REMINDERS_SCOPE)

    @cached_property
    def reminders_api(self) -> AlexaReminders | None:
        """Alexa's Reminders API for this request, or None without an API client."""
        factory = self.handler_input.service_client_factory
        if factory is None:
            return None
        return AlexaReminders(factory.get_reminder_management_service(), factory.api_configuration)

    def reply(self) -> Reply:
        """A new response in this locale."""
        return Reply(self.strings)


def turn_of(handler_input: HandlerInput) -> Turn:
    """The Turn an interceptor attached to this request."""
    turn = alexa_request.request_attributes(handler_input)[TURN_KEY]
    if not isinstance(turn, Turn):
        raise LookupError("no Turn: is the AttachTurn interceptor registered?")
    return turn
