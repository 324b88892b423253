"""Per-bet credit: the bet_outcome reward pays each bet's settled log growth at the minute it was placed."""

from __future__ import annotations

import numpy as np
import pytest

from betfolio.sim.batched import BatchedLiveSim, sample_bank
from betfolio.sim.reward import RewardContext, make_reward


def test_bet_outcome_pays_at_placement_and_sums_to_the_single_bets_log_growth() -> None:
    sim = BatchedLiveSim(16, seed=4, bank=sample_bank(), reward="bet_outcome")
    _obs, mask = sim.reset()
    start = sim.bankroll.equity.copy()
    rewards, done = [], np.zeros(16, bool)
    first = True
    while not done.all():
        # one bet per match, on the first offered selection at kick-off; nothing afterwards
        actions = np.where(first & mask[:, 1:].any(1), mask[:, 1:].argmax(1) + 1, 0)
        _obs, reward, _term, _trunc, mask, info = sim.step(actions)
        placed = info["stake"] > 0
        assert (reward[~placed & ~done] == 0).all()  # no bet, no reward: not even at settlement
        if first:
            assert placed.any() and (reward[placed] != 0).all()
        rewards.append(np.where(done, 0.0, reward))
        if "episode" in info:
            rows = info["episode"]["rows"]
            growth = np.log(info["episode"]["equity"] / start[rows])
            assert np.sum(rewards, axis=0)[rows] == pytest.approx(growth, abs=1e-5)
            done[rows] = True
        first = False


def test_bet_outcome_needs_placement_values() -> None:
    ctx = RewardContext(*(np.zeros(2) for _ in range(3)), np.zeros(2, bool), *(np.zeros(2) for _ in range(8)))
    with pytest.raises(ValueError, match="settlement value at placement"):
        make_reward("bet_outcome", 2)(ctx)
