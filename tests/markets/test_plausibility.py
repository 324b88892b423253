"""Plausibility flags: bounds, a book's overround, outliers against the other bookmakers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from betfolio.canonical import Market, OddsQuote, Selection
from betfolio.markets.plausibility import Flag, flag_quotes

AT = datetime(2022, 8, 5, 12, tzinfo=UTC)


def q(bookmaker: str, selection: str, odds: float, *, market: str = "1x2", line: float | None = None) -> OddsQuote:
    return OddsQuote(
        provider="football-data",
        provider_match_id="m1",
        bookmaker=bookmaker,
        market=Market(market),
        selection=Selection(selection),
        line=line,
        odds=odds,
        quoted_at=AT,
        ingested_at=AT,
    )


def book(name: str, home: float, draw: float, away: float) -> list[OddsQuote]:
    return [q(name, "home", home), q(name, "draw", draw), q(name, "away", away)]


def test_sound_market_has_no_flags():
    quotes = book("bet365", 1.75, 3.8, 4.5) + book("bwin", 1.8, 3.7, 4.4) + book("pinnacle", 1.78, 3.9, 4.6)
    assert flag_quotes(quotes) == [None] * 9


def test_typo_is_a_consensus_outlier_and_spoils_its_book():
    quotes = book("bet365", 175, 3.8, 4.5) + book("bwin", 1.8, 3.7, 4.4) + book("pinnacle", 1.78, 3.9, 4.6)
    quotes += book("william_hill", 1.75, 3.6, 4.5)
    flags = flag_quotes(quotes)
    assert flags[:3] == [Flag.CONSENSUS, Flag.OVERROUND, Flag.OVERROUND]
    assert flags[3:] == [None] * 9


def test_out_of_range_prices():
    flags = flag_quotes([q("bet365", "home", 1e308), q("bwin", "home", 1.005)])
    assert flags == [Flag.ODDS_RANGE, Flag.ODDS_RANGE]


def test_aggregate_best_price_may_beat_every_book_but_not_by_far():
    books = book("bet365", 1.75, 3.8, 4.5) + book("bwin", 1.8, 3.7, 4.4) + book("pinnacle", 1.78, 3.9, 4.6)
    fair_max = book("market_max", 1.85, 4.0, 4.8)
    wild_max = book("market_max", 1.85, 4.0, 29.0)
    assert flag_quotes(books + fair_max)[9:] == [None] * 3
    assert flag_quotes(books + wild_max)[11] == Flag.CONSENSUS


def test_handicap_sides_form_one_book():
    sides = [
        q("bet365", "home", 1.9, market="asian_handicap", line=-0.5),
        q("bet365", "away", 1.95, market="asian_handicap", line=0.5),
    ]
    assert flag_quotes(sides) == [None, None]
    broken = [sides[0], q("bet365", "away", 9.0, market="asian_handicap", line=0.5)]
    assert flag_quotes(broken) == [Flag.OVERROUND, Flag.OVERROUND]


@pytest.mark.parametrize("few", [0, 1])  # one or two bookmakers in all: no consensus to judge by
def test_no_consensus_from_too_few_books(few):
    quotes = [q(f"b{i}", "home", 1.8) for i in range(few)] + [q("odd", "home", 9.0)]
    assert flag_quotes(quotes)[-1] is None
