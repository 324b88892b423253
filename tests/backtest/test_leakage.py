"""The leakage guard: the future must not change the past.

Rewriting every result after a date t — deleting them, or shuffling them among the later matches — and
scrambling every closing price must leave every decision taken up to t exactly as it was: same bets, same
stakes, same prices, same model forecasts.
"""

from __future__ import annotations

import copy
from datetime import datetime

import numpy as np
import pytest

from betfolio.backtest.data import BacktestData
from betfolio.backtest.engine import BacktestResult, WalkForward
from betfolio.backtest.strategies import FavouriteFlat, MarketConsensus, ModelValue
from tests.backtest.conftest import small_config


def _run(data: BacktestData) -> BacktestResult:
    strategies = [FavouriteFlat(), ModelValue(kelly=0.5, min_edge=0.0), MarketConsensus(alpha=0.0)]
    return WalkForward(data, strategies, small_config()).run()


def _decisions(result: BacktestResult, until: datetime) -> list[tuple]:
    return [
        (b.strategy, b.match_id, b.market, b.selection, b.line, b.odds, round(b.stake, 9), b.bookmaker, b.placed_at)
        for run in result.strategies.values()
        for b in run.bets
        if b.placed_at <= until
    ]


def _forecasts(result: BacktestResult, data: BacktestData, until: datetime) -> dict[int, np.ndarray]:
    decided = {m.match_id for m in data.matches if m.decision_at is not None and m.decision_at <= until}
    return {i: p for i, p in result.model_forecasts["dixon_coles"].items() if i in decided}


def _cut(data: BacktestData) -> datetime:
    times = sorted({m.decision_at for m in data.matches if m.decision_at is not None})
    return times[int(len(times) * 0.6)]


@pytest.fixture(scope="module")
def baseline(synthetic_data: BacktestData) -> BacktestResult:
    return _run(synthetic_data)


@pytest.mark.parametrize("rewrite", ["delete", "shuffle"])
def test_results_after_t_do_not_change_decisions_up_to_t(
    synthetic_data: BacktestData, baseline: BacktestResult, rewrite: str
) -> None:
    t = _cut(synthetic_data)
    altered = copy.deepcopy(synthetic_data)
    later = [m for m in altered.matches if m.kickoff > t]
    assert later, "the cut must leave matches after it"
    if rewrite == "delete":
        for m in later:
            m.home_goals = m.away_goals = None
            m.status = "scheduled"
    else:
        rng = np.random.default_rng(1)
        scores = [(m.away_goals, m.home_goals) for m in later]  # swapped and shuffled: surely different
        for m, i in zip(later, rng.permutation(len(later)), strict=True):
            m.home_goals, m.away_goals = scores[i]
    result = _run(altered)
    before = _decisions(baseline, t)
    assert before, "the baseline must have bets before the cut for the test to mean anything"
    assert _decisions(result, t) == before
    f0, f1 = _forecasts(baseline, synthetic_data, t), _forecasts(result, altered, t)
    assert f0.keys() == f1.keys() and f0
    for i in f0:
        np.testing.assert_array_equal(f0[i], f1[i])
    # …and the future really was different (the test would be vacuous otherwise).
    assert _decisions(result, datetime.max.replace(tzinfo=t.tzinfo)) != _decisions(
        baseline, datetime.max.replace(tzinfo=t.tzinfo)
    )


def test_closing_prices_never_reach_a_decision(synthetic_data: BacktestData, baseline: BacktestResult) -> None:
    altered = copy.deepcopy(synthetic_data)
    rng = np.random.default_rng(2)
    for m in altered.matches:
        for table in m.closing.values():
            table.odds = 1.01 + rng.random(table.odds.shape) * 20
    result = _run(altered)
    end = datetime.max.replace(tzinfo=_cut(synthetic_data).tzinfo)
    assert _decisions(result, end) == _decisions(baseline, end)
    clv_before = [b.clv for r in baseline.strategies.values() for b in r.bets]
    clv_after = [b.clv for r in result.strategies.values() for b in r.bets]
    assert clv_before != clv_after  # closing prices do feed the evaluation
