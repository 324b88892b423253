"""Performance and forecast metrics — reusable by the backtest report and the agents' evaluation.

Betting results are noisy: at a 2 % edge a season of ~380 bets gives ROI ± 6 %. So ROI comes with a bootstrap
95 % interval (match days resampled with replacement — bets on one day are correlated — and ROI = Σ profit /
Σ stake recomputed per resample), and closing line value — far less noisy than profit — is reported beside it.
Two forecasters are compared by the paired difference of their per-match scores, with its bootstrap interval.

Forecast quality uses the proper scores of :mod:`betfolio.backtest.scoring` and a reliability table
(calibration): predicted probability bins against observed frequencies.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from betfolio.backtest.scoring import brier_score, log_loss, ranked_probability_score

#: Resample × bet cells drawn at once by the bootstrap (≈ 80 MB of float64).
_BOOTSTRAP_CELLS = 10_000_000


#: The headline of a strategy's metrics: the keys every strategy row of a report or an agents' evaluation carries
#: (scripts read them).
HEADLINE_KEYS = (
    "bets",
    "roi",
    "roi_ci_low",
    "roi_ci_high",
    "clv_mean",
    "max_drawdown",
    "sharpe",
    "log_growth",
    "final_equity",
)


@dataclass(frozen=True)
class BettingMetrics:
    bets: int
    turnover: float
    profit: float
    roi: float | None
    roi_ci_low: float | None
    roi_ci_high: float | None
    hit_rate: float | None
    average_odds: float | None
    clv_mean: float | None
    clv_share_positive: float | None
    clv_bets: int
    max_drawdown: float
    sharpe: float | None
    log_growth: float
    final_equity: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def bootstrap_ratio_ci(
    numerators: ArrayLike,
    denominators: ArrayLike,
    *,
    groups: ArrayLike | None = None,
    level: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> tuple[float, float] | tuple[None, None]:
    """Percentile bootstrap interval of Σ numerator / Σ denominator.

    Without ``groups`` the rows are resampled one by one. With ``groups`` (e.g. the match day of each bet) whole
    groups are resampled: bets on one day share weather, news and a refitted model, so they are not independent
    draws and a per-bet bootstrap would give intervals that are too narrow. Vectorised as (resamples × units)
    count matrices from multinomial draws, in blocks so memory stays bounded on long ledgers.
    """
    num = np.asarray(numerators, dtype=float)
    den = np.asarray(denominators, dtype=float)
    if num.shape != den.shape:
        raise ValueError(f"{num.shape[0]} numerators for {den.shape[0]} denominators")
    if groups is not None:
        keys = np.asarray(groups)
        if keys.shape[0] != num.shape[0]:
            raise ValueError(f"{keys.shape[0]} group labels for {num.shape[0]} rows")
        _, inverse = np.unique(keys, return_inverse=True)
        num = np.bincount(inverse, num)
        den = np.bincount(inverse, den)
    n = num.shape[0]
    if n < 2:
        return None, None
    rng = np.random.default_rng(seed)
    ratios = np.empty(resamples)
    block = max(1, min(resamples, _BOOTSTRAP_CELLS // n))  # bounded memory for long ledgers
    for start in range(0, resamples, block):
        size = min(block, resamples - start)
        counts = rng.multinomial(n, np.full(n, 1.0 / n), size=size).astype(float)
        total = counts @ den
        ratios[start : start + size] = np.divide(counts @ num, total, out=np.full(size, np.nan), where=total > 0)
    ratios = ratios[np.isfinite(ratios)]
    if ratios.size == 0:
        return None, None
    alpha = (1.0 - level) / 2.0
    lo, hi = np.quantile(ratios, [alpha, 1.0 - alpha])
    return float(lo), float(hi)


def bootstrap_roi_ci(
    stakes: ArrayLike,
    profits: ArrayLike,
    *,
    groups: ArrayLike | None = None,
    level: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> tuple[float, float] | tuple[None, None]:
    """Percentile bootstrap interval of ROI = Σ profit / Σ stake; ``groups`` (match days) resamples whole days."""
    return bootstrap_ratio_ci(profits, stakes, groups=groups, level=level, resamples=resamples, seed=seed)


@dataclass(frozen=True)
class PairedDifference:
    """Mean of (score A − score B) over the same matches, with a bootstrap interval (negative = A better)."""

    matches: int
    mean: float
    ci_low: float | None
    ci_high: float | None

    @property
    def significant(self) -> bool:
        return self.ci_low is not None and self.ci_high is not None and (self.ci_low > 0 or self.ci_high < 0)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "significant": self.significant}


def paired_difference(
    scores_a: ArrayLike, scores_b: ArrayLike, *, groups: ArrayLike | None = None, seed: int = 0
) -> PairedDifference:
    """Paired comparison of two forecasters scored on identical matches (per-match proper scores).

    Pairing removes the match-to-match variance both share, which dwarfs the difference between good
    forecasters; ``groups`` (match days) resamples whole days, as for ROI.
    """
    a = np.asarray(scores_a, dtype=float)
    b = np.asarray(scores_b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"scores differ in length: {a.shape[0]} and {b.shape[0]}")
    diff = a - b
    lo, hi = bootstrap_ratio_ci(diff, np.ones_like(diff), groups=groups, seed=seed)
    return PairedDifference(int(diff.size), float(diff.mean()) if diff.size else float("nan"), lo, hi)


def max_drawdown(equity: ArrayLike) -> float:
    """Largest fall from a running peak, as a fraction of that peak (0 = never below a previous high)."""
    e = np.asarray(equity, dtype=float)
    if e.size == 0:
        return 0.0
    peak = np.maximum.accumulate(e)
    with np.errstate(divide="ignore", invalid="ignore"):
        dd = np.where(peak > 0, 1.0 - e / peak, 0.0)
    return float(np.max(dd))


def sharpe_ratio(
    equity: ArrayLike, times: Sequence[datetime] | None = None, periods_per_year: float = 52.0
) -> float | None:
    """Annualised Sharpe ratio of period returns of the equity curve (risk-free rate 0).

    With ``times`` the curve is resampled to one point per ISO week (the last equity of the week), so rounds
    that happen twice a week and idle summers weigh the same as on a calendar; ``periods_per_year`` = 52.
    """
    e = np.asarray(equity, dtype=float)
    if times is not None and len(times) == e.size and e.size:
        weekly: dict[tuple[int, int], float] = {}
        for t, v in zip(times, e, strict=True):
            iso = t.isocalendar()
            weekly[(iso[0], iso[1])] = float(v)
        e = np.array(list(weekly.values()))
    if e.size < 3:
        return None
    returns = np.diff(e) / e[:-1]
    sd = returns.std(ddof=1)
    if not np.isfinite(sd) or sd <= 1e-12:
        return None
    return float(returns.mean() / sd * math.sqrt(periods_per_year))


def betting_metrics(
    stakes: ArrayLike,
    payouts: ArrayLike,
    odds: ArrayLike,
    clv: ArrayLike,
    equity: ArrayLike,
    initial: float,
    *,
    times: Sequence[datetime] | None = None,
    seed: int = 0,
    groups: ArrayLike | None = None,
) -> BettingMetrics:
    """Everything the report shows per strategy. ``clv`` may hold NaN for bets without a closing price.

    ``groups`` labels each bet with its match day: the ROI interval then resamples days, not single bets.
    """
    s = np.asarray(stakes, dtype=float)
    pay = np.asarray(payouts, dtype=float)
    o = np.asarray(odds, dtype=float)
    c = np.asarray(clv, dtype=float)
    e = np.asarray(equity, dtype=float)
    profit = pay - s
    turnover = float(s.sum())
    lo, hi = bootstrap_roi_ci(s, profit, groups=groups, seed=seed)
    c_ok = c[np.isfinite(c)]
    final = float(e[-1]) if e.size else initial
    return BettingMetrics(
        bets=int(s.size),
        turnover=turnover,
        profit=float(profit.sum()),
        roi=float(profit.sum() / turnover) if turnover > 0 else None,
        roi_ci_low=lo,
        roi_ci_high=hi,
        hit_rate=float((pay > s + 1e-12).mean()) if s.size else None,
        average_odds=float(o.mean()) if o.size else None,
        clv_mean=float(c_ok.mean()) if c_ok.size else None,
        clv_share_positive=float((c_ok > 0).mean()) if c_ok.size else None,
        clv_bets=int(c_ok.size),
        max_drawdown=max_drawdown(np.concatenate([[initial], e])),
        sharpe=sharpe_ratio(e, times),
        log_growth=float(math.log(final / initial)) if final > 0 and initial > 0 else float("-inf"),
        final_equity=final,
    )


@dataclass(frozen=True)
class ForecastMetrics:
    source: str
    matches: int
    rps: float
    log_loss: float
    brier: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def forecast_metrics(source: str, probs: ArrayLike, outcomes: ArrayLike) -> ForecastMetrics:
    p = np.asarray(probs, dtype=float)
    y = np.asarray(outcomes, dtype=int)
    return ForecastMetrics(
        source=source,
        matches=int(y.size),
        rps=float(ranked_probability_score(p, y).mean()),
        log_loss=float(log_loss(p, y).mean()),
        brier=float(brier_score(p, y).mean()),
    )


def calibration_table(probs: ArrayLike, outcomes: ArrayLike, bins: int = 10) -> list[dict[str, float | int]]:
    """Reliability of all three outcomes pooled: per probability bin, mean forecast vs observed frequency."""
    p = np.asarray(probs, dtype=float)
    y = np.asarray(outcomes, dtype=int)
    hit = np.zeros_like(p)
    hit[np.arange(y.size), y] = 1.0
    flat_p, flat_y = p.reshape(-1), hit.reshape(-1)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(flat_p, edges[1:-1]), 0, bins - 1)
    table = []
    for b in range(bins):
        mask = which == b
        n = int(mask.sum())
        if n:
            table.append(
                {
                    "bin_low": float(edges[b]),
                    "bin_high": float(edges[b + 1]),
                    "count": n,
                    "mean_forecast": float(flat_p[mask].mean()),
                    "observed": float(flat_y[mask].mean()),
                }
            )
    return table
