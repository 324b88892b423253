"""Where the database lives and how to open it.

SQLite is the zero-set-up default (a file in the user data dir, WAL mode so readers — the desktop app — never
block the writer). PostgreSQL is chosen with ``--db`` or ``BETFOLIO_DATABASE_URL``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from platformdirs import user_data_path
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

ENV_DATABASE_URL = "BETFOLIO_DATABASE_URL"
ENV_DATA_DIR = "BETFOLIO_DATA_DIR"


def data_dir() -> Path:
    """The user data dir (override with BETFOLIO_DATA_DIR), created on first use."""
    override = os.environ.get(ENV_DATA_DIR)
    path = Path(override) if override else user_data_path("betfolio", appauthor=False)
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
    """Explicit URL, else the environment (or the file in ``BETFOLIO_DATABASE_URL_FILE``), else the SQLite
    default. Bare paths mean SQLite files."""
    chosen = url or os.environ.get(ENV_DATABASE_URL) or _url_from_file() or default_database_url()
    if "://" not in chosen:
        chosen = f"sqlite:///{Path(chosen).expanduser().resolve()}"
    parsed = make_url(chosen)
    if parsed.drivername in ("postgresql", "postgres"):
        chosen = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return chosen


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
