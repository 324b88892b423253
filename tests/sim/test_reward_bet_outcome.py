"""Per-bet credit: bet_outcome pays each bet's settled log growth, mission_bet the mission's formula for that bet
alone, at the minute it was placed."""

from __future__ import annotations

import numpy as np
import pytest

from betfolio.sim.batched import BatchedLiveSim, sample_bank
from betfolio.sim.reward import RewardContext, make_reward, match_volatility


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


def test_mission_bet_is_the_guarded_mission_formula_of_each_bet_at_its_minute() -> None:
    """Two simulators in lockstep, one paying log growth per bet, one the mission's formula per bet: at a fresh
    bankroll with no record (no budget penalty, no bonus) the second is the first's growth per unit staked over
    the match's volatility, minus the staleness penalty; a minute without a bet earns only that penalty."""
    growth = BatchedLiveSim(16, seed=7, bank=sample_bank(), reward="bet_outcome")
    mission = BatchedLiveSim(16, seed=7, bank=sample_bank(), reward="mission_bet")
    _obs, mask = growth.reset()
    mission.reset()
    equity = growth.bankroll.equity.copy()
    rows = np.arange(16)
    actions = np.where(mask[:, 1:].any(1), mask[:, 1:].argmax(1) + 1, 0)
    vol = np.maximum(match_volatility(mission.tapes.fair[rows, mission.t]), 0.05)
    stale = 0.001 * np.minimum(mission.tapes.staleness[rows, mission.t], 3600.0) / 300.0
    _o, per_bet, _t, _tr, _m, info = growth.step(actions)
    _o, scored, _t, _tr, _m, info_m = mission.step(actions)
    placed = info["stake"] > 0
    assert placed.any() and (info_m["stake"] == info["stake"]).all()
    share = info["stake"][placed] / equity[placed]
    expected = np.clip(per_bet[placed] / share / (vol[placed] + 1e-6), -20.0, 20.0) - stale[placed]
    assert scored[placed] == pytest.approx(expected, rel=1e-4, abs=1e-5)
    assert np.sign(scored[placed]) == pytest.approx(np.sign(per_bet[placed]))
    assert scored[~placed] == pytest.approx(-stale[~placed], abs=1e-7)


def test_mission_bet_needs_placed_bets() -> None:
    ctx = RewardContext(*(np.zeros(2) for _ in range(3)), np.zeros(2, bool), *(np.zeros(2) for _ in range(8)))
    with pytest.raises(ValueError, match="stake and settled payout"):
        make_reward("mission_bet", 2)(ctx)
