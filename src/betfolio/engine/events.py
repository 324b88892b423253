"""What a source tells the engine: a decision round (matches open for betting, with the prices on offer), and
the results of matches that just ended.

Events are handled in time order; at equal times results come first, so money won at 17:00 can be staked on a
decision taken at 17:00 — and a decision never sees a result stamped after it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from betfolio.canonical.enums import MatchStatus
from betfolio.engine.strategy import MatchView

if TYPE_CHECKING:
    from betfolio.engine.quotes import MarketKey, MarketQuotes

#: How long after kick-off a result is taken to be known: bets settle then, and only then may a decision know it.
RESULT_DELAY = timedelta(hours=2, minutes=15)
#: Match statuses on which every bet is void (the stake comes back): the markets' default void rules.
VOID_STATUSES = frozenset({MatchStatus.POSTPONED.value, MatchStatus.CANCELLED.value, MatchStatus.ABANDONED.value})
_FINAL = frozenset({MatchStatus.FINISHED.value, MatchStatus.AWARDED.value})


@dataclass(frozen=True, slots=True)
class MatchResult:
    """A match as known at its end: the final status and score, and its closing prices (evaluation only)."""

    match_id: int
    ended_at: datetime
    status: str
    home_goals: int | None
    away_goals: int | None
    closing: Mapping[MarketKey, MarketQuotes] = field(default_factory=dict)

    @property
    def has_result(self) -> bool:
        return self.status in _FINAL and self.home_goals is not None and self.away_goals is not None

    @property
    def is_void(self) -> bool:
        return self.status in VOID_STATUSES

    @property
    def settleable(self) -> bool:
        return self.has_result or self.is_void


@dataclass(frozen=True, slots=True)
class DecisionRound:
    """Matches open for betting at ``at`` and the prices on offer for each (never a closing price)."""

    at: datetime
    matches: Sequence[MatchView]
    odds: Mapping[int, Mapping[MarketKey, MarketQuotes]]
    #: Anything the source knows about the round that a context builder may add (e.g. live states).
    extra: Mapping[str, Any] = field(default_factory=dict)

    def day_of(self, match_id: int) -> date | None:
        for m in self.matches:
            if m.match_id == match_id:
                return m.kickoff.date()
        return None


@dataclass(frozen=True, slots=True)
class Results:
    """Matches that ended at ``at``: their bets settle now, together."""

    at: datetime
    results: Sequence[MatchResult]


Event = DecisionRound | Results


def event_order(event: Event) -> tuple[datetime, int]:
    """Sort key: by time, results before decisions at the same moment."""
    return (event.at, 0 if isinstance(event, Results) else 1)
