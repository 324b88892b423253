"""Proper scoring rules for 1X2 probability forecasts (lower is better for all three).

Outcomes are indices 0 = home, 1 = draw, 2 = away; forecasts are rows of probabilities in that order.
RPS respects the ordering home < draw < away, which is why football forecasting uses it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

_EPS = 1e-15


def _checked(probs: ArrayLike, outcomes: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    p = np.atleast_2d(np.asarray(probs, dtype=float))
    y = np.asarray(outcomes, dtype=int).reshape(-1)
    if p.shape[0] != y.shape[0]:
        raise ValueError(f"{p.shape[0]} forecasts for {y.shape[0]} outcomes")
    if np.any((y < 0) | (y >= p.shape[1])):
        raise ValueError("outcome index out of range")
    return p, y


def one_hot(outcomes: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros((outcomes.shape[0], n))
    out[np.arange(outcomes.shape[0]), outcomes] = 1.0
    return out


def ranked_probability_score(probs: ArrayLike, outcomes: ArrayLike) -> np.ndarray:
    p, y = _checked(probs, outcomes)
    cum_p = np.cumsum(p, axis=1)[:, :-1]
    cum_y = np.cumsum(one_hot(y, p.shape[1]), axis=1)[:, :-1]
    return ((cum_p - cum_y) ** 2).sum(axis=1) / (p.shape[1] - 1)


def log_loss(probs: ArrayLike, outcomes: ArrayLike) -> np.ndarray:
    p, y = _checked(probs, outcomes)
    return -np.log(np.clip(p[np.arange(y.shape[0]), y], _EPS, 1.0))


def brier_score(probs: ArrayLike, outcomes: ArrayLike) -> np.ndarray:
    p, y = _checked(probs, outcomes)
    return ((p - one_hot(y, p.shape[1])) ** 2).sum(axis=1)
