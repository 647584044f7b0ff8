"""The database: engine and sessions for SQLite or PostgreSQL, and Alembic migrations."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text

from skill.store.tables import use_partial_indexes

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 5000


def sqlite_url(instance_path: str | Path) -> str:
    """The default database: a SQLite file in the app's instance folder."""
    return f"sqlite:///{Path(instance_path) / 'spine_coach.sqlite3'}"


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers and one writer work at once; the busy timeout makes a second writer
    # wait instead of failing, so concurrent requests lose nothing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode, NORMAL syncs at checkpoints rather than at every commit: a crash of the
    # app loses nothing and the file cannot be corrupted; only a power cut can undo the last
    # moments. Deployments that need every commit on disk use PostgreSQL.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    # Deleted rows are overwritten with zeros, not left in free space (a patient's deletion
    # must leave the disk; store/patient_data.py then empties the WAL).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for the URL, with SQLite tuned for concurrent use."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _tune_sqlite)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
    use_partial_indexes(engine.dialect.name)
    return engine


def is_reachable(engine: Engine) -> bool:
    """Whether the database answers, with the schema in place (a SQLite file removed under a
    running app comes back empty: answering is not enough)."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT version_num FROM alembic_version"))
    except Exception:
        return False
    return True


# Alembic (with Mako and Pygments) is imported by the migration commands only: serving
# requests never needs it, and importing it took a tenth of the app's cold start.


def _alembic_config(url: str) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["database_url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at `url` to `revision`."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    from alembic import command

    command.upgrade(_alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Migrate the database at `url` down to `revision`."""
    from alembic import command

    command.downgrade(_alembic_config(url), revision)
