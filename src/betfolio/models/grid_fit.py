"""Scoreline grids fitted to given market probabilities, so a 1X2 forecast can price every goals market.

A 1X2 forecast alone says nothing about totals, handicaps or BTTS. Here each match gets a Dixon-Coles-shaped
grid whose goal rates (λ, μ) are chosen so its home/away probabilities and its over-``line`` probability
match the targets as closely as possible (least squares, a vectorised Levenberg-Marquardt over all matches at
once: two unknowns per match, so a hand-written damped Gauss-Newton on stacked 2×2 systems is both simpler and
far faster than one ``scipy.optimize.least_squares`` call per match). Where no totals target exists (NaN), the
over probability is left free and only the 1X2 is fitted.

The fitted grid is then rescaled region by region (home wins, draws, away wins) so its 1X2 equals the target
*exactly*: the 1X2 is what was forecast; the shape inside each region is what the goal model adds.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

#: Dixon-Coles low-score dependence used for the grid's shape (a typical fitted value for top leagues).
DEFAULT_RHO = -0.05


def dc_grids(lam: np.ndarray, mu: np.ndarray, rho: float = DEFAULT_RHO, max_goals: int = 10) -> np.ndarray:
    """Dixon-Coles scoreline grids (n, G, G) for goal rates ``lam`` (home) and ``mu`` (away), normalised."""
    goals = np.arange(max_goals + 1, dtype=float)
    lf = gammaln(goals + 1.0)
    ph = np.exp(goals[None, :] * np.log(lam)[:, None] - lam[:, None] - lf[None, :])
    pa = np.exp(goals[None, :] * np.log(mu)[:, None] - mu[:, None] - lf[None, :])
    g = ph[:, :, None] * pa[:, None, :]
    g[:, 0, 0] *= np.maximum(1.0 - lam * mu * rho, 0.0)
    g[:, 0, 1] *= np.maximum(1.0 + lam * rho, 0.0)
    g[:, 1, 0] *= np.maximum(1.0 + mu * rho, 0.0)
    g[:, 1, 1] *= max(1.0 - rho, 0.0)
    return g / g.sum(axis=(1, 2), keepdims=True)


def _summaries(grids: np.ndarray, line: float) -> np.ndarray:
    """(p_home, p_away, p_over ``line``) per grid."""
    size = grids.shape[1]
    h, a = np.indices((size, size))
    home = (grids * (h > a)).sum(axis=(1, 2))
    away = (grids * (h < a)).sum(axis=(1, 2))
    over = (grids * (h + a > line)).sum(axis=(1, 2))
    return np.stack([home, away, over], axis=1)


def fit_grids(
    match_odds: np.ndarray,
    p_over: np.ndarray | None = None,
    *,
    line: float = 2.5,
    rho: float = DEFAULT_RHO,
    max_goals: int = 10,
    iterations: int = 30,
) -> np.ndarray:
    """Grids (n, G, G) whose 1X2 equals ``match_odds`` (n, 3) and whose P(total > line) is near ``p_over``."""
    target = np.asarray(match_odds, dtype=float)
    if target.ndim != 2 or target.shape[1] != 3:
        raise ValueError(f"match_odds must be (n, 3), got {target.shape}")
    if not np.isfinite(target).all() or (target <= 0).any():
        raise ValueError("match_odds must be positive finite probabilities")
    target = target / target.sum(axis=1, keepdims=True)
    n = target.shape[0]
    over = np.full(n, np.nan) if p_over is None else np.asarray(p_over, dtype=float).reshape(n)
    has_over = np.isfinite(over) & (over > 0) & (over < 1)
    weight = np.where(has_over, 1.0, 0.0)
    goal_target = np.column_stack([target[:, 0], target[:, 2], np.where(has_over, over, 0.0)])
    # Start: 2.6 goals split by the 1X2 (a rough supremacy guess), then damped Gauss-Newton in log rates.
    sup = np.clip(1.4 * (target[:, 0] - target[:, 2]), -2.0, 2.0)
    x = np.column_stack([np.log(np.clip(1.3 + sup / 2, 0.2, 5.0)), np.log(np.clip(1.3 - sup / 2, 0.2, 5.0))])
    damping = np.full(n, 1e-3)
    step = 1e-5

    def residuals(params: np.ndarray) -> np.ndarray:
        s = _summaries(dc_grids(np.exp(params[:, 0]), np.exp(params[:, 1]), rho, max_goals), line)
        r = s - goal_target
        r[:, 2] *= weight
        return r

    r = residuals(x)
    cost = (r**2).sum(axis=1)
    for _ in range(iterations):
        jac = np.empty((n, 3, 2))
        for k in range(2):
            xp = x.copy()
            xp[:, k] += step
            jac[:, :, k] = (residuals(xp) - r) / step
        jtj = np.einsum("nik,nil->nkl", jac, jac)
        jtr = np.einsum("nik,ni->nk", jac, r)
        jtj[:, [0, 1], [0, 1]] *= 1.0 + damping[:, None]
        jtj[:, [0, 1], [0, 1]] += 1e-12
        delta = -np.linalg.solve(jtj, jtr[:, :, None])[:, :, 0]
        candidate = np.clip(x + delta, np.log(0.05), np.log(8.0))
        r_new = residuals(candidate)
        cost_new = (r_new**2).sum(axis=1)
        better = cost_new < cost
        x = np.where(better[:, None], candidate, x)
        r = np.where(better[:, None], r_new, r)
        cost = np.where(better, cost_new, cost)
        damping = np.where(better, damping / 3.0, damping * 4.0)
        if cost.max() < 1e-14:
            break
    grids = dc_grids(np.exp(x[:, 0]), np.exp(x[:, 1]), rho, max_goals)
    return rescale_to_match_odds(grids, target)


def rescale_to_match_odds(grids: np.ndarray, match_odds: np.ndarray) -> np.ndarray:
    """Scale each grid's home-win, draw and away-win cells so their sums equal ``match_odds`` exactly."""
    size = grids.shape[1]
    h, a = np.indices((size, size))
    regions = [h > a, h == a, h < a]
    out = grids.copy()
    for j, region in enumerate(regions):
        mass = (grids * region).sum(axis=(1, 2))
        factor = np.divide(match_odds[:, j], mass, out=np.zeros_like(mass), where=mass > 0)
        out = np.where(region[None], out * factor[:, None, None], out)
    return out / out.sum(axis=(1, 2), keepdims=True)
