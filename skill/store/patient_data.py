"""Everything stored about one patient, found and deleted together (data rights).

Every table with a `user_id` column holds data about a patient; deleting goes through all of
them in one transaction, so a table added later is covered without touching this module.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine, Table, delete

from skill.store.request_connection import writing
from skill.store.tables import metadata

USER_COLUMN = "user_id"
log = logging.getLogger(__name__)


def patient_tables() -> list[Table]:
    """The tables that hold data about patients (each has a `user_id` column)."""
    return [table for table in metadata.sorted_tables if USER_COLUMN in table.c]


class PatientData:
    """Deletes a patient's data from every table, all or nothing."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def delete(self, user_id: str) -> dict[str, int]:
        """Delete every row about `user_id`; how many rows each table lost."""
        deleted: dict[str, int] = {}
        with writing(self._engine) as connection:
            # Children first: reversed dependency order keeps any foreign key satisfied.
            for table in reversed(patient_tables()):
                result = connection.execute(delete(table).where(table.c[USER_COLUMN] == user_id))
                deleted[table.name] = result.rowcount
        if self._engine.dialect.name == "sqlite":
            _checkpoint(self._engine)
        return deleted


def _checkpoint(engine: Engine) -> None:
    """Copy the WAL into the database file and truncate it: its frames still hold the deleted
    rows' old pages (secure_delete, set in engine.py, zeroes them in the file itself)."""
    with engine.connect() as connection:
        busy, _, _ = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
    if busy:  # a reader held the WAL: the next checkpoint (at the latest on closing) empties it
        log.warning("WAL checkpoint after a patient's deletion was blocked by a reader")
