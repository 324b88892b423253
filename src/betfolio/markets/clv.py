"""Closing line value: how the odds a bet was struck at compare with the margin-free closing price.

The closing market (Pinnacle's especially) is the best available estimate of the true probability, so
beating it is the most reliable early sign of an edge — far less noisy than profit over a few hundred bets.
Closing odds are for this evaluation only; they are never a decision input.

Two conventions are offered, both positive when the bet beat the close:

* ``clv`` — expected return per unit stake if the closing fair probability is the truth:
  ``odds_taken × p_close − 1``;
* ``clv_log`` — ``log(odds_taken / fair_closing_odds)``, additive across bets and symmetric.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from betfolio.markets.margin import MarginMethod, NanPolicy, remove_margin


def _taken(odds_taken: ArrayLike) -> np.ndarray:
    taken = np.asarray(odds_taken, dtype=float)
    bad = ~np.isfinite(taken) | (taken <= 1.0)
    if np.any(bad):
        i = int(np.flatnonzero(bad.reshape(-1))[0])
        raise ValueError(f"odds taken must be finite and > 1.0; bad value at bet {i}: {taken.reshape(-1)[i]}")
    return taken


def closing_fair_probability(
    closing_odds: ArrayLike,
    selection: ArrayLike,
    method: MarginMethod | str = MarginMethod.MULTIPLICATIVE,
    nan_policy: NanPolicy = "propagate",
) -> np.ndarray:
    """Margin-free closing probability of the selected outcome of each bet.

    ``closing_odds`` is (n_bets, n_outcomes) — the whole closing market of each bet, so the margin can be
    removed — and ``selection`` the outcome column of each bet. A market with a missing closing price gives
    NaN (by default): it cannot be evaluated, and the caller counts it rather than guessing.
    """
    market = np.atleast_2d(np.asarray(closing_odds, dtype=float))
    col = np.asarray(selection, dtype=int).reshape(-1)
    if col.shape[0] != market.shape[0]:
        raise ValueError(f"{market.shape[0]} closing markets for {col.shape[0]} selections")
    if np.any((col < 0) | (col >= market.shape[1])):
        raise ValueError(f"selection index out of range 0..{market.shape[1] - 1}")
    fair = remove_margin(market, method, nan_policy=nan_policy).probabilities
    return fair[np.arange(col.shape[0]), col]


def clv(
    odds_taken: ArrayLike,
    closing_odds: ArrayLike,
    selection: ArrayLike,
    method: MarginMethod | str = MarginMethod.MULTIPLICATIVE,
) -> np.ndarray:
    """Expected return per unit stake at the closing fair probability: ``odds_taken × p_close − 1`` (NaN when
    the closing market is incomplete)."""
    return _taken(odds_taken) * closing_fair_probability(closing_odds, selection, method) - 1.0


def clv_log(
    odds_taken: ArrayLike,
    closing_odds: ArrayLike,
    selection: ArrayLike,
    method: MarginMethod | str = MarginMethod.MULTIPLICATIVE,
) -> np.ndarray:
    """``log(odds_taken × p_close)`` = log of taken odds over fair closing odds (NaN when incomplete)."""
    return np.log(_taken(odds_taken) * closing_fair_probability(closing_odds, selection, method))


def clv_from_probability(odds_taken: ArrayLike, closing_probability: ArrayLike) -> np.ndarray:
    """CLV when the fair closing probability is already known (e.g. from a line market priced elsewhere)."""
    p = np.asarray(closing_probability, dtype=float)
    if np.any(np.isfinite(p) & ((p <= 0.0) | (p > 1.0))):
        raise ValueError("closing probabilities must be in (0, 1]")
    return _taken(odds_taken) * p - 1.0
