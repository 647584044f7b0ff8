"""Every datetime column keeps aware times in UTC and gives them back aware, in UTC, on either
database, through Core and through the prepared statements alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import DateTime, Engine, bindparam, insert, select
from sqlalchemy.exc import StatementError

from skill.store.prepared import HotPath
from skill.store.tables import CHECK_INS, metadata
from skill.store.utc import UtcDateTime, read_utc, to_utc

NEW_YORK = timezone(timedelta(hours=-5))
AT = datetime(2026, 11, 20, 15, 0, 0, 123456, tzinfo=UTC)
IN_NEW_YORK = datetime(2026, 11, 20, 10, 0, 0, 123456, tzinfo=NEW_YORK)


def test_every_datetime_column_is_a_utc_datetime() -> None:
    columns = [column for table in metadata.sorted_tables for column in table.c]
    assert [str(column) for column in columns if isinstance(column.type, DateTime)] == []
    utc_columns = {str(column) for column in columns if isinstance(column.type, UtcDateTime)}
    assert {"exercise_sets.started_at", "check_ins.checked_at", "patients.created_at"} <= (
        utc_columns
    )


def test_aware_times_go_in_as_utc_and_naive_ones_are_refused() -> None:
    assert to_utc(IN_NEW_YORK) == AT
    assert to_utc(IN_NEW_YORK).tzinfo is UTC
    with pytest.raises(ValueError, match="has no time zone"):
        to_utc(datetime(2026, 11, 20, 15, 0))


def test_read_times_come_out_in_utc_a_naive_one_taken_as_utc() -> None:
    assert read_utc(datetime(2026, 11, 20, 15, 0, 0, 123456)) == AT
    assert read_utc(datetime(2026, 11, 20, 15, 0, 0, 123456)).tzinfo is UTC
    assert read_utc(IN_NEW_YORK) == AT
    assert read_utc(IN_NEW_YORK).tzinfo is UTC


def test_a_time_from_another_zone_reads_back_in_utc_through_core_and_prepared(
    engine: Engine,
) -> None:
    with engine.begin() as connection:
        connection.execute(
            insert(CHECK_INS), {"user_id": "u1", "checked_at": IN_NEW_YORK, "alerts": ""}
        )
    statement = select(CHECK_INS.c.checked_at).where(CHECK_INS.c.checked_at >= bindparam("since"))
    with engine.connect() as connection:
        through_core = connection.execute(statement, {"since": IN_NEW_YORK}).scalar_one()
    hot = HotPath(engine)
    (through_prepared,) = hot.first(hot.prepare(statement), since=IN_NEW_YORK) or (None,)
    for value in (through_core, through_prepared):
        assert value == AT
        assert value.tzinfo is UTC
    # A comparison with a time from another zone matches the stored wall-clock text.
    later = IN_NEW_YORK + timedelta(microseconds=1)
    assert hot.rows(hot.prepare(statement), since=later) == []


def test_a_naive_time_is_never_stored(engine: Engine) -> None:
    naive = {"user_id": "u1", "checked_at": datetime(2026, 11, 20, 15, 0), "alerts": ""}
    with pytest.raises(StatementError, match="has no time zone"), engine.begin() as connection:
        connection.execute(insert(CHECK_INS), naive)
    hot = HotPath(engine)
    adding = hot.prepare(
        insert(CHECK_INS).values(
            user_id=bindparam("user_id"),
            checked_at=bindparam("checked_at"),
            alerts=bindparam("alerts"),
        )
    )
    with pytest.raises(ValueError, match="has no time zone"), hot.transaction() as cursor:
        adding.run(cursor, **naive)
    with engine.connect() as connection:
        assert connection.execute(select(CHECK_INS)).all() == []
