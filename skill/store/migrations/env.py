"""Alembic environment: the URL comes from the caller (skill.store.engine.upgrade)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, make_url, pool

from skill.store.tables import metadata, use_partial_indexes

url = context.config.attributes["database_url"]

if context.is_offline_mode():
    use_partial_indexes(make_url(url).get_backend_name())
    context.configure(url=url, target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = create_engine(url, poolclass=pool.NullPool)
    use_partial_indexes(engine.dialect.name)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
