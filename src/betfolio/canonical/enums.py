"""Closed vocabularies of the canonical model.

Providers speak in their own codes (API-Football's ``PST``, football-data's ``FTR``); adapters translate
into these enums so that settlement, features and storage never branch on a provider.
"""

from __future__ import annotations

from enum import StrEnum


class MatchStatus(StrEnum):
    SCHEDULED = "scheduled"
    IN_PLAY = "in_play"
    FINISHED = "finished"
    POSTPONED = "postponed"
    CANCELLED = "cancelled"
    ABANDONED = "abandoned"
    AWARDED = "awarded"
    SUSPENDED = "suspended"

    @property
    def is_final(self) -> bool:
        return self in (MatchStatus.FINISHED, MatchStatus.AWARDED)

    @property
    def voids_bets(self) -> bool:
        """Statuses under which most books void unsettled pre-match bets (rules may override)."""
        return self in (MatchStatus.POSTPONED, MatchStatus.CANCELLED, MatchStatus.ABANDONED)


class Market(StrEnum):
    """Betting markets. Lines are stored from the selection's own point of view (see OddsQuote)."""

    MATCH_ODDS = "1x2"
    TOTAL_GOALS = "total_goals"
    ASIAN_HANDICAP = "asian_handicap"
    DRAW_NO_BET = "draw_no_bet"
    BOTH_TEAMS_TO_SCORE = "btts"
    DOUBLE_CHANCE = "double_chance"


class Selection(StrEnum):
    HOME = "home"
    DRAW = "draw"
    AWAY = "away"
    OVER = "over"
    UNDER = "under"
    YES = "yes"
    NO = "no"
    HOME_OR_DRAW = "home_draw"
    HOME_OR_AWAY = "home_away"
    DRAW_OR_AWAY = "draw_away"


#: Which selections are legal in which market: a quote outside this table is a mapping bug.
MARKET_SELECTIONS: dict[Market, frozenset[Selection]] = {
    Market.MATCH_ODDS: frozenset({Selection.HOME, Selection.DRAW, Selection.AWAY}),
    Market.TOTAL_GOALS: frozenset({Selection.OVER, Selection.UNDER}),
    Market.ASIAN_HANDICAP: frozenset({Selection.HOME, Selection.AWAY}),
    Market.DRAW_NO_BET: frozenset({Selection.HOME, Selection.AWAY}),
    Market.BOTH_TEAMS_TO_SCORE: frozenset({Selection.YES, Selection.NO}),
    Market.DOUBLE_CHANCE: frozenset({Selection.HOME_OR_DRAW, Selection.HOME_OR_AWAY, Selection.DRAW_OR_AWAY}),
}

#: Markets whose quotes are meaningless without a line (goals total or handicap).
LINE_MARKETS: frozenset[Market] = frozenset({Market.TOTAL_GOALS, Market.ASIAN_HANDICAP})
#: The goals line of the over/under market the features, the in-play model and the anchored model read: the
#: one every bookmaker prices (football-data's ``>2.5`` columns), so it is there whenever a total is.
TOTALS_LINE = 2.5


class Phase(StrEnum):
    """When a piece of data is legal to use: a pre-match decision may only see PRE_MATCH data."""

    PRE_MATCH = "pre_match"
    IN_PLAY = "in_play"
    POST_MATCH = "post_match"
