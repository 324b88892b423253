"""Alembic environment: the engine is handed over by betfolio.store.migrate, never read from an ini file."""

from __future__ import annotations

from alembic import context

from betfolio.store.tables import metadata

engine = context.config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
