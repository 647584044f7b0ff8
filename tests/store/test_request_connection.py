"""One pooled connection per request (skill.store.request_connection), on SQLite and PostgreSQL:
every store statement of a scope runs on it, each write still commits on its own, and a failed
statement or a dropped connection leaves the next statement of the request working."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, bindparam, create_engine, event, func, insert, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from skill.content.plan import Pace
from skill.store.exercise_log import Delivery, ExerciseLog
from skill.store.patients import PatientStore
from skill.store.prepared import HotPath
from skill.store.request_connection import connection_for_request, reading, writing
from skill.store.tables import PAIN_REPORTS, PATIENTS

USER = "amzn1.ask.account.SCOPED"
AT = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


class Checkouts:
    """How many times the engine's pool hands out a connection."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        event.listen(engine, "checkout", self._seen)

    def _seen(self, *_: object) -> None:
        self.count += 1


@pytest.fixture
def checkouts(engine: Engine) -> Checkouts:
    return Checkouts(engine)


@pytest.fixture
def stores(engine: Engine) -> tuple[PatientStore, ExerciseLog]:
    return PatientStore(engine), ExerciseLog(engine)


def a_request(patients: PatientStore, exercise_log: ExerciseLog) -> None:
    """Reads and writes of every kind: prepared and Core, reads and transactions."""
    patients.save_surgery_date(USER, date(2026, 10, 21), locale="en-US")  # Core write
    assert patients.get(USER) is not None  # prepared read
    started = exercise_log.start(  # prepared transaction
        USER, "bridges", pace=Pace.NORMAL, delivery=Delivery.AUDIO, target=10, at=AT, stream="s1"
    )
    assert exercise_log.current(USER) == started
    assert exercise_log.record_stop(started.set_id, USER, 3, stream="s1", at=AT) is not None
    exercise_log.record_pain(USER, 2, at=AT, set_id=started.set_id)  # Core transaction
    assert [s.set_id for s in exercise_log.sets_of(USER)] == [started.set_id]  # Core read


def test_every_statement_of_a_request_runs_on_one_connection(
    engine: Engine, stores: tuple[PatientStore, ExerciseLog], checkouts: Checkouts
) -> None:
    with connection_for_request(engine):
        assert checkouts.count == 0  # nothing checked out before the first statement
        a_request(*stores)
        assert checkouts.count == 1
    assert checkouts.count == 1


def test_outside_a_request_each_call_checks_out_its_own(
    engine: Engine, stores: tuple[PatientStore, ExerciseLog], checkouts: Checkouts
) -> None:
    a_request(*stores)
    assert checkouts.count == 7


def test_nested_scopes_share_the_outer_connection(
    engine: Engine, stores: tuple[PatientStore, ExerciseLog], checkouts: Checkouts
) -> None:
    patients, _ = stores
    with connection_for_request(engine):
        patients.get(USER)
        with connection_for_request(engine):
            patients.get(USER)
        patients.get(USER)
    assert checkouts.count == 1


def test_each_write_commits_at_its_end_not_at_the_requests(
    engine: Engine, stores: tuple[PatientStore, ExerciseLog], database_url: str
) -> None:
    patients, exercise_log = stores
    other = create_engine(database_url)  # another process's view
    try:
        with connection_for_request(engine):
            patients.save_surgery_date(USER, date(2026, 10, 21), locale="en-US")
            exercise_log.start(
                USER, "bridges", pace=Pace.NORMAL, delivery=Delivery.SPEECH, target=10, at=AT
            )
            with other.connect() as connection:
                assert connection.scalar(select(func.count()).select_from(PATIENTS)) == 1
                assert ExerciseLog(other).current(USER) is not None
            patients.get(USER)  # the request goes on
    finally:
        other.dispose()


def test_a_failed_prepared_transaction_is_undone_and_the_request_goes_on(
    engine: Engine, stores: tuple[PatientStore, ExerciseLog], checkouts: Checkouts
) -> None:
    patients, exercise_log = stores
    hot = HotPath(engine)
    adding = hot.prepare(insert(PATIENTS).values(user_id=bindparam("user_id"), preferences={}))

    def insert_twice() -> None:
        with hot.transaction() as cursor:
            adding.run(cursor, user_id="twice")
            adding.run(cursor, user_id="twice")

    with connection_for_request(engine):
        patients.get(USER)  # PostgreSQL: a transaction is open on the shared connection
        with pytest.raises(IntegrityError):
            insert_twice()
        # Without a rollback PostgreSQL would refuse every statement until the request ended.
        assert patients.get("twice") is None
        patients.save_time_zone(USER, "Europe/Paris")
        assert exercise_log.current(USER) is None
    assert checkouts.count == 1
    found = patients.get(USER)
    assert found is not None
    assert found.time_zone == "Europe/Paris"


def test_a_failed_core_transaction_is_undone_and_the_request_goes_on(
    engine: Engine, stores: tuple[PatientStore, ExerciseLog]
) -> None:
    patients, exercise_log = stores

    def pain_then_a_taken_patient() -> None:
        with writing(engine) as connection:
            connection.execute(insert(PAIN_REPORTS).values(user_id=USER, reported_at=AT, score=1))
            connection.execute(insert(PATIENTS).values(user_id=USER, preferences={}))

    with connection_for_request(engine):
        patients.save_time_zone(USER, "Europe/Paris")
        with pytest.raises(IntegrityError):
            pain_then_a_taken_patient()
        assert exercise_log.pain_reports(USER, AT) == []  # the pain report was undone with it
        with reading(engine) as connection:
            assert connection.scalar(select(func.count()).select_from(PATIENTS)) == 1
        exercise_log.record_pain(USER, 4, at=AT)
    assert exercise_log.pain_reports(USER, AT) == [(AT, 4)]


def test_an_error_in_the_caller_undoes_the_transaction_it_was_in(
    engine: Engine, stores: tuple[PatientStore, ExerciseLog]
) -> None:
    patients, _ = stores
    hot = HotPath(engine)
    adding = hot.prepare(insert(PATIENTS).values(user_id=bindparam("user_id"), preferences={}))

    def half_done() -> None:
        with hot.transaction() as cursor:
            adding.run(cursor, user_id="half")
            raise RuntimeError("the handler failed")

    with connection_for_request(engine):
        with pytest.raises(RuntimeError):
            half_done()
        assert patients.get("half") is None
        patients.save_time_zone(USER, "Europe/Paris")
    assert patients.get("half") is None
    assert patients.get(USER) is not None


def test_a_scope_on_another_engine_lends_nothing(
    engine: Engine, stores: tuple[PatientStore, ExerciseLog], checkouts: Checkouts
) -> None:
    patients, _ = stores
    elsewhere = create_engine("sqlite://")
    try:
        with connection_for_request(elsewhere):
            patients.get(USER)
            patients.get(USER)
    finally:
        elsewhere.dispose()
    assert checkouts.count == 2


@pytest.fixture
def one_connection_engine(postgres_url: str) -> Iterator[Engine]:
    engine = create_engine(postgres_url, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("reader", ["prepared", "core"])
def test_a_connection_the_server_drops_mid_request_is_replaced(
    one_connection_engine: Engine, postgres_url: str, reader: str
) -> None:
    # The first statement after the drop fails with SQLAlchemy's error (the request would
    # apologise); the next one, in the same request, works on a new connection.
    engine = one_connection_engine
    hot = HotPath(engine)
    prepared = hot.prepare(select(func.pg_backend_pid()))

    def backend() -> int:
        if reader == "prepared":
            (pid,) = hot.first(prepared) or (0,)
            return int(pid)
        with reading(engine) as connection:
            return int(connection.scalar(select(func.pg_backend_pid())) or 0)

    with connection_for_request(engine):
        first = backend()
        assert backend() == first  # the same connection while the scope lasts
        admin = create_engine(postgres_url)
        with admin.begin() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        admin.dispose()
        with pytest.raises(DBAPIError) as raised:
            backend()
        assert raised.value.connection_invalidated
        second = backend()
        assert second not in (0, first)
        assert PatientStore(engine).get(USER) is None  # and the stores work on it
