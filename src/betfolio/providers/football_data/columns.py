"""Reading football-data.co.uk's odds column names.

The site has renamed its columns over the years (``BbMxH``/``BbAvH`` until 2019, ``MaxH``/``AvgH`` since;
closing prices ``B365CH``, ``PSCH``…; totals ``B365>2.5``; Asian handicap ``B365AHH`` with the line in
``AHh``/``BbAHh`` and ``AHCh`` at the close). Rather than one table per season, every header is classified by
pattern against a list of known bookmaker prefixes, so a file from any season — or a bookmaker added later —
maps without code changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from betfolio.canonical.enums import Market, Selection

#: Column prefix → bookmaker id. ``BbMx``/``Max`` and ``BbAv``/``Avg`` are not bookmakers but the best and the
#: average price across the bookmakers the site tracked; they keep distinct ids so nobody bets at an average.
BOOKMAKERS: dict[str, str] = {
    "B365": "bet365",
    "BW": "bwin",
    "GB": "gamebookers",
    "IW": "interwetten",
    "LB": "ladbrokes",
    "PS": "pinnacle",
    "P": "pinnacle",
    "WH": "william_hill",
    "SJ": "stan_james",
    "VC": "betvictor",
    "BS": "blue_square",
    "SB": "sportingbet",
    "SO": "sporting_odds",
    "SY": "stanleybet",
    "CL": "cashline",
    "BF": "betfair_sportsbook",
    "BFE": "betfair_exchange",
    "1XB": "1xbet",
    "Max": "market_max",
    "Avg": "market_avg",
    "BbMx": "market_max",
    "BbAv": "market_avg",
}


_PREFIX = "|".join(sorted((re.escape(p) for p in BOOKMAKERS), key=len, reverse=True))
_MATCH_ODDS = re.compile(rf"^(?P<bk>{_PREFIX})(?P<closing>C?)(?P<sel>[HDA])$")
_TOTALS = re.compile(rf"^(?P<bk>{_PREFIX})(?P<closing>C?)(?P<sel>[<>])(?P<line>\d+(?:\.\d+)?)$")
_ASIAN = re.compile(rf"^(?P<bk>{_PREFIX})(?P<closing>C?)AH(?P<sel>[HA])$")

_SELECTIONS = {
    "H": Selection.HOME,
    "D": Selection.DRAW,
    "A": Selection.AWAY,
    ">": Selection.OVER,
    "<": Selection.UNDER,
}


@dataclass(frozen=True, slots=True)
class OddsColumn:
    """How to read one odds column: which price it is and, for handicaps, where its line lives."""

    column: str
    bookmaker: str
    market: Market
    selection: Selection
    is_closing: bool
    line: float | None = None  # fixed line (totals)
    line_column: str | None = None  # per-row line (Asian handicap, home side)


def _asian_line_column(prefix: str, closing: bool, header: set[str]) -> str | None:
    """Where the home handicap for this price is. ``BbAH`` is a bookmaker *count*, never a line."""
    own = f"{prefix}AH"
    if not prefix.startswith("Bb") and own in header:
        return own
    candidates = ["AHCh"] if closing else (["BbAHh", "AHh"] if prefix.startswith("Bb") else ["AHh", "BbAHh"])
    return next((c for c in candidates if c in header), None)


def classify(header: list[str]) -> tuple[list[OddsColumn], list[str]]:
    """Odds columns found in ``header`` and odds-looking columns that could not be read (no line column)."""
    names = set(header)
    found: list[OddsColumn] = []
    unreadable: list[str] = []
    for column in header:
        if m := _MATCH_ODDS.match(column):
            found.append(
                OddsColumn(column, BOOKMAKERS[m["bk"]], Market.MATCH_ODDS, _SELECTIONS[m["sel"]], bool(m["closing"]))
            )
        elif m := _TOTALS.match(column):
            found.append(
                OddsColumn(
                    column,
                    BOOKMAKERS[m["bk"]],
                    Market.TOTAL_GOALS,
                    _SELECTIONS[m["sel"]],
                    bool(m["closing"]),
                    line=float(m["line"]),
                )
            )
        elif m := _ASIAN.match(column):
            line_column = _asian_line_column(m["bk"], bool(m["closing"]), names)
            if line_column is None:
                unreadable.append(column)
                continue
            found.append(
                OddsColumn(
                    column,
                    BOOKMAKERS[m["bk"]],
                    Market.ASIAN_HANDICAP,
                    _SELECTIONS[m["sel"]],
                    bool(m["closing"]),
                    line_column=line_column,
                )
            )
    return found, unreadable
