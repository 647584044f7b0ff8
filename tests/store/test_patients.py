"""The patient store and migrations, on SQLite and again on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, func, inspect, select, text

from skill.content.plan import Pace
from skill.store.engine import downgrade, is_reachable, make_engine, upgrade
from skill.store.exercise_log import Delivery, ExerciseLog, Outcome
from skill.store.patients import PatientAndSet, PatientRecord, PatientStore
from skill.store.tables import PATIENTS


@pytest.fixture
def store(engine: Engine) -> PatientStore:
    return PatientStore(engine)


def patient_rows(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(PATIENTS)) or 0


def test_an_unknown_patient_is_none(store: PatientStore) -> None:
    assert store.get("amzn1.ask.account.nobody") is None


def test_the_patient_and_their_set_in_progress_are_read_together(
    store: PatientStore, engine: Engine
) -> None:
    exercise_log = ExerciseLog(engine)
    assert store.get_with_set_in_progress("u1") == PatientAndSet(None, None)
    store.save_surgery_date("u1", date(2026, 10, 21), locale="en-US")
    store.update_preferences("u1", {"pace": "slow"})
    assert store.get_with_set_in_progress("u1") == PatientAndSet(store.get("u1"), None)
    at = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    first = exercise_log.start(
        "u1", "bridges", pace=Pace.SLOW, delivery=Delivery.AUDIO, target=10, at=at, stream="s"
    )
    exercise_log.queue_next(first, "heel_slides", target=8, at=at)
    exercise_log.start(  # another patient's set is not theirs
        "u2", "bridges", pace=Pace.SLOW, delivery=Delivery.SPEECH, target=10, at=at
    )
    both = store.get_with_set_in_progress("u1")
    assert both == PatientAndSet(store.get("u1"), exercise_log.current("u1"))
    assert both.set_in_progress == first
    assert both.patient is not None
    assert both.patient.preferences == {"pace": "slow"}
    exercise_log.finish(first.set_id, Outcome.PARTIAL, at=at)  # queued and ended sets are not
    assert store.get_with_set_in_progress("u1") == PatientAndSet(store.get("u1"), None)


def test_the_surgery_date_is_saved_and_updated(store: PatientStore, engine: Engine) -> None:
    store.save_surgery_date("u1", date(2026, 10, 21), locale="en-US")
    assert store.get("u1") == PatientRecord(
        user_id="u1", surgery_date=date(2026, 10, 21), locale="en-US", preferences={}
    )
    store.save_surgery_date("u1", date(2026, 10, 22), locale="en-US")
    record = store.get("u1")
    assert record is not None
    assert record.surgery_date == date(2026, 10, 22)
    assert patient_rows(engine) == 1


def test_the_time_zone_is_kept_beside_the_surgery_date(store: PatientStore) -> None:
    store.save_surgery_date("u1", date(2026, 10, 21), locale="en-US")
    store.save_time_zone("u1", "Europe/Amsterdam")
    record = store.get("u1")
    assert record is not None
    assert (record.surgery_date, record.time_zone) == (date(2026, 10, 21), "Europe/Amsterdam")


def test_patients_are_kept_apart(store: PatientStore) -> None:
    store.save_surgery_date("u1", date(2026, 10, 21), locale="en-US")
    store.save_surgery_date("u2", date(2026, 9, 1), locale="en-US")
    first, second = store.get("u1"), store.get("u2")
    assert first is not None
    assert second is not None
    assert (first.surgery_date, second.surgery_date) == (date(2026, 10, 21), date(2026, 9, 1))


def test_concurrent_saves_for_one_patient_make_one_row(store: PatientStore, engine: Engine) -> None:
    errors: list[BaseException] = []
    days = [date(2026, 10, day) for day in range(1, 17)]

    def save(day: date) -> None:
        try:
            store.save_surgery_date("shared", day, locale="en-US")
        except BaseException as error:  # collected: a thread's failure must fail the test
            errors.append(error)

    threads = [threading.Thread(target=save, args=(day,)) for day in days]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert patient_rows(engine) == 1
    record = store.get("shared")
    assert record is not None
    assert record.surgery_date in days


def test_migrations_create_and_drop_the_schema(database_url: str, engine: Engine) -> None:
    assert "patients" in inspect(engine).get_table_names()
    downgrade(database_url, "base")
    assert "patients" not in inspect(engine).get_table_names()
    upgrade(database_url)
    assert "patients" in inspect(engine).get_table_names()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def test_the_database_is_reachable(engine: Engine) -> None:
    assert is_reachable(engine)


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5000
    engine.dispose()
