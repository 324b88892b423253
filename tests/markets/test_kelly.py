"""Kelly staking against hand values and against a brute-force maximisation of expected log wealth."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import minimize

from betfolio.markets.kelly import (
    cap_total,
    expected_log_growth_exclusive,
    fractional_kelly,
    kelly_fraction,
    kelly_independent,
    kelly_mutually_exclusive,
)


def test_single_bet_hand_values() -> None:
    assert kelly_fraction(0.55, 2.0) == pytest.approx(0.10)  # (1.1 - 1) / 1
    assert kelly_fraction(0.25, 5.0) == pytest.approx(0.0625)  # (1.25 - 1) / 4
    assert kelly_fraction(0.4, 2.0) == 0.0  # no edge: no bet, never a negative stake
    np.testing.assert_allclose(kelly_fraction([0.55, 0.4], [2.0, 2.0]), [0.1, 0.0])
    assert fractional_kelly(0.55, 2.0, fraction=0.25) == pytest.approx(0.025)
    assert fractional_kelly(0.9, 2.0, fraction=1.0, cap=0.05) == pytest.approx(0.05)


def _brute_exclusive(p: np.ndarray, odds: np.ndarray, max_total: float) -> float:
    best = -np.inf
    for start in (np.full(p.size, 0.01), np.full(p.size, max_total / p.size * 0.9)):
        res = minimize(
            lambda f: -expected_log_growth_exclusive(f, p, odds),
            start,
            method="SLSQP",
            bounds=[(0, max_total)] * p.size,
            constraints=[{"type": "ineq", "fun": lambda f: max_total - 1e-9 - f.sum()}],
            options={"ftol": 1e-14, "maxiter": 1000},
        )
        best = max(best, -res.fun)
    return best


@pytest.mark.parametrize(
    ("p", "odds"),
    [
        ([0.5, 0.3, 0.2], [2.3, 3.2, 4.5]),  # value on the home side only
        ([0.45, 0.30, 0.25], [2.4, 3.6, 4.4]),  # value on all three with a small overround
        ([0.6, 0.25, 0.15], [1.5, 4.5, 7.0]),  # value on draw and away
        ([0.4, 0.3, 0.3], [2.0, 3.0, 3.0]),  # no value anywhere
    ],
)
def test_mutually_exclusive_is_the_log_optimum(p: list[float], odds: list[float]) -> None:
    prob, price = np.array(p), np.array(odds)
    stakes = kelly_mutually_exclusive(prob, price)
    assert (stakes >= 0).all() and stakes.sum() <= 1.0
    assert expected_log_growth_exclusive(stakes, prob, price) >= _brute_exclusive(prob, price, 1.0) - 1e-9
    if (prob * price <= 1).all():
        assert stakes.sum() == 0.0


def test_mutually_exclusive_single_value_outcome_equals_single_kelly() -> None:
    # With one outcome worth backing, the closed form reduces to ordinary Kelly on it.
    stakes = kelly_mutually_exclusive([0.5, 0.3, 0.2], [2.3, 2.9, 3.4])
    assert stakes[0] == pytest.approx(kelly_fraction(0.5, 2.3))
    assert stakes[1:].sum() == 0.0


def test_mutually_exclusive_hedges_and_covers_an_overlay_book() -> None:
    # Draw's expected return 0.9 beats the reserve rate after backing home (0.885): Kelly adds a small hedge.
    stakes = kelly_mutually_exclusive([0.5, 0.3, 0.2], [2.3, 3.0, 3.6])
    reserve = (1 - 0.8) / (1 - 1 / 2.3 - 1 / 3.0)
    np.testing.assert_allclose(stakes, [0.5 - reserve / 2.3, 0.3 - reserve / 3.0, 0.0])
    # Prices summing below one in implied probability: staking p on every outcome grows wealth surely.
    np.testing.assert_allclose(kelly_mutually_exclusive([0.5, 0.3, 0.2], [2.3, 3.2, 4.5]), [0.5, 0.3, 0.2])


def test_mutually_exclusive_cap_and_fraction() -> None:
    prob, price = np.array([0.45, 0.30, 0.25]), np.array([2.4, 3.6, 4.4])
    capped = kelly_mutually_exclusive(prob, price, max_total=0.03)
    assert capped.sum() == pytest.approx(0.03, abs=1e-9)
    assert expected_log_growth_exclusive(capped, prob, price) >= _brute_exclusive(prob, price, 0.03) - 1e-9
    half = kelly_mutually_exclusive(prob, price, fraction=0.5)
    np.testing.assert_allclose(half, 0.5 * kelly_mutually_exclusive(prob, price))


def _brute_independent(p: np.ndarray, odds: np.ndarray, max_total: float) -> float:
    outcomes = np.array(list(itertools.product([0, 1], repeat=p.size)), dtype=bool)
    weights = np.prod(np.where(outcomes, p, 1 - p), axis=1)
    returns = np.where(outcomes, odds - 1, -1.0)
    res = minimize(
        lambda f: -(weights @ np.log(np.maximum(1 + returns @ f, 1e-12))),
        np.full(p.size, 0.01),
        method="SLSQP",
        bounds=[(0, max_total)] * p.size,
        constraints=[{"type": "ineq", "fun": lambda f: max_total - f.sum()}],
        options={"ftol": 1e-14, "maxiter": 1000},
    )
    return -res.fun


def _growth_independent(f: np.ndarray, p: np.ndarray, odds: np.ndarray) -> float:
    outcomes = np.array(list(itertools.product([0, 1], repeat=p.size)), dtype=bool)
    weights = np.prod(np.where(outcomes, p, 1 - p), axis=1)
    return float(weights @ np.log(1 + np.where(outcomes, odds - 1, -1.0) @ f))


@pytest.mark.parametrize("max_total", [1.0, 0.2, 0.05])
def test_independent_is_the_log_optimum(max_total: float) -> None:
    p, odds = np.array([0.55, 0.6, 0.3, 0.45]), np.array([2.0, 1.9, 4.0, 2.1])
    stakes = kelly_independent(p, odds, max_total=max_total)
    assert stakes.sum() <= max_total + 1e-9 and (stakes >= 0).all()
    assert stakes[3] == 0.0  # 0.45 * 2.1 < 1: no edge
    assert _growth_independent(stakes, p, odds) >= _brute_independent(p, odds, max_total) - 1e-8
    # Simultaneous bets are staked less than each alone (they share the bankroll).
    assert (stakes <= np.asarray(kelly_fraction(p, odds)) + 1e-9).all()


def test_independent_many_bets_uses_a_deterministic_symmetric_expansion() -> None:
    stakes = kelly_independent(np.full(30, 0.55), np.full(30, 2.0), max_total=0.5)
    np.testing.assert_allclose(stakes, 0.5 / 30, rtol=1e-6)
    alone = kelly_independent(np.full(20, 0.52), np.full(20, 2.0))
    assert np.ptp(alone) < 1e-9 and 0 < alone[0] < 0.04


def test_cap_total() -> None:
    np.testing.assert_allclose(cap_total([0.1, 0.3], 0.2), [0.05, 0.15])
    np.testing.assert_allclose(cap_total([0.1, 0.05], 0.2), [0.1, 0.05])
    with pytest.raises(ValueError):
        cap_total([-0.1, 0.2], 0.5)


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="odds"):
        kelly_fraction(0.5, 1.0)
    with pytest.raises(ValueError, match="probabilities"):
        kelly_fraction(1.2, 2.0)
    with pytest.raises(ValueError, match="probabilities"):
        kelly_fraction(np.nan, 2.0)
    with pytest.raises(ValueError, match="sum to"):
        kelly_mutually_exclusive([0.6, 0.5], [2.0, 2.0])
    with pytest.raises(ValueError, match="fraction"):
        fractional_kelly(0.5, 2.0, fraction=0.0)
    with pytest.raises(ValueError, match="same length"):
        kelly_independent([0.5, 0.5], [2.0])


def test_kelly_line_reduces_to_plain_kelly_and_handles_pushes() -> None:
    from betfolio.markets.kelly import kelly_line

    assert kelly_line([0.55, 0, 0, 0, 0.45], 2.0) == pytest.approx(0.1)
    # A push returns the stake: Kelly on the bet conditional on it not pushing.
    assert kelly_line([0.45, 0, 0.3, 0, 0.25], 1.8) == pytest.approx(kelly_fraction(0.45 / 0.7, 1.8))
    assert kelly_line([0.3, 0, 0, 0, 0.7], 2.0) == 0.0
    # Nothing can be lost: the whole (capped) bankroll.
    assert kelly_line([0.5, 0.5, 0, 0, 0], 1.5) == 1.0


def test_kelly_line_is_the_log_optimum_for_quarter_lines() -> None:
    from betfolio.markets.kelly import kelly_line

    rows = np.array([[0.4, 0.15, 0.0, 0.1, 0.35], [0.35, 0.0, 0.0, 0.2, 0.45], [0.5, 0.1, 0.0, 0.0, 0.4]])
    odds = np.array([1.95, 2.4, 1.7])
    stakes = kelly_line(rows, odds)
    for q, o, f in zip(rows, odds, stakes, strict=True):
        r = np.array([o - 1, (o - 1) / 2, 0.0, -0.5, -1.0])
        best = minimize(lambda x, q=q, r=r: -(q @ np.log(1 + x[0] * r)), [0.01], bounds=[(0, 0.99)]).x[0]
        assert f == pytest.approx(best, abs=1e-5)
    with pytest.raises(ValueError, match="5 columns"):
        kelly_line([0.5, 0.5], 2.0)
    with pytest.raises(ValueError, match="sum to 1"):
        kelly_line([0.5, 0.5, 0.5, 0, 0], 2.0)
