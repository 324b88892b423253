"""The canonical data model: the only language spoken downstream of the provider adapters."""

from betfolio.canonical.competition import League, Team, normalise_season, season_start_year
from betfolio.canonical.coverage import COVERAGE_FLAGS, Coverage
from betfolio.canonical.enums import (
    LINE_MARKETS,
    MARKET_SELECTIONS,
    TOTALS_LINE,
    Market,
    MatchStatus,
    Phase,
    Selection,
)
from betfolio.canonical.features import STALENESS_SCALE_SECONDS, FeatureVector, normalised_staleness
from betfolio.canonical.live import LiveMatchState
from betfolio.canonical.match import Match
from betfolio.canonical.odds import AGGREGATE_BOOKMAKERS, OddsQuote, is_aggregate_bookmaker
from betfolio.canonical.people import Injury, Player, PlayerSeason

__all__ = [
    "AGGREGATE_BOOKMAKERS",
    "COVERAGE_FLAGS",
    "LINE_MARKETS",
    "MARKET_SELECTIONS",
    "STALENESS_SCALE_SECONDS",
    "TOTALS_LINE",
    "Coverage",
    "FeatureVector",
    "Injury",
    "League",
    "LiveMatchState",
    "Market",
    "Match",
    "MatchStatus",
    "OddsQuote",
    "Phase",
    "Player",
    "PlayerSeason",
    "Selection",
    "Team",
    "is_aggregate_bookmaker",
    "normalise_season",
    "normalised_staleness",
    "season_start_year",
]
