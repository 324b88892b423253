"""Reads about what data exist: coverage declared per league season, odds and live states stored per match.

The app's coverage badges and the match detail ask these questions; they are reads of the store like any
other, so they live here rather than beside the widgets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, func, select

from betfolio.store.tables import coverage as coverage_table
from betfolio.store.tables import daily_betting_lines as dbl
from betfolio.store.tables import live_states


@dataclass
class SeasonCoverage:
    """Coverage declared for one league season, merged over providers (a flag is on if any provider has it)."""

    flags: dict[str, bool] = field(default_factory=dict)
    statistics: set[str] = field(default_factory=set)
    providers: list[str] = field(default_factory=list)

    def has(self, flag: str) -> bool:
        return bool(self.flags.get(flag))


@dataclass(frozen=True, slots=True)
class OddsPresence:
    """Which odds a match has: market → (pre-match quotes, closing quotes, in-play quotes)."""

    markets: Mapping[str, tuple[int, int, int]]
    closing: int = 0
    in_play: int = 0

    @classmethod
    def of(cls, markets: Mapping[str, tuple[int, int, int]]) -> OddsPresence:
        return cls(markets, sum(v[1] for v in markets.values()), sum(v[2] for v in markets.values()))

    def prematch(self, market: str) -> int:
        return self.markets.get(market, (0, 0, 0))[0]


def load_season_coverage(
    conn: Connection, league: str | None = None, season: str | None = None
) -> dict[tuple[str, str], SeasonCoverage]:
    """Coverage per (league, season), merged over providers; optionally only one league season."""
    stmt = select(coverage_table)
    if league is not None:
        stmt = stmt.where(coverage_table.c.league == league)
    if season is not None:
        stmt = stmt.where(coverage_table.c.season == season)
    merged: dict[tuple[str, str], SeasonCoverage] = {}
    for row in conn.execute(stmt).mappings():
        item = merged.setdefault((row["league"], row["season"]), SeasonCoverage())
        item.providers.append(row["provider"])
        for flag, value in (row["flags"] or {}).items():
            item.flags[flag] = item.flags.get(flag, False) or bool(value)
        item.statistics.update(row["statistics"] or ())
    return merged


def load_odds_presence(conn: Connection, match_ids: Sequence[int]) -> dict[int, OddsPresence]:
    """One grouped query for a page of matches (uses the (match_id, quoted_at) index)."""
    if not match_ids:
        return {}
    stmt = (
        select(dbl.c.match_id, dbl.c.market, dbl.c.is_closing, dbl.c.in_play, func.count())
        .where(dbl.c.match_id.in_(list(match_ids)))
        .group_by(dbl.c.match_id, dbl.c.market, dbl.c.is_closing, dbl.c.in_play)
    )
    counts: dict[int, dict[str, list[int]]] = {}
    for match_id, market, is_closing, in_play, n in conn.execute(stmt):
        slot = counts.setdefault(match_id, {}).setdefault(market, [0, 0, 0])
        slot[2 if in_play else 1 if is_closing else 0] += n
    return {
        mid: OddsPresence.of({m: (v[0], v[1], v[2]) for m, v in markets.items()}) for mid, markets in counts.items()
    }


def load_live_presence(conn: Connection, match_ids: Sequence[int]) -> set[int]:
    if not match_ids:
        return set()
    stmt = select(live_states.c.match_id).distinct().where(live_states.c.match_id.in_(list(match_ids)))
    return {row[0] for row in conn.execute(stmt)}
