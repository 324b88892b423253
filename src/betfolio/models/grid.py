"""A scoreline probability grid: one matrix that prices every goals market of a match.

``probabilities[h, a]`` is the probability of the final score h–a (truncated at ``max_goals`` per side and
renormalised). Line markets are priced by running the *settlement kernel* over every cell, so a quarter-line
price here and the settlement of that bet later can never disagree: the expected win and refund fractions
give the fair price ``(1 - refund) / win`` directly (a push-heavy line is priced correctly, not as a
two-way market with the pushes thrown away).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike

from betfolio.canonical.enums import Market, Selection
from betfolio.markets.settlement import outcome_codes, settle_fractions


@dataclass(frozen=True)
class SidePrice:
    """Expected settlement of one unit stake on one side of a market.

    ``win``: expected fraction of the stake settled as a win (a half-win counts ½); ``refund``: expected fraction
    returned (pushes, the returned halves of half-wins and half-losses); the rest is lost.
    """

    win: float
    refund: float

    @property
    def lose(self) -> float:
        return max(0.0, 1.0 - self.win - self.refund)

    @property
    def fair_odds(self) -> float:
        """Decimal odds at which the bet has zero expected profit: ``(1 - refund) / win`` (inf if it cannot win)."""
        return float("inf") if self.win <= 0.0 else (1.0 - self.refund) / self.win

    def expected_return(self, odds: float) -> float:
        """Expected money back per unit stake at ``odds`` (stake included)."""
        return self.win * odds + self.refund

    def edge(self, odds: float) -> float:
        """Expected profit per unit stake at ``odds``."""
        return self.expected_return(odds) - 1.0


def expected_settlement(
    grids: np.ndarray,
    market: Market | str,
    selection: Selection | str,
    line: ArrayLike = np.nan,
) -> tuple[np.ndarray, np.ndarray]:
    """Expected (win, refund) fractions of a bet for each of ``n`` grids (shape ``(n, H, A)``) at once.

    ``line`` is a scalar or one line per grid. Uses the same kernel as bet settlement.
    """
    g, win, refund = _settlement_over_grid(grids, market, selection, line)
    return (g * win).sum(axis=(1, 2)), (g * refund).sum(axis=(1, 2))


def expected_settlements_in_play(
    grids: np.ndarray,
    bets: Sequence[tuple[Market | str, Selection | str, float | None]],
    scored: tuple[ArrayLike, ArrayLike],
) -> tuple[np.ndarray, np.ndarray]:
    """Expected (win, refund) fractions, shape ``(n, len(bets))``, of several bets on grids of goals still to come.

    In play, ``scored = (home_goals, away_goals)`` (one pair per grid, or one for all) are the goals already on
    the board: cell (h, a) settles as the final score h + home_goals – a + away_goals. The grids are summed as
    given (not renormalised), so a caller can tell the mass its truncation cut off. Thousands of minute states
    share a handful of scores, so each score's settlement matrix (every cell × every bet) is computed once and
    applied to its grids as one matrix product — a whole in-play bank is priced in a few passes.
    """
    g = np.asarray(grids, dtype=float)
    n, rows, cols = g.shape
    home = np.broadcast_to(np.asarray(scored[0], dtype=np.int64), (n,))
    away = np.broadcast_to(np.asarray(scored[1], dtype=np.int64), (n,))
    flat = g.reshape(n, rows * cols)
    codes = tuple((Market(m).value, Selection(s).value, None if ln is None else float(ln)) for m, s, ln in bets)
    nb = len(codes)
    win_out, refund_out = np.empty((n, nb)), np.empty((n, nb))
    if n == 0:
        return win_out, refund_out
    if home.min() < 0 or away.min() < 0:
        raise ValueError("goals already scored cannot be negative")
    base = int(away.max()) + 1
    scores, where = np.unique(home * base + away, return_inverse=True)
    where = where.reshape(-1)
    kernel = [_score_kernel(codes, rows, cols, int(s // base), int(s % base)) for s in scores]
    if len(scores) == 1:
        both = flat @ kernel[0]
        win_out[:], refund_out[:] = both[:, :nb], both[:, nb:]
        return win_out, refund_out
    order = np.argsort(where, kind="stable")
    bounds = np.searchsorted(where[order], np.arange(len(scores) + 1))
    for k in range(len(scores)):
        idx = order[bounds[k] : bounds[k + 1]]
        both = flat[idx] @ kernel[k]
        win_out[idx] = both[:, :nb]
        refund_out[idx] = both[:, nb:]
    return win_out, refund_out


@lru_cache(maxsize=1024)
def _score_kernel(
    codes: tuple[tuple[str, str, float | None], ...], rows: int, cols: int, home: int, away: int
) -> np.ndarray:
    """The settlement matrix ``[rows * cols, 2 * len(codes)]`` (wins, then refunds) of bets on a grid of goals still
    to come, with ``home``-``away`` already on the board. A match has a handful of possible scores and a live trader
    prices hundreds of matches every tick, so each score's matrix is computed once and kept (read-only)."""
    hg = np.arange(rows, dtype=float)[:, None] + home
    ag = np.arange(cols, dtype=float)[None, :] + away
    nb = len(codes)
    kernel = np.empty((rows * cols, 2 * nb))
    for j, (market, selection, line) in enumerate(codes):
        win, refund = settle_fractions(market, selection, np.nan if line is None else line, hg, ag)
        kernel[:, j] = np.broadcast_to(win, (rows, cols)).reshape(-1)
        kernel[:, nb + j] = np.broadcast_to(refund, (rows, cols)).reshape(-1)
    kernel.setflags(write=False)
    return kernel


def poisson_grids(mu_home: ArrayLike, mu_away: ArrayLike, max_goals: int = 10) -> np.ndarray:
    """Scoreline grids of independent Poisson goals, shape ``(n, max_goals + 1, max_goals + 1)``.

    Not renormalised: the mass of scores beyond ``max_goals`` per side is simply missing, and a caller decides
    whether to spread it (``grid / grid.sum()``) or to keep exact low-score probabilities (totals unders).
    """
    mu_h = np.maximum(np.asarray(mu_home, dtype=np.float64).reshape(-1), 0.0)
    mu_a = np.maximum(np.asarray(mu_away, dtype=np.float64).reshape(-1), 0.0)
    return poisson_pmf(mu_h, max_goals)[:, :, None] * poisson_pmf(mu_a, max_goals)[:, None, :]


def poisson_pmf(mu: ArrayLike, kmax: int) -> np.ndarray:
    """``P(X = k)`` for k = 0…kmax, shape ``mu.shape + (kmax+1,)``, by the stable recurrence p_k = p_{k-1} μ/k."""
    mu = np.asarray(mu, dtype=np.float64)
    out = np.empty((*mu.shape, kmax + 1))
    out[..., 0] = np.exp(-mu)
    for k in range(1, kmax + 1):
        out[..., k] = out[..., k - 1] * mu / k
    return out


def outcome_distribution(
    grids: np.ndarray, market: Market | str, selection: Selection | str, line: ArrayLike = np.nan
) -> np.ndarray:
    """Probability of each settlement outcome (won, half_won, push, half_lost, lost) per grid: shape (n, 5).

    The input for exact Kelly staking on lines that can push or half-settle (:func:`betfolio.markets.kelly.kelly_line`).
    """
    g, win, refund = _settlement_over_grid(grids, market, selection, line)
    codes = outcome_codes(win, refund)
    return np.stack([(g * (codes == k)).sum(axis=(1, 2)) for k in range(5)], axis=1)


def _settlement_over_grid(
    grids: np.ndarray, market: Market | str, selection: Selection | str, line: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grids as ``(n, H, A)`` with the (win, refund) fractions of the bet in every scoreline cell of each."""
    g = np.asarray(grids, dtype=float)
    if g.ndim == 2:
        g = g[None]
    n, rows, cols = g.shape
    hg = np.arange(rows, dtype=float)[None, :, None]
    ag = np.arange(cols, dtype=float)[None, None, :]
    ln = np.asarray(line, dtype=float)
    ln = ln.reshape(-1, 1, 1) if ln.ndim else ln
    win, refund = settle_fractions(Market(market).value, Selection(selection).value, ln, hg, ag)
    return g, np.broadcast_to(win, (n, rows, cols)), np.broadcast_to(refund, (n, rows, cols))


@dataclass(frozen=True)
class ScorelineGrid:
    """Probability of every final score; prices 1X2, totals, Asian handicaps, draw-no-bet, BTTS, double chance."""

    probabilities: np.ndarray
    home_rate: float | None = None
    away_rate: float | None = None

    def __post_init__(self) -> None:
        p = np.asarray(self.probabilities, dtype=float)
        if p.ndim != 2 or np.any(~np.isfinite(p)) or np.any(p < 0):
            raise ValueError("a scoreline grid is a 2-D matrix of non-negative finite probabilities")
        total = p.sum()
        if total <= 0:
            raise ValueError("a scoreline grid needs positive mass")
        object.__setattr__(self, "probabilities", p / total)

    @property
    def max_goals(self) -> int:
        return self.probabilities.shape[0] - 1

    @property
    def expected_goals(self) -> tuple[float, float]:
        p = self.probabilities
        return float(p.sum(axis=1) @ np.arange(p.shape[0])), float(p.sum(axis=0) @ np.arange(p.shape[1]))

    def match_odds(self) -> tuple[float, float, float]:
        """(p_home, p_draw, p_away)."""
        p = self.probabilities
        return float(np.tril(p, -1).sum()), float(np.trace(p)), float(np.triu(p, 1).sum())

    def price(self, market: Market | str, selection: Selection | str, line: float | None = None) -> SidePrice:
        """Expected settlement of any canonical (market, selection, line) bet on this match."""
        win, refund = expected_settlement(self.probabilities, market, selection, np.nan if line is None else line)
        return SidePrice(float(win[0]), float(refund[0]))

    def outcome_probabilities(
        self, market: Market | str, selection: Selection | str, line: float | None = None
    ) -> np.ndarray:
        """Probabilities of (won, half_won, push, half_lost, lost) for one bet on this match."""
        return outcome_distribution(self.probabilities, market, selection, np.nan if line is None else line)[0]

    def totals(self, line: float) -> tuple[SidePrice, SidePrice]:
        """(over, under) at goal line ``line`` (whole, half or quarter)."""
        return self.price(Market.TOTAL_GOALS, Selection.OVER, line), self.price(
            Market.TOTAL_GOALS, Selection.UNDER, line
        )

    def asian_handicap(self, line: float) -> tuple[SidePrice, SidePrice]:
        """(home at ``line``, away at ``-line``): ``line`` is the home side's handicap, e.g. -0.75."""
        return (
            self.price(Market.ASIAN_HANDICAP, Selection.HOME, line),
            self.price(Market.ASIAN_HANDICAP, Selection.AWAY, -line),
        )

    def draw_no_bet(self) -> tuple[SidePrice, SidePrice]:
        return self.price(Market.DRAW_NO_BET, Selection.HOME), self.price(Market.DRAW_NO_BET, Selection.AWAY)

    def btts(self) -> tuple[float, float]:
        """(p_yes, p_no) for both teams to score."""
        yes = float(self.probabilities[1:, 1:].sum())
        return yes, 1.0 - yes

    def double_chance(self) -> tuple[float, float, float]:
        """(home or draw, home or away, draw or away)."""
        home, draw, away = self.match_odds()
        return home + draw, home + away, draw + away

    def correct_score(self, home_goals: int, away_goals: int) -> float:
        if not (0 <= home_goals <= self.max_goals and 0 <= away_goals <= self.probabilities.shape[1] - 1):
            return 0.0
        return float(self.probabilities[home_goals, away_goals])
