"""The guarded mission reward ranks betting strategies as log growth does, on real matches.

Favourites, longshots, random picks and no bet, at 1 % and 5 % stakes, on the bundled matches of 3 leagues ×
3 seasons: the default guards (growth ROI over the match's volatility) must give the order log growth gives;
the alternatives the guards replaced are kept here to show why they were replaced.
"""

from __future__ import annotations

import numpy as np
import pytest

from betfolio.sim.reward import MissionGuards, match_volatility, mission_reward


def bet_return_volatility(odds: np.ndarray, probability: np.ndarray) -> np.ndarray:
    """The bet's own return volatility, ``o·√(p(1−p))`` — the denominator the match volatility replaced."""
    return odds * np.sqrt(probability * (1.0 - probability))


def test_bet_return_volatility() -> None:
    assert float(bet_return_volatility(np.float64(2.0), np.float64(0.5))) == pytest.approx(1.0)
    assert float(bet_return_volatility(np.float64(10.0), np.float64(0.1))) == pytest.approx(3.0)


@pytest.fixture(scope="module")
def matches() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from betfolio.sim.episodes import load_sample_matchset

    ms = load_sample_matchset(("E0", "D1", "SP1"), ("2020-21", "2021-22", "2022-23"))
    ok = np.all(np.isfinite(ms.prematch_odds), 1) & np.all(np.isfinite(ms.prematch_fair), 1)
    ft = ms.full_time[ok]
    result = np.where(ft[:, 0] > ft[:, 1], 0, np.where(ft[:, 0] == ft[:, 1], 1, 2))
    return ms.prematch_odds[ok], ms.prematch_fair[ok], result


def _scores(matches, stake: float, guards: MissionGuards, volatility: str) -> tuple[dict, dict]:
    """Mean guarded reward and log growth of each strategy; ``volatility`` is "match" (what the environments
    pass), "bet" (the bet's own return volatility) or "one" (a constant)."""
    odds, fair, result = matches
    n = len(odds)
    rows = np.arange(n)
    picks = {
        "favourite": odds.argmin(1),
        "longshot": odds.argmax(1),
        "random": np.random.default_rng(0).integers(0, 3, n),
    }
    reward, growth = {"no_bet": 0.0}, {"no_bet": 0.0}
    for name, sel in picks.items():
        o, p = odds[rows, sel], fair[rows, sel]
        payout = np.where(result == sel, stake * o, 0.0)
        vol = {"match": match_volatility(fair), "bet": bet_return_volatility(o, p), "one": np.ones(n)}[volatility]
        reward[name] = float(mission_reward(
            np.full(n, stake), payout, vol, np.full(n, stake / 0.1), np.ones(n), 1.0,
            np.full(n, np.nan), np.full(n, np.nan), np.zeros(n), guards=guards,
        ).mean())  # fmt: skip
        growth[name] = float(np.log1p(payout - stake).sum())
    return reward, growth


def _order(scores: dict) -> list[str]:
    return sorted(scores, key=scores.get)


@pytest.mark.parametrize("stake", [0.01, 0.05])
@pytest.mark.parametrize("volatility", ["match", "one"])
def test_default_guarded_reward_ranks_as_log_growth(matches, stake: float, volatility: str) -> None:
    reward, growth = _scores(matches, stake, MissionGuards(), volatility)
    assert _order(reward) == _order(growth)
    assert _order(growth)[-1] == "no_bet"  # every strategy loses on this sample
    assert all(reward[name] < 0 for name in ("favourite", "longshot", "random"))


def test_per_bet_volatility_reorders_longshots_which_is_why_it_must_not_be_the_denominator(matches) -> None:
    reward, growth = _scores(matches, 0.01, MissionGuards(), "bet")
    assert _order(growth) == ["random", "longshot", "favourite", "no_bet"]
    assert _order(reward) != _order(growth)  # measured: longshot < random < favourite


def test_the_missions_denominator_pays_for_backing_favourites_at_a_loss(matches) -> None:
    """vol × risk score (floored, clipped) on the plain ROI: at 1 % stakes the floor and the clip bind and small
    bets become a binary win/loss signal — favourites lose money yet score above not betting."""
    mission = MissionGuards(divide_by_risk_score=True, growth_roi=False, roi_clip=10.0)
    reward, growth = _scores(matches, 0.01, mission, "bet")
    assert growth["favourite"] < 0 < reward["favourite"]


def test_a_tight_roi_clip_reorders_longshots(matches) -> None:
    """At ±10 the clip cuts longshot wins at odds above 11 and ranks longshots below random picks at 1 % stakes,
    where log growth ranks them above (the reason the default clip is the reward clip, 20)."""
    reward, growth = _scores(matches, 0.01, MissionGuards(roi_clip=10.0), "one")
    assert _order(growth).index("longshot") > _order(growth).index("random")
    assert _order(reward).index("longshot") < _order(reward).index("random")


def test_growth_roi_is_the_bets_log_growth_per_unit_staked() -> None:
    guards = MissionGuards(vol_risk_floor=1.0)
    won = mission_reward(0.1, 0.25, 0.0, 0.0, 1.0, 1.0, np.nan, np.nan, 0.0, guards=guards)
    assert float(won) == pytest.approx(np.log1p(0.1 * (0.15 / 0.100001)) / 0.1, rel=1e-6)
    assert float(mission_reward(0.0, 0.0, 0.0, 0.0, 1.0, 1.0, np.nan, np.nan, 0.0, guards=guards)) == 0.0


def test_match_volatility_is_the_same_for_every_selection_and_shrinks_with_certainty() -> None:
    even = match_volatility([1 / 3, 1 / 3, 1 / 3])
    assert float(even) == pytest.approx(3 * np.sqrt(2 / 9))
    assert float(match_volatility([0.98, 0.015, 0.005, 0.7, 0.3])) < 0.35 < float(even)  # totals columns ignored
    assert float(match_volatility([np.nan, 0.5, 0.5])) == pytest.approx(1.0)
