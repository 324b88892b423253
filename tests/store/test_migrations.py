"""Crash-safe schema creation and clear errors for every database that cannot be written."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from betfolio.store.engine import StoreError, make_engine, write_transaction
from betfolio.store.migrate import current_revision, head_revision, upgrade
from betfolio.store.tables import metadata

SRC = str(Path(__file__).resolve().parents[2] / "src")

# Runs the first migration and SIGKILLs itself right after the Nth CREATE TABLE reached SQLite.
KILL_AFTER_CREATE = textwrap.dedent(
    """
    import os, signal, sys
    from sqlalchemy import event
    from betfolio.store.engine import make_engine
    from betfolio.store.migrate import upgrade

    engine = make_engine(sys.argv[1])
    limit, seen = int(sys.argv[2]), [0]

    @event.listens_for(engine, "after_cursor_execute")
    def _kill(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("CREATE TABLE"):
            seen[0] += 1
            if seen[0] == limit:
                os.kill(os.getpid(), signal.SIGKILL)

    upgrade(engine)
    """
)

UPGRADE = (
    "import sys\nfrom betfolio.store.engine import make_engine\nfrom betfolio.store.migrate import upgrade\n"
    "print(upgrade(make_engine(sys.argv[1])))\n"
)


def _run(script: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.Popen(
        [sys.executable, "-c", script, *args], env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _migrated_without_wal(db: Path) -> None:
    engine = make_engine(str(db))
    upgrade(engine)
    engine.dispose()
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")


@pytest.mark.parametrize("kill_after", [1, 4, 9])
def test_sigkill_during_first_migration_leaves_no_half_schema(tmp_path, kill_after):
    db = tmp_path / "killed.sqlite"
    proc = _run(KILL_AFTER_CREATE, str(db), str(kill_after))
    proc.communicate(timeout=120)
    assert proc.returncode == -9
    assert _tables(db) == set()  # the CREATE TABLEs were rolled back with the transaction
    engine = make_engine(str(db))
    assert upgrade(engine) == head_revision(engine)
    assert {t.name for t in metadata.sorted_tables} <= set(inspect(engine).get_table_names())


def test_two_concurrent_first_runs_both_succeed(tmp_path):
    for attempt in range(3):
        db = tmp_path / f"race{attempt}.sqlite"
        procs = [_run(UPGRADE, str(db)) for _ in range(2)]
        outcomes = [p.communicate(timeout=120) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], outcomes
        assert all(out.strip().endswith(head_revision(make_engine(str(db)))) for out, _ in outcomes)


def test_postgres_concurrent_first_runs_both_succeed(pg_database_url):
    from sqlalchemy import create_engine

    admin = create_engine(pg_database_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    name = "betfolio_race_" + os.urandom(4).hex()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = pg_database_url.rsplit("/", 1)[0] + "/" + name
        procs = [_run(UPGRADE, url) for _ in range(2)]
        outcomes = [p.communicate(timeout=120) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], outcomes
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_leftovers_of_an_old_interrupted_first_run_are_repaired(tmp_path):
    db = tmp_path / "old.sqlite"
    with sqlite3.connect(db) as conn:  # what a killed non-transactional first run left behind
        conn.execute("CREATE TABLE leagues (code VARCHAR(16) PRIMARY KEY, name VARCHAR(128) NOT NULL, country TEXT)")
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
    engine = make_engine(str(db))
    assert upgrade(engine) == head_revision(engine)


def test_tables_with_rows_but_no_revision_are_refused(tmp_path):
    db = tmp_path / "foreign.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE leagues (code VARCHAR(16) PRIMARY KEY, name VARCHAR(128) NOT NULL, country TEXT)")
        conn.execute("INSERT INTO leagues VALUES ('E0', 'Premier League', 'England')")
    with pytest.raises(StoreError, match="no schema revision"):
        upgrade(make_engine(str(db)))


def test_damaged_database_is_refused_when_opened_for_writing(tmp_path):
    db = tmp_path / "damaged.sqlite"
    _migrated_without_wal(db)
    size = db.stat().st_size
    with db.open("r+b") as fh:  # scribble over every page but the first (header and schema root)
        fh.seek(4096)
        fh.write(os.urandom(size - 4096))
    with pytest.raises(StoreError, match=r"damaged|cannot be opened"):
        upgrade(make_engine(str(db)))


def test_truncated_database_file_is_refused(tmp_path):
    db = tmp_path / "cut.sqlite"
    _migrated_without_wal(db)
    content = db.read_bytes()
    db.write_bytes(content[: len(content) // 3])
    with pytest.raises(StoreError):
        upgrade(make_engine(str(db)))


def test_zero_byte_file_is_not_silently_a_new_database(tmp_path):
    db = tmp_path / "empty.sqlite"
    db.touch()
    with pytest.raises(StoreError, match="empty file"):
        make_engine(str(db))


def test_db_path_under_a_file_is_a_clear_error(tmp_path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(StoreError, match="is a file"):
        make_engine(str(tmp_path / "afile" / "db.sqlite"))


def test_unknown_schema_revision_is_a_clear_error(tmp_path):
    db = tmp_path / "future.sqlite"
    engine = make_engine(str(db))
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreError, match="9999"):
        upgrade(engine)


def test_read_only_database_is_refused_before_any_work(tmp_path, file_permissions_apply):
    if file_permissions_apply:  # run as root: the test ran without root's override in a child process
        return
    db = tmp_path / "ro.sqlite"
    upgrade(make_engine(str(db)))
    db.chmod(0o444)
    try:
        with pytest.raises(StoreError, match="read-only"):
            upgrade(make_engine(str(db)))
    finally:
        db.chmod(0o644)


def test_write_transaction_rolls_back_whole(sqlite_engine):
    from betfolio.store.tables import leagues

    with pytest.raises(RuntimeError), write_transaction(sqlite_engine) as conn:
        conn.execute(leagues.insert().values(code="XX", name="x"))
        raise RuntimeError("boom")
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM leagues")).scalar_one() == 0
    assert current_revision(sqlite_engine) == head_revision(sqlite_engine)


def test_cli_reports_an_unusable_database_in_one_line_with_rc_2(tmp_path):
    (tmp_path / "afile").write_text("x")
    for db in (tmp_path / "empty.sqlite", tmp_path / "afile" / "db.sqlite"):
        if db.name == "empty.sqlite":
            db.touch()
        env = {**os.environ, "PYTHONPATH": SRC}
        done = subprocess.run(
            [sys.executable, "-m", "betfolio.cli", "db", "upgrade", "--db", str(db)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr
