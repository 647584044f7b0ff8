"""The patient's choice of wording ("shorter" / "more detail") and migration 0009 that keeps it,
on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import JSON, Column, Date, Engine, MetaData, String, Table, inspect, select

from skill.content.strings import Detail
from skill.store.engine import downgrade, upgrade
from skill.store.patients import PatientStore
from skill.store.tables import PATIENTS, metadata

# patients as migration 0008 left it (the columns the code before 0009 writes).
_BEFORE = Table(
    "patients",
    MetaData(),
    Column("user_id", String(512), primary_key=True),
    Column("surgery_date", Date),
    Column("locale", String(16)),
    Column("preferences", JSON, nullable=False),
)


def _columns(engine: Engine) -> dict[str, Any]:
    return {column["name"]: column for column in inspect(engine).get_columns("patients")}


@pytest.fixture
def store(engine: Engine) -> PatientStore:
    return PatientStore(engine)


def test_the_brief_wording_is_the_default_and_the_choice_is_kept(store: PatientStore) -> None:
    store.save_surgery_date("u1", date(2026, 10, 21), locale="en-US")
    record = store.get("u1")
    assert record is not None
    assert record.speech_detail is Detail.BRIEF
    store.save_speech_detail("u1", Detail.FULL)
    record = store.get("u1")
    assert record is not None
    assert record.speech_detail is Detail.FULL
    assert record.surgery_date == date(2026, 10, 21)  # the rest of the patient untouched
    store.save_surgery_date("u1", date(2026, 10, 22), locale="en-US")
    record = store.get("u1")
    assert record is not None
    assert record.speech_detail is Detail.FULL
    store.save_speech_detail("u1", Detail.BRIEF)
    record = store.get("u1")
    assert record is not None
    assert record.speech_detail is Detail.BRIEF


def test_a_choice_before_the_surgery_date_makes_the_patient(store: PatientStore) -> None:
    store.save_speech_detail("new", Detail.FULL)
    record = store.get("new")
    assert record is not None
    assert record.speech_detail is Detail.FULL
    assert record.surgery_date is None
    both = store.get_with_set_in_progress("new")
    assert both.patient == record


def test_the_migration_adds_the_choice_as_brief_for_everyone_and_goes_back(
    database_url: str, engine: Engine
) -> None:
    downgrade(database_url, "0008")
    assert "speech_detail" not in _columns(engine)
    with engine.begin() as connection:  # what the code before 0009 writes
        connection.execute(
            _BEFORE.insert().values(user_id="old", surgery_date=date(2026, 10, 1), preferences={})
        )
    engine.dispose()
    upgrade(database_url)
    assert _columns(engine)["speech_detail"]["nullable"] is True
    store = PatientStore(engine)
    record = store.get("old")
    assert record is not None
    assert record.speech_detail is Detail.BRIEF
    store.save_speech_detail("old", Detail.FULL)
    with engine.begin() as connection:  # the code before 0009 still writes patients
        connection.execute(_BEFORE.insert().values(user_id="during a deploy", preferences={}))
    engine.dispose()
    downgrade(database_url, "0008")
    assert "speech_detail" not in _columns(engine)
    with engine.connect() as connection:
        assert connection.execute(
            select(_BEFORE.c.surgery_date).where(_BEFORE.c.user_id == "old")
        ).scalar_one() == date(2026, 10, 1)
    engine.dispose()
    upgrade(database_url)
    assert "speech_detail" in _columns(engine)


def test_the_new_column_matches_the_model(engine: Engine) -> None:
    def ours(_object: Any, name: str | None, type_: str, *_: Any) -> bool:
        if type_ == "table":
            return name == PATIENTS.name
        return type_ == "column" and name == "speech_detail"

    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": ours, "compare_server_default": True}
        )
        assert compare_metadata(context, metadata) == []
