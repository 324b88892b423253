"""Ingests and backtests on one database never overlap — while backtests may overlap one another.

An ingest commits file by file (payload by payload), so a backtest reading in the middle of one would run on a
partial set of matches — and record that run as if it were complete. Two markers keep them apart:

* the *ingest* marker, held shared by every ingest for its whole duration (concurrent ingests do not block one
  another);
* the *read* marker, held shared by every backtest while it reads its data (concurrent backtests — the seeds of a
  multi-seed training, the cells of a grid, the app and the CLI at once — do not block one another either).

A backtest takes the read marker, then checks, without waiting, that it can take the ingest marker exclusively
(it is refused while any ingest is in progress) and lets go of it at once. An ingest takes the ingest marker, then
waits until it can take the read marker exclusively (until the reads under way are done) and lets go of it: from
then on any new backtest sees the ingest and is refused. One exclusive marker for the reads would refuse a second
backtest as if an ingest were running.

The markers are locks the operating system (SQLite: OS locks on small lock databases beside the file) or the
server (PostgreSQL: session-level advisory locks) releases when its holder dies — a killed ingest never leaves
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
#: PostgreSQL advisory lock key of the read marker (held shared by backtests while they read).
READ_LOCK_KEY = WRITER_LOCK_KEY + 2


class IngestInProgressError(StoreError):
    """A read that needs a complete data set was asked for while an ingest into the same database runs."""


def ingest_lock_path(database: Path) -> Path:
    """The lock database that marks ingests into the SQLite file ``database``."""
    return database.with_name(database.name + ".ingest-lock")


def read_lock_path(database: Path) -> Path:
    """The lock database that marks backtests reading the SQLite file ``database``."""
    return database.with_name(database.name + ".read-lock")


def _busy(engine: Engine) -> IngestInProgressError:
    return IngestInProgressError(
        f"an ingest into {describe(engine)} is in progress: run this again when it has finished "
        "(reading now would use a partial set of matches)"
    )


@contextmanager
def ingesting(engine: Engine) -> Iterator[None]:
    """Mark an ingest into ``engine`` as in progress for the duration of the block (waits for the backtests that
    are reading their data at that moment)."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("SELECT pg_advisory_lock_shared(:key)"), {"key": INGEST_LOCK_KEY})
            try:
                conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": READ_LOCK_KEY})  # reads under way end
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": READ_LOCK_KEY})
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock_shared(:key)"), {"key": INGEST_LOCK_KEY})
        return
    path = sqlite_path(engine)
    if path is None:  # in-memory database: no other process can ingest into it
        yield
        return
    lock: ReadWriteLock | None = None
    reads: ReadWriteLock | None = None
    try:  # even creating a marker fails in a read-only folder
        lock = ReadWriteLock(ingest_lock_path(path), is_singleton=False)
        lock.acquire_read()
        reads = ReadWriteLock(read_lock_path(path), is_singleton=False)
        reads.acquire_write()  # the reads under way end; new ones will see the ingest marker
        reads.release()
    except (OSError, sqlite3.Error) as exc:
        # The folder cannot hold the marker (read-only): the ingest's own writes fail there with a clear error.
        log.debug("no ingest marker beside %s: %s", path, exc)
        _close(reads, lock)
        yield
        return
    reads.close()
    try:
        yield
    finally:
        lock.release()
        lock.close()


@contextmanager
def no_ingest_running(engine: Engine) -> Iterator[None]:
    """Hold off ingests into ``engine`` while the block reads; IngestInProgressError if one is running now.

    Other backtests may read at the same time."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("SELECT pg_advisory_lock_shared(:key)"), {"key": READ_LOCK_KEY})
            try:
                if not conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": INGEST_LOCK_KEY}).scalar_one():
                    raise _busy(engine)
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": INGEST_LOCK_KEY})
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock_shared(:key)"), {"key": READ_LOCK_KEY})
        return
    path = sqlite_path(engine)
    if path is None:
        yield
        return
    reads: ReadWriteLock | None = None
    ingests: ReadWriteLock | None = None
    try:  # even creating a marker fails in a read-only folder
        reads = ReadWriteLock(read_lock_path(path), is_singleton=False)
        reads.acquire_read()
        ingests = ReadWriteLock(ingest_lock_path(path), is_singleton=False)
        try:
            ingests.acquire_write(blocking=False)
        except Timeout:
            _close(ingests, reads)
            raise _busy(engine) from None
        ingests.release()
        ingests.close()
    except (OSError, sqlite3.Error) as exc:
        # No marker can exist where none can be written (a read-only folder or mount), and no ingest can be
        # writing the database there either: the read goes ahead.
        log.debug("no ingest marker beside %s: %s", path, exc)
        _close(ingests, reads)
        yield
        return
    try:
        yield
    finally:
        reads.release()
        reads.close()


def _close(*locks: ReadWriteLock | None) -> None:
    """Give up whatever markers were taken before a failure (closing releases a held lock)."""
    for lock in locks:
        if lock is not None:
            lock.close()


def marks_ingest(func: Callable[Concatenate[Engine, P], R]) -> Callable[Concatenate[Engine, P], R]:
    """Decorate an ingest job taking the engine first: the whole job runs under :func:`ingesting`."""

    @functools.wraps(func)
    def run(engine: Engine, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with ingesting(engine):
            return func(engine, *args, **kwargs)

    return run
