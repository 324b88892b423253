"""The Strategy protocol: what a strategy may see when it decides, and what it may ask for.

A strategy is called once per **decision round** — all matches whose pre-match prices were captured at the same
moment ``as_of`` — with a :class:`DecisionContext`. The context holds only information available at ``as_of``:

* ``matches``: the fixtures to decide now (teams, league, kick-off) — never their results;
* ``odds[match_id]``: the latest non-closing quote of every bookmaker stamped at or before ``as_of``
  (:class:`~betfolio.engine.quotes.MarketQuotes`, per market and line); closing prices are not in it;
* ``predictions[model][match_id]``: model forecasts fitted on results known before ``as_of``
  (``skipped[model][match_id]`` says why a match has none, e.g. an unknown team);
* ``history``: results of matches whose result was known at ``as_of`` (for strategies with their own models);
* ``equity``/``cash``/``max_stake(match_id)``: the bankroll as it stands.

Every source of the engine (:mod:`betfolio.engine.sources`) builds this same context — a replayed history, a
replayed live feed or the live feed itself — so one strategy runs unchanged on all of them.

It returns :class:`BetOrder` s — a price it saw at a named bookmaker and the stake it wants. The engine checks the
price is really on offer in the context (a strategy cannot invent a price), then passes the stake through the
:class:`~betfolio.risk.Bankroll` check chain, which may cut or refuse it with a reason. The same protocol serves
the agents' evaluation: anything with a ``name`` and a ``decide`` method is a strategy. A strategy that wants
model forecasts names the models in a ``models`` attribute (e.g. ``("dixon_coles",)``); the engine fits those.

Matches a strategy passes over for a reason other than "no edge" (no complete prices, no forecast) should be
reported with ``context.skip(match_id, reason)``: the report counts them, so nothing silently disappears.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from betfolio.engine.quotes import MarketKey, MarketQuotes


@dataclass(frozen=True, slots=True)
class MatchView:
    """A fixture as seen before kick-off: no score, no status beyond "to be played"."""

    match_id: int
    league: str
    season: str
    kickoff: datetime
    home: str
    away: str


@dataclass(frozen=True, slots=True)
class Prediction:
    """A model's forecast for one match: 1X2 probabilities, and the scoreline grid that prices the rest.

    ``grid`` is a :class:`betfolio.models.ScorelineGrid` (``totals(line)``, ``asian_handicap(line)``, ``btts()``).
    """

    match_odds: np.ndarray  # (p_home, p_draw, p_away)
    grid: Any = None


@dataclass(frozen=True, slots=True)
class PastResult(MatchView):
    """A match already played: the fixture and its final score."""

    home_goals: int
    away_goals: int


@dataclass(frozen=True, slots=True)
class BetOrder:
    """A request to back ``selection`` at ``odds`` with ``bookmaker`` for ``stake`` currency units."""

    match_id: int
    market: str
    selection: str
    line: float | None  # canonical: AH from the selection's own side, totals = goal line, None for 1X2
    odds: float
    stake: float
    bookmaker: str
    note: str = ""
    model_probability: float | None = None


@dataclass
class DecisionContext:
    as_of: datetime
    matches: Sequence[MatchView]
    odds: Mapping[int, Mapping[MarketKey, MarketQuotes]]
    predictions: Mapping[str, Mapping[int, Prediction]]
    skipped: Mapping[str, Mapping[int, str]]
    history: Callable[[], Sequence[PastResult]]
    equity: float
    cash: float
    initial_bankroll: float
    max_stake: Callable[[int], float]
    #: Record that a match was not bet for a reason other than "no edge" (missing odds, no prediction…).
    skip: Callable[[int, str], None] = lambda _match_id, _reason: None
    #: What the source adds to the round (e.g. the live states a live strategy reads, their data staleness).
    extra: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class Strategy(Protocol):
    """Anything that turns a decision context into bet orders."""

    name: str

    def decide(self, context: DecisionContext) -> list[BetOrder]: ...


def models_needed(strategy: object) -> tuple[str, ...]:
    """Model names a strategy asks the engine to fit (attribute ``models``; none by default)."""
    return tuple(getattr(strategy, "models", ()))
