"""The one pre-match feature builder: market prices and team form known at the decision time.

:data:`PREMATCH_FEATURES` in order: the consensus margin-free 1X2 probabilities, the
implied probabilities of the price a bet would be struck at, the overround, the consensus P(over 2.5), and each
team's form over its last :data:`FORM_WINDOW` results **known at the decision time** (a Friday decision never
sees Saturday's results). A team without known results has its form masked, not zeroed.

:func:`prematch_values` builds one match's vector from a decision context (prices of every bookmaker, results
known then); :func:`prematch_features` builds the whole simulator match set with the same rule, walking its
decision times forward — both go through :func:`feature_vector`, so there is one definition.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from betfolio.canonical import is_aggregate_bookmaker
from betfolio.engine.events import RESULT_DELAY
from betfolio.engine.strategy import MatchView, PastResult
from betfolio.markets.margin import remove_margin_multiplicative

if TYPE_CHECKING:
    from betfolio.engine.quotes import MarketQuotes
    from betfolio.sim.episodes import MatchSet

#: The pre-match feature layout (values; the observation adds their masks and the bankroll extras).
PREMATCH_FEATURES: tuple[str, ...] = (
    "fair_home",
    "fair_draw",
    "fair_away",
    "implied_home",
    "implied_draw",
    "implied_away",
    "overround",
    "fair_over_2_5",
    "home_form_goals_for",
    "home_form_goals_against",
    "away_form_goals_for",
    "away_form_goals_against",
    "home_form_points",
    "away_form_points",
)
PREMATCH_EXTRAS: tuple[str, ...] = ("cash_fraction", "drawdown", "last10_win_rate", "has_history", "halted")
PREMATCH_OBS_DIM = 2 * len(PREMATCH_FEATURES) + len(PREMATCH_EXTRAS)
FORM_WINDOW = 5
#: Bookmakers tried in this order for the price a pre-match bet is struck at (any other real one after them).
BOOKMAKER_PREFERENCE: tuple[str, ...] = ("pinnacle", "bet365", "william_hill", "bwin", "interwetten", "betvictor")
TOTALS_LINE = 2.5
Form = dict[str, deque[tuple[int, int]]]


def feature_vector(
    fair: np.ndarray, price: np.ndarray, fair_over: float | None, home_form: Sequence[tuple[int, int]] | None,
    away_form: Sequence[tuple[int, int]] | None,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Values (float32) and mask in :data:`PREMATCH_FEATURES` order."""
    n = len(PREMATCH_FEATURES)
    values, mask = np.zeros(n, np.float32), np.zeros(n, bool)
    implied = 1.0 / np.asarray(price, dtype=np.float64)
    values[0:3], values[3:6], values[6] = fair, implied, implied.sum() - 1.0
    mask[0:7] = True
    if fair_over is not None and np.isfinite(fair_over):
        values[7], mask[7] = fair_over, True
    for col, pts_col, games in ((8, 12, home_form), (10, 13, away_form)):
        if games:
            values[col] = np.mean([g[0] for g in games]) / 3.0
            values[col + 1] = np.mean([g[1] for g in games]) / 3.0
            values[pts_col] = np.mean([3 if g[0] > g[1] else 1 if g[0] == g[1] else 0 for g in games]) / 3.0
            mask[[col, col + 1, pts_col]] = True
    return values, mask


def consensus(table: MarketQuotes) -> np.ndarray | None:
    """Mean margin-free probabilities over real bookmakers with a complete book."""
    rows = [
        table.odds[i]
        for i, book in enumerate(table.bookmakers)
        if not is_aggregate_bookmaker(book) and np.all(np.isfinite(table.odds[i])) and np.all(table.odds[i] > 1.0)
    ]
    if not rows:
        return None
    return remove_margin_multiplicative(np.array(rows)).mean(axis=0)


def bet_book(table: MarketQuotes) -> tuple[str, np.ndarray] | None:
    """The bookmaker a bet is struck at (the first preferred one with a complete book) and its prices."""
    for book in (*BOOKMAKER_PREFERENCE, *sorted(table.bookmakers)):
        if is_aggregate_bookmaker(book):
            continue
        price = table.price(book)
        if price is not None and np.all(price > 1.0):
            return book, price
    return None


def form_features(past: Sequence[PastResult], window: int = FORM_WINDOW) -> Form:
    """Last ``window`` (goals for, goals against) per team from results known now, oldest first."""
    games: Form = defaultdict(lambda: deque(maxlen=window))
    for r in sorted(past, key=lambda r: (r.kickoff, r.match_id)):
        games[r.home].append((r.home_goals, r.away_goals))
        games[r.away].append((r.away_goals, r.home_goals))
    return games


def prematch_values(
    match: MatchView, odds: dict, form: Form
) -> tuple[np.ndarray, np.ndarray, str | None, np.ndarray | None]:
    """One match from a decision context: values, mask, the bet bookmaker and its 1X2 prices (None: no price)."""
    table = odds.get(("1x2", None))
    fair = consensus(table) if table is not None else None
    chosen = bet_book(table) if table is not None else None
    if fair is None or chosen is None:
        return np.zeros(len(PREMATCH_FEATURES), np.float32), np.zeros(len(PREMATCH_FEATURES), bool), None, None
    book, price = chosen
    totals = odds.get(("total_goals", TOTALS_LINE))
    over = consensus(totals) if totals is not None else None
    values, mask = feature_vector(
        fair, price, None if over is None else float(over[0]), form.get(match.home), form.get(match.away)
    )
    return values, mask, book, price


def prematch_features(ms: MatchSet, window: int = FORM_WINDOW) -> tuple[np.ndarray, np.ndarray]:
    """Every match of a simulator match set, as decided at its as-of decision time: ``[n, features]`` each.

    Form uses the results known at the decision time (kick-off + the result delay ≤ decision time), so matches
    decided in the same round never see each other, nor any result that came after the round.
    """
    n = len(ms)
    values = np.zeros((n, len(PREMATCH_FEATURES)), np.float32)
    mask = np.zeros((n, len(PREMATCH_FEATURES)), bool)
    known_at = ms.kickoff + np.timedelta64(int(RESULT_DELAY.total_seconds()), "s")
    results = np.lexsort((ms.match_id, known_at))
    form: Form = defaultdict(lambda: deque(maxlen=window))
    k = 0
    for r in np.lexsort((ms.match_id, ms.kickoff, ms.decision_at)):
        while k < n and known_at[results[k]] <= ms.decision_at[r]:
            done = results[k]
            h, a = (int(x) for x in ms.full_time[done])
            form[ms.home_team[done]].append((h, a))
            form[ms.away_team[done]].append((a, h))
            k += 1
        over = ms.fair_over[r]
        values[r], mask[r] = feature_vector(
            ms.prematch_fair[r], ms.prematch_odds[r], None if not np.isfinite(over) else float(over),
            form.get(ms.home_team[r]), form.get(ms.away_team[r]),
        )  # fmt: skip
    return values, mask
