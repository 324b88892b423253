"""Canonical names of match statistics.

Every provider's statistic is translated to one of these names (or kept under ``extra:`` by the adapter).
A statistic a provider did not deliver is *absent* from the mapping; it is never written as 0.
"""

from __future__ import annotations

from typing import Literal

Side = Literal["home", "away"]

SHOTS = "shots"
SHOTS_ON_TARGET = "shots_on_target"
SHOTS_OFF_TARGET = "shots_off_target"
BLOCKED_SHOTS = "blocked_shots"
CORNERS = "corners"
FOULS = "fouls"
YELLOW_CARDS = "yellow_cards"
RED_CARDS = "red_cards"
OFFSIDES = "offsides"
POSSESSION = "possession"
EXPECTED_GOALS = "xg"
DANGEROUS_ATTACKS = "dangerous_attacks"
ATTACKS = "attacks"
SAVES = "saves"
PASSES = "passes"
PASSES_ACCURATE = "passes_accurate"
HIT_WOODWORK = "hit_woodwork"
FREE_KICKS_CONCEDED = "free_kicks_conceded"
BOOKING_POINTS = "booking_points"

#: Statistics that only ever grow during a match, so a timeline can be rebuilt from final totals.
CUMULATIVE_STATS: tuple[str, ...] = (
    SHOTS,
    SHOTS_ON_TARGET,
    CORNERS,
    FOULS,
    YELLOW_CARDS,
    RED_CARDS,
    OFFSIDES,
    EXPECTED_GOALS,
    DANGEROUS_ATTACKS,
    ATTACKS,
    SAVES,
    HIT_WOODWORK,
)

ALL_STATS: tuple[str, ...] = (
    *CUMULATIVE_STATS,
    SHOTS_OFF_TARGET,
    BLOCKED_SHOTS,
    POSSESSION,
    PASSES,
    PASSES_ACCURATE,
    FREE_KICKS_CONCEDED,
    BOOKING_POINTS,
)

#: Statistics shaped as a side-keyed mapping: {"home": {"shots": 12.0}, "away": {"shots": 9.0}}.
TeamStatistics = dict[Side, dict[str, float]]


def empty_statistics() -> TeamStatistics:
    return {"home": {}, "away": {}}
