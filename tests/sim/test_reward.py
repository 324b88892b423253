"""The mission reward (exact and guarded), log-wealth growth and differential Sharpe, by hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from betfolio.sim.reward import (
    DifferentialSharpeReward,
    MissionGuards,
    RewardContext,
    last_n_win_rate,
    log_wealth_growth,
    make_reward,
    mission_components,
    mission_reward,
    mission_reward_exact,
    push_history,
)

# stake, payout, market_volatility, risk_score, budget_remaining, initial_budget, last_10_win_rate, avg_odds, stale
TYPICAL = (10.0, 25.0, 0.5, 0.4, 70.0, 100.0, 0.6, 2.5, 150.0)
#: The guards on the plain ROI with the former ±10 clip: the arithmetic of the guard tests below.
PLAIN = MissionGuards(growth_roi=False, roi_clip=10.0)


def by_hand(stake, payout, vol, risk, budget, initial, win_rate, avg_odds, stale, k_b=0.2):
    roi = (payout - stake) / (stake + 1e-6)
    risk_adjusted_roi = roi / (vol * risk + 1e-6)
    budget_penalty = k_b * max(0.0, 0.8 - budget / initial)
    break_even = 1 / (avg_odds + 1e-6)
    performance_bonus = 0.2 * (win_rate - break_even)
    staleness_penalty = 0.001 * (stale / 300)
    return risk_adjusted_roi - budget_penalty + performance_bonus - staleness_penalty


def test_exact_formula_matches_the_mission_by_hand():
    # roi = 15/10.000001, ÷ 0.200001 → 7.49996…; − 0.02 + 0.2·(0.6 − 1/2.500001) − 0.0005
    expected = by_hand(*TYPICAL)
    assert expected == pytest.approx(7.4999625 - 0.02 + 0.04 - 0.0005, abs=1e-6)
    assert float(mission_reward_exact(*TYPICAL)) == pytest.approx(expected, rel=1e-12)


def test_guards_change_nothing_in_the_ordinary_case():
    mission_denominator = MissionGuards(divide_by_risk_score=True, growth_roi=False)
    assert float(mission_reward(*TYPICAL, guards=mission_denominator)) == pytest.approx(by_hand(*TYPICAL), rel=1e-12)
    # growth_roi=False alone divides the plain ROI by the volatility alone
    no_risk = (*TYPICAL[:3], 1.0, *TYPICAL[4:])
    plain = MissionGuards(growth_roi=False)
    assert float(mission_reward(*TYPICAL, guards=plain)) == pytest.approx(by_hand(*no_risk), rel=1e-12)
    # the default: the bet's log growth per unit staked (f = stake / budget remaining) over the volatility
    f = 10.0 / 70.0
    growth = math.log1p(f * 15.0 / 10.000001) / f
    expected = growth / (0.5 + 1e-6) - 0.02 + 0.2 * (0.6 - 1 / 2.500001) - 0.0005
    assert float(mission_reward(*TYPICAL)) == pytest.approx(expected, rel=1e-12)
    parts = mission_components(*TYPICAL)
    assert float(parts["budget_penalty"]) == pytest.approx(0.02)
    assert float(parts["staleness_penalty"]) == pytest.approx(0.0005)
    assert float(parts["break_even"]) == pytest.approx(1 / 2.500001)


def test_k_b_is_used_and_bounded_to_the_mission_range():
    args = (*TYPICAL[:4], 50.0, *TYPICAL[5:])
    low = float(mission_reward(*args, guards=MissionGuards(k_b=0.1)))
    high = float(mission_reward(*args, guards=MissionGuards(k_b=0.3)))
    assert low - high == pytest.approx(0.2 * 0.3)  # penalty 0.1·0.3 vs 0.3·0.3
    with pytest.raises(ValueError, match="k_b"):
        MissionGuards(k_b=0.5)


def test_zero_volatility_explodes_exactly_and_is_clipped_when_guarded():
    args = (10.0, 25.0, 0.0, 0.4, 70.0, 100.0, 0.6, 2.5, 150.0)
    assert float(mission_reward_exact(*args)) > 1e6
    guarded = mission_components(*args, guards=PLAIN)
    # floor 0.05: 1.4999998/0.050001 ≈ 29.99 → clipped to 10
    assert float(guarded["risk_adjusted_roi"]) == 10.0
    assert float(guarded["reward"]) == pytest.approx(10.0 - 0.02 + 0.2 * (0.6 - 1 / 2.500001) - 0.0005)


def test_reward_clip_bounds_the_total():
    guards = MissionGuards(roi_clip=10.0, reward_clip=5.0)
    assert float(mission_reward(10.0, 25.0, 0.0, 0.4, 70.0, 100.0, 0.6, 2.5, 0.0, guards=guards)) == 5.0
    assert float(mission_reward(10.0, 0.0, 0.0, 0.4, 0.0, 100.0, 0.0, 1.01, 3600.0, guards=guards)) == -5.0


def test_no_history_means_no_bonus_instead_of_nan():
    args = (10.0, 0.0, 0.5, 0.4, 100.0, 100.0, math.nan, math.nan, 0.0)
    assert math.isnan(float(mission_reward_exact(*args)))
    roi = -10.0 / 10.000001
    assert float(mission_reward(*args, guards=PLAIN)) == pytest.approx(roi / 0.500001)
    # the default's growth ROI of a lost 10 % stake: log(0.9) / 0.1
    assert float(mission_reward(*args)) == pytest.approx(math.log(0.9) / 0.1 / 0.500001, rel=1e-6)


def test_zero_stake_has_zero_roi_even_with_a_payout():
    # The exact formula would divide the payout by 1e-6.
    assert float(mission_reward_exact(0.0, 1.0, 0.5, 0.4, 100.0, 100.0, 0.5, 2.0, 0.0)) > 1e5
    parts = mission_components(0.0, 1.0, 0.5, 0.4, 100.0, 100.0, 0.5, 2.0, 0.0)
    assert float(parts["roi"]) == 0.0
    assert float(parts["reward"]) == 0.0  # no stake: no ROI and no performance bonus either


def test_odds_below_floor_and_win_rate_out_of_range_are_clamped():
    parts = mission_components(1.0, 0.0, 1.0, 1.0, 100.0, 100.0, 1.7, 1.0, 0.0)
    assert float(parts["break_even"]) == pytest.approx(1 / (1.01 + 1e-6))
    assert float(parts["performance_bonus"]) == pytest.approx(0.2 * (1.0 - 1 / (1.01 + 1e-6)))


def test_staleness_penalty_is_capped_and_negative_staleness_ignored():
    big = mission_components(0.0, 0.0, 1.0, 1.0, 100.0, 100.0, math.nan, math.nan, 1e12)
    assert float(big["staleness_penalty"]) == pytest.approx(0.001 * 3600 / 300)
    neg = mission_components(0.0, 0.0, 1.0, 1.0, 100.0, 100.0, math.nan, math.nan, -50.0)
    assert float(neg["staleness_penalty"]) == 0.0


def test_every_input_nan_gives_a_finite_reward():
    nan = math.nan
    out = mission_reward(nan, nan, nan, nan, nan, 100.0, nan, nan, nan)
    assert np.isfinite(out).all()
    assert float(out) == 0.0


def test_invalid_initial_budget_is_refused():
    with pytest.raises(ValueError, match="initial_budget"):
        mission_reward(*TYPICAL[:5], 0.0, *TYPICAL[6:])


def test_outcome_terms_apply_only_when_bets_settle():
    args = [np.array([v, v]) for v in TYPICAL]
    out = mission_reward(*args, settled=np.array([True, False]), guards=PLAIN)
    assert out[0] == pytest.approx(by_hand(*TYPICAL[:3], 1.0, *TYPICAL[4:]))
    assert out[1] == pytest.approx(-0.0005)


def test_log_wealth_growth_sums_to_episode_log_return_and_survives_wipeout():
    wealth = np.array([100.0, 110.0, 99.0, 121.0])
    steps = log_wealth_growth(wealth[:-1], wealth[1:])
    assert steps.sum() == pytest.approx(math.log(1.21))
    assert np.isfinite(log_wealth_growth(100.0, 0.0))
    assert float(log_wealth_growth(100.0, 0.0)) == pytest.approx(math.log(1e-9 / 100.0))


def test_differential_sharpe_by_hand():
    ds = DifferentialSharpeReward(1, eta=0.1, var_floor=1e-12)
    first = ds.update(np.array([0.1]))
    assert float(first[0]) == 0.0  # both moments are zero before the first return
    assert ds.a[0] == pytest.approx(0.01) and ds.b[0] == pytest.approx(0.001)
    second = ds.update(np.array([0.05]))
    # (B·ΔA − ½·A·ΔB) / (B − A²)^1.5 = (0.001·0.04 − 0.5·0.01·0.0015) / 0.0009^1.5
    assert float(second[0]) == pytest.approx((0.001 * 0.04 - 0.5 * 0.01 * 0.0015) / 0.0009**1.5)
    ds.reset()
    assert ds.a[0] == 0.0 and ds.b[0] == 0.0


def test_differential_sharpe_is_clipped_and_finite_on_constant_returns():
    ds = DifferentialSharpeReward(2, eta=0.5)
    for _ in range(50):
        out = ds.update(np.array([0.0, 1.0]))
        assert np.isfinite(out).all() and (np.abs(out) <= 10.0).all()


def test_history_keeps_the_last_ten_in_order():
    history = np.full((2, 3), np.nan)
    push_history(history, np.array([0, 1]), np.array([[1.0, np.nan, 0.0], [np.nan, np.nan, np.nan]]))
    assert history[0, 1:].tolist() == [1.0, 0.0] and np.isnan(history[0, 0])
    assert np.isnan(history[1]).all()
    push_history(history, np.array([0]), np.array([[1.0, 1.0]]))
    assert history[0].tolist() == [0.0, 1.0, 1.0]  # the oldest result dropped out (list[-3:])
    rate, count = last_n_win_rate(history)
    assert rate[0] == pytest.approx(2 / 3) and count.tolist() == [3, 0]
    assert np.isnan(rate[1])  # no bets yet is not a 0 % win rate


def _ctx(n: int, **overrides):
    base = {
        "wealth_before": np.full(n, 1.0),
        "wealth_after": np.full(n, 1.1),
        "initial_budget": 1.0,
        "settled": np.zeros(n, bool),
        "stake": np.zeros(n),
        "payout": np.zeros(n),
        "market_volatility": np.zeros(n),
        "risk_score": np.zeros(n),
        "budget_remaining": np.ones(n),
        "last_10_win_rate": np.full(n, np.nan),
        "avg_odds": np.full(n, np.nan),
        "staleness_seconds": np.full(n, 300.0),
    }
    return RewardContext(**{**base, **overrides})


def test_rewards_are_selectable_by_name():
    ctx = _ctx(3)
    assert make_reward("mission", 3)(ctx) == pytest.approx([-0.001] * 3)
    assert make_reward("log_wealth", 3)(ctx) == pytest.approx([math.log(1.1)] * 3)
    assert make_reward("diff_sharpe", 3)(ctx).shape == (3,)
    assert make_reward("mission", 1, k_b=0.3).guards.k_b == 0.3
    with pytest.raises(ValueError, match="unknown reward"):
        make_reward("sharpe", 1)


numbers = st.floats(allow_nan=True, allow_infinity=True, width=64)


@settings(max_examples=300, deadline=None)
@given(
    stake=numbers, payout=numbers, vol=numbers, risk=numbers, budget=numbers, win=numbers, odds=numbers, stale=numbers,
    settled=st.booleans(),
)  # fmt: skip
def test_guarded_mission_reward_is_always_finite_and_bounded(
    stake, payout, vol, risk, budget, win, odds, stale, settled
):
    out = mission_reward(stake, payout, vol, risk, budget, 100.0, win, odds, stale, settled=settled)
    assert np.isfinite(out).all() and abs(float(out)) <= 20.0


def test_performance_bonus_only_for_bets_the_worker_placed():
    with_bet = mission_components(10.0, 25.0, 0.5, 0.4, 100.0, 100.0, 0.9, 2.0, 0.0)
    without = mission_components(0.0, 0.0, 0.5, 0.4, 100.0, 100.0, 0.9, 2.0, 0.0)
    assert float(with_bet["performance_bonus"]) == pytest.approx(0.2 * (0.9 - 1 / 2.000001))
    assert float(without["performance_bonus"]) == 0.0 and float(without["reward"]) == 0.0
