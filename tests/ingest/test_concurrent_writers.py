"""Two ingests into one database at the same time both finish, with the same data as one clean ingest."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from betfolio.ingest.football_data import ingest_paths
from betfolio.store.engine import make_engine
from betfolio.store.migrate import upgrade
from betfolio.store.tables import daily_betting_lines, leagues, matches_master, raw_payloads, team_aliases, teams
from tests.conftest import shared_file

SRC = str(Path(__file__).resolve().parents[2] / "src")
TABLES = (leagues, teams, team_aliases, matches_master, daily_betting_lines, raw_payloads)


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in TABLES}


def test_two_concurrent_ingests_both_finish_complete(engine, tmp_path):
    files = {}
    for season, div in (("2021-22", "E0"), ("2022-23", "E0"), ("2022-23", "E1")):
        target = tmp_path / "data" / season / f"{div}.csv"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(shared_file("football-data", season, f"{div}.csv"), target)
        files[(season, div)] = target
    # Overlapping work: both create the same league, teams and the 2022-23 E0 payload at the same moment.
    first = [files[("2022-23", "E0")], files[("2021-22", "E0")]]
    second = [files[("2022-23", "E0")], files[("2022-23", "E1")]]
    url = engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "PYTHONPATH": SRC}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "betfolio.cli", "ingest", "football-data", *map(str, batch), "--db", url, "--json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for batch in (first, second)
    ]
    outcomes = [p.communicate(timeout=900) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-2000:] for _, err in outcomes]
    summaries = [json.loads(out[out.index("{") :]) for out, _ in outcomes]
    assert all(s["errors"] == [] and s["files"] == 2 for s in summaries)

    clean = make_engine(f"sqlite:///{tmp_path / 'clean.sqlite'}")
    upgrade(clean)
    ingest_paths(clean, [tmp_path / "data"])
    assert counts(engine) == counts(clean)
    clean.dispose()
