"""Masked recurrent PPO on a synthetic task that needs memory and the action mask."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from betfolio.agents.checkpoint import CheckpointError
from betfolio.agents.live.layout import TokenLayout
from betfolio.agents.live.network import NetworkConfig
from betfolio.agents.live.ppo import LivePPOTrainer, PPOConfig, _picker, load_live_network
from tests.agents.synthetic import MemoryBettingEnv

SMALL = NetworkConfig(token_dim=8, heads=2, context_dim=16, hidden=32, n_actions=4)


def _trainer(seed: int = 3, n_envs: int = 32, num_steps: int = 36) -> LivePPOTrainer:
    env = MemoryBettingEnv(n_envs, seed=seed)
    config = PPOConfig(
        num_steps=num_steps,
        seed=seed,
        learning_rate=3e-3,
        num_minibatches=2,
        network=SMALL,
        threads=1,
        ent_coef=0.03,
        gamma=0.99,
        gae_lambda=0.95,
        update_epochs=3,
    )
    return LivePPOTrainer(env, TokenLayout.generic(env.n_features, env.n_context), config)


def test_learns_a_task_that_needs_memory() -> None:
    """The side to back is only visible in the first minute: a memoryless policy earns at most 1 per match, the
    optimum is 12. Reaching well above that (best 3-update average) shows memory, masking and PPO working."""
    trainer = _trainer(n_envs=64, num_steps=24)
    history = trainer.train(64 * 24 * 45)
    returns = np.array([s.episode_return_mean for s in history])
    best = np.convolve(returns, np.ones(3) / 3, mode="valid").max()
    assert best > 7.0, returns.round(2).tolist()
    assert all(np.isfinite(s.policy_loss) and np.isfinite(s.value_loss) for s in history)


def test_segments_cover_the_rollout_exactly_once() -> None:
    trainer = _trainer(num_steps=30)  # episodes of 12 minutes: segments start mid-rollout and straddle its end
    trainer.collect()
    _, _, seg, _, _ = trainer.collect()
    covered = np.zeros((trainer.config.num_steps, trainer.env.n_envs), dtype=int)
    for env, start, length in zip(seg.env, seg.start, seg.length, strict=True):
        covered[start : start + length, env] += 1
        # every segment except a rollout-initial one begins at an episode start
        assert start == 0 or trainer.dones[start, env] == 1
    assert (covered == 1).all()
    # a segment continuing a match from the previous rollout starts from the stored memory, not zeros
    carried = (seg.start == 0) & (trainer.dones[0, seg.env].numpy() == 0)
    assert carried.any() and seg.h0[:, carried].abs().sum() > 0


def test_whole_match_minibatches_gather_the_same_rows_by_column() -> None:
    """Matches aligned with rollouts make every segment a whole rollout; the update then gathers a minibatch by
    env column (the fast path), which must give exactly the rows of the general ``[time, env]`` gather."""
    trainer = _trainer(num_steps=12)  # episodes of 12 minutes: one whole match per env and rollout
    trainer.collect()
    _, _, seg, advantages, _ = trainer.collect()
    assert (seg.start == 0).all() and (seg.length == 12).all()
    mb = np.array([5, 0, 17, 3])
    by_column, valid_column = _picker(seg, mb, 12, by_column=True)
    general, valid_general = _picker(seg, mb, 12, by_column=False)
    assert torch.equal(valid_column, valid_general)
    for x in (trainer.obs, trainer.masks, trainer.actions, trainer.logprobs, advantages):
        assert torch.equal(by_column(x), general(x))
    assert not torch.equal(by_column(trainer.obs), general(trainer.obs)[:, [1, 0, 2, 3]])  # order matters


def test_all_missing_coverage_trains_without_nan() -> None:
    trainer = _trainer(num_steps=24)
    trainer.env.all_missing = True  # type: ignore[attr-defined]
    for stats in trainer.train(32 * 24 * 3):
        assert np.isfinite(stats.policy_loss) and np.isfinite(stats.entropy)
    assert all(torch.isfinite(p).all() for p in trainer.network.parameters())


def test_seeded_runs_are_identical() -> None:
    a, b = _trainer(seed=5, num_steps=24), _trainer(seed=5, num_steps=24)
    a.train(32 * 24 * 2)
    b.train(32 * 24 * 2)
    for pa, pb in zip(a.network.parameters(), b.network.parameters(), strict=True):
        assert torch.equal(pa, pb)


def test_checkpoint_resume_restores_the_trainer(tmp_path: Path) -> None:
    """Weights, optimizer, step counters and sampling RNG come back from the checkpoint, then training goes on."""
    straight = _trainer(seed=7, num_steps=24)
    straight.train(32 * 24)
    path = straight.save(tmp_path / "live.pt", extra={"note": "x"})
    resumed = _trainer(seed=99, num_steps=24)  # different seed: state must come from the checkpoint
    assert resumed.resume(path) == {"note": "x"}
    assert resumed.global_step == straight.global_step and resumed.updates == 1
    for pa, pb in zip(straight.network.parameters(), resumed.network.parameters(), strict=True):
        assert torch.equal(pa, pb)
    assert torch.equal(resumed.generator.get_state(), straight.generator.get_state())
    resumed.train(32 * 24 * 2)
    assert resumed.updates == 2
    network, config = load_live_network(path, resumed.layout)
    assert config.network == SMALL and network.layout == resumed.layout


def test_checkpoint_for_another_feature_set_is_refused(tmp_path: Path) -> None:
    trainer = _trainer(num_steps=12)
    path = trainer.save(tmp_path / "live.pt")
    other = TokenLayout(("shots", "xg", "corners", "fouls"), ("c0", "c1"))
    with pytest.raises(CheckpointError, match=r"another live observation layout .*features only in"):
        load_live_network(path, other)
    newer = TokenLayout(trainer.layout.feature_names, trainer.layout.context_names, version=2)
    with pytest.raises(CheckpointError, match=r"layout version 1 vs 2.*retrain the live worker"):
        load_live_network(path, newer)
    bigger = LivePPOTrainer(
        trainer.env, trainer.layout, PPOConfig(num_steps=12, network=NetworkConfig(hidden=64, n_actions=4))
    )
    with pytest.raises(CheckpointError, match="network shape"):
        bigger.resume(path)


def test_wrong_environment_shape_is_a_clear_error() -> None:
    env = MemoryBettingEnv(4, n_features=5)
    trainer = LivePPOTrainer(env, TokenLayout.generic(4, 2), PPOConfig(num_steps=4, network=SMALL))
    with pytest.raises(ValueError, match="live worker expects"):
        trainer.collect()
