"""Where the database lives and how to open it.

SQLite is the zero-set-up default (a file in the user data dir, WAL mode so readers — the desktop app — never
block the writer). PostgreSQL is chosen with ``--db``, ``BETFOLIO_DATABASE_URL`` or ``database_url`` in the config
file (:mod:`betfolio.config`), the same for the CLI, the app, the service and the trader.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

ENV_DATABASE_URL = "BETFOLIO_DATABASE_URL"
ENV_DATA_DIR = "BETFOLIO_DATA_DIR"


def data_dir() -> Path:
    """The user data dir (configured as ``data_dir``; BETFOLIO_DATA_DIR overrides it), created on first use."""
    from betfolio.config import load_settings

    path = load_settings().data_dir
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_database_url() -> str:
    return f"sqlite:///{data_dir() / 'betfolio.sqlite'}"


def resolve_database_url(url: str | None = None) -> str:
    """Explicit URL, else the configuration (environment, then config file), else the SQLite default.

    Bare paths mean SQLite files. See :mod:`betfolio.config` for the precedence.
    """
    from betfolio.config import load_settings, resolve_database_url_from

    settings = load_settings(database_url=url or None)
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return resolve_database_url_from(settings)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    resolved = resolve_database_url(url)
    parsed = make_url(resolved)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(resolved, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(resolved, pool_pre_ping=True, **kwargs)


def describe(engine: Engine) -> str:
    """URL safe to print (password hidden)."""
    return engine.url.render_as_string(hide_password=True)
