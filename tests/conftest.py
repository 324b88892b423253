"""Shared fixtures: real SQLite files, a real PostgreSQL database per test session, real Redis.

On a machine without PostgreSQL/Redis the tests that need them skip with the reason; with
BETFOLIO_REQUIRE_SERVICES=1 (CI) an unreachable service is a failure instead.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, event, text

from betfolio.store.engine import make_engine
from betfolio.store.migrate import upgrade
from betfolio.store.tables import metadata


def _shared_data() -> Path:
    """The shared real-data folder: $BETFOLIO_SHARED_DATA, else ../shared/data beside the checkout, else
    /work/shared/data (where CI's clone may not sit beside it)."""
    candidates = [
        os.environ.get("BETFOLIO_SHARED_DATA"),
        Path(__file__).resolve().parents[2] / "shared" / "data",
        "/work/shared/data",
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return Path(__file__).resolve().parents[2] / "shared" / "data"


SHARED_DATA = _shared_data()
FOOTBALL_DATA = SHARED_DATA / "football-data"
PG_SERVER_URL = os.environ.get("BETFOLIO_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BETFOLIO_TEST_REDIS", "redis://127.0.0.1:6379/15")


def ingested_sqlite(path: Path, sources: list[Path]) -> Path:
    """A migrated SQLite file at ``path`` holding ``sources`` (CSV files or folders), checkpointed so copies of the
    file alone are complete; the session fixtures that share one real store build it with this."""
    from betfolio.ingest.football_data import ingest_paths

    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    summary = ingest_paths(engine, sources)
    assert not summary.errors, summary.errors
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


def services_required() -> bool:
    return os.environ.get("BETFOLIO_REQUIRE_SERVICES") == "1"


def service_unavailable(reason: str) -> None:
    if services_required():
        pytest.fail(f"{reason} (BETFOLIO_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


def shared_file(*parts: str) -> Path:
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        service_unavailable(f"shared data not available: {path}")
    return path


@contextmanager
def statements_mentioning(target: Engine | type[Engine], word: str) -> Iterator[list[str]]:
    """The SQL statements that mention ``word``, as ``target`` (an engine, or ``Engine`` for every engine the
    block opens) runs them: how a test sees how often something is read from the real database."""
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if word in statement:
            seen.append(statement)

    event.listen(target, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(target, "before_cursor_execute", note)


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the user's real data dir, config dir or database from a test."""
    monkeypatch.setenv("BETFOLIO_DATA_DIR", str(tmp_path_factory.mktemp("datadir")))
    monkeypatch.setenv("BETFOLIO_CONFIG_DIR", str(tmp_path_factory.mktemp("configdir")))
    monkeypatch.delenv("BETFOLIO_DATABASE_URL", raising=False)


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'test.sqlite'}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated once, dropped at the end."""
    name = f"betfolio_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_SERVER_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        service_unavailable(f"PostgreSQL not reachable at {PG_SERVER_URL}: {exc.__class__.__name__}")
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def pg_engine(pg_database_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_database_url)
    names = ", ".join(t.name for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Engine:
    """Each test using this runs against both backends."""
    return request.getfixturevalue("sqlite_engine" if request.param == "sqlite" else "pg_engine")


@pytest.fixture
def redis_client() -> Iterator[object]:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        service_unavailable(f"Redis not reachable at {REDIS_URL}: {exc.__class__.__name__}")
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture(scope="session")
def af_dir() -> Path:
    return shared_file("providers", "api_football")


@pytest.fixture(scope="session")
def oa_dir() -> Path:
    return shared_file("providers", "the_odds_api")


@pytest.fixture
def file_permissions_apply(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> bool:
    """Make a test of file permissions run for real when the suite runs as root, who ignores them.

    As root, the test runs again in a child process whose root has lost the capabilities that override file
    permissions (``setpriv``), and this fixture fails with that run's output unless it passed; it returns True,
    and the test body returns at once. Elsewhere (and in the child) it returns False and the body runs here.
    """
    if os.geteuid() != 0 or os.environ.get("BETFOLIO_PERMISSIONS_CHILD"):
        return False
    setpriv = shutil.which("setpriv")
    assert setpriv, "setpriv (util-linux) is needed to test file permissions as root"
    done = subprocess.run(
        [
            setpriv,
            "--bounding-set",
            "-dac_override,-dac_read_search,-fowner",
            sys.executable,
            "-m",
            "pytest",
            request.node.nodeid,
            "-q",
            "-p",
            "no:cacheprovider",
            f"--basetemp={tmp_path_factory.mktemp('without-root-override')}",
        ],
        cwd=request.config.rootpath,
        env={**os.environ, "BETFOLIO_PERMISSIONS_CHILD": "1"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0 and re.search(r"\b1 passed\b", done.stdout), done.stdout[-3000:] + done.stderr[-3000:]
    return True
