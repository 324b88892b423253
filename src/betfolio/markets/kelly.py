"""Kelly staking: single bets, fractional Kelly, and simultaneous bets with a total-stake cap.

Stakes are fractions of the current bankroll that maximise expected log wealth. Full Kelly with noisy edge
estimates is ruinously volatile (it halves the bankroll one time in four), so callers normally scale it
down with ``fraction`` (quarter Kelly is a sane default) and cap the total committed at once.

Two simultaneous cases matter and have different answers:

* **Mutually exclusive outcomes of one match** (home/draw/away): exactly one wins. The optimum has a closed
  form (Smoczynski & Tomkins, 2010) — sort by expected return, admit outcomes while their expected return
  beats the "reserve rate", then stake ``p_i - R / o_i`` on each admitted one.
* **Independent bets on different matches**: no closed form; we maximise expected log wealth over all
  2^n joint results exactly (n ≤ 16) with SLSQP, or its second-order expansion for larger n.

Bets are never negative (no laying) and never exceed the cap; a bet with no edge gets zero.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import elementwise, minimize

#: Up to this many independent bets, expected log wealth is summed exactly over all 2^n joint results; above
#: it, its second-order (mean-variance) expansion is maximised instead.
EXACT_INDEPENDENT_LIMIT = 16


def _validate(p: ArrayLike, odds: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    prob = np.asarray(p, dtype=float)
    price = np.asarray(odds, dtype=float)
    if np.any(~np.isfinite(price) | (price <= 1.0)):
        bad = np.flatnonzero((~np.isfinite(price) | (price <= 1.0)).reshape(-1))[0]
        raise ValueError(f"decimal odds must be finite and > 1.0; bad value at index {int(bad)}")
    if np.any(~np.isfinite(prob) | (prob < 0.0) | (prob > 1.0)):
        bad = np.flatnonzero((~np.isfinite(prob) | (prob < 0.0) | (prob > 1.0)).reshape(-1))[0]
        raise ValueError(f"probabilities must be in [0, 1]; bad value at index {int(bad)}")
    return prob, price


def kelly_fraction(p: ArrayLike, odds: ArrayLike) -> np.ndarray | float:
    """Full-Kelly stake fraction of one bet, ``(p * odds - 1) / (odds - 1)``, floored at 0 (no edge: no bet).

    Vectorised; returns a float for scalar input.
    """
    prob, price = _validate(p, odds)
    f = np.maximum((prob * price - 1.0) / (price - 1.0), 0.0)
    return float(f) if f.ndim == 0 else f


def fractional_kelly(p: ArrayLike, odds: ArrayLike, fraction: float = 0.25, cap: float = 1.0) -> np.ndarray | float:
    """``fraction`` × full Kelly, each stake capped at ``cap`` of the bankroll."""
    _check_fraction(fraction, cap)
    f = np.minimum(np.asarray(kelly_fraction(p, odds)) * fraction, cap)
    return float(f) if f.ndim == 0 else f


def _check_fraction(fraction: float, cap: float) -> None:
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"Kelly fraction must be in (0, 1], got {fraction}")
    if not 0.0 < cap <= 1.0:
        raise ValueError(f"stake cap must be in (0, 1], got {cap}")


def expected_log_growth_exclusive(stakes: ArrayLike, p: ArrayLike, odds: ArrayLike) -> float:
    """E[log wealth] after staking ``stakes`` on mutually exclusive outcomes (probabilities ``p`` sum ≤ 1).

    Probability mass not covered by ``p`` is an outcome where every stake loses.
    """
    f = np.asarray(stakes, dtype=float)
    prob, price = _validate(p, odds)
    keep = 1.0 - f.sum()
    wealth = keep + f * price
    rest = max(1.0 - prob.sum(), 0.0)
    with np.errstate(divide="ignore"):
        value = float(np.sum(prob * np.log(wealth)) + (rest * np.log(keep) if rest > 0 else 0.0))
    return value


def kelly_mutually_exclusive(
    p: ArrayLike, odds: ArrayLike, fraction: float = 1.0, max_total: float = 1.0
) -> np.ndarray:
    """Simultaneous Kelly stakes on mutually exclusive outcomes of one event (e.g. home, draw, away).

    Uses the Smoczynski-Tomkins closed form; if the total exceeds ``max_total`` the constrained optimum is
    solved numerically (scaling the unconstrained stakes down would not be optimal). ``fraction`` then scales
    the result (fractional Kelly). ``p`` need not sum to one (outcomes not offered may be left out).
    """
    _check_fraction(fraction, max_total)
    prob, price = _validate(p, odds)
    if prob.ndim != 1 or prob.shape != price.shape:
        raise ValueError("p and odds must be 1-D arrays of the same length (one entry per outcome)")
    if prob.sum() > 1.0 + 1e-9:
        raise ValueError(f"probabilities of mutually exclusive outcomes sum to {prob.sum():.6f} > 1")
    stakes = _smoczynski_tomkins(prob, price)
    if stakes.sum() > max_total + 1e-12:
        stakes = _constrained_exclusive(prob, price, max_total, start=stakes * max_total / stakes.sum())
    return stakes * fraction


def _smoczynski_tomkins(prob: np.ndarray, price: np.ndarray) -> np.ndarray:
    order = np.argsort(-(prob * price), kind="stable")
    chosen: list[int] = []
    reserve = 1.0
    for i in order:
        if prob[i] * price[i] <= reserve:
            break
        trial = [*chosen, i]
        inv_sum = float(np.sum(1.0 / price[trial]))
        if inv_sum >= 1.0:
            # Backing every admitted outcome would be an arbitrage-free book no longer: stop before it.
            break
        chosen = trial
        reserve = (1.0 - float(prob[chosen].sum())) / (1.0 - inv_sum)
    stakes = np.zeros_like(prob)
    if chosen:
        idx = np.array(chosen)
        stakes[idx] = np.maximum(prob[idx] - reserve / price[idx], 0.0)
    return stakes


def _constrained_exclusive(prob: np.ndarray, price: np.ndarray, max_total: float, start: np.ndarray) -> np.ndarray:
    rest = max(1.0 - prob.sum(), 0.0)

    def neg(f: np.ndarray) -> tuple[float, np.ndarray]:
        keep = 1.0 - f.sum()
        wealth = keep + f * price
        value = np.sum(prob * np.log(wealth)) + rest * np.log(keep)
        grad = prob * price / wealth - np.sum(prob / wealth) - rest / keep
        return -float(value), -grad

    return _capped_optimum(neg, start, max_total)


def _capped_optimum(
    neg: Callable[[np.ndarray], tuple[float, np.ndarray]], start: np.ndarray, max_total: float
) -> np.ndarray:
    """The stakes minimising ``neg`` (the negated expected log growth and its gradient), none negative and all
    together at most ``max_total``: both simultaneous optimisations (exclusive outcomes, independent bets)."""
    result = minimize(
        neg,
        start,
        jac=True,
        method="SLSQP",
        bounds=[(0.0, max_total)] * start.size,
        constraints=[{"type": "ineq", "fun": lambda f: max_total - f.sum(), "jac": lambda f: -np.ones_like(f)}],
        options={"ftol": 1e-12, "maxiter": 500},
    )
    stakes = np.clip(result.x, 0.0, None)
    total = stakes.sum()
    return stakes * (max_total / total) if total > max_total else stakes


def kelly_independent(
    p: ArrayLike,
    odds: ArrayLike,
    fraction: float = 1.0,
    max_total: float = 1.0,
) -> np.ndarray:
    """Simultaneous Kelly stakes on independent bets (different matches), with the total capped at ``max_total``.

    Maximises E[log(1 + Σ f_i (o_i X_i - 1))] over every joint result (exact up to
    :data:`EXACT_INDEPENDENT_LIMIT` bets with an edge, its mean-variance expansion beyond), then scales by
    ``fraction``. Bets without an edge get zero and are left out of the optimisation.
    """
    _check_fraction(fraction, max_total)
    prob, price = _validate(p, odds)
    if prob.ndim != 1 or prob.shape != price.shape:
        raise ValueError("p and odds must be 1-D arrays of the same length (one entry per bet)")
    stakes = np.zeros_like(prob)
    edge = np.flatnonzero(prob * price > 1.0)
    if edge.size == 0:
        return stakes
    pe, oe = prob[edge], price[edge]
    if edge.size <= EXACT_INDEPENDENT_LIMIT:
        grid = ((np.arange(2**edge.size)[:, None] >> np.arange(edge.size)) & 1).astype(bool)
        weights = np.prod(np.where(grid, pe, 1.0 - pe), axis=1)
        returns = np.where(grid, oe - 1.0, -1.0)  # profit per unit stake in each joint result

        def neg(f: np.ndarray) -> tuple[float, np.ndarray]:
            wealth = np.maximum(1.0 + returns @ f, 1e-12)
            return -float(weights @ np.log(wealth)), -((weights / wealth) @ returns)

    else:
        mean = pe * oe - 1.0
        var = pe * (1.0 - pe) * oe**2

        def neg(f: np.ndarray) -> tuple[float, np.ndarray]:
            # E[log(1+x)] ≈ E[x] - E[x²]/2 with E[x²] = Σ f²v + (Σ f m)²: deterministic, unlike sampling.
            fm = float(f @ mean)
            return -(fm - 0.5 * float(f**2 @ var) - 0.5 * fm**2), -(mean - f * var - fm * mean)

    single = np.minimum((pe * oe - 1.0) / (oe - 1.0), max_total)
    start = single * min(1.0, 0.9 * max_total / single.sum())
    stakes[edge] = _capped_optimum(neg, start, max_total) * fraction
    return stakes


def cap_total(stakes: ArrayLike, max_total: float) -> np.ndarray:
    """Scale stakes down proportionally so they sum to at most ``max_total`` (no change if already within)."""
    f = np.asarray(stakes, dtype=float)
    if np.any(f < 0):
        raise ValueError("stakes must be non-negative")
    total = f.sum()
    return f * (max_total / total) if total > max_total else f.copy()


#: Profit per unit stake of each settlement outcome, as (multiplier of (odds − 1), constant): won, half won,
#: push, half lost, lost — the column order of :func:`kelly_line`'s ``outcome_probabilities``.
_LINE_PROFIT = ((1.0, 0.0), (0.5, 0.0), (0.0, 0.0), (0.0, -0.5), (0.0, -1.0))


def _line_growth_slope(f: np.ndarray, *args: np.ndarray) -> np.ndarray:
    """d/df of Σ q_k log(1 + f r_k): positive below the optimum, negative above (the objective is concave)."""
    q, r = args[:5], args[5:]
    return sum(qk * rk / (1.0 + f * rk) for qk, rk in zip(q, r, strict=True))


def kelly_line(outcome_probabilities: ArrayLike, odds: ArrayLike) -> np.ndarray | float:
    """Full-Kelly fraction of bets that can half-win, push or half-lose (Asian handicap, quarter-line totals).

    ``outcome_probabilities`` has one row per bet with the probabilities of (won, half_won, push, half_lost,
    lost) — e.g. from :meth:`betfolio.models.ScorelineGrid.outcome_probabilities`. Maximises
    Σ q_k log(1 + f r_k) exactly (a push risks nothing, a half loss only half the stake), where collapsing the
    line to a win probability would misstate the risk. Vectorised over rows; 0 where there is no edge.
    """
    q = np.atleast_2d(np.asarray(outcome_probabilities, dtype=float))
    price = np.atleast_1d(np.asarray(odds, dtype=float))
    if q.shape[-1] != 5:
        raise ValueError("outcome probabilities need 5 columns: won, half_won, push, half_lost, lost")
    if np.any(~np.isfinite(q) | (q < 0)) or np.any(np.abs(q.sum(axis=1) - 1.0) > 1e-6):
        raise ValueError("each row of outcome probabilities must be non-negative and sum to 1")
    _validate(np.zeros_like(price), price)
    q, price = np.broadcast_arrays(q, price[:, None] if price.ndim == 1 else price)
    price = price[:, 0]
    returns = [a * (price - 1.0) + b for a, b in _LINE_PROFIT]
    edge = sum(q[:, k] * returns[k] for k in range(5))
    stakes = np.zeros(q.shape[0])
    bet = np.flatnonzero(edge > 0)
    if bet.size:
        worst = np.where(q[bet, 4] > 0, 1.0, np.where(q[bet, 3] > 0, 2.0, np.inf))
        # With no losing outcome at all the bet is free money: stake everything allowed (1.0).
        sure = ~np.isfinite(worst)
        upper = np.where(sure, 1.0, np.minimum(worst, 1.0) * (1.0 - 1e-12))
        args = tuple(q[bet, k] for k in range(5)) + tuple(r[bet] for r in returns)
        found = upper.copy()
        risky = np.flatnonzero(~sure)
        if risky.size:
            sub = tuple(a[risky] for a in args)
            # Stake the cap when growth still rises there; otherwise the slope's root is the optimum.
            solve = _line_growth_slope(upper[risky], *sub) < 0
            if solve.any():
                rows = risky[solve]
                found[rows] = elementwise.find_root(
                    _line_growth_slope, (np.zeros(rows.size), upper[rows]), args=tuple(a[rows] for a in args)
                ).x
        stakes[bet] = found
    return float(stakes[0]) if np.ndim(odds) == 0 and np.ndim(outcome_probabilities) == 1 else stakes
