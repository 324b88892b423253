"""The one pre-match feature builder: market prices and team form known at the decision time.

:data:`PREMATCH_FEATURES` in order: the consensus margin-free 1X2 probabilities, the
implied probabilities of the price a bet would be struck at, the overround, the consensus P(over 2.5), and each
team's form over its last :data:`FORM_WINDOW` results **known at the decision time** (a Friday decision never
sees Saturday's results). A team without known results has its form masked, not zeroed.

Market features (appended, so the older entries keep their positions): the number of bookmakers behind the
consensus; each price against that margin-free consensus (Kaunitz et al. 2017: a price above the consensus
fair price is the signal) — the bet bookmaker's price (``bet_edge_*``) and the best price of any bookmaker
(``best_edge_*``); the consensus movement from the opening to the latest snapshot (``move_*``, masked when the
data holds a single pre-match snapshot); and the edge of a goal model (``model_edge_*``: a Dixon-Coles grid on
the two teams' known form, so it is defined from the same results in training and in the backtest, masked
while a team has no known result). Everything is as of the decision time; closing prices are never inputs.

:func:`prematch_values` builds one match's vector from a decision context (prices of every bookmaker, results
known then); :func:`prematch_features` builds the whole simulator match set with the same rule, walking its
decision times forward — both go through :func:`feature_vector`, so there is one definition.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from betfolio.canonical import TOTALS_LINE, is_aggregate_bookmaker
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
    "books",
    "bet_edge_home",
    "bet_edge_draw",
    "bet_edge_away",
    "best_edge_home",
    "best_edge_draw",
    "best_edge_away",
    "move_home",
    "move_draw",
    "move_away",
    "model_edge_home",
    "model_edge_draw",
    "model_edge_away",
)
PREMATCH_EXTRAS: tuple[str, ...] = ("cash_fraction", "drawdown", "last10_win_rate", "has_history", "halted")
PREMATCH_OBS_DIM = 2 * len(PREMATCH_FEATURES) + len(PREMATCH_EXTRAS)
FORM_WINDOW = 5
#: Bookmakers tried in this order for the price a pre-match bet is struck at (any other real one after them).
BOOKMAKER_PREFERENCE: tuple[str, ...] = ("pinnacle", "bet365", "william_hill", "bwin", "interwetten", "betvictor")
#: ``books`` is the count of bookmakers behind the consensus divided by this (values of order one).
BOOKS_SCALE = 10.0
#: Goal rates of the form model are kept in this range (a team that scored 0 in its last games still may).
FORM_RATE_RANGE = (0.2, 4.0)
#: Home goal rate multiplier of the form model (and its inverse for the away side): top leagues score about
#: 1.5 home and 1.2 away goals per match, a ratio of 1.25 — split evenly between the sides.
HOME_ADVANTAGE = 1.25**0.5
Form = dict[str, deque[tuple[int, int]]]


@dataclass(frozen=True, slots=True)
class MarketView:
    """What the market says beyond the consensus and the bet price: all optional (missing → masked)."""

    books: int = 0  # bookmakers with a complete book behind the consensus
    best_price: np.ndarray | None = None  # [3] best price of any real bookmaker
    opening_fair: np.ndarray | None = None  # [3] consensus at the earliest snapshot, None if only one snapshot


def feature_vector(
    fair: np.ndarray, price: np.ndarray, fair_over: float | None, home_form: Sequence[tuple[int, int]] | None,
    away_form: Sequence[tuple[int, int]] | None, market: MarketView | None = None,
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
    _market_features(values, mask, np.asarray(fair, np.float64), np.asarray(price, np.float64), market)
    model = form_model_probabilities(home_form, away_form)
    if model is not None:
        values[_MODEL_EDGE] = model * price - 1.0
        mask[_MODEL_EDGE] = True
    return values, mask


_BOOKS = PREMATCH_FEATURES.index("books")
_BET_EDGE = slice(PREMATCH_FEATURES.index("bet_edge_home"), PREMATCH_FEATURES.index("bet_edge_away") + 1)
_BEST_EDGE = slice(PREMATCH_FEATURES.index("best_edge_home"), PREMATCH_FEATURES.index("best_edge_away") + 1)
_MOVE = slice(PREMATCH_FEATURES.index("move_home"), PREMATCH_FEATURES.index("move_away") + 1)
_MODEL_EDGE = slice(PREMATCH_FEATURES.index("model_edge_home"), PREMATCH_FEATURES.index("model_edge_away") + 1)


def _market_features(
    values: np.ndarray, mask: np.ndarray, fair: np.ndarray, price: np.ndarray, market: MarketView | None
) -> None:
    values[_BET_EDGE], mask[_BET_EDGE] = fair * price - 1.0, True
    if market is None:
        return
    if market.books > 0:
        values[_BOOKS], mask[_BOOKS] = market.books / BOOKS_SCALE, True
    best = market.best_price
    if best is not None and np.all(np.isfinite(best)) and np.all(best > 1.0):
        values[_BEST_EDGE], mask[_BEST_EDGE] = fair * np.asarray(best, np.float64) - 1.0, True
    opening = market.opening_fair
    if opening is not None and np.all(np.isfinite(opening)):
        values[_MOVE], mask[_MOVE] = fair - np.asarray(opening, np.float64), True


def form_model_probabilities(
    home_form: Sequence[tuple[int, int]] | None, away_form: Sequence[tuple[int, int]] | None
) -> np.ndarray | None:
    """1X2 probabilities of a Dixon-Coles grid whose goal rates come from the teams' known form.

    The home rate averages the home side's goals for and the away side's goals against (times the home advantage
    :data:`HOME_ADVANTAGE`), the away rate the reverse (divided by it). None (masked) while either team has no
    known result — a newcomer has no form, not a rate of zero.
    """
    from betfolio.models.grid_fit import dc_grids

    if not home_form or not away_form:
        return None
    lo, hi = FORM_RATE_RANGE
    home_for, home_against = np.mean([g[0] for g in home_form]), np.mean([g[1] for g in home_form])
    away_for, away_against = np.mean([g[0] for g in away_form]), np.mean([g[1] for g in away_form])
    lam = float(np.clip(HOME_ADVANTAGE * (home_for + away_against) / 2.0, lo, hi))
    mu = float(np.clip((away_for + home_against) / 2.0 / HOME_ADVANTAGE, lo, hi))
    grid = dc_grids(np.array([lam]), np.array([mu]))[0]
    return np.array([np.tril(grid, -1).sum(), np.trace(grid), np.triu(grid, 1).sum()])


def complete_books(table: MarketQuotes) -> np.ndarray:
    """The prices ``(k, selections)`` of the real bookmakers (no aggregates) with a complete, usable book."""
    rows = [
        table.odds[i]
        for i, book in enumerate(table.bookmakers)
        if not is_aggregate_bookmaker(book) and np.all(np.isfinite(table.odds[i])) and np.all(table.odds[i] > 1.0)
    ]
    return np.array(rows) if rows else np.empty((0, len(table.selections)))


def consensus(table: MarketQuotes, books: np.ndarray | None = None) -> np.ndarray | None:
    """Mean margin-free probabilities over real bookmakers with a complete book (``books``: their prices, when
    the caller already has them)."""
    rows = complete_books(table) if books is None else books
    if not len(rows):
        return None
    return remove_margin_multiplicative(rows).mean(axis=0)


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
    books = complete_books(table) if table is not None else None
    fair = consensus(table, books) if table is not None else None
    chosen = bet_book(table) if table is not None else None
    if fair is None or chosen is None:
        return np.zeros(len(PREMATCH_FEATURES), np.float32), np.zeros(len(PREMATCH_FEATURES), bool), None, None
    book, price = chosen
    totals = odds.get(("total_goals", TOTALS_LINE))
    over = consensus(totals) if totals is not None else None
    values, mask = feature_vector(
        fair, price, None if over is None else float(over[0]), form.get(match.home), form.get(match.away),
        market_view(table, books),
    )  # fmt: skip
    return values, mask, book, price


def market_view(table: MarketQuotes, books: np.ndarray | None = None) -> MarketView:
    """Book count and best prices of the real bookmakers with a complete 1X2 book (``books``: their prices, when
    the caller already has them). The decision context holds the as-of snapshot only, so the movement since the
    opening stays masked here."""
    rows = complete_books(table) if books is None else books
    if not len(rows):
        return MarketView()
    return MarketView(books=len(rows), best_price=rows.max(axis=0))


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
            form.get(ms.home_team[r]), form.get(ms.away_team[r]), matchset_market(ms, r),
        )  # fmt: skip
    return values, mask


def matchset_market(ms: MatchSet, row: int) -> MarketView:
    """The market view of one simulator match (fields a match set built without them leave masked)."""
    books, best, opening = ms.n_books, ms.best_odds, ms.opening_fair
    return MarketView(
        books=0 if books is None else int(books[row]),
        best_price=None if best is None else best[row],
        opening_fair=None if opening is None else opening[row],
    )
