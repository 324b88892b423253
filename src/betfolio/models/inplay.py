"""In-play prices from pre-match probabilities: time-scaled Poisson scoring intensities.

Live odds in the simulator are **modelled, not historical**: no free source publishes minute-by-minute in-play
prices for past matches. The model is the textbook one (Dixon & Robinson 1998 in its simplest form):

1. the pre-match margin-free 1X2 probabilities (and the over/under 2.5 probability when known) are inverted to
   full-match scoring intensities ``λ_home, λ_away`` of independent Poisson goals (:func:`implied_intensities`);
2. goals arrive with a within-match profile :data:`GOAL_WEIGHTS` (rising through the match, heavier in the
   stoppage-time minutes 45 and 90), so the expected goals still to come after minute ``t`` are
   ``λ · remaining_fraction(t)``;
3. a red card scales the carded side's remaining intensity by :data:`RED_CARD_OWN` and the opponent's by
   :data:`RED_CARD_OPPONENT` per card;
4. final-result and over/under 2.5 probabilities follow from the current score plus the remaining Poisson
   goals, priced on the scoreline grid of :mod:`betfolio.models.grid` (:func:`outcome_probabilities`), and the
   book quotes them with a margin (:func:`offered_odds`).

Numpy throughout: prices for a whole bank of timelines are computed in a few vectorised passes.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from betfolio.canonical import TOTALS_LINE
from betfolio.models.grid import expected_settlements_in_play, poisson_grids

MINUTES = 90
#: Goal intensity weight of minutes 1…90 (index 0 = minute 1): rising ~50 % from kick-off to the end,
#: with minutes 45 and 90 carrying stoppage time.
GOAL_WEIGHTS = 1.0 + 0.5 * np.arange(MINUTES) / (MINUTES - 1)
GOAL_WEIGHTS[[44, 89]] *= 1.6
GOAL_WEIGHTS /= GOAL_WEIGHTS.sum()
#: Share of the match's goal intensity still to come after minute t, for t = 0…90.
REMAINING = np.concatenate([[1.0], 1.0 - np.cumsum(GOAL_WEIGHTS)]).clip(0.0, 1.0)
REMAINING[-1] = 0.0

RED_CARD_OWN = 0.67
RED_CARD_OPPONENT = 1.25
MAX_GOALS = 10

#: Outcome columns produced by outcome_probabilities (matches features.LIVE_SELECTIONS).
OUTCOMES = ("home", "draw", "away", "over_2_5", "under_2_5")
#: The bets priced on the grid: the 1X2 and the under (the over is its complement).
_PRICED = (("1x2", "home", None), ("1x2", "draw", None), ("1x2", "away", None), ("total_goals", "under", TOTALS_LINE))


def outcome_probabilities(
    mu_home: ArrayLike, mu_away: ArrayLike, home_goals: ArrayLike, away_goals: ArrayLike
) -> np.ndarray:
    """Probabilities of (home win, draw, away win, over 2.5, under 2.5) at full time, shape ``[..., 5]``.

    ``mu_*`` are the expected goals still to come; the current score is ``home_goals``-``away_goals``. Priced on
    the scoreline grid of :mod:`betfolio.models.grid` (the pre-match models' one pricer, settled by the same
    kernel as the bets): a grid of the goals still to come, each selection's expected settlement given the score
    on the board. The grid stops at :data:`MAX_GOALS` more goals per side; the 1X2 spreads the cut-off mass
    (renormalised grid), while under 2.5 only needs scores inside the grid and is exact (unnormalised grid).
    """
    mu_h = np.asarray(mu_home, dtype=np.float64)
    mu_a = np.asarray(mu_away, dtype=np.float64)
    shape = np.broadcast_shapes(mu_h.shape, mu_a.shape, np.shape(home_goals), np.shape(away_goals))
    ravel = [np.broadcast_to(x, shape).reshape(-1) for x in (mu_h, mu_a, home_goals, away_goals)]
    grids = poisson_grids(ravel[0], ravel[1], MAX_GOALS)
    scored = (ravel[2].astype(np.int64), ravel[3].astype(np.int64))
    win, _refund = expected_settlements_in_play(grids, _PRICED, scored)
    out = np.empty((len(win), 5))
    out[:, :3] = win[:, :3] / grids.sum(axis=(1, 2))[:, None]
    out[:, 4] = np.clip(win[:, 3], 0.0, 1.0)
    out[:, 3] = 1.0 - out[:, 4]
    return out.clip(0.0, 1.0).reshape(*shape, 5)


class IntensityGrid:
    """Inverts margin-free probabilities to Poisson intensities by nearest match on a fine (λh, λa) grid.

    A lookup rather than a per-match optimiser: vectorised distance computations price a whole season, the
    answer is deterministic, and the 0.025-goal resolution is far below the noise in the odds. The search is
    coarse-to-fine (every ``coarse``-th grid point first, then the fine points around the best one), which
    finds the same point on this smooth objective at a fraction of the cost.
    """

    def __init__(self, step: float = 0.025, lo: float = 0.05, hi: float = 4.5, coarse: int = 4) -> None:
        self.axis = np.arange(lo, hi + 1e-9, step)
        n = len(self.axis)
        lh, la = np.meshgrid(self.axis, self.axis, indexing="ij")
        zeros = np.zeros(n * n, dtype=np.int64)
        self.probs = outcome_probabilities(lh.ravel(), la.ravel(), zeros, zeros)[:, :4].reshape(n, n, 4)
        self.coarse = coarse
        self._coarse_probs = self.probs[::coarse, ::coarse].reshape(-1, 4)
        self._coarse_n = len(self.axis[::coarse])
        offsets = np.arange(-coarse, coarse + 1)
        self._patch = np.stack(np.meshgrid(offsets, offsets, indexing="ij"), -1).reshape(-1, 2)

    def fit(self, p1x2: ArrayLike, p_over: ArrayLike | None = None, chunk: int = 512) -> tuple[np.ndarray, np.ndarray]:
        """λ_home, λ_away per row of ``p1x2 [n, 3]`` (plus ``p_over [n]``, NaN where unknown)."""
        target = np.asarray(p1x2, dtype=np.float64)
        if target.ndim != 2 or target.shape[1] != 3:
            raise ValueError("p1x2 must have shape [n, 3]")
        over = np.full(len(target), np.nan) if p_over is None else np.asarray(p_over, dtype=np.float64)
        n_axis = len(self.axis)
        lam_h = np.empty(len(target))
        lam_a = np.empty(len(target))
        for start in range(0, len(target), chunk):
            t = target[start : start + chunk]
            o = over[start : start + chunk]
            known = np.isfinite(o)
            err = ((self._coarse_probs[None, :, :3] - t[:, None, :]) ** 2).sum(-1)
            err[known] += (self._coarse_probs[None, :, 3] - o[known, None]) ** 2
            best = err.argmin(axis=1)
            ci, cj = divmod(best, self._coarse_n)
            fi = np.clip(ci[:, None] * self.coarse + self._patch[None, :, 0], 0, n_axis - 1)
            fj = np.clip(cj[:, None] * self.coarse + self._patch[None, :, 1], 0, n_axis - 1)
            cand = self.probs[fi, fj]  # [rows, patch, 4]
            err = ((cand[..., :3] - t[:, None, :]) ** 2).sum(-1)
            err[known] += (cand[known, :, 3] - o[known, None]) ** 2
            pick = err.argmin(axis=1)
            rows = np.arange(len(t))
            lam_h[start : start + chunk] = self.axis[fi[rows, pick]]
            lam_a[start : start + chunk] = self.axis[fj[rows, pick]]
        return lam_h, lam_a


_GRID: IntensityGrid | None = None


def implied_intensities(p1x2: ArrayLike, p_over: ArrayLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Full-match Poisson intensities implied by margin-free 1X2 (and over 2.5) probabilities."""
    global _GRID
    if _GRID is None:
        _GRID = IntensityGrid()
    return _GRID.fit(p1x2, p_over)


def remaining_intensities(
    lam_home: ArrayLike, lam_away: ArrayLike, minute: ArrayLike, red_home: ArrayLike, red_away: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """Expected goals still to come after ``minute`` for each side, adjusted for red cards so far."""
    rem = REMAINING[np.clip(np.asarray(minute, dtype=np.int64), 0, MINUTES)]
    rh = np.minimum(np.asarray(red_home, dtype=np.float64), 3.0)
    ra = np.minimum(np.asarray(red_away, dtype=np.float64), 3.0)
    mu_h = np.asarray(lam_home) * rem * RED_CARD_OWN**rh * RED_CARD_OPPONENT**ra
    mu_a = np.asarray(lam_away) * rem * RED_CARD_OWN**ra * RED_CARD_OPPONENT**rh
    return mu_h, mu_a


def offered_odds(
    fair: ArrayLike, margin: float = 0.06, min_probability: float = 0.01, max_odds: float = 101.0
) -> np.ndarray:
    """Decimal odds a book would show for fair probabilities: multiplicative margin, NaN where not offered.

    Outcomes that are (nearly) decided — fair probability below ``min_probability`` or odds that would fall to
    1.01 or below once the margin is added — are taken off the board, as books do.
    """
    p = np.asarray(fair, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = 1.0 / (p * (1.0 + margin))
    ok = (p >= min_probability) & (odds > 1.01)
    return np.where(ok, np.minimum(odds, max_odds), np.nan)
