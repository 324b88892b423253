"""Alembic environment: the engine is handed over by betfolio.store.migrate, never read from an ini file.

The whole upgrade runs in one write transaction (``write_transaction``): on SQLite a process killed mid-way
leaves the database exactly as it was, and a second process starting the same first run waits for the first one
and then finds the schema already at head.
"""

from __future__ import annotations

from alembic import context

from betfolio.store.engine import write_transaction
from betfolio.store.migrate import discard_interrupted_first_run
from betfolio.store.tables import metadata

engine = context.config.attributes["engine"]

with write_transaction(engine) as connection:
    discard_interrupted_first_run(connection)
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        transactional_ddl=True,
    )
    context.run_migrations()
