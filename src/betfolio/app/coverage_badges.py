"""Coverage badges: which data exist for a match, which are missing, which are masked.

Three states, because they mean different things to a model:
- PRESENT: the data is stored for this match;
- MISSING: the provider declares coverage for the league season, yet this match lacks it (a gap);
- MASKED: no provider covers it for the league season, so features built on it are masked, not zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, func, select

from betfolio.canonical.enums import Market
from betfolio.canonical.statistics import EXPECTED_GOALS
from betfolio.store.tables import coverage as coverage_table
from betfolio.store.tables import daily_betting_lines as dbl
from betfolio.store.tables import live_states


class BadgeState(StrEnum):
    PRESENT = "present"
    MISSING = "missing"
    MASKED = "masked"


@dataclass(frozen=True, slots=True)
class Badge:
    label: str
    state: BadgeState
    detail: str


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


_NO_ODDS = OddsPresence({})


def load_season_coverage(conn: Connection) -> dict[tuple[str, str], SeasonCoverage]:
    merged: dict[tuple[str, str], SeasonCoverage] = {}
    for row in conn.execute(select(coverage_table)).mappings():
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


def _state(present: bool, covered: bool) -> BadgeState:
    if present:
        return BadgeState.PRESENT
    return BadgeState.MISSING if covered else BadgeState.MASKED


def _stat_names(statistics: Mapping[str, Any] | None) -> set[str]:
    names: set[str] = set()
    for side in ("home", "away"):
        names.update((statistics or {}).get(side, {}) or {})
    return names


def match_badges(
    match: Mapping[str, Any],
    season: SeasonCoverage | None,
    odds: OddsPresence | None,
    has_live: bool,
) -> list[Badge]:
    """Badges for one match row (``matches_master`` columns) given its season coverage and stored odds."""
    cov = season or SeasonCoverage()
    odds = odds or _NO_ODDS
    finished = match.get("status") in ("finished", "awarded")
    stats = _stat_names(match.get("statistics"))
    declared = set(cov.statistics)
    badges: list[Badge] = []
    has_result = match.get("home_goals") is not None and match.get("away_goals") is not None
    result_state = _state(has_result, cov.has("results") and finished)
    badges.append(Badge("FT", result_state, "full-time result" if has_result else "no result stored"))
    has_ht = match.get("ht_home_goals") is not None
    badges.append(Badge("HT", _state(has_ht, cov.has("half_time") and finished), "half-time score"))
    plain = sorted(stats - {EXPECTED_GOALS})
    missing_declared = sorted(declared - stats - {EXPECTED_GOALS}) if finished else []
    detail = "statistics: " + (", ".join(plain) if plain else "none")
    if missing_declared:
        detail += f"; declared but absent: {', '.join(missing_declared)}"
    badges.append(
        Badge(f"ST{len(plain)}" if plain else "ST", _state(bool(plain), cov.has("statistics") and finished), detail)
    )
    has_xg = EXPECTED_GOALS in stats
    xg_covered = (cov.has("xg") or EXPECTED_GOALS in declared) and finished
    badges.append(
        Badge(
            "xG",
            _state(has_xg, xg_covered),
            "expected goals" if has_xg else ("xG missing" if xg_covered else "xG not covered: masked"),
        )
    )
    for market, label in ((Market.MATCH_ODDS, "1X2"), (Market.TOTAL_GOALS, "O/U"), (Market.ASIAN_HANDICAP, "AH")):
        n = odds.prematch(market.value)
        badges.append(Badge(label, _state(n > 0, cov.has("odds_prematch")), f"{n} pre-match {label} quotes"))
    n_close = odds.closing
    badges.append(Badge("CL", _state(n_close > 0, cov.has("odds_closing")), f"{n_close} closing quotes (CLV only)"))
    live = has_live or odds.in_play > 0
    badges.append(
        Badge(
            "LIVE",
            _state(live, cov.has("live_state") or cov.has("odds_live")),
            "live states / in-play odds" if live else "no live data",
        )
    )
    has_lineups = bool(match.get("lineups"))
    badges.append(Badge("LU", _state(has_lineups, cov.has("lineups") and finished), "lineups"))
    return badges


def badge_summary(badges: Iterable[Badge]) -> str:
    """Plain-text form (sorting, copying, accessibility): present labels, masked ones in brackets."""
    parts = []
    for badge in badges:
        if badge.state is BadgeState.PRESENT:
            parts.append(badge.label)
        elif badge.state is BadgeState.MISSING:
            parts.append(f"!{badge.label}")
        else:
            parts.append(f"({badge.label})")
    return " ".join(parts)
