"""The patient store: reading and saving what the skill remembers about each patient."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import JSON, ColumnElement, Engine, bindparam, func, select
from sqlalchemy import cast as sql_cast

from skill.store.dialects import upsert_insert
from skill.store.prepared import HotPath
from skill.store.tables import PATIENTS

_PATIENTS = PATIENTS
_SELECT_PATIENT = select(
    _PATIENTS.c.user_id,
    _PATIENTS.c.surgery_date,
    _PATIENTS.c.time_zone,
    _PATIENTS.c.locale,
    _PATIENTS.c.preferences,
).where(_PATIENTS.c.user_id == bindparam("user_id"))


@dataclass(frozen=True)
class PatientRecord:
    """A patient as handlers see it: plain values, detached from the database."""

    user_id: str
    surgery_date: date | None = None
    time_zone: str | None = None
    locale: str | None = None
    preferences: dict[str, Any] = field(default_factory=dict)


class PatientStore:
    """Reads and writes patients; each call is one short transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._insert = upsert_insert(engine)
        # Read on most requests: prepared once (skill.store.prepared); writes go through Core.
        self._hot = HotPath(engine)
        self._select = self._hot.prepare(_SELECT_PATIENT)

    def get(self, user_id: str) -> PatientRecord | None:
        """The patient with this Alexa user id, if the skill knows them."""
        row = self._hot.first(self._select, user_id=user_id)
        if row is None:
            return None
        # Values come back converted by SQLAlchemy's types: a date, a decoded JSON object.
        found_id, surgery_date, time_zone, locale, preferences = row
        return PatientRecord(
            user_id=found_id,
            surgery_date=surgery_date,
            time_zone=time_zone,
            locale=locale,
            preferences=dict(preferences) if isinstance(preferences, dict) else {},
        )

    def save_surgery_date(self, user_id: str, surgery_date: date, *, locale: str | None) -> None:
        """Create the patient or update their surgery date, safely under concurrent requests."""
        self._upsert(user_id, {"surgery_date": surgery_date, "locale": locale})

    def save_time_zone(self, user_id: str, time_zone: str) -> None:
        """Remember the device's time zone for the patient."""
        self._upsert(user_id, {"time_zone": time_zone})

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
        with self._engine.begin() as connection:
            connection.execute(statement)

    def _upsert(self, user_id: str, values: dict[str, Any]) -> None:
        statement = self._insert(_PATIENTS).values(user_id=user_id, preferences={}, **values)
        statement = statement.on_conflict_do_update(
            index_elements=[_PATIENTS.c.user_id], set_={**values, "updated_at": func.now()}
        )
        with self._engine.begin() as connection:
            connection.execute(statement)
