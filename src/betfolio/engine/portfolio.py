"""A portfolio: one :class:`~betfolio.risk.Bankroll` and the books kept around it.

Several strategies may trade one portfolio (the HRL manager's workers share one bankroll); each bet still carries
its strategy's name. Every refused or cut order is kept with its reason, so a report never drops one silently.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from betfolio.engine.bets import BetRecord, Refusal
from betfolio.engine.events import MatchResult
from betfolio.engine.settlement import UNSETTLED, Outcome, closing_value, settle_outcomes
from betfolio.engine.strategy import BetOrder
from betfolio.risk import Bankroll


@dataclass
class Portfolio:
    name: str
    bankroll: Bankroll
    bets: list[BetRecord] = field(default_factory=list)
    equity: list[tuple[datetime, float]] = field(default_factory=list)
    skips: Counter[str] = field(default_factory=Counter)
    rejections: Counter[str] = field(default_factory=Counter)
    refusals: list[Refusal] = field(default_factory=list)
    open: list[BetRecord] = field(default_factory=list)
    unsettled: int = 0
    halted_at: datetime | None = None

    def add(self, bet: BetRecord) -> None:
        self.bets.append(bet)
        self.open.append(bet)

    def refuse(self, strategy: str, order: BetOrder, at: datetime, reason: str) -> None:
        self.rejections[reason] += 1
        self.refusals.append(
            Refusal(strategy, order.match_id, order.market, order.selection, order.odds, order.stake, at, reason)
        )

    def mark(self, at: datetime) -> None:
        """Add a point to the equity curve and note when the drawdown stop first fired."""
        self.equity.append((at, self.bankroll.equity))
        if self.bankroll.halted and self.halted_at is None:
            self.halted_at = at

    def settle(self, results: Mapping[int, MatchResult], at: datetime) -> list[tuple[BetRecord, Outcome]]:
        """Settle the open bets on the matches in ``results``, all at once (``settled_at`` = their match's end).

        A match that is final but has no score cannot be priced: its bets get their stake back and are counted
        as unsettled, never priced at a guessed result. A match without a final status yet keeps its bets open.
        """
        mine = [b for b in self.open if b.match_id in results]
        if not mine:
            return []
        settleable = [b for b in mine if results[b.match_id].settleable]
        blank = [b for b in mine if not results[b.match_id].settleable and results[b.match_id].status == "finished"]
        done = {id(b) for b in settleable} | {id(b) for b in blank}
        self.open = [b for b in self.open if id(b) not in done]
        outcomes = settle_outcomes(settleable, results)
        self.bankroll.settle_many(
            [(b.bank_id, o.payout) for b, o in zip(settleable, outcomes, strict=True)]
            + [(b.bank_id, b.stake) for b in blank]
        )
        for b, o in zip(settleable, outcomes, strict=True):
            m = results[b.match_id]
            b.payout, b.status, b.settled_at = o.payout, o.status, m.ended_at
            b.closing_odds, b.clv = closing_value(b, m)
        for b in blank:
            self._unsettled(b, results[b.match_id].ended_at)
        return list(zip(settleable, outcomes, strict=True))

    def close_out(self, at: datetime) -> Sequence[BetRecord]:
        """The data ended: every bet still open gets its stake back and is reported as unsettled."""
        left, self.open = self.open, []
        self.bankroll.settle_many((b.bank_id, b.stake) for b in left)
        for b in left:
            self._unsettled(b, at)
        return left

    def _unsettled(self, bet: BetRecord, at: datetime) -> None:
        bet.payout, bet.status, bet.settled_at = bet.stake, UNSETTLED, at
        self.unsettled += 1
