"""Everything stored about one patient, found and deleted together (data rights).

Every table with a `user_id` column holds data about a patient; deleting goes through all of
them in one transaction, so a table added later is covered without touching this module.
"""

from __future__ import annotations

from sqlalchemy import Engine, Table, delete

from skill.store.tables import metadata

USER_COLUMN = "user_id"


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
        with self._engine.begin() as connection:
            # Children first: reversed dependency order keeps any foreign key satisfied.
            for table in reversed(patient_tables()):
                result = connection.execute(delete(table).where(table.c[USER_COLUMN] == user_id))
                deleted[table.name] = result.rowcount
        return deleted
