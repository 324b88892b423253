"""Replaying a match in play: minute states of the simulator's timelines and the modelled in-play book.

Each minute of the replayed match is a :class:`~betfolio.engine.events.DecisionRound` offering the book's prices
as the bettor sees them (possibly stale during a feed outage) for the selections the book has open; the match's
end is a :class:`~betfolio.engine.events.Results` event on its real final score. Orders wait out the book's
acceptance delay in the engine's pending queue (:class:`~betfolio.engine.execution.Execution` with
:meth:`InPlayReplay.execution`), and the book then fills them at the price it has moved to — or refuses them when
an event suspended the market during the delay or the price moved beyond the tolerance (the simulator's
:func:`~betfolio.engine.book.accept_bets`, the same rule the batched simulator applies in bulk).

The market data is the batched simulator's own episode tape for that env, so the engine and the vectorised
simulator replay exactly the same match, prices and faults on the same seed — the parity test holds them to the
same bets.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

import numpy as np

from betfolio.engine.events import DecisionRound, Event, MatchResult, Results
from betfolio.engine.execution import Execution, _Pending
from betfolio.engine.sources.prematch import utc
from betfolio.engine.strategy import MatchView

if TYPE_CHECKING:
    from betfolio.engine.book import BookConfig
    from betfolio.sim.batched import Tapes
    from betfolio.sim.timeline import TimelineBank

#: The in-play book's name on orders and ledger rows.
INPLAY_BOOK = "in-play model"
_MINUTE = timedelta(minutes=1)


class EpisodeTapes(Protocol):
    """Whatever laid the episodes out: the batched simulator, or the live environment (one episode)."""

    tapes: Tapes
    bank: TimelineBank
    book: BookConfig


class InPlayReplay:
    """The events of the match replayed in env ``row`` of ``sim`` (after its ``reset``/``reset_to``).

    Rounds are built on demand (:meth:`round`), so an environment stepping minute by minute pays only for the
    minutes it reaches; :meth:`events` lists them all for :meth:`~betfolio.engine.loop.Engine.run`.
    """

    def __init__(self, sim: EpisodeTapes, row: int) -> None:
        from betfolio.features.live import LIVE_BETS

        self.sim = sim
        self.row = row
        self.bets = LIVE_BETS
        self.book = sim.book
        tapes = sim.tapes
        self.m = int(tapes.match[row])
        ms = sim.bank.matches
        self.kickoff = utc(ms.kickoff[self.m])
        self.view = MatchView(
            int(ms.match_id[self.m]), str(ms.league[self.m]), str(ms.season[self.m]), self.kickoff,
            ms.home_team[self.m], ms.away_team[self.m],
        )  # fmt: skip
        self.last = int(tapes.last_minute[row])
        self.full_time = tuple(int(g) for g in ms.full_time[self.m])
        # the tape's arrays for this env, copied: the simulator may move on to other episodes
        self.shown = tapes.shown[row].astype(np.float64)
        self.odds = tapes.odds[row].astype(np.float64)
        self.offered = tapes.offered[row].copy()
        self.event_second = tapes.event_second[row].astype(np.float64)
        self.stale = tapes.stale[row].copy()
        self._views = [self.view]
        # what the board offers each minute: the shown price where the book takes bets, NaN elsewhere
        minutes = np.arange(len(self.shown))[:, None]
        self.board = np.where(self.offered & (minutes < self.book.last_bet_minute), self.shown, np.nan)

    def minute_of(self, when: datetime) -> int:
        return int((when - self.kickoff).total_seconds() // 60)

    def at(self, t: int) -> datetime:
        """The moment of minute ``t`` on the engine's clock."""
        return self.kickoff + t * _MINUTE

    def quotes(self, t: int) -> dict:
        from betfolio.engine.quotes import MarketQuotes

        price = self.board[t]
        return {
            ("1x2", None): MarketQuotes("1x2", None, (INPLAY_BOOK,), price[None, 0:3]),
            ("total_goals", 2.5): MarketQuotes("total_goals", 2.5, (INPLAY_BOOK,), price[None, 3:5]),
        }

    def round(self, t: int) -> DecisionRound:
        """Minute ``t`` (0 … last − 1): the match open for betting at the book's prices as the bettor sees them."""
        return DecisionRound(self.at(t), self._views, {self.view.match_id: self.quotes(t)}, {"minute": t})

    def result(self) -> Results:
        """The match's end: its real final score, at its last replayed minute."""
        end = self.at(self.last)
        home, away = self.full_time
        return Results(end, [MatchResult(self.view.match_id, end, "finished", home, away)])

    def events(self) -> list[Event]:
        out: list[Event] = [self.round(t) for t in range(self.last)]
        out.append(self.result())
        return out

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events())

    def execution(self) -> Execution:
        """Execution with the book's acceptance delay and its fill rule."""
        return Execution(delay=timedelta(seconds=self.book.acceptance_delay_seconds), accept=self._accept)

    def _accept(self, item: _Pending) -> tuple[float | None, str | None]:
        from betfolio.engine.book import BetReject, accept_bets

        t = self.minute_of(item.asked_at)
        sel = self.bets.index((item.order.market, item.order.selection, item.order.line))
        nxt = min(t + 1, len(self.odds) - 1)
        fill, code = accept_bets(
            np.array([item.order.odds]), self.odds[t, sel : sel + 1], self.odds[nxt, sel : sel + 1],
            self.event_second[nxt : nxt + 1], self.stale[t : t + 1], self.book,
        )  # fmt: skip
        if code[0] != 0:
            return None, BetReject(int(code[0])).label
        return float(fill[0]), None
