"""Prepared hot-path statements give what SQLAlchemy Core gives, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, bindparam, create_engine, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from skill.store.engine import make_engine
from skill.store.exercise_log import ExerciseLog
from skill.store.patients import PatientStore
from skill.store.prepared import HotPath
from skill.store.tables import CHECK_INS, EXERCISE_SETS, PATIENTS

SETS = EXERCISE_SETS
AT = datetime(2026, 11, 20, 15, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture
def hot(engine: Engine) -> HotPath:
    return HotPath(engine)


def a_set(
    set_id: str, *, user: str = "u1", outcome: str = "complete", minutes: int = 0
) -> dict[str, Any]:
    started = AT + timedelta(minutes=minutes)
    return {
        "set_id": set_id,
        "user_id": user,
        "exercise_id": "bridges",
        "pace": "normal",
        "delivery": "speech",
        "outcome": outcome,
        "started_at": started,
        "ended_at": started + timedelta(minutes=3) if outcome == "complete" else None,
        "repetitions_done": 10,
        "repetitions_target": 10,
        "pain_score": None,
        "up_next": "",
        "follows": None,
        "stream": None,
    }


def seed(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(insert(SETS), [a_set(f"s{n}", minutes=n) for n in range(5)])
        connection.execute(
            insert(SETS), [a_set("other", user="u2"), a_set("open", outcome="in_progress")]
        )
        connection.execute(
            insert(CHECK_INS),
            [
                {"user_id": "u1", "checked_at": AT, "pain": 4, "worried": True, "alerts": "a"},
                {
                    "user_id": "u1",
                    "checked_at": AT + timedelta(days=1),
                    "pain": None,
                    "worried": False,
                    "alerts": "",
                },
            ],
        )
        connection.execute(
            insert(PATIENTS),
            {"user_id": "u1", "surgery_date": date(2026, 10, 30), "preferences": {"pace": "slow"}},
        )


@pytest.mark.parametrize(
    ("statement", "params"),
    [
        (
            select(SETS).where(SETS.c.user_id == bindparam("user_id")).order_by(SETS.c.set_id),
            {"user_id": "u1"},
        ),
        (
            select(SETS.c.exercise_id, func.count())
            .where(SETS.c.user_id == bindparam("user_id"), SETS.c.ended_at >= bindparam("since"))
            .group_by(SETS.c.exercise_id),
            {"user_id": "u1", "since": AT + timedelta(minutes=2)},
        ),
        (
            select(
                CHECK_INS.c.checked_at, CHECK_INS.c.pain, CHECK_INS.c.worried, CHECK_INS.c.alerts
            )
            .where(CHECK_INS.c.user_id == bindparam("user_id"))
            .order_by(CHECK_INS.c.checked_at),
            {"user_id": "u1"},
        ),
        (
            select(PATIENTS.c.surgery_date, PATIENTS.c.preferences).where(
                PATIENTS.c.user_id == bindparam("user_id")
            ),
            {"user_id": "u1"},
        ),
        (
            select(SETS.c.set_id).where(SETS.c.user_id == bindparam("user_id")),
            {"user_id": "nobody"},
        ),
    ],
    ids=["whole rows", "count since a time", "datetimes and booleans", "date and JSON", "no rows"],
)
def test_reads_give_what_core_gives(
    engine: Engine, hot: HotPath, statement: Any, params: dict[str, Any]
) -> None:
    seed(engine)
    with engine.connect() as connection:
        expected = [tuple(row) for row in connection.execute(statement, params)]
    assert hot.rows(hot.prepare(statement), **params) == expected
    assert hot.first(hot.prepare(statement), **params) == (expected[0] if expected else None)


def test_a_comparison_with_an_aware_time_matches_stored_values(
    engine: Engine, hot: HotPath
) -> None:
    # SQLite keeps wall-clock text: the time must be bound exactly as Core binds it.
    seed(engine)
    statement = hot.prepare(select(SETS.c.set_id).where(SETS.c.started_at == bindparam("at")))
    assert hot.rows(statement, at=AT + timedelta(minutes=1)) == [("s1",)]


def test_values_written_into_the_statement_are_bound_as_core_binds_them(
    engine: Engine, hot: HotPath
) -> None:
    # A literal time needs SQLite's conversion too, like a named parameter.
    seed(engine)
    statement = select(SETS.c.set_id).where(
        SETS.c.started_at > AT + timedelta(minutes=2), SETS.c.user_id == bindparam("user_id")
    )
    with engine.connect() as connection:
        expected = [tuple(row) for row in connection.execute(statement, {"user_id": "u1"})]
    assert sorted(hot.rows(hot.prepare(statement), user_id="u1")) == sorted(expected)
    assert len(expected) == 2


def test_the_column_names_come_with_the_statement(hot: HotPath) -> None:
    statement = hot.prepare(select(SETS.c.set_id, SETS.c.ended_at))
    assert statement.columns == ("set_id", "ended_at")


def test_writes_commit_and_return_rows(engine: Engine, hot: HotPath) -> None:
    seed(engine)
    closing = hot.prepare(
        update(SETS)
        .where(SETS.c.user_id == bindparam("user_id"), SETS.c.outcome == "in_progress")
        .values(outcome="partial", ended_at=bindparam("closed_at"))
        .returning(SETS.c.set_id, SETS.c.ended_at)
    )
    with hot.transaction() as cursor:
        returned = closing.rows(cursor, user_id="u1", closed_at=AT)
    assert [set_id for set_id, _ in returned] == ["open"]
    assert returned[0][1] == AT
    assert returned[0][1].tzinfo is UTC  # the column's type reads times back in UTC
    with engine.connect() as connection:
        stored = connection.execute(
            select(SETS.c.outcome, SETS.c.ended_at).where(SETS.c.set_id == "open")
        ).one()
    assert stored.outcome == "partial"
    assert stored.ended_at == AT
    assert stored.ended_at.tzinfo is UTC


def test_an_error_in_a_transaction_rolls_everything_back(engine: Engine, hot: HotPath) -> None:
    adding = hot.prepare(insert(SETS))

    def failing_handler() -> None:
        with hot.transaction() as cursor:
            adding.run(cursor, **a_set("first"))
            raise RuntimeError("the handler failed")

    with pytest.raises(RuntimeError):
        failing_handler()
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(SETS)) == 0


def test_database_errors_come_out_as_sqlalchemy_errors_and_undo_the_transaction(
    engine: Engine, hot: HotPath
) -> None:
    adding = hot.prepare(insert(SETS))

    def insert_twice() -> None:
        with hot.transaction() as cursor:
            adding.run(cursor, **a_set("twice"))
            adding.run(cursor, **a_set("twice"))

    with pytest.raises(IntegrityError):
        insert_twice()
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(SETS)) == 0
    with hot.transaction() as cursor:  # the pooled connection is usable again
        adding.run(cursor, **a_set("twice"))
    assert hot.rows(hot.prepare(select(SETS.c.set_id))) == [("twice",)]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM nowhere",
        "SELEKT 1",
        "SELECT CAST('x' AS INTEGER) + 1",
        "SELECT 1 / 0",
        "INSERT INTO exercise_sets (set_id) VALUES (NULL)",
    ],
)
def test_database_errors_are_the_errors_core_raises(engine: Engine, hot: HotPath, sql: str) -> None:
    # The same SQLAlchemy class (IntegrityError, ProgrammingError, …) wrapping the same DBAPI
    # error as a Core execution, or no error on either.
    def outcome(run: Any) -> Any:
        try:
            return ("rows", run())
        except DBAPIError as error:
            return (type(error), type(error.orig), error.connection_invalidated)

    with engine.connect() as connection:
        core = outcome(lambda: [tuple(row) for row in connection.execute(text(sql))])
    ours = outcome(lambda: hot.rows(hot.prepare(text(sql))))
    assert ours == core


def test_missing_and_unknown_parameters_are_refused(hot: HotPath) -> None:
    statement = hot.prepare(select(SETS.c.set_id).where(SETS.c.user_id == bindparam("user_id")))
    with pytest.raises(TypeError, match="missing: \\['user_id'\\]"):
        hot.rows(statement)
    with pytest.raises(TypeError, match="unknown: \\['usr_id'\\]"):
        hot.rows(statement, user_id="u1", usr_id="u1")


@pytest.mark.postgres
def test_a_connection_the_server_dropped_is_replaced(postgres_url: str) -> None:
    # Without pre-ping the pool hands out the dead connection once: that request fails with
    # SQLAlchemy's error, the connection is discarded, and the next request works.
    engine = create_engine(postgres_url, pool_size=1, max_overflow=0)
    hot = HotPath(engine)
    pid = hot.prepare(select(func.pg_backend_pid()))
    try:
        (first_pid,) = hot.first(pid) or (None,)
        admin = create_engine(postgres_url)
        with admin.begin() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first_pid})
        admin.dispose()
        with pytest.raises(DBAPIError) as raised:
            hot.first(pid)
        assert raised.value.connection_invalidated or "terminat" in str(raised.value).lower()
        (second_pid,) = hot.first(pid) or (None,)
        assert second_pid is not None
        assert second_pid != first_pid
    finally:
        engine.dispose()


# The indexes each hot statement must search by: never a scan of the patient's whole history.
IN_PROGRESS_INDEX = "SEARCH exercise_sets USING INDEX uq_exercise_sets_user_id_in_progress"
BY_SET_ID = "SEARCH exercise_sets USING INDEX sqlite_autoindex_exercise_sets_1 (set_id=?)"
BY_PATIENT = "SEARCH patients USING INDEX sqlite_autoindex_patients_1 (user_id=?)"
EXPECTED_SQLITE_PLANS: dict[str, tuple[str, ...]] = {
    "current": (IN_PROGRESS_INDEX,),
    "get": (BY_SET_ID,),
    # One statement for both: each term of its OR searches its own partial index.
    "close open": (
        IN_PROGRESS_INDEX,
        "SEARCH exercise_sets USING COVERING INDEX ix_exercise_sets_user_id_queued",
    ),
    "position": (BY_SET_ID,),
    "stop": (BY_SET_ID,),
    "counts": ("SEARCH exercise_sets USING COVERING INDEX ix_exercise_sets_user_id_ended_at",),
    "times": ("SEARCH exercise_sets USING COVERING INDEX ix_exercise_sets_user_id_ended_at",),
    # Only the complete sets: a day of sets put aside is not read.
    "instructed": ("SEARCH exercise_sets USING INDEX ix_exercise_sets_user_id_completed",),
    "pain": ("SEARCH pain_reports USING INDEX ix_pain_reports_user_id_reported_at",),
    "patient": (BY_PATIENT,),
    "patient and set": (BY_PATIENT, IN_PROGRESS_INDEX),
}


def test_each_hot_statement_searches_its_index_on_sqlite(sqlite_url: str) -> None:
    # SQLite plans without statistics: a wrong index here once made every set start read all
    # of the patient's earlier sets.
    engine = make_engine(sqlite_url)
    try:
        statements = {
            **ExerciseLog(engine).hot_statements,
            **PatientStore(engine).hot_statements,
        }
        # Every hot statement that finds rows has its plan checked (an INSERT finds none).
        assert statements.keys() - {"insert"} == EXPECTED_SQLITE_PLANS.keys()
        sample = {"closed_at": AT, "since": AT, "until": AT, "done": 1, "at": AT, **a_set("s")}
        with engine.connect() as connection:
            for name, expected in EXPECTED_SQLITE_PLANS.items():
                statement = statements[name]
                params = {key: sample.get(key, "x") for key in statement.required}
                plan = connection.exec_driver_sql(
                    f"EXPLAIN QUERY PLAN {statement.sql}", tuple(statement.arguments(params))
                ).all()
                details = [row[-1] for row in plan]
                for index in expected:
                    assert any(detail.startswith(index) for detail in details), (name, details)
                assert not any(detail.startswith("SCAN") for detail in details), (name, details)
    finally:
        engine.dispose()


def test_a_prepared_statement_runs_inside_a_core_transaction(engine: Engine, hot: HotPath) -> None:
    adding = hot.prepare(insert(SETS))

    def add_then_fail() -> None:
        with engine.begin() as connection:
            adding.execute(connection, **a_set("undone"))
            raise RuntimeError("the transaction fails")

    with pytest.raises(RuntimeError):
        add_then_fail()
    with engine.begin() as connection:
        adding.execute(connection, **a_set("kept", minutes=1))
    reading = hot.prepare(select(SETS.c.set_id, SETS.c.started_at))
    assert hot.rows(reading) == [("kept", AT + timedelta(minutes=1))]
