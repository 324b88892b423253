"""Replaying pre-match history from the store: decision rounds at the as-of decision times, results at match ends.

The matches come from :func:`betfolio.backtest.data.load_from_engine` (the store, read once), which fixes every
match's decision time and decision prices with the engine's one as-of rule (:mod:`betfolio.engine.asof`).
A round groups the matches whose decision time is the same moment; a match's result is an event at
``kick-off + RESULT_DELAY`` — only then can its bets settle, and only then can a later decision know it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from itertools import groupby
from typing import TYPE_CHECKING

from betfolio.engine.events import DecisionRound, Event, MatchResult, Results, event_order
from betfolio.engine.strategy import MatchView

if TYPE_CHECKING:
    from betfolio.backtest.data import MatchRecord


def match_view(m: MatchRecord) -> MatchView:
    return MatchView(m.match_id, m.league, m.season, m.kickoff, m.home, m.away)


def match_result(m: MatchRecord) -> MatchResult:
    return MatchResult(m.match_id, m.result_at, m.status, m.home_goals, m.away_goals, m.closing)


class PreMatchReplay:
    """The events of a pre-match history, in time order (iterate it, or hand it to :meth:`Engine.run`)."""

    def __init__(self, matches: Sequence[MatchRecord]) -> None:
        self.decidable = sorted(
            (m for m in matches if m.decision_at is not None), key=lambda m: (m.decision_at, m.kickoff, m.match_id)
        )
        self.undecidable = [m for m in matches if m.decision_at is None]
        self.end: datetime | None = max((m.result_at for m in matches), default=None)

    def rounds(self) -> list[tuple[datetime, list[MatchRecord]]]:
        return [(t, list(ms)) for t, ms in groupby(self.decidable, key=lambda m: m.decision_at)]  # type: ignore[misc]

    def events(self) -> list[Event]:
        out: list[Event] = [
            DecisionRound(t, [match_view(m) for m in ms], {m.match_id: m.prematch for m in ms})
            for t, ms in self.rounds()
        ]
        ends = sorted(self.decidable, key=lambda m: (m.result_at, m.match_id))
        out.extend(Results(t, [match_result(m) for m in ms]) for t, ms in groupby(ends, key=lambda m: m.result_at))
        out.sort(key=event_order)
        return out

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events())
