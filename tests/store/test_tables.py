"""The tables' partial indexes: their WHERE clause reaches the dialect in use, and only it."""

from __future__ import annotations

from sqlalchemy import Engine, Index, inspect
from sqlalchemy.schema import CreateIndex

from skill.store.tables import EXERCISE_SETS, metadata, use_partial_indexes

PARTIAL = {
    "uq_exercise_sets_user_id_in_progress": "outcome = 'in_progress'",
    "ix_exercise_sets_user_id_queued": "outcome = 'queued'",
    "uq_caregiver_codes_unused_hash": "used_at IS NULL",
    "ix_exercise_sets_user_id_completed": "outcome = 'complete'",
}


def _indexes() -> dict[str, Index]:
    return {str(index.name): index for table in metadata.tables.values() for index in table.indexes}


def test_every_partial_index_is_known_here() -> None:
    declared = {name for name, index in _indexes().items() if "where" in index.info}
    assert declared == set(PARTIAL)


def test_an_engine_gives_its_dialect_the_where_clauses(engine: Engine) -> None:
    indexes = _indexes()
    for name, condition in PARTIAL.items():
        ddl = str(CreateIndex(indexes[name]).compile(dialect=engine.dialect))
        assert ddl.endswith(f"WHERE {condition}"), ddl
    plain = str(
        CreateIndex(indexes["ix_pain_reports_user_id_reported_at"]).compile(dialect=engine.dialect)
    )
    assert "WHERE" not in plain


def test_the_database_built_by_the_migrations_has_the_same_conditions(engine: Engine) -> None:
    reflected = {index["name"]: index for index in inspect(engine).get_indexes(EXERCISE_SETS.name)}
    for name in ("uq_exercise_sets_user_id_in_progress", "ix_exercise_sets_user_id_queued"):
        options = reflected[name].get("dialect_options", {})
        where = options.get(f"{engine.dialect.name}_where")
        assert where is not None
        assert PARTIAL[name].split(" = ")[1] in str(where)


def test_attaching_is_idempotent_and_ignores_other_dialects() -> None:
    index = _indexes()["ix_exercise_sets_user_id_queued"]
    use_partial_indexes("sqlite")
    use_partial_indexes("sqlite")
    use_partial_indexes("mysql")
    assert str(index.dialect_options["sqlite"]["where"]) == PARTIAL[str(index.name)]
    assert "mysql_where" not in index.dialect_kwargs
