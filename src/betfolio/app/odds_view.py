"""Odds line movement for one match: series per bookmaker and margin-free probabilities.

Pure data shaping (no Qt), so the chart, the benchmark and the tests read the same numbers. Quotes come from
``store.queries.line_movement``; margins and fair probabilities from ``markets.margin``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from betfolio.canonical.enums import Market
from betfolio.markets import margin as margin_maths
from betfolio.store.queries import QuoteRow

#: Aggregates football-data publishes beside real books; charted, but kept out of "which book is best".

_SELECTIONS: dict[str, tuple[str, ...]] = {
    Market.MATCH_ODDS.value: ("home", "draw", "away"),
    Market.TOTAL_GOALS.value: ("over", "under"),
    Market.ASIAN_HANDICAP.value: ("home", "away"),
    Market.DRAW_NO_BET.value: ("home", "away"),
    Market.BOTH_TEAMS_TO_SCORE.value: ("yes", "no"),
}


@dataclass(frozen=True, slots=True, order=True)
class MarketKey:
    """A market at one line. For Asian handicaps ``line`` is the *home* line; the away side is at −line."""

    market: str
    line: float | None = None

    @property
    def label(self) -> str:
        names = {"1x2": "1X2", "total_goals": "Total goals", "asian_handicap": "Asian handicap (home)"}
        name = names.get(self.market, self.market.replace("_", " "))
        return (
            name
            if self.line is None
            else f"{name} {self.line:+g}"
            if self.market == "asian_handicap"
            else (f"{name} {self.line:g}")
        )

    @property
    def selections(self) -> tuple[str, ...]:
        return _SELECTIONS.get(self.market, ())

    def line_of(self, selection: str) -> float | None:
        if self.line is None:
            return None
        if self.market == Market.ASIAN_HANDICAP.value and selection == "away":
            return -self.line
        return self.line

    def matches(self, quote: QuoteRow, selection: str) -> bool:
        if quote.market != self.market or quote.selection != selection:
            return False
        wanted = self.line_of(selection)
        return quote.line == wanted if wanted is not None else quote.line is None


def available_markets(quotes: Sequence[QuoteRow]) -> list[MarketKey]:
    """Markets of a match, 1X2 first, then each line market's lines by how many quotes they have."""
    counts: Counter[MarketKey] = Counter()
    for q in quotes:
        if q.market == Market.ASIAN_HANDICAP.value:
            if q.selection != "home" or q.line is None:
                continue
            counts[MarketKey(q.market, q.line)] += 1
        elif q.market in _SELECTIONS:
            counts[MarketKey(q.market, q.line)] += 1
    order = {m: i for i, m in enumerate(_SELECTIONS)}
    return sorted(counts, key=lambda k: (order.get(k.market, 99), -counts[k], k.line or 0.0))


@dataclass(frozen=True, slots=True)
class Series:
    bookmaker: str
    times: np.ndarray  # epoch seconds (UTC)
    odds: np.ndarray
    closing: np.ndarray  # bool


def movement_series(quotes: Sequence[QuoteRow], key: MarketKey, selection: str) -> list[Series]:
    """Price path per bookmaker for one selection, opening → closing (closing last at equal timestamps)."""
    by_book: dict[str, list[QuoteRow]] = defaultdict(list)
    for q in quotes:
        if key.matches(q, selection):
            by_book[q.bookmaker].append(q)
    series = []
    for book, rows in sorted(by_book.items()):
        rows.sort(key=lambda q: (q.quoted_at, q.is_closing))
        series.append(
            Series(
                book,
                np.array([q.quoted_at.timestamp() for q in rows]),
                np.array([q.odds for q in rows]),
                np.array([q.is_closing for q in rows]),
            )
        )
    return series


@dataclass(frozen=True, slots=True)
class FairPrices:
    bookmaker: str
    phase: str  # opening | closing
    quoted_at: datetime
    odds: tuple[float, ...]
    margin: float
    probabilities: tuple[float, ...]


def margin_methods() -> list[str]:
    """Margin-removal methods ``markets.margin`` offers (the multiplicative one always exists)."""
    method_enum = getattr(margin_maths, "MarginMethod", None)
    if method_enum is None or not hasattr(margin_maths, "remove_margin"):
        return ["multiplicative"]
    return [m.value if isinstance(m.value, str) else m.name.lower() for m in method_enum]


def _fair(odds: np.ndarray, method: str) -> np.ndarray:
    """Margin-free probabilities of rows of odds with the named method."""
    method_enum = getattr(margin_maths, "MarginMethod", None)
    if method_enum is not None and hasattr(margin_maths, "remove_margin"):
        chosen = next((m for m in method_enum if method in (str(m.value), m.name.lower())), None)
        if chosen is not None:
            return np.asarray(margin_maths.remove_margin(odds, method=chosen).probabilities, dtype=float)
    return margin_maths.remove_margin_multiplicative(odds)


def fair_prices(quotes: Sequence[QuoteRow], key: MarketKey, method: str = "multiplicative") -> list[FairPrices]:
    """Opening and closing fair probabilities per bookmaker where the book priced every selection."""
    selections = key.selections
    phases: dict[tuple[str, str], dict[str, QuoteRow]] = defaultdict(dict)
    for q in quotes:
        for sel in selections:
            if key.matches(q, sel):
                if q.is_closing:
                    phase = "closing"
                else:
                    current = phases[(q.bookmaker, "opening")].get(sel)
                    if current is not None and current.quoted_at <= q.quoted_at:
                        continue
                    phase = "opening"
                phases[(q.bookmaker, phase)][sel] = q
    phase_order = {"opening": 0, "closing": 1}
    ordered = sorted(phases.items(), key=lambda kv: (kv[0][0], phase_order[kv[0][1]]))
    complete = [(k, v) for k, v in ordered if len(v) == len(selections)]
    if not complete:
        return []
    table = np.array([[v[s].odds for s in selections] for _, v in complete])
    probs = _fair(table, method)
    margins = margin_maths.overround(table)
    out = []
    for i, ((book, phase), rows) in enumerate(complete):
        out.append(
            FairPrices(
                book,
                phase,
                max(r.quoted_at for r in rows.values()),
                tuple(float(x) for x in table[i]),
                float(margins[i]),
                tuple(float(p) for p in probs[i]),
            )
        )
    return out
