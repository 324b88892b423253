"""Where the database lives and how to open it.

SQLite is the zero-set-up default (a file in the user data dir, WAL mode so readers — the desktop app — never
block the writer). PostgreSQL is chosen with ``--db``, ``BETFOLIO_DATABASE_URL`` or ``database_url`` in the config
file (:mod:`betfolio.config`), the same for the CLI, the app, the service and the trader.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from filelock import FileLock
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url

ENV_DATABASE_URL = "BETFOLIO_DATABASE_URL"
ENV_DATA_DIR = "BETFOLIO_DATA_DIR"

#: How long a SQLite connection waits for a lock: any statement, and a writer waiting for another writer.
READER_WAIT_MS = 30_000
WRITER_WAIT_MS = 900_000
#: Key of the PostgreSQL transaction-level advisory lock every writer takes (``"betfolio"`` as ASCII bytes).
WRITER_LOCK_KEY = 0x62657466_6F6C696F >> 1


class StoreError(RuntimeError):
    """The database cannot be used as asked (damaged, read-only, unreachable, unknown schema); the message says
    which database and what to do, in one line."""


def data_dir() -> Path:
    """The user data dir (configured as ``data_dir``; BETFOLIO_DATA_DIR overrides it), created on first use."""
    from betfolio.config import load_settings

    path = load_settings().data_dir
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_database_url() -> str:
    return f"sqlite:///{data_dir() / 'betfolio.sqlite'}"


def _url_from_file() -> str | None:
    """``BETFOLIO_DATABASE_URL_FILE``: the URL (with its password) as a Docker secret, never in the environment."""
    path = os.environ.get(f"{ENV_DATABASE_URL}_FILE")
    if not path:
        return None
    try:
        value = Path(path).read_text().strip()
    except OSError as exc:
        raise ValueError(f"cannot read the database URL file {path} ({exc.__class__.__name__})") from None
    if not value:
        raise ValueError(f"the database URL file {path} is empty")
    return value


def resolve_database_url(url: str | None = None) -> str:
    """Explicit URL, else the configuration (environment, then config file), else the SQLite default.

    ``BETFOLIO_DATABASE_URL_FILE`` names a file holding the URL (a Docker secret) when the variable itself is
    unset. Bare paths mean SQLite files. See :mod:`betfolio.config` for the precedence.
    """
    from betfolio.config import load_settings, resolve_database_url_from

    if not url and not os.environ.get(ENV_DATABASE_URL):
        url = _url_from_file()  # a Docker secret holding the URL
    settings = load_settings(database_url=url or None)
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return resolve_database_url_from(settings)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={READER_WAIT_MS}")
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def _sqlite_read_only_pragmas(dbapi_conn: Any, _record: Any) -> None:
    """A read-only connection sets nothing that writes (journal mode, sync level): those belong to the writer."""
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={READER_WAIT_MS}")
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def is_read_only(engine: Engine) -> bool:
    """Whether ``engine`` was opened read-only (a SQLite file nobody may write here, see :func:`make_engine`)."""
    return engine.dialect.name == "sqlite" and engine.url.query.get("mode") == "ro"


def sqlite_path(engine: Engine) -> Path | None:
    """The file behind a SQLite engine (None for PostgreSQL and in-memory databases), read-only ones included."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        return Path(unquote(database.removeprefix("file:"))) if is_read_only(engine) else None
    return Path(database)


def read_only_reason(path: Path) -> str | None:
    """Why the existing SQLite file ``path`` cannot be written from here — a read-only mount, folder or file —
    or None when it can. SQLite in WAL mode writes ``-wal``/``-shm`` files beside the database even to read, so
    the folder counts as much as the file. ``os.access`` says no on a read-only mount even for root."""
    folder = path.parent
    with suppress(OSError, AttributeError):  # statvfs: POSIX only
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return f"on a read-only file system ({folder})"
    if not os.access(folder, os.W_OK):
        return f"in the read-only folder {folder}"
    if not os.access(path, os.W_OK):
        return "read-only"
    return None


def _read_only_url(path: Path) -> str:
    """A URI opening ``path`` read-only without creating anything beside it.

    With no ``-wal``/``-shm`` files, ``immutable=1``: nothing can change the file where no journal can be written,
    and SQLite then needs no shared-memory file to read a WAL database. With a ``-shm`` present (a writer's WAL
    left beside it) ``mode=ro`` reads the WAL through it. A WAL with committed pages but no ``-shm`` cannot be
    read without writing: refused with the remedy.
    """
    wal, shm = (path.with_name(path.name + suffix) for suffix in ("-wal", "-shm"))
    target = f"sqlite:///file:{quote(str(path))}?mode=ro"
    if shm.exists():
        return f"{target}&uri=true"
    if wal.exists() and wal.stat().st_size > 0:
        raise StoreError(
            f"SQLite database {path} is read-only here and has uncheckpointed changes in {wal.name} without "
            f"{shm.name}: open it once where it is writable (or copy the three files to a writable folder)"
        )
    return f"{target}&immutable=1&uri=true"


def _prepare_sqlite_file(path: Path) -> None:
    """Refuse, with the reason, a path that cannot hold a database, before SQLite quietly does something else
    (a zero-byte file would silently become a new empty database)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        raise StoreError(f"cannot create SQLite database {path}: a parent of it is a file, not a folder") from exc
    except OSError as exc:
        raise StoreError(f"cannot create the folder of SQLite database {path}: {exc.strerror or exc}") from exc
    if path.is_dir():
        raise StoreError(f"SQLite database path {path} is a folder, not a file")
    if path.is_file() and path.stat().st_size > 0:
        return
    # Creating the file is serialised by a lock file: SQLite creates a database as an empty file and writes its
    # header a moment later, so without it a second process starting at the same time would see a zero-byte
    # file — which, found any other way, is refused rather than silently turned into an empty database.
    lock_path = path.with_name(path.name + ".create-lock")
    try:
        with FileLock(lock_path, timeout=120):
            if path.exists():
                if path.stat().st_size == 0:
                    raise StoreError(
                        f"{path} is an empty file, not a database: delete it (or choose another --db) to start afresh"
                    )
                return
            created = sqlite3.connect(path)
            try:
                created.execute("PRAGMA journal_mode=WAL")  # writes the header: the file is a database from now on
            finally:
                created.close()
    except OSError as exc:
        raise StoreError(f"cannot create SQLite database {path}: {exc.strerror or exc}") from exc
    finally:
        with suppress(OSError):
            lock_path.unlink()


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine on the configured database. A SQLite file that cannot be written from here (read-only mount,
    folder or file) is opened read-only (:func:`is_read_only`): commands that only read work, and commands that
    write are refused up front by :func:`betfolio.store.migrate.check_writable` with the reason."""
    resolved = resolve_database_url(url)
    parsed = make_url(resolved)
    if parsed.get_backend_name() == "sqlite":
        pragmas = _sqlite_pragmas
        if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
            path = Path(parsed.database)
            if path.is_file() and path.stat().st_size > 0 and read_only_reason(path) is not None:
                resolved, pragmas = _read_only_url(path), _sqlite_read_only_pragmas
            else:
                _prepare_sqlite_file(path)
        engine = create_engine(resolved, **kwargs)
        event.listen(engine, "connect", pragmas)
        return engine
    return create_engine(resolved, pool_pre_ping=True, **kwargs)


def describe(engine: Engine) -> str:
    """URL safe to print (password hidden); a database opened read-only shows as its file, marked so."""
    if is_read_only(engine):
        return f"sqlite:///{sqlite_path(engine)} (read-only)"
    return engine.url.render_as_string(hide_password=True)


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One writer at a time: a transaction that holds the database's write lock from its first statement.

    SQLite: ``BEGIN IMMEDIATE`` (pysqlite would otherwise run DDL outside any transaction and start the
    transaction only at the first INSERT, after the reads it depends on — so two writers could both decide a row
    is missing). A second writer waits (``busy_timeout``) instead of failing. PostgreSQL: a transaction-level
    advisory lock, so concurrent ingests serialise per transaction while readers never wait. Either way
    everything inside commits or rolls back whole, DDL included.
    """
    if engine.dialect.name == "sqlite":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # Another writer may hold the lock for a whole large file: wait for it, not just the 30 s readers get.
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {WRITER_WAIT_MS}")
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    if conn.connection.driver_connection.in_transaction:  # type: ignore[union-attr]
                        conn.exec_driver_sql("ROLLBACK")
                    raise
                conn.exec_driver_sql("COMMIT")
            finally:
                conn.exec_driver_sql(f"PRAGMA busy_timeout = {READER_WAIT_MS}")
        return
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITER_LOCK_KEY})
        yield conn
