"""The simulator's demo stage on a real season in SQLite."""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path

import numpy as np
from rich.console import Console

from betfolio.ingest.football_data import ingest_paths
from betfolio.jobs.demo.sim_stage import POLICIES, run_demo_sim
from betfolio.sim.reward import REWARD_NAMES


def test_demo_stage_replays_every_match_and_compares_rewards(sqlite_engine, tmp_path: Path):
    console = Console(record=True, width=120)
    assert run_demo_sim(sqlite_engine, console, tmp_path)["skipped"]  # empty store: skipped, not crashed
    source = resources.files("betfolio.data").joinpath("sample", "football-data", "2022-23", "E0.csv.gz")
    (tmp_path / "data" / "2022-23").mkdir(parents=True)
    with resources.as_file(source) as path:
        shutil.copy(path, tmp_path / "data" / "2022-23" / "E0.csv.gz")
    assert ingest_paths(sqlite_engine, [tmp_path / "data"]).errors == []
    out = run_demo_sim(sqlite_engine, console, tmp_path / "report")
    assert out["episodes"]["matches"] == 380
    assert set(out["policies"]) == set(POLICIES)
    idle = out["policies"]["no bet"]
    assert idle["bets_per_match"] == 0 and idle["mean_log_growth"] == 0 and idle["returns"]["log_wealth"] == 0
    fav = out["policies"]["favourite 0'"]
    assert 0.9 < fav["bets_per_match"] <= 1.0  # one bet per match unless refused
    assert -0.2 < fav["roi"] < 0.1  # the book's margin is ~6 %: backing favourites loses a little
    for result in out["policies"].values():
        assert set(result["returns"]) == set(REWARD_NAMES)
        assert all(np.isfinite(v) for v in result["returns"].values())
    saved = json.loads((tmp_path / "report" / "sim" / "results.json").read_text())
    assert saved["policies"]["no bet"]["bets_per_match"] == 0
    assert "modelled" in console.export_text()


def test_a_match_whose_data_ends_early_is_replayed_beside_the_full_ones() -> None:
    """A recorded in-play track cut mid-match ends its episode early; the others still play to full time (the
    demo run a second time on its store, which then holds such a track, used to stop with a RuntimeError)."""
    from dataclasses import replace

    from betfolio.jobs.demo.sim_stage import evaluate_policies
    from betfolio.sim.batched import sample_bank

    bank = sample_bank()
    short = replace(bank, last_minute=bank.last_minute.copy())
    short.last_minute[0] = 38
    results = evaluate_policies(short)
    full = evaluate_policies(bank)
    for name in POLICIES:
        assert results[name]["matches"] == bank.n_matches
        assert all(np.isfinite(v) for v in results[name]["returns"].values())
    assert results["no bet"]["bets_per_match"] == 0
    # the favourite is backed at kick-off in every match, the short one included
    assert results["favourite 0'"]["bets_per_match"] == full["favourite 0'"]["bets_per_match"]
