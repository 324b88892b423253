"""Replaying pre-match history from the store: decision rounds at the as-of decision times, results at match ends.

The matches come from :func:`betfolio.backtest.data.load_from_engine` (the store, read once), which fixes every
match's decision time and decision prices with the engine's one as-of rule (:mod:`betfolio.engine.asof`).
A round groups the matches whose decision time is the same moment; a match's result is an event at
``kick-off + RESULT_DELAY`` — only then can its bets settle, and only then can a later decision know it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from itertools import groupby
from typing import TYPE_CHECKING

import numpy as np

from betfolio.engine.events import RESULT_DELAY, DecisionRound, Event, MatchResult, Results, event_order
from betfolio.engine.strategy import MatchView

if TYPE_CHECKING:
    from betfolio.engine.quotes import MarketKey, MarketQuotes, MatchRecord
    from betfolio.sim.episodes import MatchSet


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


def utc(value: np.datetime64) -> datetime:
    """A naive UTC ``datetime64`` (the simulator's arrays) as an aware datetime."""
    return datetime.fromtimestamp(int(value.astype("datetime64[s]").astype(np.int64)), UTC)


class MatchSetReplay:
    """The same events from the simulator's compact match set (:class:`betfolio.sim.episodes.MatchSet`).

    Each match offers the 1X2 price of its bet bookmaker at its as-of decision time; its result arrives at
    kick-off + :data:`RESULT_DELAY`, with the bookmaker's closing price for evaluation.
    """

    def __init__(self, ms: MatchSet, rows: Sequence[int] | np.ndarray) -> None:
        self.ms = ms
        self.rows = sorted((int(r) for r in rows), key=lambda r: (ms.decision_at[r], ms.kickoff[r], ms.match_id[r]))
        self.row_of = {int(ms.match_id[r]): r for r in self.rows}
        self._results: dict[int, MatchResult] = {}  # built once per match: events and per-bet rewards share it

    def view(self, r: int) -> MatchView:
        ms = self.ms
        return MatchView(
            int(ms.match_id[r]),
            str(ms.league[r]),
            str(ms.season[r]),
            utc(ms.kickoff[r]),
            ms.home_team[r],
            ms.away_team[r],
        )

    def quotes(self, r: int, odds: np.ndarray) -> dict[MarketKey, MarketQuotes]:
        from betfolio.engine.quotes import MATCH_ODDS_KEY, MarketQuotes

        return {MATCH_ODDS_KEY: MarketQuotes("1x2", None, (str(self.ms.bet_bookmaker[r]),), odds[None, :].copy())}

    def result(self, r: int) -> MatchResult:
        known = self._results.get(r)
        if known is not None:
            return known
        ms = self.ms
        closing = self.quotes(r, ms.closing_odds[r]) if np.isfinite(ms.closing_odds[r]).all() else {}
        home, away = (int(g) for g in ms.full_time[r])
        result = MatchResult(int(ms.match_id[r]), utc(ms.kickoff[r]) + RESULT_DELAY, "finished", home, away, closing)
        self._results[r] = result
        return result

    def events(self) -> list[Event]:
        ms = self.ms
        out: list[Event] = []
        for t, rs in groupby(self.rows, key=lambda r: ms.decision_at[r]):
            group = list(rs)
            out.append(
                DecisionRound(
                    utc(t),
                    [self.view(r) for r in group],
                    {int(ms.match_id[r]): self.quotes(r, ms.prematch_odds[r]) for r in group},
                )
            )
        ends = sorted(self.rows, key=lambda r: (ms.kickoff[r], ms.match_id[r]))
        out.extend(
            Results(utc(t) + RESULT_DELAY, [self.result(r) for r in rs])
            for t, rs in groupby(ends, key=lambda r: ms.kickoff[r])
        )
        out.sort(key=event_order)
        return out

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events())
