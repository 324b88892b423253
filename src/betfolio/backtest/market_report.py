"""How good and how expensive is each league's betting market? (the demo's first table)

Margins are measured per bookmaker on opening 1X2 prices; forecast quality is measured on the margin-free
Pinnacle closing prices (the efficient benchmark) and on the opening average, against base rates.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import Connection, func, select

from betfolio.backtest.scoring import log_loss, ranked_probability_score
from betfolio.canonical import AGGREGATE_BOOKMAKERS
from betfolio.markets.margin import overround, remove_margin_multiplicative
from betfolio.store.tables import daily_betting_lines as dbl
from betfolio.store.tables import matches_master as mm

_ORDER = {"home": 0, "draw": 1, "away": 2}
_RESULT = {"H": 0, "D": 1, "A": 2}


@dataclass
class ForecastScore:
    source: str
    matches: int
    rps: float
    log_loss: float


@dataclass
class LeagueSummary:
    league: str
    seasons: list[str]
    matches: int
    finished: int
    quotes: int
    bookmakers: int
    margins: dict[str, float] = field(default_factory=dict)  # bookmaker → mean opening 1X2 overround
    scores: list[ForecastScore] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _result_index(home: int, away: int) -> int:
    return 0 if home > away else (1 if home == away else 2)


def league_summaries(conn: Connection, leagues: list[str] | None = None) -> list[LeagueSummary]:
    match_stmt = select(mm.c.match_id, mm.c.league, mm.c.season, mm.c.home_goals, mm.c.away_goals)
    if leagues:
        match_stmt = match_stmt.where(mm.c.league.in_(leagues))
    match_rows = conn.execute(match_stmt).all()
    by_league: dict[str, list[Any]] = defaultdict(list)
    for row in match_rows:
        by_league[row.league].append(row)

    quote_counts = dict(
        conn.execute(
            select(mm.c.league, func.count())
            .select_from(dbl.join(mm, mm.c.match_id == dbl.c.match_id))
            .group_by(mm.c.league)
        ).all()
    )
    prices: dict[tuple[int, str, bool], dict[str, float]] = defaultdict(dict)
    stmt = select(dbl.c.match_id, dbl.c.bookmaker, dbl.c.is_closing, dbl.c.selection, dbl.c.odds).where(
        dbl.c.market == "1x2", dbl.c.in_play.is_(False)
    )
    if leagues:
        stmt = stmt.join(mm, mm.c.match_id == dbl.c.match_id).where(mm.c.league.in_(leagues))
    for match_id, bookmaker, closing, selection, odds in conn.execute(stmt):
        prices[(match_id, bookmaker, bool(closing))][selection] = odds

    summaries = []
    for league in sorted(by_league):
        rows = by_league[league]
        ids = {r.match_id for r in rows}
        outcome = {r.match_id: _result_index(r.home_goals, r.away_goals) for r in rows if r.home_goals is not None}
        margin_lists: dict[str, list[float]] = defaultdict(list)
        books: set[str] = set()
        triples: dict[tuple[str, bool], dict[int, list[float]]] = defaultdict(dict)
        for (match_id, bookmaker, closing), sel in prices.items():
            if match_id not in ids or len(sel) != 3:
                continue
            triple = [sel["home"], sel["draw"], sel["away"]]
            triples[(bookmaker, closing)][match_id] = triple
            if bookmaker not in AGGREGATE_BOOKMAKERS:
                books.add(bookmaker)
                if not closing:
                    margin_lists[bookmaker].append(float(overround(triple)))
        summary = LeagueSummary(
            league=league,
            seasons=sorted({r.season for r in rows}),
            matches=len(rows),
            finished=len(outcome),
            quotes=int(quote_counts.get(league, 0)),
            bookmakers=len(books),
            margins={b: round(float(np.mean(v)), 4) for b, v in sorted(margin_lists.items())},
        )
        for label, key in (("pinnacle closing", ("pinnacle", True)), ("average opening", ("market_avg", False))):
            scored = [(triples[key][m], outcome[m]) for m in triples.get(key, {}) if m in outcome]
            if scored:
                probs = remove_margin_multiplicative(np.array([s[0] for s in scored]))
                y = np.array([s[1] for s in scored])
                summary.scores.append(
                    ForecastScore(
                        label,
                        len(scored),
                        float(ranked_probability_score(probs, y).mean()),
                        float(log_loss(probs, y).mean()),
                    )
                )
        if outcome:
            y = np.array(list(outcome.values()))
            base = np.bincount(y, minlength=3) / len(y)
            probs = np.tile(base, (len(y), 1))
            summary.scores.append(
                ForecastScore(
                    "base rates (in-sample)",
                    len(y),
                    float(ranked_probability_score(probs, y).mean()),
                    float(log_loss(probs, y).mean()),
                )
            )
        summaries.append(summary)
    return summaries
