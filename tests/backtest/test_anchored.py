"""The market-anchored model in the walk-forward: coverage, grids that price every market, and no leakage."""

from __future__ import annotations

import copy
from datetime import datetime

import numpy as np
import pytest

from betfolio.backtest.anchored import MarketAnchored
from betfolio.backtest.data import BacktestData
from betfolio.backtest.engine import BacktestResult, WalkForward, default_model_factories
from betfolio.backtest.strategies import ModelValue
from betfolio.engine.quotes import MATCH_ODDS_KEY
from tests.backtest.conftest import small_config

FACTORIES = {**default_model_factories(), "market_anchored": MarketAnchored(min_training_matches=30)}


def _run(data: BacktestData) -> BacktestResult:
    strategies = [ModelValue(name="anchored_value", model="market_anchored", kelly=0.5, min_edge=0.0)]
    config = small_config(evaluate_models=("market_anchored", "dixon_coles"))
    return WalkForward(data, strategies, config, model_factories=FACTORIES).run()


@pytest.fixture(scope="module")
def baseline(synthetic_data: BacktestData) -> BacktestResult:
    return _run(synthetic_data)


def test_forecasts_cover_every_match_after_the_first_round_and_price_lines(
    synthetic_data: BacktestData, baseline: BacktestResult
) -> None:
    forecasts = baseline.model_forecasts["market_anchored"]
    decidable = [m for m in synthetic_data.matches if m.decision_at is not None]
    first = min(m.decision_at for m in decidable)
    later = [m for m in decidable if m.decision_at > first]
    assert all(m.match_id in forecasts for m in later)
    assert not any(m.match_id in forecasts for m in decidable if m.decision_at == first)  # nothing to rate yet
    assert baseline.refits > 0
    for p in forecasts.values():
        assert p.sum() == pytest.approx(1.0)
    run = baseline.strategies["anchored_value"]
    assert {b.market for b in run.bets} >= {"1x2"}


def test_anchored_forecasts_are_between_market_and_model(
    synthetic_data: BacktestData, baseline: BacktestResult
) -> None:
    """It starts from the market: on average it sits much closer to the consensus than Dixon-Coles does."""
    anchored = baseline.model_forecasts["market_anchored"]
    dc = baseline.model_forecasts["dixon_coles"]
    by_id = {m.match_id: m for m in synthetic_data.matches}
    gaps_a, gaps_d = [], []
    for i in set(anchored) & set(dc):
        avg = by_id[i].prematch[MATCH_ODDS_KEY].average()
        market = (1 / avg) / (1 / avg).sum()
        gaps_a.append(np.abs(anchored[i] - market).sum())
        gaps_d.append(np.abs(dc[i] - market).sum())
    assert np.mean(gaps_a) < np.mean(gaps_d)


def _cut(data: BacktestData) -> datetime:
    times = sorted({m.decision_at for m in data.matches if m.decision_at is not None})
    return times[int(len(times) * 0.6)]


@pytest.mark.parametrize("rewrite", ["delete", "shuffle"])
def test_everything_after_t_leaves_forecasts_up_to_t_unchanged(
    synthetic_data: BacktestData, baseline: BacktestResult, rewrite: str
) -> None:
    t = _cut(synthetic_data)
    altered = copy.deepcopy(synthetic_data)
    later = [m for m in altered.matches if m.kickoff > t]
    rng = np.random.default_rng(3)
    scores = [(m.away_goals, m.home_goals) for m in later]
    for m, i in zip(later, rng.permutation(len(later)), strict=True):
        if rewrite == "delete":
            m.home_goals = m.away_goals = None
            m.status = "scheduled"
            m.statistics = {}
        else:
            m.home_goals, m.away_goals = scores[i]
            m.statistics = {"home": {"shots_on_target": 15.0}, "away": {"shots_on_target": 0.0}}
        if m.decision_at is not None and m.decision_at > t:  # prices quoted after t scrambled too
            for table in m.prematch.values():
                table.odds = table.odds[:, ::-1].copy()
    for m in altered.matches:
        for table in m.closing.values():
            table.odds = table.odds * rng.uniform(0.8, 1.2, table.odds.shape)
    result = _run(altered)
    decided = {m.match_id for m in synthetic_data.matches if m.decision_at is not None and m.decision_at <= t}
    before = {i: p for i, p in baseline.model_forecasts["market_anchored"].items() if i in decided}
    after = {i: p for i, p in result.model_forecasts["market_anchored"].items() if i in decided}
    assert before and before.keys() == after.keys()
    for i in before:
        np.testing.assert_array_equal(before[i], after[i])
    bets = [
        (b.match_id, b.selection, b.odds, round(b.stake, 9))
        for b in baseline.strategies["anchored_value"].bets
        if b.placed_at <= t
    ]
    bets_after = [
        (b.match_id, b.selection, b.odds, round(b.stake, 9))
        for b in result.strategies["anchored_value"].bets
        if b.placed_at <= t
    ]
    assert bets and bets == bets_after
    later_ids = {m.match_id for m in later}
    changed = [
        i
        for i in later_ids & set(result.model_forecasts["market_anchored"])
        if not np.array_equal(
            result.model_forecasts["market_anchored"][i], baseline.model_forecasts["market_anchored"].get(i)
        )
    ]
    assert changed  # the future really was different
