from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from betfolio.backtest.metrics import (
    betting_metrics,
    bootstrap_roi_ci,
    calibration_table,
    forecast_metrics,
    max_drawdown,
    sharpe_ratio,
)


def test_max_drawdown_by_hand() -> None:
    assert max_drawdown([100, 120, 90, 130, 65]) == pytest.approx(0.5)
    assert max_drawdown([100, 110, 120]) == 0.0
    assert max_drawdown([]) == 0.0


def test_bootstrap_interval_brackets_the_roi_and_is_reproducible() -> None:
    rng = np.random.default_rng(0)
    odds = rng.uniform(1.5, 4.0, 800)
    stakes = rng.uniform(5, 15, 800)
    won = rng.random(800) < 1.02 / odds
    profit = np.where(won, stakes * (odds - 1), -stakes)
    lo, hi = bootstrap_roi_ci(stakes, profit, seed=7)
    roi = profit.sum() / stakes.sum()
    assert lo < roi < hi
    assert 0.05 < hi - lo < 0.4  # ~800 bets at these odds: an interval of roughly ±10 %
    assert bootstrap_roi_ci(stakes, profit, seed=7) == (lo, hi)
    assert bootstrap_roi_ci([10.0], [5.0]) == (None, None)


def test_interval_narrows_with_more_bets() -> None:
    rng = np.random.default_rng(1)

    def width(n: int) -> float:
        stakes = np.ones(n)
        profit = np.where(rng.random(n) < 0.5, 1.0, -1.0)
        lo, hi = bootstrap_roi_ci(stakes, profit)
        return hi - lo

    assert width(4000) < width(250) / 2


def test_sharpe_is_weekly_and_none_without_variation() -> None:
    t0 = datetime(2022, 1, 3, tzinfo=UTC)
    times = [t0 + timedelta(days=7 * i) for i in range(10)]
    assert sharpe_ratio([100.0] * 10, times) is None
    growing = [100 * 1.01**i * (1 + 0.001 * (-1) ** i) for i in range(10)]
    assert sharpe_ratio(growing, times) > 5
    # Two points in the same ISO week count once.
    assert sharpe_ratio([100, 101, 102], [t0, t0 + timedelta(days=1), t0 + timedelta(days=2)]) is None


def test_betting_metrics_keep_missing_clv_missing() -> None:
    m = betting_metrics(
        stakes=[10, 10, 10],
        payouts=[25, 0, 10],
        odds=[2.5, 2.0, 1.9],
        clv=[0.05, np.nan, -0.01],
        equity=[1015, 1005, 1005],
        initial=1000,
    )
    assert m.bets == 3 and m.turnover == 30 and m.profit == pytest.approx(5)
    assert m.roi == pytest.approx(5 / 30)
    assert m.clv_bets == 2 and m.clv_mean == pytest.approx(0.02) and m.clv_share_positive == 0.5
    assert m.hit_rate == pytest.approx(1 / 3)  # a push is not a hit
    assert m.log_growth == pytest.approx(np.log(1.005))
    empty = betting_metrics([], [], [], [], [1000.0], 1000)
    assert empty.roi is None and empty.clv_mean is None and empty.bets == 0


def test_forecast_metrics_and_calibration() -> None:
    p = np.array([[0.5, 0.3, 0.2], [0.2, 0.3, 0.5]])
    y = np.array([0, 2])
    f = forecast_metrics("x", p, y)
    assert f.matches == 2
    assert f.rps == pytest.approx(((0.5 - 1) ** 2 + (0.8 - 1) ** 2) / 2 / 2 + ((0.2) ** 2 + 0.5**2) / 2 / 2)
    assert f.log_loss == pytest.approx(-np.log(0.5))
    table = calibration_table(p, y, bins=5)
    assert sum(r["count"] for r in table) == 6
    top = next(r for r in table if r["bin_low"] == pytest.approx(0.4))
    assert top["observed"] == 1.0 and top["mean_forecast"] == pytest.approx(0.5)
