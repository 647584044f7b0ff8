"""The database's own INSERT construct (for ON CONFLICT), imported for the dialect in use only.

SQLAlchemy's PostgreSQL dialect takes ~30 ms to import, so a store choosing between the two
`insert` functions at module level paid for it on SQLite too; `upsert_insert` imports only the
one the engine needs, when the store is built.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import Engine, Table

if TYPE_CHECKING:
    from sqlalchemy.dialects.postgresql.dml import Insert as PostgresInsert
    from sqlalchemy.dialects.sqlite.dml import Insert as SqliteInsert


def upsert_insert(engine: Engine) -> Callable[[Table], PostgresInsert | SqliteInsert]:
    """PostgreSQL's `insert` for a PostgreSQL engine, SQLite's otherwise."""
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgres_insert

        return postgres_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert
