"""A forecast anchored on the market: the margin-free consensus, corrected by what the goal model and ratings add.

The pre-match market already aggregates almost everything a model can know, so a model that ignores it loses to
it (Dixon-Coles alone trails the opening market by ~0.007 RPS). This model starts *from* the market and learns,
walk-forward on earlier matches only, how far to move away from it:

    η_j = (1 + a)·log p_market,j + b·m_dc·(log p_dc,j − log p_market,j) + α_j + z·γ_j      (j = home, draw, away)
    p = softmax(η),    α_draw = γ_draw = 0

``p_market`` is the consensus of the latest non-closing prices (each bookmaker's margin removed, then averaged),
``p_dc`` the goal model's forecast (masked by ``m_dc`` where it has none), ``z`` the rating features of
:mod:`betfolio.models.ratings` times their masks. Every coefficient is L2-penalised toward zero, so with no
data — or no signal — the model *is* the market, and it only departs from it as far as earlier seasons
justify.

The fit is a ~20-parameter penalised multinomial logit with an exact gradient, solved by scipy's L-BFGS-B:
scikit-learn's ``LogisticRegression`` cannot take the market as a fixed per-outcome offset (it has no offset
argument), and a dependency that large for 40 lines of likelihood is not worth it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_softmax

from betfolio.markets.margin import MarginMethod, remove_margin
from betfolio.models.ratings import N_FEATURES

#: Probabilities are floored here before taking logs (a 1000.0 longshot still has a finite log).
_P_FLOOR = 1e-4


def consensus_probabilities(odds: np.ndarray, method: MarginMethod | str = MarginMethod.POWER) -> np.ndarray | None:
    """Margin-free consensus of several bookmakers' prices for one market (rows = bookmakers, NaN = not quoted).

    Each complete row is de-margined on its own (the power method by default: it shades longshots more, as
    bookmakers do), then the rows are averaged. ``None`` when no bookmaker quotes every side.
    """
    rows = np.atleast_2d(np.asarray(odds, dtype=float))
    complete = rows[np.isfinite(rows).all(axis=1) & (rows > 1.0).all(axis=1)]
    if complete.shape[0] == 0:
        return None
    p = remove_margin(complete, method).probabilities
    p = p[np.isfinite(p).all(axis=1)]
    if p.shape[0] == 0:
        return None
    mean = p.mean(axis=0)
    return mean / mean.sum()


def consensus_many(
    odds_rows: np.ndarray, owner: np.ndarray, n_markets: int, method: MarginMethod | str = MarginMethod.POWER
) -> np.ndarray:
    """:func:`consensus_probabilities` for many markets in one de-margining call.

    ``odds_rows`` holds every bookmaker row of every market, ``owner`` the market index of each row. Returns
    (n_markets, outcomes), NaN for a market without a complete row.
    """
    rows = np.asarray(odds_rows, dtype=float)
    k = rows.shape[1] if rows.ndim == 2 else 3
    out = np.full((n_markets, k), np.nan)
    if rows.size == 0:
        return out
    ok = np.isfinite(rows).all(axis=1) & (rows > 1.0).all(axis=1)
    rows, owner = rows[ok], np.asarray(owner)[ok]
    if rows.shape[0] == 0:
        return out
    p = remove_margin(rows, method).probabilities
    good = np.isfinite(p).all(axis=1)
    p, owner = p[good], owner[good]
    sums = np.zeros((n_markets, k))
    np.add.at(sums, owner, p)
    counts = np.bincount(owner, minlength=n_markets).astype(float)
    has = counts > 0
    out[has] = sums[has] / sums[has].sum(axis=1, keepdims=True)
    return out


@dataclass
class AnchoredInputs:
    """Design inputs for ``n`` matches: market and goal-model 1X2 probabilities, rating features and masks."""

    market: np.ndarray  # (n, 3)
    goal_model: np.ndarray  # (n, 3), rows arbitrary where goal_mask is 0
    goal_mask: np.ndarray  # (n,)
    features: np.ndarray  # (n, N_FEATURES)
    feature_mask: np.ndarray  # (n, N_FEATURES)

    def __post_init__(self) -> None:
        n = self.market.shape[0]
        if self.market.shape != (n, 3) or self.goal_model.shape != (n, 3):
            raise ValueError(f"market and goal-model probabilities must be (n, 3), got {self.market.shape}")
        if self.features.shape != (n, N_FEATURES) or self.feature_mask.shape != (n, N_FEATURES):
            raise ValueError(f"features must be (n, {N_FEATURES}), got {self.features.shape}")

    def __len__(self) -> int:
        return int(self.market.shape[0])


def _design(inputs: AnchoredInputs, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(offset (n, 3), X (n, 3, P)) with η = offset + X·θ."""
    n = len(inputs)
    log_pm = np.log(np.clip(inputs.market, _P_FLOOR, 1.0))
    log_pd = np.log(np.clip(inputs.goal_model, _P_FLOOR, 1.0))
    dc = np.where(inputs.goal_mask[:, None] > 0, log_pd - log_pm, 0.0)
    z = np.where(inputs.feature_mask > 0, inputs.features, 0.0) / scale
    k = z.shape[1]
    x = np.zeros((n, 3, 4 + 2 * k))
    x[:, :, 0] = log_pm
    x[:, :, 1] = dc
    x[:, 0, 2] = 1.0
    x[:, 2, 3] = 1.0
    x[:, 0, 4 : 4 + k] = z
    x[:, 2, 4 + k :] = z
    return log_pm, x


@dataclass
class MarketAnchoredLogit:
    """The penalised multinomial logit above.

    ``l2`` is the precision of a zero-mean Gaussian prior on every coefficient, in units of matches: the penalty
    does not shrink as the data grow per match, so a fit on a few dozen matches stays next to the market while
    a fit on ten seasons is led by the data.
    """

    l2: float = 50.0
    theta: np.ndarray | None = None
    scale: np.ndarray = field(default_factory=lambda: np.ones(N_FEATURES))
    n_train: int = 0

    @property
    def is_fitted(self) -> bool:
        return self.theta is not None

    def fit(self, inputs: AnchoredInputs, outcomes: Sequence[int] | np.ndarray) -> MarketAnchoredLogit:
        y = np.asarray(outcomes, dtype=np.intp)
        if y.shape[0] != len(inputs):
            raise ValueError(f"{len(inputs)} matches but {y.shape[0]} outcomes")
        if y.size == 0:
            raise ValueError("no matches to fit on")
        if np.any((y < 0) | (y > 2)):
            raise ValueError("outcomes must be 0 (home), 1 (draw) or 2 (away)")
        present = inputs.feature_mask > 0
        sd = np.array(
            [inputs.features[present[:, j], j].std() if present[:, j].sum() > 1 else 1.0 for j in range(N_FEATURES)]
        )
        self.scale = np.where(sd > 1e-9, sd, 1.0)
        offset, x = _design(inputs, self.scale)
        onehot = np.zeros((y.size, 3))
        onehot[np.arange(y.size), y] = 1.0
        n = float(y.size)
        lam = self.l2 / n

        def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
            eta = offset + x @ theta
            logp = log_softmax(eta, axis=1)
            nll = -float((logp * onehot).sum()) / n + 0.5 * lam * float(theta @ theta)
            resid = np.exp(logp) - onehot
            grad = np.einsum("nj,njp->p", resid, x) / n + lam * theta
            return nll, grad

        start = self.theta if self.theta is not None and self.theta.shape[0] == x.shape[2] else np.zeros(x.shape[2])
        result = minimize(objective, start, jac=True, method="L-BFGS-B", options={"maxiter": 500})
        self.theta = result.x
        self.n_train = int(y.size)
        return self

    def predict(self, inputs: AnchoredInputs) -> np.ndarray:
        """1X2 probabilities (n, 3); an unfitted model returns the market itself."""
        if self.theta is None:
            p = np.clip(inputs.market, _P_FLOOR, 1.0)
            return p / p.sum(axis=1, keepdims=True)
        offset, x = _design(inputs, self.scale)
        return np.exp(log_softmax(offset + x @ self.theta, axis=1))

    def coefficients(self) -> dict[str, float]:
        """Named coefficients for reports (features in their standardised units)."""
        from betfolio.models.ratings import FEATURE_NAMES

        if self.theta is None:
            return {}
        names = ["market_log_prob_extra", "goal_model_vs_market", "home_intercept", "away_intercept"]
        names += [f"home:{f}" for f in FEATURE_NAMES] + [f"away:{f}" for f in FEATURE_NAMES]
        return {n: float(v) for n, v in zip(names, self.theta, strict=True)}
