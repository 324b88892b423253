"""A SQLite database nobody may write here is read as it is; commands that must write are refused up front.

What each test proves, honestly:

- ``test_..._on_a_read_only_mount`` is the real case: the database's folder bind-mounted read-only inside a
  private mount namespace (``unshare -m``, which needs CAP_SYS_ADMIN — root in CI has it; the mount is gone
  when the process ends). Root ignores file permissions but not a read-only mount, so this is the only way to
  prove, as root, that nothing (no ``-wal``/``-shm``, no lock file) needs to be created to read. It skips, saying
  so, where mount namespaces are not permitted.
- ``test_..._read_only_uri`` runs everywhere: it opens the database through the read-only URI the engine uses
  and checks the read path and the up-front refusal of writes. In a writable folder it cannot prove that no
  file is created beside the database — that is the mount test's job.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from betfolio.ingest.football_data import ingest_files
from betfolio.jobs.backtest import load_data, run_backtest
from betfolio.store.engine import StoreError, describe, is_read_only, make_engine, read_only_reason, sqlite_path
from betfolio.store.migrate import upgrade
from tests.conftest import shared_file

SRC = str(Path(__file__).resolve().parents[2] / "src")
BACKTEST = ["backtest", "--leagues", "E0", "--seasons", "2022-23", "--strategy", "favourite", "--models", ""]


def _database(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "betfolio.sqlite"
    engine = make_engine(str(db))
    upgrade(engine)
    summary = ingest_files(engine, [shared_file("football-data", "2022-23", "E0.csv")])
    assert summary.errors == []
    engine.dispose()
    return db


def _mount_namespaces_work(folder: Path) -> bool:
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0"', str(folder)],
        capture_output=True,
    )
    return shutil.which("unshare") is not None and probe.returncode == 0


def _run_read_only(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m betfolio ARGS`` with ``folder`` bind-mounted read-only for that process only."""
    script = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", script, str(folder), sys.executable, "-m", "betfolio", *args],
        env={**os.environ, "PYTHONPATH": SRC},
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_backtest_no_record_works_on_a_read_only_mount_and_writes_are_refused(tmp_path: Path) -> None:
    if shutil.which("unshare") is None or not _mount_namespaces_work(tmp_path):
        pytest.skip("mount namespaces are not permitted here: the read-only mount case cannot be reproduced")
    folder = tmp_path / "ro"
    db = _database(folder)
    before = sorted(p.name for p in folder.iterdir())
    out = tmp_path / "out.json"

    read = _run_read_only(folder, *BACKTEST, "--db", str(db), "--no-record", "--json", str(out))
    assert read.returncode == 0, read.stderr[-2000:]
    summary = json.loads(out.read_text())
    assert summary["strategies"]["favourite"]["bets"] > 300

    record = _run_read_only(folder, *BACKTEST, "--db", str(db), "--json", str(tmp_path / "recorded.json"))
    assert record.returncode == 2, record.stderr[-2000:]
    assert record.stderr.startswith(f"error: SQLite database {db} is on a read-only file system")
    assert "Traceback" not in record.stderr and len(record.stderr.strip().splitlines()) == 1

    ingest = _run_read_only(
        folder, "ingest", "football-data", str(shared_file("football-data", "2021-22", "E0.csv")), "--db", str(db)
    )
    assert ingest.returncode == 2 and "read-only file system" in ingest.stderr and "Traceback" not in ingest.stderr
    assert sorted(p.name for p in folder.iterdir()) == before  # nothing was created or left beside the database


def test_a_writers_uncheckpointed_wal_is_read_through_its_shm_on_a_read_only_mount(tmp_path: Path) -> None:
    if shutil.which("unshare") is None or not _mount_namespaces_work(tmp_path):
        pytest.skip("mount namespaces are not permitted here: the read-only mount case cannot be reproduced")
    folder = tmp_path / "ro"
    db = _database(folder)
    writer = sqlite3.connect(db)  # an open writer (the app, say) keeps -wal and -shm beside the database
    try:
        writer.execute("PRAGMA wal_autocheckpoint=0")
        writer.execute("UPDATE matches_master SET referee = 'only in the WAL' WHERE match_id = 1")
        writer.commit()
        assert (folder / "betfolio.sqlite-shm").exists()
        probe = (
            "from sqlalchemy import text\n"
            "from betfolio.store.engine import make_engine\n"
            "import sys\n"
            "with make_engine(sys.argv[1]).connect() as c:\n"
            "    print(c.execute(text('SELECT referee FROM matches_master WHERE match_id = 1')).scalar_one())\n"
        )
        script = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'
        done = subprocess.run(
            ["unshare", "-m", "sh", "-c", script, str(folder), sys.executable, "-c", probe, str(db)],
            env={**os.environ, "PYTHONPATH": SRC},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.strip() == "only in the WAL"
    finally:
        writer.close()


def test_the_read_only_uri_reads_and_refuses_writes_up_front(tmp_path: Path) -> None:
    db = _database(tmp_path / "data")
    engine = make_engine(f"sqlite:///file:{db}?mode=ro&immutable=1&uri=true")
    assert is_read_only(engine) and sqlite_path(engine) == db
    data, _ = load_data(engine, ["E0"], ["2022-23"])
    assert len(data.matches) == 380
    with pytest.raises(StoreError, match="this command writes to it"):
        run_backtest(data, ["favourite"], engine=engine, record=True)
    with pytest.raises(StoreError, match="this command writes to it"):
        upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM runs")).scalar_one() == 0


def test_an_older_schema_on_a_read_only_database_names_the_remedy(tmp_path: Path) -> None:
    db = _database(tmp_path / "data")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0001'")
    conn.close()
    engine = make_engine(f"sqlite:///file:{db}?mode=ro&immutable=1&uri=true")
    with pytest.raises(StoreError, match=r"read-only and its schema is at revision 0001.*betfolio db upgrade"):
        load_data(engine, ["E0"], ["2022-23"])


def test_a_read_only_folder_is_opened_read_only(tmp_path: Path, file_permissions_apply: bool) -> None:
    if file_permissions_apply:  # run as root: the test ran without root's override in a child process
        return
    db = _database(tmp_path / "data")
    db.parent.chmod(0o555)
    try:
        assert read_only_reason(db) == f"in the read-only folder {db.parent}"
        engine = make_engine(str(db))
        assert is_read_only(engine)
        data, _ = load_data(engine, ["E0"], ["2022-23"])
        assert len(data.matches) == 380
    finally:
        db.parent.chmod(0o755)


def test_a_read_only_database_is_described_by_its_file(tmp_path: Path) -> None:
    db = _database(tmp_path / "data")
    engine = make_engine(f"sqlite:///file:{db}?mode=ro&immutable=1&uri=true")
    assert describe(engine) == f"sqlite:///{db} (read-only)"
