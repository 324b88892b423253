"""Walk-forward forecasts of the market-anchored model (:mod:`betfolio.models.market_anchored`).

Unlike a goal model, this model reads prices, ratings and the goal model's own forecasts, so it runs after the
goal models over all leagues at once (the coefficients are shared: a market's efficiency and a rating's value
hardly differ between top leagues, and pooling gives the fit five times the matches). Every input of a match is
taken as of that match's decision time, and a refit at time t trains only on matches whose results were known
by t — the same rule as the goal models' refits.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import groupby
from typing import Any

import numpy as np

from betfolio.backtest.data import BacktestData
from betfolio.backtest.strategy import Prediction
from betfolio.canonical import AGGREGATE_BOOKMAKERS, TOTALS_LINE
from betfolio.canonical.enums import Market
from betfolio.engine.quotes import MATCH_ODDS_KEY, MarketQuotes, MatchRecord
from betfolio.models.dixon_coles import DixonColes
from betfolio.models.grid import ScorelineGrid
from betfolio.models.grid_fit import fit_grids
from betfolio.models.market_anchored import AnchoredInputs, MarketAnchoredLogit, consensus_many
from betfolio.models.ratings import RatingParams, features_as_of_decisions

NO_MARKET = "no complete pre-match 1X2 prices (no market to anchor on)"
UNKNOWN_TEAM = "unknown team (no results for it or its league before the decision)"


@dataclass(frozen=True)
class MarketAnchored:
    """The market-anchored model as the walk-forward registers it (a model factory that needs the data)."""

    goal_model: str = "dixon_coles"
    goal_factory: Callable[[], Any] = DixonColes
    l2: float = 50.0
    refit_every: timedelta = timedelta(days=7)
    min_training_matches: int = 300
    rating_params: RatingParams = field(default_factory=RatingParams)

    def forecast(
        self,
        data: BacktestData,
        goal_predictions: Mapping[int, Prediction],
    ) -> AnchoredForecasts:
        return forecast_market_anchored(data, goal_predictions, self)


@dataclass
class AnchoredForecasts:
    predictions: dict[int, Prediction] = field(default_factory=dict)
    skipped: dict[int, str] = field(default_factory=dict)
    refits: int = 0
    fit_seconds: float = 0.0
    rating_updates: int = 0
    model: MarketAnchoredLogit | None = None


def _real_rows(table: MarketQuotes | None) -> np.ndarray:
    """The real bookmakers' rows of a market table (the ``market_avg`` aggregate when no real row is complete)."""
    if table is None:
        return np.empty((0, 0))
    real = [i for i, b in enumerate(table.bookmakers) if b not in AGGREGATE_BOOKMAKERS]
    rows = table.odds[real]
    if not (np.isfinite(rows).all(axis=1) & (rows > 1.0).all(axis=1)).any():
        avg = table.price("market_avg")
        rows = avg[None] if avg is not None else np.empty((0, table.odds.shape[1]))
    return rows


def market_consensus(matches: Sequence[MatchRecord]) -> tuple[np.ndarray, np.ndarray]:
    """Margin-free consensus 1X2 (n, 3) and P(over 2.5) (n,) of each match's pre-match prices, NaN where none.

    Every bookmaker's margin is removed on its own (power method), then the bookmakers are averaged — all
    matches in one de-margining call per market.
    """
    out = []
    for key, width in ((MATCH_ODDS_KEY, 3), ((Market.TOTAL_GOALS.value, TOTALS_LINE), 2)):
        rows, owner = [], []
        for i, m in enumerate(matches):
            r = _real_rows(m.prematch.get(key))
            if r.size:
                rows.append(r)
                owner.extend([i] * r.shape[0])
        stacked = np.concatenate(rows) if rows else np.empty((0, width))
        out.append(consensus_many(stacked, np.array(owner, dtype=np.intp), len(matches)))
    return out[0], out[1][:, 0]


def forecast_market_anchored(
    data: BacktestData, goal_predictions: Mapping[int, Prediction], spec: MarketAnchored
) -> AnchoredForecasts:
    out = AnchoredForecasts()
    # Earlier seasons (results only) feed the ratings too: every result counts once it is known.
    table = features_as_of_decisions([*data.history, *data.matches], spec.rating_params)
    out.rating_updates = table.updates
    usable: list[MatchRecord] = []
    market: dict[int, np.ndarray] = {}
    decidable = [m for m in data.matches if m.decision_at is not None]
    one_x_two, over_25 = market_consensus(decidable)
    over_of = dict(zip((m.match_id for m in decidable), over_25, strict=True))
    for m, p in zip(decidable, one_x_two, strict=True):
        if not np.isfinite(p).all():
            out.skipped[m.match_id] = NO_MARKET
        elif m.match_id in table.unrated:
            out.skipped[m.match_id] = UNKNOWN_TEAM
        else:
            market[m.match_id] = p
            usable.append(m)
    if not usable:
        return out
    idx = {m.match_id: i for i, m in enumerate(usable)}
    n = len(usable)
    goal = np.full((n, 3), 1.0 / 3.0)
    goal_mask = np.zeros(n)
    for m in usable:
        pred = goal_predictions.get(m.match_id)
        if pred is not None:
            goal[idx[m.match_id]] = pred.match_odds
            goal_mask[idx[m.match_id]] = 1.0
    inputs = AnchoredInputs(
        market=np.stack([market[m.match_id] for m in usable]),
        goal_model=goal,
        goal_mask=goal_mask,
        features=np.stack([table.values[m.match_id] for m in usable]),
        feature_mask=np.stack([table.masks[m.match_id] for m in usable]),
    )
    outcome = np.array([-1 if m.outcome is None else m.outcome for m in usable])
    model = MarketAnchoredLogit(l2=spec.l2)
    probs = np.empty((n, 3))
    decisions = sorted(usable, key=lambda m: (m.decision_at, m.match_id))
    known = sorted((m for m in usable if m.outcome is not None), key=lambda m: (m.result_at, m.match_id))
    ptr = 0
    train: list[int] = []
    last_fit = None
    for as_of, group in groupby(decisions, key=lambda m: m.decision_at):
        assert as_of is not None
        while ptr < len(known) and known[ptr].result_at <= as_of:
            train.append(idx[known[ptr].match_id])
            ptr += 1
        due = last_fit is None or as_of - last_fit >= spec.refit_every - timedelta(hours=12)
        if due and len(train) >= spec.min_training_matches:
            started = time.perf_counter()
            rows = np.array(train)
            model.fit(_subset(inputs, rows), outcome[rows])
            out.refits += 1
            out.fit_seconds += time.perf_counter() - started
            last_fit = as_of
        rows = np.array([idx[m.match_id] for m in group])
        probs[rows] = model.predict(_subset(inputs, rows))
    over = np.array([over_of[m.match_id] for m in usable])
    grids = fit_grids(probs, over, line=TOTALS_LINE)
    for m, p, g in zip(usable, probs, grids, strict=True):
        out.predictions[m.match_id] = Prediction(match_odds=p, grid=ScorelineGrid(g))
    out.model = model
    return out


def _subset(inputs: AnchoredInputs, rows: np.ndarray) -> AnchoredInputs:
    return AnchoredInputs(
        inputs.market[rows],
        inputs.goal_model[rows],
        inputs.goal_mask[rows],
        inputs.features[rows],
        inputs.feature_mask[rows],
    )
