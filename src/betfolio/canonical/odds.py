"""One price, from one bookmaker, at one moment: the row of the odds time series."""

from __future__ import annotations

import math

from pydantic import field_validator, model_validator

from betfolio.canonical.base import CanonicalRecord, Label, UtcDatetime
from betfolio.canonical.enums import LINE_MARKETS, MARKET_SELECTIONS, Market, Selection

#: Bookmaker ids that are statistics across bookmakers (best and average price), not prices anyone offered:
#: fine as inputs (a consensus), never a price to bet at.
AGGREGATE_BOOKMAKERS: frozenset[str] = frozenset({"market_max", "market_avg"})


def is_aggregate_bookmaker(name: str) -> bool:
    return name in AGGREGATE_BOOKMAKERS


class OddsQuote(CanonicalRecord):
    """A decimal price.

    ``line`` is read from the selection's own side: Asian handicap ``home -0.75`` and ``away +0.75`` are the
    two sides of one market; totals carry the goal line (2.5) for both over and under. ``quoted_at`` is when
    the provider says the price was offered, ``ingested_at`` when we stored it. ``is_closing`` marks the last
    price before kick-off: it is for evaluation (closing line value), never a decision input.
    """

    kind = "odds_quote"

    provider: str
    provider_match_id: str
    bookmaker: Label
    market: Market
    selection: Selection
    line: float | None = None
    odds: float
    quoted_at: UtcDatetime
    ingested_at: UtcDatetime
    is_closing: bool = False
    in_play: bool = False

    @field_validator("odds")
    @classmethod
    def _odds(cls, value: float) -> float:
        if not math.isfinite(value) or value <= 1.0:
            raise ValueError(f"decimal odds must be finite and > 1.0, got {value}")
        return value

    @field_validator("line")
    @classmethod
    def _line(cls, value: float | None) -> float | None:
        if value is None:
            return None
        if not math.isfinite(value) or abs(value * 4 - round(value * 4)) > 1e-9:
            raise ValueError(f"line must be a multiple of 0.25, got {value}")
        return float(value)

    @model_validator(mode="after")
    def _market_rules(self) -> OddsQuote:
        if self.selection not in MARKET_SELECTIONS[self.market]:
            raise ValueError(f"selection {self.selection.value!r} is not part of market {self.market.value!r}")
        if self.market in LINE_MARKETS and self.line is None:
            raise ValueError(f"market {self.market.value!r} needs a line")
        if self.market not in LINE_MARKETS and self.line is not None:
            raise ValueError(f"market {self.market.value!r} takes no line")
        return self

    @property
    def implied_probability(self) -> float:
        return 1.0 / self.odds
