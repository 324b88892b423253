"""Baseline strategies every agent must beat before it is trusted.

* :class:`NoBet` — the null portfolio (equity stays flat; anything worse than it is destroying money).
* :class:`FavouriteFlat` — back the 1X2 favourite of the market average with a flat stake (the naïve punter).
* :class:`ModelValue` — bet where a goal model's fair price beats the best available price by ``min_edge``,
  staked with fractional Kelly (simultaneous Kelly across the 1X2 outcomes of a match).
* :class:`AnchoredValue` — the same on the market-anchored forecast (market consensus + goal model + ratings).
* :class:`MarketConsensus` — Kaunitz, Zhong & Kreiner (2017), "Beating the bookies with their own numbers":
  the average price across bookmakers is a good estimate of the truth, so back an outcome when the best price
  beats the average-implied price by a margin: ``best > 1 / (1/avg − offset − alpha)``, flat stake.

Prices are always taken at a real bookmaker (the best one, or a chosen one) — never at the ``market_max``
aggregate, which nobody offers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from betfolio.backtest.strategy import BetOrder, DecisionContext, Prediction, Strategy
from betfolio.engine.quotes import MARKET_SELECTIONS, MATCH_ODDS_KEY, MarketQuotes
from betfolio.markets.kelly import kelly_line, kelly_mutually_exclusive


def _prices(table: MarketQuotes, bookmaker: str | None) -> tuple[np.ndarray, list[str | None]]:
    """Prices per selection to bet at: the best real bookmaker's, or the chosen bookmaker's (NaN if absent)."""
    if bookmaker is None:
        return table.best()
    if bookmaker not in table.bookmakers:
        return np.full(len(table.selections), np.nan), [None] * len(table.selections)
    row = table.odds[table.bookmakers.index(bookmaker)]
    return row.copy(), [bookmaker if np.isfinite(x) else None for x in row]


@dataclass
class NoBet:
    name: str = "no_bet"

    def decide(self, context: DecisionContext) -> list[BetOrder]:
        return []


@dataclass
class FavouriteFlat:
    """Back the favourite (lowest average 1X2 price) at the best price, ``stake_fraction`` of the initial bankroll."""

    name: str = "favourite"
    stake_fraction: float = 0.01
    bookmaker: str | None = None

    def decide(self, context: DecisionContext) -> list[BetOrder]:
        orders = []
        stake = self.stake_fraction * context.initial_bankroll
        for m in context.matches:
            table = context.odds[m.match_id].get(MATCH_ODDS_KEY)
            avg = table.average() if table is not None else None
            if table is None or avg is None:
                context.skip(m.match_id, "no complete 1X2 prices")
                continue
            fav = int(np.argmin(avg))
            prices, where = _prices(table, self.bookmaker)
            if not np.isfinite(prices[fav]) or where[fav] is None:
                context.skip(m.match_id, "favourite not priced at the chosen bookmaker")
                continue
            orders.append(
                BetOrder(m.match_id, "1x2", table.selections[fav], None, float(prices[fav]), stake, where[fav] or "")
            )
        return orders


@dataclass
class MarketConsensus:
    """Kaunitz et al.: bet when ``best > 1 / (1/avg − offset − alpha)``; flat stake.

    ``offset`` corrects the average's implied probability for the margin the bookmakers build into it (the
    paper fits about 0.034 per outcome; 0 keeps the plain rule), ``alpha`` is the required edge (0.05).
    """

    name: str = "consensus"
    alpha: float = 0.05
    offset: float = 0.0
    stake_fraction: float = 0.01
    min_bookmakers: int = 3
    markets: Sequence[str] = ("1x2",)

    def decide(self, context: DecisionContext) -> list[BetOrder]:
        orders = []
        stake = self.stake_fraction * context.initial_bankroll
        for m in context.matches:
            for (market, _line), table in context.odds[m.match_id].items():
                if market not in self.markets:
                    continue
                avg = table.average()
                if avg is None or table.n_bookmakers < self.min_bookmakers:
                    if market == "1x2":
                        context.skip(m.match_id, "too few bookmakers for a consensus")
                    continue
                best, where = table.best()
                p = 1.0 / avg - self.offset - self.alpha
                with np.errstate(divide="ignore", invalid="ignore"):
                    threshold = np.where(p > 0, 1.0 / p, np.inf)
                candidates = np.flatnonzero(np.isfinite(best) & (best > threshold))
                if candidates.size == 0:
                    continue
                # One bet per market and match: the outcome with the largest excess over its threshold.
                j = int(candidates[np.argmax(best[candidates] / threshold[candidates])])
                sel = table.selections[j]
                orders.append(
                    BetOrder(
                        m.match_id,
                        market,
                        sel,
                        table.selection_line(sel),
                        float(best[j]),
                        stake,
                        where[j] or "",
                        note=f"avg {avg[j]:.2f} best {best[j]:.2f}",
                        model_probability=float(1.0 / avg[j] - self.offset),
                    )
                )
        return orders


@dataclass
class ModelValue:
    """Value bets from a goal model, fractional-Kelly staked.

    1X2 uses simultaneous Kelly over the three mutually exclusive outcomes. Line markets (totals, Asian
    handicap) are priced on the model's scoreline grid by the settlement kernel itself (pushes and quarter
    lines included) and staked with the exact Kelly fraction of a bet that can push or half-settle. The best
    edge of each market is a candidate, and at most ``max_bets_per_match`` candidates per match are bet,
    largest edge first.
    """

    name: str = "model_value"
    model: str = "dixon_coles"
    kelly: float = 0.25
    min_edge: float = 0.03
    #: An apparent edge this large is far more often a model error (a stale or thinly fitted team) than a
    #: market error; such bets are not placed.
    max_edge: float = 0.30
    max_odds: float = 10.0
    bookmaker: str | None = None
    markets: Sequence[str] = ("1x2", "total_goals", "asian_handicap")
    #: 1X2, handicap and totals bets on one match are strongly correlated (home −0.25 and home 1X2 mostly win
    #: together); by default only the largest edge per match is taken.
    max_bets_per_match: int = 1
    models: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.models = (self.model,)
        unknown = [m for m in self.markets if m not in MARKET_SELECTIONS]
        if unknown:
            raise ValueError(f"unknown market(s) {unknown}; available: {sorted(MARKET_SELECTIONS)}")

    def decide(self, context: DecisionContext) -> list[BetOrder]:
        preds = context.predictions.get(self.model, {})
        why = context.skipped.get(self.model, {})
        candidates: list[tuple[int, str, MarketQuotes, Prediction]] = []
        for m in context.matches:
            pred = preds.get(m.match_id)
            if pred is None:
                context.skip(m.match_id, why.get(m.match_id, "no model prediction"))
                continue
            for (market, _line), table in context.odds[m.match_id].items():
                if market in self.markets:
                    candidates.append((m.match_id, market, table, pred))
        sides = self._price_sides(candidates)
        per_match: dict[int, list[_Pick]] = {}
        for (match_id, market, table, _), (win, refund, q) in zip(candidates, sides, strict=True):
            pick = self._pick(match_id, market, table, win, refund, q)
            if pick is not None:
                per_match.setdefault(match_id, []).append(pick)
        chosen = [
            p for picks in per_match.values() for p in sorted(picks, key=lambda p: -p.edge)[: self.max_bets_per_match]
        ]
        # Lines are staked in one vectorised call (the exact line Kelly solves a root per bet).
        lines = [p for p in chosen if p.outcomes is not None]
        if lines:
            full = np.atleast_1d(kelly_line(np.stack([p.outcomes for p in lines]), np.array([p.odds for p in lines])))
            for p, f in zip(lines, full, strict=True):
                p.fraction = self.kelly * float(f)
        orders = []
        for p in chosen:
            stake = p.fraction * context.equity
            if math.isfinite(stake) and stake > 0.0:
                orders.append(
                    BetOrder(
                        p.match_id,
                        p.market,
                        p.selection,
                        p.line,
                        p.odds,
                        stake,
                        p.bookmaker,
                        note=f"edge {p.edge:+.3f}",
                        model_probability=p.win,
                    )
                )
        return orders

    @staticmethod
    def _price_sides(
        candidates: list[tuple[int, str, MarketQuotes, Prediction]],
    ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray | None]]:
        """(win, refund, outcome distribution) per selection of every candidate market.

        Line markets are priced on the scoreline grids in one vectorised settlement pass per (market,
        selection): the probabilities of (won, half_won, push, half_lost, lost) give both the expected win and
        refund shares and the exact Kelly stake of a line that can push or half-settle.
        """
        from betfolio.models.grid import outcome_distribution

        out: list[tuple[np.ndarray, np.ndarray, np.ndarray | None]] = [(np.empty(0), np.empty(0), None)] * len(
            candidates
        )
        by_market: dict[str, list[int]] = {}
        for i, (_, market, _, pred) in enumerate(candidates):
            if market == "1x2":
                out[i] = (np.asarray(pred.match_odds, dtype=float), np.zeros(3), None)
            else:
                by_market.setdefault(market, []).append(i)
        for market, idx in by_market.items():
            grids = np.stack([candidates[i][3].grid.probabilities for i in idx])
            selections = MARKET_SELECTIONS[market]
            q = np.empty((len(idx), len(selections), 5))
            for j, sel in enumerate(selections):
                lines = np.array([candidates[i][2].selection_line(sel) for i in idx], dtype=float)
                q[:, j] = outcome_distribution(grids, market, sel, lines)
            win = q[..., 0] + 0.5 * q[..., 1]
            refund = q[..., 2] + 0.5 * (q[..., 1] + q[..., 3])
            for k, i in enumerate(idx):
                out[i] = (win[k], refund[k], q[k])
        return out

    def _pick(
        self,
        match_id: int,
        market: str,
        table: MarketQuotes,
        win: np.ndarray,
        refund: np.ndarray,
        outcomes: np.ndarray | None,
    ) -> _Pick | None:
        """The best-edge selection of one market, or None without a qualifying edge (1X2 already staked)."""
        prices, where = _prices(table, self.bookmaker)
        usable = np.isfinite(prices) & (prices <= self.max_odds)
        if not usable.any():
            return None
        with np.errstate(invalid="ignore"):
            edge = np.where(usable, win * prices + refund - 1.0, -np.inf)
        j = int(np.argmax(edge))
        if not self.min_edge <= edge[j] <= self.max_edge:
            return None
        sel = table.selections[j]
        pick = _Pick(
            match_id,
            market,
            sel,
            table.selection_line(sel),
            float(prices[j]),
            where[j] or "",
            float(edge[j]),
            float(win[j]),
            None if outcomes is None else outcomes[j],
        )
        if market == "1x2":
            ok = np.flatnonzero(usable)
            stakes = np.zeros(3)
            with np.errstate(divide="ignore", invalid="ignore"):
                stakes[ok] = kelly_mutually_exclusive(win[ok], prices[ok], fraction=self.kelly)
            pick.fraction = float(stakes[j])
        return pick


@dataclass
class AnchoredValue(ModelValue):
    """Value bets on the market-anchored forecast (:mod:`betfolio.backtest.anchored`), fractional Kelly.

    The same pricing, staking and risk chain as :class:`ModelValue`; only the forecast differs. Because that
    forecast starts from the market, its edges are small and rarer: ``min_edge`` is lower and ``max_edge``
    tighter than for a goal model.
    """

    name: str = "anchored_value"
    model: str = "market_anchored"
    min_edge: float = 0.02
    max_edge: float = 0.15


@dataclass
class _Pick:
    match_id: int
    market: str
    selection: str
    line: float | None
    odds: float
    bookmaker: str
    edge: float
    win: float
    outcomes: np.ndarray | None  # settlement-outcome distribution of a line bet (None for 1X2)
    fraction: float = 0.0


#: Strategy names accepted by the CLI, with their default construction.
STRATEGIES: dict[str, type] = {
    "no_bet": NoBet,
    "favourite": FavouriteFlat,
    "model_value": ModelValue,
    "consensus": MarketConsensus,
    "anchored_value": AnchoredValue,
}


def make_strategy(spec: str) -> Strategy:
    """``NAME`` or ``NAME:key=value,key=value`` (e.g. ``model_value:kelly=0.1,model=poisson``)."""
    name, _, params = spec.partition(":")
    cls = STRATEGIES.get(name.strip())
    if cls is None:
        raise ValueError(f"unknown strategy {name!r}; available: {', '.join(STRATEGIES)}")
    kwargs: dict[str, object] = {}
    fields = cls.__dataclass_fields__  # type: ignore[attr-defined]
    for item in filter(None, (p.strip() for p in params.split(","))):
        key, eq, raw = item.partition("=")
        if not eq or key not in fields or not fields[key].init:
            raise ValueError(f"strategy {name}: unknown parameter {key!r}")
        kwargs[key] = _parse_value(raw, fields[key].default)
    if params:
        kwargs.setdefault("name", f"{name}[{params}]")
    return cls(**kwargs)


def _parse_value(raw: str, default: object) -> object:
    raw = raw.strip()
    if isinstance(default, bool):
        return raw.lower() in ("1", "true", "yes")
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, tuple):
        return tuple(x for x in raw.split("+") if x)
    if raw.lower() in ("none", ""):
        return None
    return raw
