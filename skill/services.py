"""The skill's dependencies, assembled once and passed to every handler."""

from __future__ import annotations

from dataclasses import dataclass

from skill.alexa.time_zones import DeviceTimeZones
from skill.content.plan import RecoveryPlan
from skill.content.strings import Catalogue
from skill.reminders.service import Reminders
from skill.sets.coach_voice import CoachVoice
from skill.sets.service import GuidedSets
from skill.sets.spoken import SpokenSets
from skill.store.caregivers import CaregiverAccess
from skill.store.check_ins import CheckIns
from skill.store.exercise_log import ExerciseLog
from skill.store.patient_data import PatientData
from skill.store.patients import PatientStore


@dataclass(frozen=True)
class Services:
    """Plan, strings, stores, time zones, coach voice and the spoken sets made from them:
    what handlers use, never globals."""

    plan: RecoveryPlan
    catalogue: Catalogue
    patients: PatientStore
    exercise_log: ExerciseLog
    patient_data: PatientData
    check_ins: CheckIns
    caregivers: CaregiverAccess
    time_zones: DeviceTimeZones
    coach_voice: CoachVoice
    spoken_sets: SpokenSets
    guided_sets: GuidedSets
    reminders: Reminders
    default_time_zone: str = "UTC"

    def __post_init__(self) -> None:
        missing = set(self.catalogue.locales) - set(self.plan.locales)
        if missing:
            raise ValueError(f"the plan has no text for {', '.join(sorted(missing))}")
