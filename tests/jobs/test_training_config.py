"""`betfolio train --config FILE`: tuned hyperparameters reach the workers the job trains."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from betfolio.agents.hyperparams import Hyperparameters
from betfolio.agents.live.ppo import PPOConfig
from betfolio.agents.prematch.tabular import QConfig
from betfolio.agents.training import PrematchSettings, untrained_prematch
from betfolio.cli import app
from betfolio.jobs.training import HRLSettings


def test_live_settings_carry_the_config() -> None:
    settings = HRLSettings(live_steps=1000, seed=7, hyperparameters=Hyperparameters(live={"learning_rate": 0.01}))
    live = settings.live_settings("log_wealth")
    # each reward is learnt with per-bet credit: log growth as bet_outcome, the mission's formula as mission_bet
    assert (live.total_steps, live.reward, live.seed) == (1000, "bet_outcome", 7)
    assert live.ppo.learning_rate == 0.01 and live.ppo.gamma == 0.0
    mission = HRLSettings().live_settings("mission")
    assert mission.reward == "mission_bet" and mission.ppo == PPOConfig.for_reward("mission_bet")
    assert mission.ppo.gamma == mission.ppo.gae_lambda == 0.0


def test_prematch_q_uses_the_config(sample_store) -> None:
    from betfolio.agents.training import load_training_matches

    engine, _root = sample_store
    matches = load_training_matches(engine, ["E0"], ["2020-21"])
    settings = PrematchSettings(seed=3, hyperparameters=Hyperparameters(prematch_q={"min_visits": 2}))
    agent = untrained_prematch("prematch-q", matches, settings)
    assert agent.config.min_visits == 2 and agent.config.seed == 3
    assert untrained_prematch("prematch-q", matches, PrematchSettings()).config.min_visits == QConfig().min_visits


def test_train_refuses_a_bad_config_and_ray_for_a_single_worker(tmp_path: Path) -> None:
    bad = tmp_path / "hp.toml"
    bad.write_text("[live]\nlearning_rat = 0.1\n")
    db = f"sqlite:///{tmp_path / 'x.sqlite'}"
    result = CliRunner().invoke(app, ["train", "--agent", "hrl", "--db", db, "--config", str(bad)])
    assert result.exit_code == 1 and "learning_rat is not a hyperparameter" in result.output
    result = CliRunner().invoke(app, ["train", "--agent", "live", "--db", db, "--ray"])
    assert result.exit_code == 2 and "--ray runs the seeds of --agent hrl" in result.output
