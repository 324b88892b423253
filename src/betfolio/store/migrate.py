"""Schema migrations, run programmatically so `betfolio db upgrade` needs no alembic.ini on disk.

Opening a database for writing goes through :func:`upgrade`, which first checks the database can be written
(SQLite: not read-only, ``PRAGMA quick_check`` passes) and turns every way it cannot into one clear
:class:`~betfolio.store.engine.StoreError` instead of a traceback halfway through a job.
"""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, func, inspect, select, text
from sqlalchemy.exc import DBAPIError

from betfolio.store.engine import StoreError, describe, is_read_only, read_only_reason, sqlite_path
from betfolio.store.tables import metadata

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def check_writable(engine: Engine) -> None:
    """Raise StoreError unless the database can be opened for writing and is not damaged.

    SQLite's ``quick_check`` reads every page (not the slower cross-checks of ``integrity_check``): a corrupted
    file is refused before a job writes into it or reports numbers computed from it.
    """
    path = sqlite_path(engine)
    if path is None:
        return
    reason = read_only_reason(path) if path.exists() else None
    if is_read_only(engine) or reason is not None:
        reason = reason or "opened read-only (mode=ro)"
        raise StoreError(
            f"SQLite database {path} is {reason}: this command writes to it; make it writable or choose another --db"
        )
    if not os.access(path.parent, os.W_OK):
        raise StoreError(f"cannot write SQLite database {path}: its folder {path.parent} is read-only")
    try:
        with engine.connect() as conn:
            problems = [row[0] for row in conn.exec_driver_sql("PRAGMA quick_check(5)")]
    except DBAPIError as exc:
        raise StoreError(f"SQLite database {path} cannot be opened: {exc.orig}") from exc
    if problems != ["ok"]:
        raise StoreError(
            f"SQLite database {path} is damaged (quick_check: {'; '.join(map(str, problems))}); "
            "restore a backup or re-create it with `betfolio ingest`"
        )


def discard_interrupted_first_run(conn: Connection) -> None:
    """Undo the leftovers of a first migration that an older version ran outside a transaction and that was
    killed: Betfolio tables present, no schema revision recorded, and every one of those tables empty.

    Nothing is lost (they hold no rows); anything else unexpected is refused with an explanation.
    """
    if conn.dialect.name != "sqlite" or MigrationContext.configure(conn).get_current_revision() is not None:
        return
    present = [t for t in metadata.sorted_tables if inspect(conn).has_table(t.name)]
    if not present:
        return
    holding = [t.name for t in present if conn.execute(select(func.count()).select_from(t)).scalar_one()]
    if holding:
        raise StoreError(
            f"the database has Betfolio tables ({', '.join(holding)} hold rows) but no schema revision: "
            "it was not created by `betfolio db upgrade`; use another --db"
        )
    for table in reversed(present):
        conn.execute(text(f'DROP TABLE "{table.name}"'))


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Bring the schema to ``revision``; returns the revision the database is at afterwards."""
    check_writable(engine)
    try:
        command.upgrade(alembic_config(engine), revision)
    except CommandError as exc:
        raise StoreError(f"cannot migrate {describe(engine)}: {exc} (was it written by a newer Betfolio?)") from exc
    except DBAPIError as exc:
        raise StoreError(f"cannot migrate {describe(engine)}: {exc.orig}") from exc
    return current_revision(engine)


def prepare_for_reading(engine: Engine) -> None:
    """Make ``engine`` ready for a command that only reads: migrated to the current schema when it can be written,
    else (opened read-only, see :func:`betfolio.store.engine.make_engine`) checked to be at the current schema
    already — a read-only database cannot be migrated, and an older schema would fail half-way through a query."""
    if not is_read_only(engine):
        upgrade(engine)
        return
    try:
        at, head = current_revision(engine), head_revision(engine)
    except DBAPIError as exc:
        raise StoreError(f"SQLite database {sqlite_path(engine)} cannot be read: {exc.orig}") from exc
    if at != head:
        raise StoreError(
            f"SQLite database {sqlite_path(engine)} is read-only and its schema is at revision {at or 'none'}, not "
            f"{head}: run `betfolio db upgrade` on it where it is writable"
        )


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def is_up_to_date(engine: Engine) -> bool:
    return current_revision(engine) == head_revision(engine)
