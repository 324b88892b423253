"""The live worker's replays the evaluation compares: trained checkpoint, its untrained twin, random at its rate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from betfolio.agents.live.layout import live_layout
from betfolio.agents.live.network import NetworkConfig
from betfolio.agents.live.ppo import LivePPOTrainer, PPOConfig, initial_network, load_live_network, load_live_untrained
from betfolio.agents.live.replay import RandomBetPolicy, replay_bank, replay_random
from betfolio.features.live import N_LIVE_ACTIONS
from betfolio.sim.batched import BatchedLiveSim, sample_bank

SMALL = NetworkConfig(token_dim=8, heads=2, context_dim=16, hidden=16, n_actions=N_LIVE_ACTIONS)


@pytest.fixture(scope="module")
def bank():
    return sample_bank()


def test_random_policy_only_backs_offered_selections_at_its_rate() -> None:
    mask = np.zeros((4000, N_LIVE_ACTIONS), bool)
    mask[:, 0] = True
    mask[:2000, [2, 4]] = True  # first half: two selections offered; second half: none
    actions = RandomBetPolicy(0.25, seed=3).act(np.zeros((4000, 1)), mask)
    assert set(np.unique(actions[:2000])) == {0, 2, 4}
    assert (actions[2000:] == 0).all()
    assert 0.2 < (actions[:2000] > 0).mean() < 0.3
    assert (RandomBetPolicy(0.0).act(np.zeros((10, 1)), np.ones((10, N_LIVE_ACTIONS), bool)) == 0).all()
    with pytest.raises(ValueError, match="bet_probability"):
        RandomBetPolicy(1.5)


def test_random_replay_places_about_the_requested_number_of_bets(bank) -> None:
    assert replay_random(bank, 0, seed=1)[0].bets == []
    for target in (120, 190):
        result, rate = replay_random(bank, target, seed=1)
        assert abs(len(result.bets) - target) <= max(2, 0.05 * target) and rate > 0
    again, _ = replay_random(bank, 190, seed=1)
    assert [b.minute for b in again.bets] == [b.minute for b in result.bets]  # seeded
    assert len(result.match_return) == bank.n_matches
    # each bet is settled on its own match: the replay's profit is the sum of its bets'
    profit = sum(b.payout - b.stake for b in result.bets)
    assert result.match_return.sum() == pytest.approx(profit)


def test_untrained_twin_is_the_trainers_starting_point(tmp_path: Path, bank) -> None:
    layout = live_layout()
    config = PPOConfig(num_steps=10, seed=7, network=SMALL)
    start = initial_network(layout, config)
    trainer = LivePPOTrainer(BatchedLiveSim(8, seed=0, bank=bank, reward="bet_outcome"), layout, config)
    for a, b in zip(start.state_dict().values(), trainer.network.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    trainer.train(80)
    path = trainer.save(tmp_path / "live.pt")
    untrained = load_live_untrained(path, layout)
    trained, _ = load_live_network(path, layout)
    start_weights = list(start.state_dict().values())
    assert all(torch.equal(a, b) for a, b in zip(untrained.state_dict().values(), start_weights, strict=True))
    assert not all(torch.equal(a, b) for a, b in zip(trained.state_dict().values(), start_weights, strict=True))
    # both replay through the same path; the same seed replays the same matches with the same faults
    assert len(replay_bank(untrained, bank, seed=2).match_return) == bank.n_matches
