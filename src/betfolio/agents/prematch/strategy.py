"""A trained pre-match worker as a walk-forward backtest :class:`~betfolio.backtest.strategy.Strategy`.

The worker was trained on :class:`betfolio.sim.envs.PreMatchBettingEnv` observations. In the backtest the same
observation is rebuilt **from the decision context only** — the as-of prices of every bookmaker and the results
known at ``as_of`` — rather than looked up from the simulator's precomputed table: the simulator computes team
form from every match that kicked off earlier, while in the backtest a Friday decision must not see Saturday's
results for a Sunday match. Same feature definitions (order, scaling, masks), stricter clock; a test checks
that both agree when the history is the same.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from betfolio.backtest.data import MATCH_ODDS_KEY, MarketQuotes
from betfolio.backtest.strategy import BetOrder, DecisionContext, MatchView, PastResult
from betfolio.canonical import is_aggregate_bookmaker
from betfolio.markets.margin import remove_margin_multiplicative
from betfolio.sim.episodes import BOOKMAKER_PREFERENCE, TOTALS_LINE
from betfolio.sim.features import PREMATCH_EXTRAS, PREMATCH_FEATURES
from betfolio.sim.prematch import FORM_WINDOW

SELECTIONS = ("home", "draw", "away")
#: Decides an action index of the pre-match env from an observation and its action mask.
Policy = Callable[[np.ndarray, np.ndarray], int]


def _consensus(table: MarketQuotes) -> np.ndarray | None:
    """Mean margin-free probabilities over real bookmakers with a complete book (as the simulator's builder)."""
    rows = [
        table.odds[i]
        for i, book in enumerate(table.bookmakers)
        if not is_aggregate_bookmaker(book) and np.all(np.isfinite(table.odds[i])) and np.all(table.odds[i] > 1.0)
    ]
    if not rows:
        return None
    return remove_margin_multiplicative(np.array(rows)).mean(axis=0)


def _bet_book(table: MarketQuotes) -> tuple[str, np.ndarray] | None:
    for book in (*BOOKMAKER_PREFERENCE, *table.bookmakers):
        if is_aggregate_bookmaker(book):
            continue
        price = table.price(book)
        if price is not None and np.all(price > 1.0):
            return book, price
    return None


def form_features(past: Sequence[PastResult], window: int = FORM_WINDOW) -> dict[str, deque[tuple[int, int]]]:
    """Last ``window`` (goals for, goals against) per team from results known now, oldest first."""
    games: dict[str, deque[tuple[int, int]]] = defaultdict(lambda: deque(maxlen=window))
    for r in sorted(past, key=lambda r: (r.kickoff, r.match_id)):
        games[r.home].append((r.home_goals, r.away_goals))
        games[r.away].append((r.away_goals, r.home_goals))
    return games


def prematch_values(
    match: MatchView, odds: dict, form: dict[str, deque[tuple[int, int]]]
) -> tuple[np.ndarray, np.ndarray, str | None, np.ndarray | None]:
    """Values and mask in :data:`PREMATCH_FEATURES` order, plus the bet bookmaker and its 1X2 prices."""
    n = len(PREMATCH_FEATURES)
    values, mask = np.zeros(n, np.float32), np.zeros(n, bool)
    table = odds.get(MATCH_ODDS_KEY)
    fair = _consensus(table) if table is not None else None
    chosen = _bet_book(table) if table is not None else None
    if fair is None or chosen is None:
        return values, mask, None, None
    book, price = chosen
    implied = 1.0 / price
    values[0:3], values[3:6], values[6] = fair, implied, implied.sum() - 1.0
    mask[0:7] = True
    totals = odds.get(("total_goals", TOTALS_LINE))
    over = _consensus(totals) if totals is not None else None
    if over is not None:
        values[7], mask[7] = over[0], True
    for col, pts_col, team in ((8, 12, match.home), (10, 13, match.away)):
        games = form.get(team)
        if games:
            values[col] = np.mean([g[0] for g in games]) / 3.0
            values[col + 1] = np.mean([g[1] for g in games]) / 3.0
            values[pts_col] = np.mean([3 if g[0] > g[1] else 1 if g[0] == g[1] else 0 for g in games]) / 3.0
            mask[[col, col + 1, pts_col]] = True
    return values, mask, book, price


@dataclass
class PrematchAgentStrategy:
    """Backtest adapter: observation from the context → worker action → a bet order at a real as-of price."""

    name: str
    policy: Policy
    stakes: tuple[float, ...]  # stake fraction per stake-size action (the env's PREMATCH_STAKES)
    seasons: frozenset[str] | None = None  # decide only in these (evaluation) seasons
    peak: float = 0.0
    _results: list[float] = field(default_factory=list)  # 1 won / 0 lost, own settled bets
    _open: dict[int, int] = field(default_factory=dict)  # match_id → selection index

    def _update_results(self, past: Sequence[PastResult]) -> None:
        if not self._open:
            return
        for r in past:
            sel = self._open.pop(r.match_id, None)
            if sel is not None:
                outcome = 0 if r.home_goals > r.away_goals else 1 if r.home_goals == r.away_goals else 2
                self._results = [*self._results, float(outcome == sel)][-10:]

    def decide(self, context: DecisionContext) -> list[BetOrder]:
        matches = [m for m in context.matches if self.seasons is None or m.season in self.seasons]
        if not matches:
            return []
        past = context.history()
        self._update_results(past)
        form = form_features(past)
        self.peak = max(self.peak, context.equity)
        has_history = bool(self._results)
        extras = np.array(
            [
                context.cash / context.initial_bankroll,
                1.0 - context.equity / self.peak if self.peak > 0 else 0.0,
                float(np.mean(self._results)) if has_history else 0.0,
                float(has_history),
                float(context.cash <= 0),
            ],
            np.float32,
        )
        assert len(extras) == len(PREMATCH_EXTRAS)
        orders = []
        n_stakes = len(self.stakes)
        for m in matches:
            values, mask, book, price = prematch_values(m, context.odds.get(m.match_id, {}), form)
            if book is None or price is None:
                context.skip(m.match_id, "no complete 1X2 prices")
                continue
            obs = np.concatenate([values, mask.astype(np.float32), extras])
            action_mask = np.ones(1 + 3 * n_stakes, bool)
            action_mask[1:] = context.cash > 0  # as the environment: no bets without cash
            action = self.policy(obs, action_mask)
            if action == 0:
                continue
            sel, size = divmod(action - 1, n_stakes)
            stake = min(self.stakes[size] * context.equity, context.max_stake(m.match_id))
            if stake <= 0:
                context.skip(m.match_id, "no stake room")
                continue
            self._open[m.match_id] = sel
            orders.append(BetOrder(m.match_id, "1x2", SELECTIONS[sel], None, float(price[sel]), stake, book, self.name))
        return orders
