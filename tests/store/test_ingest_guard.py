"""A backtest never runs on a half-ingested database, and a killed ingest never blocks backtests afterwards.

Run on SQLite and PostgreSQL (the ``engine`` fixture). The mid-ingest backtest is started from inside a real
ingest (its per-file callback, after the first file has committed), which is exactly the moment a backtest
would otherwise read a partial set of matches and record the run.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from betfolio.ingest.football_data import ingest_files
from betfolio.jobs.backtest import load_data
from betfolio.store.ingest_guard import IngestInProgressError, ingesting, no_ingest_running
from betfolio.store.tables import matches_master, runs
from tests.conftest import shared_file

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _season_files(tmp_path: Path) -> list[Path]:
    files = []
    for season in ("2021-22", "2022-23"):
        target = tmp_path / "data" / season / "E0.csv"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(shared_file("football-data", season, "E0.csv"), target)
        files.append(target)
    return files


def _count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_backtest_started_mid_ingest_is_refused_and_records_nothing(engine, tmp_path: Path) -> None:
    files = _season_files(tmp_path)
    url = engine.url.render_as_string(hide_password=False)
    attempts: list[tuple[int, str]] = []

    def backtest_after(path: Path, _result: object) -> None:
        if attempts:
            return
        assert _count(engine, matches_master) == 380  # the first season is committed, the second is not
        args = ["backtest", "--db", url, "--leagues", "E0", "--seasons", "2021-22,2022-23", "--strategy", "no_bet"]
        done = subprocess.run(
            [sys.executable, "-m", "betfolio", *args],
            env={**os.environ, "PYTHONPATH": SRC},
            capture_output=True,
            text=True,
            timeout=600,
        )
        attempts.append((done.returncode, done.stderr))

    summary = ingest_files(engine, files, on_file=backtest_after)

    assert summary.errors == [] and _count(engine, matches_master) == 760
    ((exit_code, output),) = attempts
    assert exit_code == 2, output
    assert output.startswith("error: an ingest into") and "is in progress" in output and "Traceback" not in output
    assert _count(engine, runs) == 0
    # Once the ingest is over the same backtest reads both complete seasons.
    data, _ = load_data(engine, ["E0"], ["2021-22", "2022-23"])
    assert len(data.matches) == 760


def test_an_ingest_starting_during_the_read_waits_for_it(engine) -> None:
    finished = threading.Event()

    def ingest() -> None:
        with ingesting(engine):
            finished.set()

    with no_ingest_running(engine):
        worker = threading.Thread(target=ingest)
        worker.start()
        assert not finished.wait(0.5)  # blocked by the read; it cannot have finished while the read holds
    worker.join(timeout=60)
    assert finished.is_set()


def test_concurrent_ingests_share_the_marker(engine) -> None:
    with (
        ingesting(engine),
        ingesting(engine),
        pytest.raises(IngestInProgressError, match="is in progress"),
        no_ingest_running(engine),
    ):
        pass
    with no_ingest_running(engine):
        pass


def test_a_killed_ingest_leaves_no_stale_marker(engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from betfolio.store.engine import make_engine\n"
            "from betfolio.store.ingest_guard import ingesting\n"
            "with ingesting(make_engine(sys.argv[1])):\n"
            "    print('held', flush=True)\n"
            "    time.sleep(600)\n",
            url,
        ],
        env={**os.environ, "PYTHONPATH": SRC},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(IngestInProgressError), no_ingest_running(engine):
            pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=60)
    # The lock dies with its holder (OS file lock / PostgreSQL session): nothing to clean up, nothing blocks.
    # PostgreSQL notices the closed connection at once; give it a moment to end the backend if it is slower.
    for _ in range(100):
        try:
            with no_ingest_running(engine):
                break
        except IngestInProgressError:
            threading.Event().wait(0.1)
    else:
        pytest.fail("the marker of a killed ingest still blocks backtests")


def test_backtests_read_side_by_side(engine) -> None:
    """Seeds of a multi-seed training or cells of a grid read the same store at once: none is refused, and an
    ingest still waits for all of them and refuses the ones starting after it."""
    finished = threading.Event()

    def ingest() -> None:
        with ingesting(engine):
            finished.set()

    with no_ingest_running(engine), no_ingest_running(engine):
        worker = threading.Thread(target=ingest)
        worker.start()
        assert not finished.wait(0.5)  # both reads hold it off
    worker.join(timeout=60)
    assert finished.is_set()
    with ingesting(engine), pytest.raises(IngestInProgressError), no_ingest_running(engine):
        pass
