"""Execution: an order becomes a bet only if its price is on offer and the risk chain lets its stake through.

Two checks, in this order, each with a reason when it says no:

1. the **price check** — the match is open for decisions now, and the named bookmaker offers at least the asked
   odds for that market, line and selection (a strategy cannot invent a price, nor take an aggregate such as the
   market maximum that no bookmaker offers);
2. the **risk chain** of :class:`betfolio.risk.Bankroll` (stake cap, match and daily exposure, cash, drawdown
   stop…), which may cut the stake or refuse it.

With an acceptance delay (in-play betting) an order the risk chain would refuse is refused at once; the others
wait in a pending queue and both checks run again when they come due, against the prices on offer *then* — the
way flumine simulates latency: a price that moved away in the meantime refuses the order.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np

from betfolio.canonical import is_aggregate_bookmaker
from betfolio.canonical.enums import Market, Selection
from betfolio.engine.bets import BetRecord
from betfolio.engine.strategy import BetOrder, MatchView
from betfolio.risk import StakeOrder

if TYPE_CHECKING:
    from betfolio.engine.portfolio import Portfolio
    from betfolio.engine.quotes import MarketKey, MarketQuotes

PRICE_NOT_ON_OFFER = "price not on offer"
NOT_OPEN = "match not open for decisions in this round"
INVALID_ODDS = "invalid_odds"
AGGREGATE_PRICE = "aggregate price (no bookmaker offers it)"
STALE_DATA = "stale_data"


def market_key(market: str, selection: str, line: float | None) -> MarketKey:
    """The key of a market table: Asian handicap lines are stored from the home side's view."""
    if market == Market.ASIAN_HANDICAP.value and line is not None and selection == Selection.AWAY.value:
        return (market, -line + 0.0)
    return (market, line)


def price_problem(order: BetOrder, offered: Mapping[MarketKey, MarketQuotes] | None) -> str | None:
    """Why the order's price is not on offer in ``offered`` (the match's prices now), or None when it is."""
    if offered is None:
        return NOT_OPEN
    if not (math.isfinite(order.odds) and order.odds > 1.0):
        return INVALID_ODDS
    table = offered.get(market_key(order.market, order.selection, order.line))
    if table is None or order.selection not in table.selections:
        return PRICE_NOT_ON_OFFER
    if order.bookmaker not in table.bookmakers:
        return PRICE_NOT_ON_OFFER
    price = table.odds[table.bookmakers.index(order.bookmaker)][table.selections.index(order.selection)]
    if not np.isfinite(price) or order.odds > price + 1e-9:
        return PRICE_NOT_ON_OFFER
    if is_aggregate_bookmaker(order.bookmaker):
        return AGGREGATE_PRICE
    return None


def _stake_order(order: BetOrder, match: MatchView) -> StakeOrder:
    return StakeOrder(
        match.match_id, match.kickoff.date(), order.stake, order.odds, f"{order.market}:{order.selection}"
    )


@dataclass(order=True)
class _Pending:
    due: datetime
    seq: int
    strategy: str = field(compare=False)
    portfolio: Portfolio = field(compare=False)
    order: BetOrder = field(compare=False)
    match: MatchView = field(compare=False)
    asked_at: datetime = field(compare=False)


#: A bookmaker's acceptance rule for a pending order at its due time: (fill odds, None) or (None, reason).
Acceptance = Callable[["_Pending"], tuple[float | None, str | None]]


@dataclass
class Execution:
    """Places orders for the engine; ``delay`` is the bookmaker's acceptance delay (0 = immediate).

    ``accept`` replaces the plain "still on offer" check at the due time with a book's own rule (the in-play
    book fills at the price it has moved to, or refuses when it suspended during the delay).
    """

    delay: timedelta = timedelta(0)
    accept: Acceptance | None = None
    #: Live data older than this many seconds (the round's ``staleness`` of the match) places no new bet.
    max_staleness: float | None = None
    pending: list[_Pending] = field(default_factory=list)
    _seq: itertools.count = field(default_factory=itertools.count, repr=False)

    def submit(
        self,
        strategy: str,
        portfolio: Portfolio,
        order: BetOrder,
        match: MatchView | None,
        offered: Mapping[MarketKey, MarketQuotes] | None,
        at: datetime,
        *,
        staleness: float | None = None,
    ) -> BetRecord | None:
        """Check and place now (no delay) or queue for ``at + delay``; returns the bet when placed now.

        ``staleness`` is how old the data behind the order's prices is (live sources): above ``max_staleness``
        the order is refused, whatever the strategy made of it.
        """
        if match is None:
            portfolio.refuse(strategy, order, at, NOT_OPEN)
            return None
        if self.max_staleness is not None and staleness is not None and staleness > self.max_staleness:
            portfolio.refuse(strategy, order, at, STALE_DATA)
            return None
        problem = price_problem(order, offered)
        if problem is not None:
            portfolio.refuse(strategy, order, at, problem)
            return None
        if self.delay > timedelta(0):
            # pre-trade risk check (as a book's order screen): an order the chain would refuse is not sent at all
            check = portfolio.bankroll.validate(_stake_order(order, match))
            if not check.accepted:
                portfolio.refuse(strategy, order, at, check.reason.label)
                return None
            heapq.heappush(
                self.pending, _Pending(at + self.delay, next(self._seq), strategy, portfolio, order, match, at)
            )
            return None
        return self._place(strategy, portfolio, order, match, at, at)

    def due(self, now: datetime) -> list[_Pending]:
        """Orders whose acceptance delay has passed by ``now`` (taken off the queue)."""
        out = []
        while self.pending and self.pending[0].due <= now:
            out.append(heapq.heappop(self.pending))
        return out

    def release(self, item: _Pending, offered: Mapping[MarketKey, MarketQuotes] | None) -> BetRecord | None:
        """Place a pending order if its price is still on offer at its due time (or the book's rule fills it)."""
        order = item.order
        if self.accept is not None:
            fill, problem = self.accept(item)
            if fill is not None:
                order = replace(order, odds=fill)
        else:
            problem = price_problem(order, offered)
            problem = None if problem is None else f"{problem} after the acceptance delay"
        if problem is not None:
            item.portfolio.refuse(item.strategy, item.order, item.due, problem)
            return None
        return self._place(item.strategy, item.portfolio, order, item.match, item.asked_at, item.due)

    @staticmethod
    def _place(
        strategy: str, portfolio: Portfolio, order: BetOrder, match: MatchView, asked_at: datetime, at: datetime
    ) -> BetRecord | None:
        decision = portfolio.bankroll.place(_stake_order(order, match))
        if not decision.accepted:
            portfolio.refuse(strategy, order, at, decision.reason.label)
            return None
        bet = BetRecord(
            strategy=strategy,
            match_id=match.match_id,
            league=match.league,
            season=match.season,
            market=order.market,
            selection=order.selection,
            line=order.line,
            odds=order.odds,
            stake=decision.stake,
            requested_stake=order.stake,
            bookmaker=order.bookmaker,
            placed_at=at,
            kickoff=match.kickoff,
            note=order.note,
            model_probability=order.model_probability,
            cut_by=decision.reason.label if decision.clipped else None,
            bank_id=decision.bet_id or 0,
            in_play=at >= match.kickoff,
        )
        portfolio.add(bet)
        return bet
