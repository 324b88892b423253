"""Coverage badges: which data exist for a match, which are missing, which are masked.

Three states, because they mean different things to a model:
- PRESENT: the data is stored for this match;
- MISSING: the provider declares coverage for the league season, yet this match lacks it (a gap);
- MASKED: no provider covers it for the league season, so features built on it are masked, not zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from betfolio.canonical.enums import Market
from betfolio.canonical.statistics import EXPECTED_GOALS
from betfolio.store.coverage_queries import OddsPresence, SeasonCoverage


class BadgeState(StrEnum):
    PRESENT = "present"
    MISSING = "missing"
    MASKED = "masked"


@dataclass(frozen=True, slots=True)
class Badge:
    label: str
    state: BadgeState
    detail: str


_NO_ODDS = OddsPresence({})


def coverage_state(present: bool, covered: bool) -> BadgeState:
    """Present if stored; else missing when a provider covers it, masked when none does."""
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
    result_state = coverage_state(has_result, cov.has("results") and finished)
    badges.append(Badge("FT", result_state, "full-time result" if has_result else "no result stored"))
    has_ht = match.get("ht_home_goals") is not None
    badges.append(Badge("HT", coverage_state(has_ht, cov.has("half_time") and finished), "half-time score"))
    plain = sorted(stats - {EXPECTED_GOALS})
    missing_declared = sorted(declared - stats - {EXPECTED_GOALS}) if finished else []
    detail = "statistics: " + (", ".join(plain) if plain else "none")
    if missing_declared:
        detail += f"; declared but absent: {', '.join(missing_declared)}"
    badges.append(
        Badge(
            f"ST{len(plain)}" if plain else "ST",
            coverage_state(bool(plain), cov.has("statistics") and finished),
            detail,
        )
    )
    has_xg = EXPECTED_GOALS in stats
    xg_covered = (cov.has("xg") or EXPECTED_GOALS in declared) and finished
    badges.append(
        Badge(
            "xG",
            coverage_state(has_xg, xg_covered),
            "expected goals" if has_xg else ("xG missing" if xg_covered else "xG not covered: masked"),
        )
    )
    for market, label in ((Market.MATCH_ODDS, "1X2"), (Market.TOTAL_GOALS, "O/U"), (Market.ASIAN_HANDICAP, "AH")):
        n = odds.prematch(market.value)
        badges.append(Badge(label, coverage_state(n > 0, cov.has("odds_prematch")), f"{n} pre-match {label} quotes"))
    n_close = odds.closing
    badges.append(
        Badge("CL", coverage_state(n_close > 0, cov.has("odds_closing")), f"{n_close} closing quotes (CLV only)")
    )
    live = has_live or odds.in_play > 0
    badges.append(
        Badge(
            "LIVE",
            coverage_state(live, cov.has("live_state") or cov.has("odds_live")),
            "live states / in-play odds" if live else "no live data",
        )
    )
    has_lineups = bool(match.get("lineups"))
    badges.append(Badge("LU", coverage_state(has_lineups, cov.has("lineups") and finished), "lineups"))
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
