"""Pre-match workers: tabular Q-learning and DQN learn a known contextual bandit; real env smoke runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from betfolio.agents.checkpoint import CheckpointError
from betfolio.agents.prematch.dqn import DQNConfig, DQNWorker
from betfolio.agents.prematch.tabular import Discretiser, QConfig, TabularQAgent
from betfolio.bench.planted import PlantedPrematchEnv, PrematchPlant
from tests.agents.synthetic import EdgeBanditEnv


def _read(obs: np.ndarray) -> tuple[int, float, float, float]:
    return 0, float(obs[0]), float(obs[1]), float(obs[2])


def _greedy_accuracy(act, n: int = 400) -> float:  # type: ignore[no-untyped-def]
    env = EdgeBanditEnv(seed=123)
    right = 0
    for i in range(n):
        obs, _ = env.reset(seed=i)
        if abs(obs[0]) < 0.02:  # too close to call with noisy rewards
            right += 1
            continue
        right += int((act(obs) == 1) == (obs[0] > 0))
    return right / n


def test_tabular_q_learns_to_bet_only_with_an_edge() -> None:
    agent = TabularQAgent(2, _read, QConfig(epsilon_decay_episodes=2000, discretiser=Discretiser()))
    agent.train(EdgeBanditEnv(seed=0), 4000)
    assert _greedy_accuracy(agent.act) > 0.9


def test_tabular_missing_inputs_get_their_own_bucket() -> None:
    d = Discretiser()
    unknown = d.index(-1, float("nan"), float("nan"), 1.0)
    zero_edge = d.index(0, 0.0, 2.0, 1.0)
    assert unknown[1] == len(d.edge_bins) + 1 and unknown[1] != zero_edge[1]


def test_tabular_never_picks_masked_actions() -> None:
    agent = TabularQAgent(3, _read)
    agent.q[:] = 0
    agent.q[..., 2] = 5.0
    agent.visits[:] = 20
    obs = np.array([0.1, 2.0, 1.0], np.float32)
    assert agent.act(obs, np.array([True, True, False])) in (0, 1)
    assert agent.act(obs) == 2


def test_tabular_ignores_bets_tried_too_rarely() -> None:
    agent = TabularQAgent(2, _read, QConfig(min_visits=10))
    obs = np.array([0.1, 2.0, 1.0], np.float32)
    s = agent.state(obs)
    agent.q[(*s, 1)], agent.visits[(*s, 1)] = 3.0, 1  # one lucky win
    assert agent.act(obs) == 0
    agent.visits[(*s, 1)] = 10
    assert agent.act(obs) == 1


def test_tabular_checkpoint_round_trip_and_mismatch(tmp_path: Path) -> None:
    agent = TabularQAgent(2, _read)
    agent.train(EdgeBanditEnv(seed=0), 50)
    path = agent.save(tmp_path / "q.pt", feature_hash="abc")
    loaded = TabularQAgent.load(path, _read, feature_hash="abc")
    assert np.array_equal(loaded.q, agent.q) and loaded.episodes == 50
    with pytest.raises(CheckpointError, match="feature set"):
        TabularQAgent.load(path, _read, feature_hash="other")
    with pytest.raises(CheckpointError, match="holds a 'prematch-q' agent"):
        DQNWorker.load(path, EdgeBanditEnv(), feature_hash="abc")


def test_dqn_learns_the_bandit(tmp_path: Path) -> None:
    worker = DQNWorker(EdgeBanditEnv(seed=0), DQNConfig(learning_starts=200, exploration_fraction=0.2, seed=0))
    worker.train(4000)
    assert _greedy_accuracy(worker.act) > 0.85
    path = worker.save(tmp_path / "dqn.pt", feature_hash="abc")
    loaded = DQNWorker.load(path, EdgeBanditEnv(), feature_hash="abc")
    obs = np.array([0.1, 2.0, 1.0], np.float32)
    assert np.allclose(loaded.q_values(obs), worker.q_values(obs)) and loaded.steps == worker.steps
    assert worker.act(obs, np.array([True, False])) == 0


def _planted_env(flagged_share: float = 0.3) -> PlantedPrematchEnv:
    fair = np.random.default_rng(0).dirichlet([9.0, 5.0, 6.0], size=300)
    return PlantedPrematchEnv(fair, PrematchPlant(flagged_share=flagged_share), reward_scale=20.0, seed=0)


def test_dqn_anchors_no_bet_and_shares_one_value_per_selection_across_stakes() -> None:
    env = _planted_env()
    worker = DQNWorker(env, DQNConfig(stakes=env.stakes, seed=3))
    obs, _ = env.reset(seed=0)
    heads = worker.model.q_net.head_values(torch.as_tensor(obs[None])).detach().numpy()[0]  # [heads, actions]
    assert heads.shape == (DQNConfig().heads, env.action_space.n)
    assert np.all(heads[:, 0] == 0.0)  # gamma = 0: no bet is worth exactly its reward, 0
    per_unit = heads[:, 1:].reshape(len(heads), 3, len(env.stakes)) / np.array(env.stakes) * max(env.stakes)
    assert np.allclose(per_unit, per_unit[..., :1], atol=1e-6)  # one value per selection, scaled by the stake
    assert np.ptp(heads[:, 1:], axis=0).max() > 0  # independent heads: a spread to bound by
    lower, mean = worker.lower_bounds(obs)[0], worker.q_values(obs)[0]
    assert lower[0] == 0.0 and np.all(lower[1:] <= mean[1:])


def test_dqn_refuses_a_checkpoint_of_the_single_network_layout(tmp_path: Path) -> None:
    from betfolio.agents.checkpoint import save_checkpoint

    env = EdgeBanditEnv()
    worker = DQNWorker(env, DQNConfig(seed=0))
    path = worker.save(tmp_path / "dqn.pt", feature_hash="abc")
    old = torch.load(path, weights_only=True)
    old.pop("network_layout")
    payload = {k: v for k, v in old.items() if k not in ("format", "betfolio_version", "kind", "feature_hash")}
    save_checkpoint(tmp_path / "old.pt", kind="prematch-dqn", feature_hash="abc", payload=payload)
    with pytest.raises(CheckpointError, match=r"layout 1.*retrain"):
        DQNWorker.load(tmp_path / "old.pt", env, feature_hash="abc")
    with pytest.raises(CheckpointError, match="actions"):
        DQNWorker.load(path, _planted_env(), feature_hash="abc")
