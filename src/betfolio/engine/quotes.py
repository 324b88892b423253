"""The market data the engine trades on: per-match price tables and the match records sources replay.

A :class:`MarketQuotes` is one market (and line) of one match as a bookmaker × selection table; a
:class:`MatchRecord` is a match as the store knows it with its decision-time and closing tables. The backtest's
loader (:mod:`betfolio.backtest.data`) fills them from the store, the live source from a stream; the engine,
its sources, execution and strategies read them — the engine depends on no layer above it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np

from betfolio.canonical import AGGREGATE_BOOKMAKERS
from betfolio.canonical.enums import Market, MatchStatus, Selection
from betfolio.engine.events import RESULT_DELAY

#: Markets the engine can decide on and settle. Selections in a fixed order per market.
MARKET_SELECTIONS: dict[str, tuple[str, ...]] = {
    Market.MATCH_ODDS.value: (Selection.HOME.value, Selection.DRAW.value, Selection.AWAY.value),
    Market.TOTAL_GOALS.value: (Selection.OVER.value, Selection.UNDER.value),
    Market.ASIAN_HANDICAP.value: (Selection.HOME.value, Selection.AWAY.value),
}
#: (market, line) — the line is the goal line for totals and the **home** side's handicap for Asian handicaps,
#: so both sides of one handicap share a key. ``None`` for 1X2.
MarketKey = tuple[str, float | None]
MATCH_ODDS_KEY: MarketKey = (Market.MATCH_ODDS.value, None)


@dataclass(slots=True)
class MarketQuotes:
    """One market (and line) of one match: a bookmaker × selection price table (NaN where not quoted)."""

    market: str
    line: float | None
    bookmakers: tuple[str, ...]
    odds: np.ndarray  # shape (len(bookmakers), len(selections))

    @property
    def selections(self) -> tuple[str, ...]:
        return MARKET_SELECTIONS[self.market]

    def selection_line(self, selection: str) -> float | None:
        """The line as the canonical convention stores it for ``selection`` (AH: from that side's view)."""
        if self.market == Market.ASIAN_HANDICAP.value and self.line is not None and selection == Selection.AWAY:
            return -self.line + 0.0
        return self.line

    def price(self, bookmaker: str) -> np.ndarray | None:
        """That bookmaker's prices (complete rows only: a partial book cannot be compared or de-margined)."""
        if bookmaker not in self.bookmakers:
            return None
        row = self.odds[self.bookmakers.index(bookmaker)]
        return None if np.isnan(row).any() else row

    def _real(self) -> tuple[np.ndarray, list[str]]:
        keep = [i for i, b in enumerate(self.bookmakers) if b not in AGGREGATE_BOOKMAKERS]
        return self.odds[keep], [self.bookmakers[i] for i in keep]

    def best(self) -> tuple[np.ndarray, list[str | None]]:
        """Best price per selection across real bookmakers (never the ``market_max`` aggregate) and where."""
        real, names = self._real()
        best = np.full(len(self.selections), np.nan)
        where: list[str | None] = [None] * len(self.selections)
        if real.size:
            for j in range(len(self.selections)):
                col = real[:, j]
                if np.isfinite(col).any():
                    i = int(np.nanargmax(col))
                    best[j], where[j] = col[i], names[i]
        return best, where

    def average(self) -> np.ndarray | None:
        """The market average: the ``market_avg`` aggregate when quoted, else the mean over real bookmakers."""
        avg = self.price("market_avg")
        if avg is not None:
            return avg
        real, _ = self._real()
        complete = real[~np.isnan(real).any(axis=1)] if real.size else real
        return complete.mean(axis=0) if len(complete) else None

    @property
    def n_bookmakers(self) -> int:
        real, _ = self._real()
        return int((~np.isnan(real).any(axis=1)).sum()) if real.size else 0


@dataclass(slots=True)
class MatchRecord:
    match_id: int
    league: str
    season: str
    match_date: date
    kickoff: datetime
    home: str
    away: str
    status: str
    home_goals: int | None
    away_goals: int | None
    decision_at: datetime | None = None
    prematch: dict[MarketKey, MarketQuotes] = field(default_factory=dict)
    closing: dict[MarketKey, MarketQuotes] = field(default_factory=dict)
    #: Canonical match statistics (``{"home": {...}, "away": {...}}``): post-match, for ratings once the result is in.
    statistics: dict[str, Any] = field(default_factory=dict)

    @property
    def result_at(self) -> datetime:
        return self.kickoff + RESULT_DELAY

    @property
    def has_result(self) -> bool:
        return self.status in (MatchStatus.FINISHED, MatchStatus.AWARDED) and self.home_goals is not None

    @property
    def outcome(self) -> int | None:
        """1X2 outcome index (0 home, 1 draw, 2 away) or None without a result."""
        if not self.has_result:
            return None
        assert self.home_goals is not None and self.away_goals is not None
        return 0 if self.home_goals > self.away_goals else (1 if self.home_goals == self.away_goals else 2)


def price_tables(prices: dict[tuple[MarketKey, str, str], tuple[datetime, float]]) -> dict[MarketKey, MarketQuotes]:
    """Price tables per market from the latest (time, odds) of each (market key, bookmaker, selection)."""
    per_market: dict[MarketKey, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    for (mkey, bookmaker, selection), (_, odds) in prices.items():
        per_market[mkey][bookmaker][selection] = odds
    out: dict[MarketKey, MarketQuotes] = {}
    for (market, line), books in per_market.items():
        selections = MARKET_SELECTIONS[market]
        names = tuple(sorted(books))
        table = np.full((len(names), len(selections)), np.nan)
        for i, b in enumerate(names):
            for j, s in enumerate(selections):
                table[i, j] = books[b].get(s, np.nan)
        out[(market, line)] = MarketQuotes(market, line, names, table)
    return out
