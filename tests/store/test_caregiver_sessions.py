"""Migrations 0007 and 0008 (caregiver sessions' last use) on SQLite and PostgreSQL: sessions
open before 0007 count as last used when they opened; after 0008 the code from before 0007 can
still open sessions (a rolling deploy); the schema then matches the tables."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Engine, MetaData, String, Table, inspect, select
from sqlalchemy.exc import IntegrityError

from skill.store.caregivers import SESSION_IDLE_TIMEOUT, CaregiverAccess
from skill.store.engine import downgrade, upgrade
from skill.store.tables import CAREGIVER_SESSIONS, metadata
from skill.store.utc import UtcDateTime
from tests.conftest import TEST_SECRET_KEY

OPENED = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
TABLES = {"caregiver_sessions", "caregiver_codes"}

# caregiver_sessions as migration 0006 left it.
_BEFORE = Table(
    "caregiver_sessions",
    MetaData(),
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", String(512), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)


def _columns(engine: Engine) -> dict[str, Any]:
    return {column["name"]: column for column in inspect(engine).get_columns("caregiver_sessions")}


def test_the_migration_gives_open_sessions_a_last_use_and_goes_back(
    database_url: str, engine: Engine
) -> None:
    downgrade(database_url, "0006")
    assert "last_used_at" not in _columns(engine)
    token = "a-token-from-before-the-migration"
    with engine.begin() as connection:
        connection.execute(
            _BEFORE.insert().values(
                token_hash=hashlib.sha256(token.encode()).hexdigest(),
                user_id="amzn1.ask.account.patient",
                created_at=OPENED,
            )
        )
    engine.dispose()  # SQLite's batch migration rebuilds the table under pooled connections
    upgrade(database_url)
    assert _columns(engine)["last_used_at"]["nullable"] is False
    with engine.connect() as connection:
        assert connection.execute(select(CAREGIVER_SESSIONS.c.last_used_at)).scalar_one() == OPENED
    access = CaregiverAccess(engine, TEST_SECRET_KEY.encode())
    late = OPENED + SESSION_IDLE_TIMEOUT
    assert access.session_patient(token, at=late) is None  # idle since it opened
    assert access.session_patient(token, at=late - timedelta(seconds=1)) is not None
    engine.dispose()
    downgrade(database_url, "0006")
    assert "last_used_at" not in _columns(engine)
    upgrade(database_url)


def _open_as_before_0007(engine: Engine, token: str, at: datetime) -> None:
    """What the code from before migration 0007 writes when a caregiver signs in."""
    with engine.begin() as connection:
        connection.execute(
            _BEFORE.insert().values(
                token_hash=hashlib.sha256(token.encode()).hexdigest(),
                user_id="amzn1.ask.account.patient",
                created_at=at,
            )
        )


def test_code_from_before_0007_still_opens_sessions_after_0008(
    database_url: str, engine: Engine
) -> None:
    engine.dispose()
    downgrade(database_url, "0007")
    with pytest.raises(IntegrityError):  # what a rolling deploy met with 0007 alone
        _open_as_before_0007(engine, "refused-during-the-deploy", datetime.now(UTC))
    engine.dispose()
    upgrade(database_url)
    # The database's clock fills the column; SQLite's CURRENT_TIMESTAMP is to the second.
    before = datetime.now(UTC).replace(microsecond=0)
    _open_as_before_0007(engine, "opened-by-the-old-code", before)
    after = datetime.now(UTC)
    with engine.connect() as connection:
        last_used = connection.execute(select(CAREGIVER_SESSIONS.c.last_used_at)).scalar_one()
    assert before <= last_used <= after
    access = CaregiverAccess(engine, TEST_SECRET_KEY.encode())  # the new code reads it
    assert access.session_patient("opened-by-the-old-code", at=after) == "amzn1.ask.account.patient"
    engine.dispose()
    downgrade(database_url, "0007")
    assert _columns(engine)["last_used_at"]["default"] is None
    engine.dispose()
    upgrade(database_url)
    assert _columns(engine)["last_used_at"]["default"] is not None


def test_the_caregiver_tables_match_the_models(engine: Engine) -> None:
    def ours(_object: Any, name: str | None, type_: str, *_: Any) -> bool:
        return type_ != "table" or name in TABLES

    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": ours, "compare_server_default": True}
        )
        assert compare_metadata(context, metadata) == []
