"""The hyperparameter file `betfolio tune` writes and `betfolio train --config` reads."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from betfolio.agents.hyperparams import (
    LIVE_KEYS,
    PREMATCH_Q_KEYS,
    Hyperparameters,
    dump_hyperparameters,
    load_hyperparameters,
)
from betfolio.agents.live.ppo import PPOConfig
from betfolio.agents.prematch.tabular import QConfig


def test_keys_are_fields_of_the_agents_configs() -> None:
    assert set(LIVE_KEYS) - {"no_bet_bias"} <= {f.name for f in fields(PPOConfig)}
    assert set(PREMATCH_Q_KEYS) <= set(QConfig.__slots__)


def test_round_trip_and_overrides(tmp_path: Path) -> None:
    hp = Hyperparameters(
        live={"learning_rate": 7e-4, "update_epochs": 5.0, "no_bet_bias": 2},
        prematch_q={"min_learning_rate": 0.002, "min_visits": 4},
    )
    path = tmp_path / "hp.toml"
    path.write_text(dump_hyperparameters(hp, "tuned\nsecond line"))
    loaded = load_hyperparameters(path)
    assert loaded == hp
    ppo = loaded.live_ppo(PPOConfig())
    assert ppo.learning_rate == 7e-4 and ppo.update_epochs == 5 and isinstance(ppo.update_epochs, int)
    assert ppo.network.no_bet_bias == 2.0 and ppo.gamma == PPOConfig().gamma
    q = loaded.q_config(QConfig(seed=3))
    assert q.min_learning_rate == 0.002 and q.min_visits == 4 and q.seed == 3
    assert Hyperparameters().live_ppo(PPOConfig()) == PPOConfig()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[live]\nlearning_rat = 0.1\n", "learning_rat is not a hyperparameter"),
        ("[dqn]\nx = 1\n", r"unknown section \[dqn\]"),
        ("[live]\nlearning_rate = 'fast'\n", "must be a number"),
        ("learning_rate = 0.1\n", "must be a \\[section\\]"),
        ("[live\n", "not valid TOML"),
    ],
)
def test_bad_file_names_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "hp.toml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message) as info:
        load_hyperparameters(path)
    assert str(path) in str(info.value)
