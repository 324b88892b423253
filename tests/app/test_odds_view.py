from __future__ import annotations

import numpy as np
from sqlalchemy import Engine

from betfolio.app.odds_view import MarketKey, available_markets, fair_prices, margin_methods, movement_series
from betfolio.markets.margin import overround
from betfolio.store.queries import find_match, line_movement


def _quotes(engine: Engine):  # Crystal Palace 0-2 Arsenal, 5 Aug 2022: the 2022-23 season opener
    with engine.connect() as conn:
        match = find_match(conn, "E0", "2022-23", "Crystal Palace", "Arsenal")
        assert match is not None
        return line_movement(conn, match["match_id"])


def test_markets_of_a_match_put_1x2_first(sample_engine: Engine) -> None:
    markets = available_markets(_quotes(sample_engine))
    assert markets[0] == MarketKey("1x2")
    assert MarketKey("total_goals", 2.5) in markets
    ah = [k for k in markets if k.market == "asian_handicap"]
    assert ah and all(k.line is not None for k in ah)


def test_movement_goes_from_opening_to_closing_per_bookmaker(sample_engine: Engine) -> None:
    quotes = _quotes(sample_engine)
    series = {s.bookmaker: s for s in movement_series(quotes, MarketKey("1x2"), "away")}
    assert {"bet365", "pinnacle", "market_avg"} <= set(series)
    pinnacle = series["pinnacle"]
    assert pinnacle.closing.tolist() == [False, True]
    assert pinnacle.times[0] < pinnacle.times[1]  # Friday-afternoon capture, then kick-off close
    stored = sorted(
        (q.quoted_at, q.odds)
        for q in quotes
        if q.bookmaker == "pinnacle" and q.market == "1x2" and q.selection == "away"
    )
    assert pinnacle.odds.tolist() == [o for _, o in stored]


def test_fair_probabilities_sum_to_one_and_keep_the_margin(sample_engine: Engine) -> None:
    quotes = _quotes(sample_engine)
    for method in margin_methods():
        rows = fair_prices(quotes, MarketKey("1x2"), method)
        assert {(r.bookmaker, r.phase) for r in rows} >= {("pinnacle", "opening"), ("pinnacle", "closing")}
        for r in rows:
            assert np.isclose(sum(r.probabilities), 1.0)
            assert np.isclose(r.margin, overround(np.array(r.odds)))
    pinnacle_close = next(
        r for r in fair_prices(quotes, MarketKey("1x2")) if r.bookmaker == "pinnacle" and r.phase == "closing"
    )
    implied = 1 / np.array(pinnacle_close.odds)
    assert np.allclose(pinnacle_close.probabilities, implied / implied.sum())


def test_asian_handicap_pairs_home_line_with_the_opposite_away_line(sample_engine: Engine) -> None:
    quotes = _quotes(sample_engine)
    key = next(k for k in available_markets(quotes) if k.market == "asian_handicap")
    assert key.line_of("away") == -key.line
    rows = fair_prices(quotes, key)
    assert rows
    for r in rows:
        home = next(
            q
            for q in quotes
            if q.bookmaker == r.bookmaker
            and q.market == "asian_handicap"
            and q.selection == "home"
            and q.line == key.line
            and q.is_closing == (r.phase == "closing")
        )
        assert r.odds[0] == home.odds
