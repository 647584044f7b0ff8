"""The patient store: reading and saving what the skill remembers about each patient."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

from sqlalchemy import JSON, ColumnElement, Engine, and_, bindparam, func, select
from sqlalchemy import cast as sql_cast

from skill.content.plan import WakingHours
from skill.content.strings import Detail
from skill.store.dialects import upsert_insert
from skill.store.exercise_log import ExerciseSet, Outcome, set_from_row
from skill.store.prepared import HotPath, Prepared, Row, constant
from skill.store.request_connection import writing
from skill.store.tables import EXERCISE_SETS, PATIENTS

_PATIENTS = PATIENTS
_SETS = EXERCISE_SETS
_PATIENT_COLUMNS = (
    _PATIENTS.c.user_id,
    _PATIENTS.c.surgery_date,
    _PATIENTS.c.time_zone,
    _PATIENTS.c.locale,
    _PATIENTS.c.preferences,
    _PATIENTS.c.speech_detail,
    _PATIENTS.c.waking_start,
    _PATIENTS.c.waking_end,
    _PATIENTS.c.reminders_wanted,
    _PATIENTS.c.reminders_offered_on,
    _PATIENTS.c.reminders_declined_on,
    _PATIENTS.c.reminders_synced,
)
_SELECT_PATIENT = select(*_PATIENT_COLUMNS).where(_PATIENTS.c.user_id == bindparam("user_id"))
# The patient and their set in progress (NULLs when none), in one read: a launch needs both.
_SELECT_PATIENT_AND_SET = (
    select(*_PATIENT_COLUMNS, *(column.label(f"set_{column.key}") for column in _SETS.c))
    .select_from(
        _PATIENTS.outerjoin(
            _SETS,
            and_(
                _SETS.c.user_id == _PATIENTS.c.user_id,
                _SETS.c.outcome == constant(Outcome.IN_PROGRESS.value),
            ),
        )
    )
    .where(_PATIENTS.c.user_id == bindparam("user_id"))
)


@dataclass(frozen=True)
class ReminderState:
    """What the patient said about reminders, and whether Amazon holds what the skill wants."""

    # True: asked for or accepted; False: said no to the offer, or stopped them; None: neither.
    wanted: bool | None = None
    offered_on: date | None = None
    # When the patient last declined the permission (no new ask for 7 days).
    declined_on: date | None = None
    # A digest of what was last synced in full with Amazon (None: something is owed).
    synced: str | None = None


def _waking_hours(start: int | None, end: int | None) -> WakingHours | None:
    if start is None or end is None or not 0 <= start < end <= 24:
        return None
    return WakingHours(start=time(start), end=time(23, 59, 59) if end == 24 else time(end))


@dataclass(frozen=True)
class PatientRecord:
    """A patient as handlers see it: plain values, detached from the database."""

    user_id: str
    surgery_date: date | None = None
    time_zone: str | None = None
    locale: str | None = None
    preferences: dict[str, Any] = field(default_factory=dict)
    speech_detail: Detail = Detail.BRIEF
    # The patient's own waking hours ("remind me from nine till nine"); None: the plan's.
    waking_hours: WakingHours | None = None
    reminders: ReminderState = field(default_factory=lambda: ReminderState())


@dataclass(frozen=True)
class PatientAndSet:
    """A patient (None if unknown) and their set in progress (None if none), read at once."""

    patient: PatientRecord | None
    set_in_progress: ExerciseSet | None


def _record(row: Row) -> PatientRecord:
    # Values come back converted by SQLAlchemy's types: a date, a decoded JSON object.
    found_id, surgery_date, time_zone, locale, preferences, speech_detail, *more = row
    waking_start, waking_end, wanted, offered_on, declined_on, synced = more
    return PatientRecord(
        user_id=found_id,
        surgery_date=surgery_date,
        time_zone=time_zone,
        locale=locale,
        preferences=dict(preferences) if isinstance(preferences, dict) else {},
        speech_detail=Detail.FULL if speech_detail == Detail.FULL.value else Detail.BRIEF,
        waking_hours=_waking_hours(waking_start, waking_end),
        reminders=ReminderState(wanted, offered_on, declined_on, synced),
    )


class PatientStore:
    """Reads and writes patients; each call is one short transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._insert = upsert_insert(engine)
        # Read on most requests: prepared once (skill.store.prepared); writes go through Core.
        self._hot = HotPath(engine)
        self._select = self._hot.prepare(_SELECT_PATIENT)
        self._select_with_set = self._hot.prepare(_SELECT_PATIENT_AND_SET)

    @property
    def hot_statements(self) -> dict[str, Prepared]:
        """The prepared statements, by name: the tests check how each finds its rows."""
        return {"patient": self._select, "patient and set": self._select_with_set}

    def get(self, user_id: str) -> PatientRecord | None:
        """The patient with this Alexa user id, if the skill knows them."""
        row = self._hot.first(self._select, user_id=user_id)
        return None if row is None else _record(row)

    def get_with_set_in_progress(self, user_id: str) -> PatientAndSet:
        """The patient and their set in progress, in one read (a patient the skill does not
        know has no set to offer: both None then)."""
        row = self._hot.first(self._select_with_set, user_id=user_id)
        if row is None:
            return PatientAndSet(None, None)
        split = len(_PATIENT_COLUMNS)
        names = (column.key for column in _SETS.c)
        exercise_set = dict(zip(names, row[split:], strict=True))
        return PatientAndSet(
            _record(row[:split]),
            None if exercise_set["set_id"] is None else set_from_row(exercise_set),
        )

    def save_surgery_date(self, user_id: str, surgery_date: date, *, locale: str | None) -> None:
        """Create the patient or update their surgery date, safely under concurrent requests."""
        self._upsert(user_id, {"surgery_date": surgery_date, "locale": locale})

    def save_time_zone(self, user_id: str, time_zone: str) -> None:
        """Remember the device's time zone for the patient."""
        self._upsert(user_id, {"time_zone": time_zone})

    def save_speech_detail(self, user_id: str, detail: Detail) -> None:
        """Remember how much the patient wants to hear: the brief or the full wording."""
        self._upsert(user_id, {"speech_detail": detail.value})

    def save_waking_hours(self, user_id: str, start: int, end: int) -> None:
        """Remember the patient's own waking hours (whole local hours, `end` up to 24)."""
        self._upsert(user_id, {"waking_start": start, "waking_end": end})

    def save_reminders(self, user_id: str, **changes: Any) -> None:
        """Change the patient's reminder state: `wanted`, `offered_on`, `declined_on`, `synced`
        (the `ReminderState` fields)."""
        unknown = set(changes) - set(ReminderState.__dataclass_fields__)
        if unknown:
            raise TypeError(f"not reminder state: {', '.join(sorted(unknown))}")
        self._upsert(user_id, {f"reminders_{name}": value for name, value in changes.items()})

    def update_preferences(self, user_id: str, changes: dict[str, Any]) -> None:
        """Merge `changes` into the patient's preferences in one statement (no lost updates)."""
        if not changes:
            return
        statement = self._insert(_PATIENTS).values(user_id=user_id, preferences=changes)
        merged: ColumnElement[Any]
        if self._engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            merged = sql_cast(
                sql_cast(_PATIENTS.c.preferences, JSONB).op("||")(
                    sql_cast(statement.excluded.preferences, JSONB)
                ),
                JSON,
            )
        else:
            merged = func.json_patch(_PATIENTS.c.preferences, statement.excluded.preferences)
        statement = statement.on_conflict_do_update(
            index_elements=[_PATIENTS.c.user_id],
            set_={"preferences": merged, "updated_at": func.now()},
        )
        with writing(self._engine) as connection:
            connection.execute(statement)

    def _upsert(self, user_id: str, values: dict[str, Any]) -> None:
        statement = self._insert(_PATIENTS).values(user_id=user_id, preferences={}, **values)
        statement = statement.on_conflict_do_update(
            index_elements=[_PATIENTS.c.user_id], set_={**values, "updated_at": func.now()}
        )
        with writing(self._engine) as connection:
            connection.execute(statement)
