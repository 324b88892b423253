"""The one decision loop: a clock, a source of events, strategies, portfolios, execution and settlement.

For each event of the source, in time order, the clock advances to it, orders whose acceptance delay has passed
are released, and then:

* :class:`~betfolio.engine.events.Results` — the bets on those matches settle on their own results, now;
* :class:`~betfolio.engine.events.DecisionRound` — each portfolio marks its equity, each strategy gets a
  :class:`~betfolio.engine.strategy.DecisionContext` built from what is known at that moment only, and its orders
  go through :class:`~betfolio.engine.execution.Execution` (price on offer, risk chain, acceptance delay).

The backtest, the Gymnasium environments, the agents' evaluation and paper trading drive this same loop; only
the clock and the source differ. Environments drive it one decision at a time (:meth:`Engine.context` and
:meth:`Engine.submit`) instead of :meth:`Engine.run`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from betfolio.engine.bets import BetRecord
from betfolio.engine.clock import Clock, HistoricalClock
from betfolio.engine.events import DecisionRound, Event, MatchResult, Results
from betfolio.engine.execution import Execution
from betfolio.engine.portfolio import Portfolio
from betfolio.engine.settlement import Outcome
from betfolio.engine.strategy import DecisionContext, MatchView, PastResult, Prediction, Strategy


@dataclass(frozen=True)
class Knowledge:
    """What a decision round may know beyond prices: model forecasts fitted on the past, and past results."""

    predictions: Mapping[str, Mapping[int, Prediction]] = field(default_factory=dict)
    skipped: Mapping[str, Mapping[int, str]] = field(default_factory=dict)
    history: Callable[[], Sequence[PastResult]] = lambda: ()


#: Called with a decision round; returns what the strategies may know at its time.
KnowledgeFn = Callable[[DecisionRound], Knowledge]
#: Called after bets settle: (portfolio, [(bet, outcome)]).
SettleHook = Callable[[Portfolio, list[tuple[BetRecord, Outcome]]], None]


class Engine:
    """Runs strategies on a source. ``portfolios`` maps each strategy's name to the portfolio it trades."""

    def __init__(
        self,
        strategies: Sequence[Strategy],
        portfolios: Mapping[str, Portfolio],
        *,
        clock: Clock | None = None,
        execution: Execution | None = None,
        knowledge: KnowledgeFn | None = None,
        initial_bankroll: float | None = None,
    ) -> None:
        names = [s.name for s in strategies]
        if len(set(names)) != len(names):
            raise ValueError(f"strategy names must be unique, got {names}")
        missing = [n for n in names if n not in portfolios]
        if missing:
            raise ValueError(f"no portfolio for strategy(ies) {missing}")
        self.strategies = list(strategies)
        self.portfolios = dict(portfolios)
        self.clock = clock or HistoricalClock()
        self.execution = execution or Execution()
        self.knowledge = knowledge or (lambda _round: Knowledge())
        self.initial_bankroll = initial_bankroll
        self.on_settle: list[SettleHook] = []
        self._round: DecisionRound | None = None
        self._views: dict[int, MatchView] = {}
        self._open_rounds: dict[int, DecisionRound] = {}  # match id → the latest round that offered it
        self.rounds = 0

    # --- the loop ----------------------------------------------------------------------------------------
    def run(self, source: Iterable[Event], progress: Callable[[int], None] | None = None) -> None:
        """Handle every event of ``source``; ``progress`` is called with the number of rounds decided so far."""
        for event in source:
            self.handle(event)
            if progress is not None and isinstance(event, DecisionRound):
                progress(self.rounds)

    def handle(self, event: Event) -> None:
        self.advance(event.at)
        if isinstance(event, Results):
            self.settle(event.results, event.at)
            return
        self.open_round(event)
        for strategy in self.strategies:
            ctx = self.context(strategy.name, event)
            for order in strategy.decide(ctx):
                self.submit(strategy.name, order, event)

    def advance(self, when: datetime) -> None:
        """Move the clock to ``when`` and place the pending orders that came due on the way."""
        self.clock.advance_to(when)
        for item in self.execution.due(when):
            rnd = self._open_rounds.get(item.match.match_id)
            self.execution.release(item, None if rnd is None else rnd.odds.get(item.match.match_id))

    def open_round(self, event: DecisionRound) -> None:
        """Make ``event`` the round being decided and mark every portfolio's equity at its time."""
        self._round = event
        self._views = {m.match_id: m for m in event.matches}
        self.rounds += 1
        for m in event.matches:
            self._open_rounds[m.match_id] = event
        for p in {id(p): p for p in self.portfolios.values()}.values():
            p.mark(event.at)

    def context(self, strategy: str, event: DecisionRound) -> DecisionContext:
        """What ``strategy`` may know at ``event.at``: the round's fixtures and prices, forecasts, its bankroll."""
        p = self.portfolios[strategy]
        bank = p.bankroll
        known = self.knowledge(event)
        day_of = {m.match_id: m.kickoff.date() for m in event.matches}
        return DecisionContext(
            as_of=event.at,
            matches=event.matches,
            odds=event.odds,
            predictions=known.predictions,
            skipped=known.skipped,
            history=known.history,
            equity=bank.equity,
            cash=bank.cash,
            initial_bankroll=self.initial_bankroll if self.initial_bankroll is not None else bank.initial,
            max_stake=lambda mid: bank.max_stake(mid, day_of.get(mid)),
            skip=lambda _mid, why: p.skips.update([why]),
            extra=event.extra,
        )

    def submit(self, strategy: str, order: Any, event: DecisionRound) -> BetRecord | None:
        """Execute one order of ``strategy`` in round ``event``; returns the bet when it was placed now."""
        views = self._views if event is self._round else {m.match_id: m for m in event.matches}
        match = views.get(order.match_id)
        staleness = event.extra.get("staleness")
        return self.execution.submit(
            strategy, self.portfolios[strategy], order, match, event.odds.get(order.match_id), event.at,
            staleness=None if staleness is None else staleness.get(order.match_id),
        )  # fmt: skip

    def settle(self, results: Sequence[MatchResult], at: datetime) -> None:
        """Settle every portfolio's bets on these matches (all at once: one equity mark per portfolio)."""
        by_id = {r.match_id: r for r in results}
        for p in {id(p): p for p in self.portfolios.values()}.values():
            settled = p.settle(by_id, at)
            for hook in self.on_settle:
                if settled:
                    hook(p, settled)

    def finish(self, at: datetime) -> None:
        """The source is exhausted: refuse what is still pending, close out open bets, mark the final equity."""
        for item in self.execution.due(datetime.max.replace(tzinfo=at.tzinfo)):
            item.portfolio.refuse(item.strategy, item.order, at, "data ended before the acceptance delay passed")
        for p in {id(p): p for p in self.portfolios.values()}.values():
            p.close_out(at)
            p.equity.append((at, p.bankroll.equity))
