"""The guarded mission reward with growth ROI ranks betting strategies as log growth does, on real matches."""

from __future__ import annotations

import numpy as np
import pytest

from betfolio.sim.reward import MissionGuards, bet_return_volatility, mission_reward


@pytest.fixture(scope="module")
def matches() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from betfolio.sim.episodes import load_sample_matchset

    ms = load_sample_matchset(("E0", "D1", "SP1"), ("2020-21", "2021-22", "2022-23"))
    ok = np.all(np.isfinite(ms.prematch_odds), 1) & np.all(np.isfinite(ms.prematch_fair), 1)
    ft = ms.full_time[ok]
    result = np.where(ft[:, 0] > ft[:, 1], 0, np.where(ft[:, 0] == ft[:, 1], 1, 2))
    return ms.prematch_odds[ok], ms.prematch_fair[ok], result


def _rankings(matches, stake: float, guards: MissionGuards, per_bet_volatility: bool) -> tuple[list, list]:
    """Order of favourite / longshot / random / no bet by mean guarded reward and by log growth (worst first)."""
    odds, fair, result = matches
    n = len(odds)
    rows = np.arange(n)
    picks = {
        "favourite": odds.argmin(1),
        "longshot": odds.argmax(1),
        "random": np.random.default_rng(0).integers(0, 3, n),
    }
    # one market volatility for every bet compared (pre-match there is no in-play price path to measure)
    match_vol = np.full(n, 1.0)
    reward, growth = {"no_bet": 0.0}, {"no_bet": 0.0}
    for name, sel in picks.items():
        o, p = odds[rows, sel], fair[rows, sel]
        payout = np.where(result == sel, stake * o, 0.0)
        vol = bet_return_volatility(o, p) if per_bet_volatility else match_vol
        reward[name] = float(mission_reward(
            np.full(n, stake), payout, vol, np.full(n, stake / 0.1), np.ones(n), 1.0,
            np.full(n, np.nan), np.full(n, np.nan), np.zeros(n), guards=guards,
        ).mean())  # fmt: skip
        growth[name] = float(np.log1p(payout - stake).sum())
    return sorted(reward, key=reward.get), sorted(growth, key=growth.get)


@pytest.mark.parametrize("stake", [0.01, 0.05])
def test_growth_roi_over_a_common_volatility_ranks_as_log_growth(matches, stake: float) -> None:
    # roi_clip 50: the default ±10 binds on longshot wins at odds above 11 (the sample's longest is 41) and then
    # ranks longshots below random picks at 1 % stakes where log growth ranks them above
    guards = MissionGuards(growth_roi=True, roi_clip=50.0)
    by_reward, by_growth = _rankings(matches, stake, guards, per_bet_volatility=False)
    assert by_reward == by_growth
    assert by_growth[-1] == "no_bet"  # every strategy loses on this sample


def test_per_bet_volatility_reorders_longshots_which_is_why_it_must_not_be_the_denominator(matches) -> None:
    guards = MissionGuards(growth_roi=True, roi_clip=50.0)
    by_reward, by_growth = _rankings(matches, 0.01, guards, per_bet_volatility=True)
    assert by_growth == ["random", "longshot", "favourite", "no_bet"]
    assert by_reward != by_growth  # measured: longshot < random < favourite


def test_growth_roi_is_the_bets_log_growth_per_unit_staked() -> None:
    guards = MissionGuards(growth_roi=True, vol_risk_floor=1.0)
    won = mission_reward(0.1, 0.25, 0.0, 0.0, 1.0, 1.0, np.nan, np.nan, 0.0, guards=guards)
    assert float(won) == pytest.approx(np.log1p(0.1 * (0.15 / 0.100001)) / 0.1, rel=1e-6)
    assert float(mission_reward(0.0, 0.0, 0.0, 0.0, 1.0, 1.0, np.nan, np.nan, 0.0, guards=guards)) == 0.0
