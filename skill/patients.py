"""The patient store: reading and saving what the skill remembers about each patient."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from skill.models import Patient


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

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def get(self, user_id: str) -> PatientRecord | None:
        """The patient with this Alexa user id, if the skill knows them."""
        with self._sessions() as session:
            row = session.get(Patient, user_id)
            if row is None:
                return None
            return PatientRecord(
                user_id=row.user_id,
                surgery_date=row.surgery_date,
                time_zone=row.time_zone,
                locale=row.locale,
                preferences=dict(row.preferences or {}),
            )

    def save_surgery_date(self, user_id: str, surgery_date: date, *, locale: str | None) -> None:
        """Create the patient or update their surgery date, safely under concurrent requests."""
        self._upsert(user_id, {"surgery_date": surgery_date, "locale": locale})

    def save_time_zone(self, user_id: str, time_zone: str) -> None:
        """Remember the device's time zone for the patient."""
        self._upsert(user_id, {"time_zone": time_zone})

    def _upsert(self, user_id: str, values: dict[str, Any]) -> None:
        with self._sessions.begin() as session:
            dialect = session.get_bind().dialect.name
            insert = pg_insert if dialect == "postgresql" else sqlite_insert
            statement = insert(Patient).values(user_id=user_id, preferences={}, **values)
            statement = statement.on_conflict_do_update(
                index_elements=[Patient.user_id], set_={**values, "updated_at": func.now()}
            )
            session.execute(statement)

    def count(self) -> int:
        """How many patients are stored."""
        with self._sessions() as session:
            return session.scalar(select(func.count()).select_from(Patient)) or 0
