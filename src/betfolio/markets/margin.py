"""Bookmaker margin (overround) and its removal.

Implied probabilities 1/odds sum to more than 1; the excess is the margin. Removing it yields the market's
"fair" probabilities — the benchmark every model is compared with.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def implied_probabilities(odds: ArrayLike) -> np.ndarray:
    prices = np.asarray(odds, dtype=float)
    if np.any(~np.isfinite(prices)) or np.any(prices <= 1.0):
        raise ValueError("decimal odds must be finite and > 1.0")
    return 1.0 / prices


def overround(odds: ArrayLike) -> np.ndarray:
    """Margin of each market: sum of implied probabilities minus one (last axis = outcomes)."""
    return implied_probabilities(odds).sum(axis=-1) - 1.0


def remove_margin_multiplicative(odds: ArrayLike) -> np.ndarray:
    """Normalise implied probabilities to sum to one (the "basic" method); works row-wise on 2-D input."""
    implied = implied_probabilities(odds)
    return implied / implied.sum(axis=-1, keepdims=True)
