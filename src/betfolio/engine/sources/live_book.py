"""The live source's knowledge of the store: which match a provider's fixture is, and the in-play book on offer.

The live stream carries match states, not prices. What a trader is offered in play is the modelled in-play book
the live worker was trained against (:mod:`betfolio.models.inplay`): it prices 1X2 and over/under 2.5 from the
match's pre-match 1X2 quotes *as of kick-off* (every bookmaker's last quote, margin removed, median) and the
current score, minute and red cards. :class:`StoreLiveBook` reads the store once per match (fixture, kick-off,
pre-match prices) and caches it, so a stream of states costs no database round trip per state; a provider's
fixture ids are resolved through the identity map, re-read at most every few seconds when an id is unknown.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from betfolio.engine.sources.inplay import INPLAY_BOOK
from betfolio.engine.sources.live import STORE_PROVIDER, store_ids
from betfolio.engine.strategy import MatchView

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from betfolio.canonical import LiveMatchState
    from betfolio.engine.book import BookConfig
    from betfolio.engine.quotes import MarketKey, MarketQuotes

#: Least time between two re-reads of the identity map for an unknown fixture id (seconds).
ID_REFRESH_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class LiveMatch:
    """A fixture as the live book needs it: the view strategies see, and its pre-match prices."""

    view: MatchView
    fair: np.ndarray | None  # margin-free pre-match 1X2 as of kick-off (None: no complete quote)
    intensities: tuple[float, float] | None  # full-match Poisson intensities implied by ``fair``


class StoreLiveBook:
    """Fixtures and modelled in-play prices for the live states of the matches in one store."""

    def __init__(self, engine: Engine, book: BookConfig | None = None) -> None:
        from betfolio.engine.book import BookConfig

        self.engine = engine
        self.book = book or BookConfig()
        self._ids: dict[str, dict[str, int]] = defaultdict(dict)
        self._ids_read: dict[str, float] = {}
        self._matches: dict[int, LiveMatch | None] = {}

    # --- identity and fixtures -----------------------------------------------------------------------------
    def resolve(self, provider: str, provider_match_id: str) -> int | None:
        """The store's match id of a provider's fixture (None when nobody linked it)."""
        if provider == STORE_PROVIDER:
            return store_ids(provider, provider_match_id)
        known = self._ids[provider].get(provider_match_id)
        if known is None and time.monotonic() - self._ids_read.get(provider, -1e9) > ID_REFRESH_SECONDS:
            self._load_ids(provider)
            known = self._ids[provider].get(provider_match_id)
        return known

    def _load_ids(self, provider: str) -> None:
        from betfolio.store.identity import fixture_ids

        with self.engine.connect() as conn:
            self._ids[provider] = fixture_ids(conn, provider)
        self._ids_read[provider] = time.monotonic()

    def match(self, match_id: int) -> LiveMatch | None:
        """The fixture and its pre-match prices (read once; None when the store has no such match)."""
        if match_id not in self._matches:
            self._matches[match_id] = self._load_match(match_id)
        return self._matches[match_id]

    def _load_match(self, match_id: int) -> LiveMatch | None:
        from betfolio.markets.margin import remove_margin_multiplicative
        from betfolio.models.inplay import implied_intensities
        from betfolio.store import queries
        from betfolio.store.tables import matches_master as mm

        with self.engine.connect() as conn:
            row = conn.execute(queries.matches_query().where(mm.c.match_id == match_id)).mappings().first()
            if row is None:
                return None
            kickoff = row["kickoff_utc"]
            quotes = queries.odds_as_of(conn, match_id, kickoff, market="1x2")
        view = MatchView(match_id, row["league"], row["season"], kickoff, row["home_team"], row["away_team"])
        books: dict[str, dict[str, float]] = defaultdict(dict)
        for q in quotes:
            books[q.bookmaker][q.selection] = q.odds
        rows = [[b[s] for s in ("home", "draw", "away")] for b in books.values() if len(b) == 3]
        if not rows:
            return LiveMatch(view, None, None)
        fair = np.median(remove_margin_multiplicative(np.asarray(rows, dtype=np.float64)), axis=0)
        fair = fair / fair.sum()
        lh, la = implied_intensities(fair.reshape(1, 3))
        return LiveMatch(view, fair, (float(lh[0]), float(la[0])))

    # --- the book on offer ---------------------------------------------------------------------------------
    def odds(self, matches: Sequence[LiveMatch], states: Sequence[LiveMatchState]) -> np.ndarray:
        """The modelled book's odds ``[n, 5]`` per :data:`betfolio.features.live.LIVE_SELECTIONS` (NaN = not
        offered: no pre-match prices, or the market closed), for all the states at once."""
        from betfolio.features.live import LIVE_SELECTIONS
        from betfolio.models.inplay import offered_odds, outcome_probabilities, remaining_intensities

        out = np.full((len(matches), len(LIVE_SELECTIONS)), np.nan)
        priced = [i for i, m in enumerate(matches) if m.intensities is not None]
        if not priced:
            return out
        lam = np.array([matches[i].intensities for i in priced])
        st = [states[i] for i in priced]
        minute = np.array([s.minute for s in st])
        mu_h, mu_a = remaining_intensities(
            lam[:, 0], lam[:, 1], minute,
            np.array([s.home_red_cards or 0 for s in st]), np.array([s.away_red_cards or 0 for s in st]),
        )  # fmt: skip
        probs = outcome_probabilities(
            mu_h, mu_a, np.array([s.home_goals for s in st]), np.array([s.away_goals for s in st])
        )
        prices = offered_odds(probs, self.book.margin, self.book.min_probability)
        prices[minute >= self.book.last_bet_minute] = np.nan  # the book stops taking bets late in the match
        out[priced] = prices
        return out

    @staticmethod
    def quotes(odds: np.ndarray) -> dict[MarketKey, MarketQuotes]:
        """One match's row of :meth:`odds` as the engine's price tables (what the price check reads)."""
        from betfolio.engine.quotes import MarketQuotes

        return {
            ("1x2", None): MarketQuotes("1x2", None, (INPLAY_BOOK,), odds[None, 0:3].copy()),
            ("total_goals", 2.5): MarketQuotes("total_goals", 2.5, (INPLAY_BOOK,), odds[None, 3:5].copy()),
        }
