"""The decision engine: one loop for every clock — backtest, training environments, evaluation, paper trading.

A clock (:mod:`.clock`) + a source of events (:mod:`.sources`) + strategies (:mod:`.strategy`,
``decide(context) -> orders``) + execution (:mod:`.execution`: price on offer, the risk chain, the acceptance
delay) + settlement on each bet's own match (:mod:`.settlement`, through :mod:`betfolio.markets.settlement`) +
one ledger writer (:mod:`.ledger`). Pre-match prices pass one as-of rule (:mod:`.asof`).
"""

from betfolio.engine.asof import DEFAULT_AS_OF, AsOfRule
from betfolio.engine.bets import BetRecord, Refusal
from betfolio.engine.clock import HistoricalClock, ReplayClock, WallClock
from betfolio.engine.events import DecisionRound, MatchResult, Results
from betfolio.engine.execution import Execution
from betfolio.engine.loop import Engine, Knowledge
from betfolio.engine.portfolio import Portfolio
from betfolio.engine.strategy import BetOrder, DecisionContext, MatchView, Strategy

__all__ = [
    "DEFAULT_AS_OF",
    "AsOfRule",
    "BetOrder",
    "BetRecord",
    "DecisionContext",
    "DecisionRound",
    "Engine",
    "Execution",
    "HistoricalClock",
    "Knowledge",
    "MatchResult",
    "MatchView",
    "Portfolio",
    "Refusal",
    "ReplayClock",
    "Results",
    "Strategy",
    "WallClock",
]
