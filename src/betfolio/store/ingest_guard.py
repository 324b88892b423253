"""Ingests and backtests on one database never overlap.

An ingest commits file by file (payload by payload), so a backtest reading in the middle of one would run on a
partial set of matches — and record that run as if it were complete. Every ingest therefore holds a *shared*
marker for its whole duration (concurrent ingests do not block one another), and a backtest takes the same
marker *exclusively*, without waiting, while it reads its data: it is refused while any ingest is in progress,
and an ingest starting meanwhile waits until the read is done.

The marker is a lock the operating system (SQLite: an OS lock on a small lock database beside the file) or the
server (PostgreSQL: a session-level advisory lock) releases when its holder dies — a killed ingest never leaves
a stale marker behind that would block backtests forever.
"""

from __future__ import annotations

import functools
import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from filelock import ReadWriteLock, Timeout
from sqlalchemy import Engine, text

from betfolio.store.engine import WRITER_LOCK_KEY, StoreError, describe, sqlite_path

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")

#: PostgreSQL advisory lock key of the ingest marker (next to the writers' transaction lock key).
INGEST_LOCK_KEY = WRITER_LOCK_KEY + 1


class IngestInProgressError(StoreError):
    """A read that needs a complete data set was asked for while an ingest into the same database runs."""


def ingest_lock_path(database: Path) -> Path:
    """The lock database that marks ingests into the SQLite file ``database``."""
    return database.with_name(database.name + ".ingest-lock")


def _busy(engine: Engine) -> IngestInProgressError:
    return IngestInProgressError(
        f"an ingest into {describe(engine)} is in progress: run this again when it has finished "
        "(reading now would use a partial set of matches)"
    )


@contextmanager
def ingesting(engine: Engine) -> Iterator[None]:
    """Mark an ingest into ``engine`` as in progress for the duration of the block (waits for a backtest that is
    reading its data at that moment)."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("SELECT pg_advisory_lock_shared(:key)"), {"key": INGEST_LOCK_KEY})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock_shared(:key)"), {"key": INGEST_LOCK_KEY})
        return
    path = sqlite_path(engine)
    if path is None:  # in-memory database: no other process can ingest into it
        yield
        return
    lock = ReadWriteLock(ingest_lock_path(path), is_singleton=False)
    try:
        lock.acquire_read()
    except (OSError, sqlite3.Error) as exc:
        # The folder cannot hold the marker (read-only): the ingest's own writes fail there with a clear error.
        log.debug("no ingest marker beside %s: %s", path, exc)
        yield
        return
    try:
        yield
    finally:
        lock.release()
        lock.close()


@contextmanager
def no_ingest_running(engine: Engine) -> Iterator[None]:
    """Hold off ingests into ``engine`` while the block reads; IngestInProgressError if one is running now."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            if not conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": INGEST_LOCK_KEY}).scalar_one():
                raise _busy(engine)
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": INGEST_LOCK_KEY})
        return
    path = sqlite_path(engine)
    if path is None:
        yield
        return
    lock = ReadWriteLock(ingest_lock_path(path), is_singleton=False)
    try:
        lock.acquire_write(blocking=False)
    except Timeout:
        lock.close()
        raise _busy(engine) from None
    except (OSError, sqlite3.Error) as exc:
        # No marker can exist where none can be written (a read-only folder or mount), and no ingest can be
        # writing the database there either: the read goes ahead.
        log.debug("no ingest marker beside %s: %s", path, exc)
        yield
        return
    try:
        yield
    finally:
        lock.release()
        lock.close()


def marks_ingest(func: Callable[Concatenate[Engine, P], R]) -> Callable[Concatenate[Engine, P], R]:
    """Decorate an ingest job taking the engine first: the whole job runs under :func:`ingesting`."""

    @functools.wraps(func)
    def run(engine: Engine, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with ingesting(engine):
            return func(engine, *args, **kwargs)

    return run
