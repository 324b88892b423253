"""Market-anchored logit, the consensus of several books, and grids fitted to a 1X2 and a totals price."""

from __future__ import annotations

import numpy as np
import pytest

from betfolio.models.grid import ScorelineGrid
from betfolio.models.grid_fit import _summaries, dc_grids, fit_grids
from betfolio.models.market_anchored import (
    AnchoredInputs,
    MarketAnchoredLogit,
    consensus_many,
    consensus_probabilities,
)
from betfolio.models.ratings import N_FEATURES


def test_consensus_ignores_incomplete_books_and_removes_each_margin() -> None:
    odds = np.array([[2.0, 3.4, 3.8], [1.9, np.nan, 4.0], [2.1, 3.3, 3.6]])
    p = consensus_probabilities(odds, "basic")
    expected = np.mean([(1 / odds[i]) / (1 / odds[i]).sum() for i in (0, 2)], axis=0)
    np.testing.assert_allclose(p, expected)
    assert consensus_probabilities(np.array([[2.0, np.nan, 3.0]])) is None


def _inputs(n: int, rng: np.random.Generator) -> tuple[AnchoredInputs, np.ndarray, np.ndarray]:
    """A market that ignores a feature which truly moves the home probability."""
    market = rng.dirichlet([9, 6, 6], n)
    z = rng.normal(size=(n, N_FEATURES))
    logit = np.log(market)
    logit[:, 0] += 0.4 * z[:, 0]
    truth = np.exp(logit) / np.exp(logit).sum(axis=1, keepdims=True)
    y = np.array([rng.choice(3, p=p) for p in truth])
    inputs = AnchoredInputs(market, np.full((n, 3), 1 / 3), np.zeros(n), z, np.ones((n, N_FEATURES)))
    return inputs, y, truth


def test_unfitted_model_is_the_market_and_the_fit_finds_a_real_signal() -> None:
    rng = np.random.default_rng(0)
    inputs, y, _truth = _inputs(6000, rng)
    model = MarketAnchoredLogit()
    np.testing.assert_allclose(model.predict(inputs), inputs.market / inputs.market.sum(axis=1, keepdims=True))
    model.fit(inputs, y)
    coef = model.coefficients()
    assert coef["home:elo_diff"] > 0.25
    assert abs(coef["home:rest_diff"]) < 0.1
    test, y_test, _truth_test = _inputs(3000, np.random.default_rng(1))
    p = model.predict(test)
    ll_model = -np.log(p[np.arange(y_test.size), y_test]).mean()
    ll_market = -np.log(test.market[np.arange(y_test.size), y_test]).mean()
    assert ll_model < ll_market


def test_masked_features_do_not_move_the_forecast() -> None:
    rng = np.random.default_rng(2)
    inputs, y, _ = _inputs(3000, rng)
    model = MarketAnchoredLogit().fit(inputs, y)
    masked = AnchoredInputs(
        inputs.market,
        inputs.goal_model,
        inputs.goal_mask,
        inputs.features * 0 + 99.0,
        np.zeros_like(inputs.feature_mask),
    )
    plain = AnchoredInputs(
        inputs.market, inputs.goal_model, inputs.goal_mask, inputs.features * 0, np.ones_like(inputs.feature_mask)
    )
    np.testing.assert_allclose(model.predict(masked), model.predict(plain))


def test_bad_outcomes_are_refused() -> None:
    inputs, _y, _ = _inputs(10, np.random.default_rng(3))
    with pytest.raises(ValueError, match="outcomes"):
        MarketAnchoredLogit().fit(inputs, np.full(10, 3))


def test_fitted_grid_matches_the_1x2_exactly_and_the_totals_closely() -> None:
    lam, mu = np.array([1.7, 0.9, 1.3]), np.array([0.8, 1.4, 1.3])
    s = _summaries(dc_grids(lam, mu), 2.5)
    target = np.column_stack([s[:, 0], 1 - s[:, 0] - s[:, 1], s[:, 1]])
    grids = fit_grids(target, s[:, 2])
    for g, t, over in zip(grids, target, s[:, 2], strict=True):
        grid = ScorelineGrid(g)
        np.testing.assert_allclose(grid.match_odds(), t, atol=1e-12)
        assert grid.totals(2.5)[0].win == pytest.approx(over, abs=1e-6)
    # Without a totals price only the 1X2 is fitted, still exactly.
    grids = fit_grids(target, np.full(3, np.nan))
    np.testing.assert_allclose([ScorelineGrid(g).match_odds() for g in grids], target, atol=1e-12)


def test_consensus_of_many_markets_equals_one_at_a_time() -> None:
    rng = np.random.default_rng(4)
    markets = [1.0 / (rng.dirichlet([5, 3, 3], k) * 1.06) for k in (1, 3, 2)]
    markets[1][1, 2] = np.nan  # an incomplete row is ignored in both
    rows = np.concatenate([*markets, np.full((1, 3), np.nan)])
    owner = np.array([0, 1, 1, 1, 2, 2, 3])
    many = consensus_many(rows, owner, 4)
    for i, m in enumerate(markets):
        np.testing.assert_allclose(many[i], consensus_probabilities(m))
    assert np.isnan(many[3]).all()
