"""Leagues without statistics coverage train fine (masked, not zeroed); the `betfolio train` command's errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from sqlalchemy import Engine
from typer.testing import CliRunner

from betfolio.agents.live.layout import live_layout
from betfolio.agents.live.network import NetworkConfig
from betfolio.agents.live.ppo import LivePPOTrainer, PPOConfig
from betfolio.cli import app
from betfolio.sim.batched import BatchedLiveSim
from betfolio.sim.episodes import load_sample_matchset
from betfolio.sim.timeline import build_bank

runner = CliRunner()


def test_live_training_without_any_statistics_coverage() -> None:
    """A league whose provider delivers no in-match statistics at all: every statistic token is masked."""
    ms = load_sample_matchset(("SP1",), ("2022-23",))
    ms = ms.subset(np.arange(60))
    ms.stat_totals[:] = np.nan  # no coverage
    bank = build_bank(ms, n_variants=1, seed=0)
    sim = BatchedLiveSim(32, seed=0, bank=bank)
    obs, _mask = sim.reset()
    layout = live_layout()
    stats = [
        i for i, name in enumerate(layout.feature_names) if name.startswith(("home_", "away_")) and "goals" not in name
    ]
    assert obs[:, [layout.n_features + i for i in stats]].sum() == 0  # masked out, not present zeros
    trainer = LivePPOTrainer(sim, layout, PPOConfig(num_steps=32, network=NetworkConfig(n_actions=sim.n_actions)))
    for update in trainer.train(32 * 32 * 3):
        assert np.isfinite(update.policy_loss) and np.isfinite(update.value_loss)
    assert all(torch.isfinite(p).all() for p in trainer.network.parameters())


def test_train_command_trains_and_resumes(sample_store: tuple[Engine, Path]) -> None:
    engine, root = sample_store
    url = str(engine.url)
    args = ["train", "--agent", "prematch-q", "--db", url, "--episodes", "2", "--run", str(root / "cli"), "--json"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert (root / "cli" / "prematch-q.pt").exists()
    again = runner.invoke(app, [*args[:5], "--episodes", "3", *args[7:], "--resume"])
    assert again.exit_code == 0, again.output
    assert (root / "cli" / "prematch-q.csv").read_text().count("\n") == 1 + 3  # header + episodes 1…3


def test_train_command_reports_a_corrupt_checkpoint(sample_store: tuple[Engine, Path]) -> None:
    engine, root = sample_store
    run = root / "corrupt"
    run.mkdir()
    (run / "prematch-q.pt").write_bytes(b"not a checkpoint")
    result = runner.invoke(
        app, ["train", "--agent", "prematch-q", "--db", str(engine.url), "--run", str(run), "--resume"]
    )
    assert result.exit_code == 1
    assert "corrupt" in result.output and "prematch-q.pt" in result.output


def test_train_command_refuses_unknown_seasons(sample_store: tuple[Engine, Path]) -> None:
    engine, _root = sample_store
    result = runner.invoke(app, ["train", "--agent", "hrl", "--db", str(engine.url), "--eval-seasons", "2010-11"])
    assert result.exit_code == 1 and "not in the store" in result.output


def test_training_data_loads_on_both_backends(engine: Engine) -> None:
    """Season split and replayable matches come from the store the same way on SQLite and PostgreSQL."""
    from betfolio.agents.training import load_training_matches
    from betfolio.data import bundled_sample
    from betfolio.ingest.football_data import discover, ingest_files
    from betfolio.jobs.training import HRLSettings, split_seasons

    with bundled_sample() as sample:
        files, _ = discover([sample / season / "E0.csv.gz" for season in ("2021-22", "2022-23")])
        ingest_files(engine, files)
    train, evaluate = split_seasons(engine, HRLSettings(leagues=["E0"]))
    assert (train, evaluate) == (["2021-22"], ["2022-23"])
    matches = load_training_matches(engine, ["E0"], train)
    assert len(matches) == 380 and set(matches.season.tolist()) == {"2021-22"}
