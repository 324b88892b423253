"""Bookmaker margin (overround) and its removal.

Implied probabilities 1/odds sum to more than 1; the excess is the margin. Removing it yields the market's
"fair" probabilities — the benchmark every model is compared with.

Several removal methods exist because bookmakers do not spread their margin evenly: they shade longshots more
than favourites (the favourite-longshot bias). The multiplicative ("basic") method ignores that; additive,
power, Shin and odds-ratio methods model it in different ways. All methods here work row-wise on a 2-D array
(one market per row, outcomes along the last axis) so a whole season of quotes is de-margined in one call.

Power, Shin and odds-ratio each need one parameter per market solved numerically; we use scipy's elementwise
bracketing root finder (``scipy.optimize.elementwise.find_root``) so thousands of markets are solved at once
instead of one ``brentq`` call per row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import elementwise

NanPolicy = Literal["raise", "propagate"]


class MarginMethod(StrEnum):
    """How the overround is taken out of a market's implied probabilities."""

    #: p_i = (1/o_i) / sum(1/o): margin spread in proportion to each implied probability.
    MULTIPLICATIVE = "basic"
    #: p_i = 1/o_i - margin/n: the same absolute amount taken from every outcome.
    ADDITIVE = "additive"
    #: p_i = (1/o_i)^k with k solved so the row sums to one: shades longshots more (favourite-longshot bias).
    POWER = "power"
    #: Shin (1992/93): margin explained by a share z of insider money; solved for z per market.
    SHIN = "shin"
    #: Cheung's odds-ratio method: fair odds-ratio to implied is the same constant c for every outcome.
    ODDS_RATIO = "odds_ratio"

    @classmethod
    def _missing_(cls, value: object) -> MarginMethod | None:
        # "multiplicative" is the name most libraries (and penaltyblog) use for the basic method.
        if isinstance(value, str) and value.lower() in ("multiplicative", "basic", "normalise", "normalize"):
            return cls.MULTIPLICATIVE
        return None


@dataclass(frozen=True)
class MarginResult:
    """Margin-free probabilities of one market (1-D input) or many markets (2-D input, one per row).

    ``params`` holds the fitted per-market parameter of the method (``k`` for power, ``z`` for Shin, ``c`` for
    odds ratio) with the same leading shape as ``margin``.
    """

    probabilities: np.ndarray
    margin: np.ndarray | float
    method: MarginMethod
    params: dict[str, np.ndarray | float] = field(default_factory=dict)

    @property
    def fair_odds(self) -> np.ndarray:
        """Decimal odds with the margin removed (1 / fair probability)."""
        with np.errstate(divide="ignore"):
            return 1.0 / self.probabilities


def _bad_odds_message(prices: np.ndarray, bad: np.ndarray) -> str:
    positions = np.argwhere(bad)
    shown = ", ".join(f"{tuple(int(i) for i in pos)}={float(prices[tuple(pos)])!r}" for pos in positions[:5])
    more = f" (and {len(positions) - 5} more)" if len(positions) > 5 else ""
    return f"decimal odds must be finite and > 1.0; bad value at index {shown}{more}"


def implied_probabilities(odds: ArrayLike, nan_policy: NanPolicy = "raise") -> np.ndarray:
    """1/odds, validated.

    Odds ≤ 1.0 or infinite are always an error (a price that cannot be a real quote). A NaN is a *missing*
    quote: with ``nan_policy="raise"`` (default) it is an error too; with ``"propagate"`` it stays NaN so the
    market it belongs to comes out NaN rather than priced at a guess.
    """
    prices = np.asarray(odds, dtype=float)
    missing = np.isnan(prices)
    if nan_policy == "raise":
        bad = missing | ~np.isfinite(prices) | (prices <= 1.0)
    elif nan_policy == "propagate":
        bad = ~missing & (~np.isfinite(prices) | (prices <= 1.0))
    else:
        raise ValueError(f"nan_policy must be 'raise' or 'propagate', got {nan_policy!r}")
    if np.any(bad):
        raise ValueError(_bad_odds_message(prices, bad))
    return 1.0 / prices


def overround(odds: ArrayLike, nan_policy: NanPolicy = "raise") -> np.ndarray:
    """Margin of each market: sum of implied probabilities minus one (last axis = outcomes)."""
    return implied_probabilities(odds, nan_policy).sum(axis=-1) - 1.0


def remove_margin_multiplicative(odds: ArrayLike) -> np.ndarray:
    """Normalise implied probabilities to sum to one (the "basic" method); works row-wise on 2-D input."""
    return remove_margin(odds, MarginMethod.MULTIPLICATIVE).probabilities


def remove_margin(
    odds: ArrayLike,
    method: MarginMethod | str = MarginMethod.MULTIPLICATIVE,
    nan_policy: NanPolicy = "raise",
) -> MarginResult:
    """Remove the bookmaker margin from one market (1-D odds) or many markets (2-D, one market per row).

    Markets with a negative overround (e.g. best prices across bookmakers) are handled by every method: the
    fitted parameter simply moves to the other side of its neutral value (power k < 1, Shin z < 0).

    Raises ``ValueError`` for odds ≤ 1.0, for NaN under ``nan_policy="raise"``, for a market with fewer than
    two outcomes, and (additive method) for a market where the equal deduction would make a probability
    non-positive — that market is not priceable by the additive method and is named in the message.
    """
    method = MarginMethod(method)
    implied = implied_probabilities(odds, nan_policy)
    if implied.ndim not in (1, 2):
        raise ValueError(f"odds must be 1-D (one market) or 2-D (markets × outcomes), got shape {implied.shape}")
    if implied.shape[-1] < 2:
        raise ValueError(f"a market needs at least two outcomes, got {implied.shape[-1]}")
    rows = np.atleast_2d(implied)
    complete = ~np.isnan(rows).any(axis=1)
    probs = np.full_like(rows, np.nan)
    total = rows.sum(axis=1)
    margin = total - 1.0
    params: dict[str, np.ndarray] = {}
    ok = rows[complete]
    if method is MarginMethod.MULTIPLICATIVE:
        probs[complete] = ok / ok.sum(axis=1, keepdims=True)
    elif method is MarginMethod.ADDITIVE:
        fair = ok - (ok.sum(axis=1, keepdims=True) - 1.0) / ok.shape[1]
        negative = np.flatnonzero((fair <= 0).any(axis=1))
        if negative.size:
            row = int(np.flatnonzero(complete)[negative[0]])
            raise ValueError(
                f"additive margin removal gives a non-positive probability for market row {row} "
                f"(implied {rows[row].round(4).tolist()}); use the power or Shin method for markets with longshots"
            )
        probs[complete] = fair
    else:
        solver = _SOLVERS[method]
        value, fair = solver(ok)
        full = np.full(rows.shape[0], np.nan)
        full[complete] = value
        params[_PARAM_NAME[method]] = full
        probs[complete] = fair
    if implied.ndim == 1:
        return MarginResult(
            probabilities=probs[0],
            margin=float(margin[0]),
            method=method,
            params={name: float(value[0]) for name, value in params.items()},
        )
    return MarginResult(probabilities=probs, margin=margin, method=method, params=dict(params))


def _solve_rows(
    term, implied: np.ndarray, lower: np.ndarray, upper: np.ndarray, what: str, *extra: np.ndarray
) -> np.ndarray:
    """Solve ``sum_j term(x, pi_j, *extra) = 1`` for every row at once inside [lower, upper].

    The elementwise solver hands the residual only the rows still iterating, so each outcome column (and any
    per-row extra) is passed as its own argument and shrinks with ``x``.
    """

    def residual(x: np.ndarray, *args: np.ndarray) -> np.ndarray:
        cols, rest = args[: implied.shape[1]], args[implied.shape[1] :]
        return sum(term(x, col, *rest) for col in cols) - 1.0

    args = tuple(implied[:, j] for j in range(implied.shape[1])) + extra
    result = elementwise.find_root(residual, (lower, upper), args=args, tolerances={"xatol": 1e-14, "xrtol": 1e-14})
    if not np.all(result.success):
        bad = np.flatnonzero(~result.success)
        raise ValueError(f"{what}: no solution for market rows {bad[:5].tolist()}")
    return result.x


def _power_term(k: np.ndarray, p: np.ndarray) -> np.ndarray:
    return p**k


def _power(implied: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Solve sum(pi^k) = 1 per row. The sum falls monotonically in k from n (k→0) to ~0, so the root is unique."""
    n = implied.shape[0]
    # Upper bound: once the largest implied probability alone is below 1/n_outcomes, the row sums below one.
    k_hi = np.maximum(np.log(1.0 / implied.shape[1]) / np.log(implied.max(axis=1)), 2.0) * 1.01
    k = _solve_rows(_power_term, implied, np.full(n, 1e-9), k_hi, "power margin removal")
    return k, implied ** k[:, None]


def _shin_term(z: np.ndarray, p: np.ndarray, total: np.ndarray) -> np.ndarray:
    return (np.sqrt(z**2 + 4.0 * (1.0 - z) * p**2 / total) - z) / (2.0 * (1.0 - z))


def _shin(implied: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Solve Shin's z per row: sum of p_i(z) = 1 (Jullien & Salanié's closed form of p_i given z).

    At z=0 the sum is sqrt(overround+1) and it falls monotonically as z→1 (where p_i → pi_i²/sum), so a
    positive margin has its root in (0, 1); a negative margin has a root at z < 0 (where the sum rises again).
    """
    n = implied.shape[0]
    total = implied.sum(axis=1)
    z = _solve_rows(_shin_term, implied, np.full(n, -0.99), np.full(n, 1.0 - 1e-9), "Shin margin removal", total)
    return z, _shin_term(z[:, None], implied, total[:, None])


def _odds_ratio_term(log_c: np.ndarray, p: np.ndarray) -> np.ndarray:
    c = np.exp(log_c)
    return p / (c + p - c * p)


def _odds_ratio(implied: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Solve c per row with p_i = pi_i / (c + pi_i - c*pi_i); the sum falls monotonically in c (c=1: no change)."""
    n = implied.shape[0]
    log_c = _solve_rows(_odds_ratio_term, implied, np.full(n, -20.0), np.full(n, 20.0), "odds-ratio margin removal")
    return np.exp(log_c), _odds_ratio_term(log_c[:, None], implied)


_SOLVERS = {MarginMethod.POWER: _power, MarginMethod.SHIN: _shin, MarginMethod.ODDS_RATIO: _odds_ratio}
_PARAM_NAME = {MarginMethod.POWER: "k", MarginMethod.SHIN: "z", MarginMethod.ODDS_RATIO: "c"}


def fair_odds(
    odds: ArrayLike, method: MarginMethod | str = MarginMethod.MULTIPLICATIVE, nan_policy: NanPolicy = "raise"
) -> np.ndarray:
    """Margin-free decimal odds (1 / fair probability), same shape as ``odds``."""
    return remove_margin(odds, method, nan_policy).fair_odds
