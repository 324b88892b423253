"""The state of a match at one minute, as a live feed (or a replay of one) reports it."""

from __future__ import annotations

from pydantic import Field

from betfolio.canonical.base import CanonicalRecord, UtcDatetime
from betfolio.canonical.coverage import Coverage
from betfolio.canonical.enums import MatchStatus
from betfolio.canonical.features import FeatureVector, normalised_staleness
from betfolio.canonical.statistics import ALL_STATS, TeamStatistics, empty_statistics


class LiveMatchState(CanonicalRecord):
    """``data_staleness`` is the number of seconds since the provider's data was last fresh.

    When a provider is down the last valid state is served again with a growing staleness, so a consumer can
    tell "nothing happened" from "we don't know what happened".
    """

    kind = "live_state"

    provider: str
    provider_match_id: str
    minute: int = Field(ge=0, le=130)
    added_time: int | None = Field(default=None, ge=0)
    status: MatchStatus = MatchStatus.IN_PLAY
    home_goals: int = Field(ge=0)
    away_goals: int = Field(ge=0)
    home_red_cards: int | None = Field(default=None, ge=0)
    away_red_cards: int | None = Field(default=None, ge=0)
    statistics: TeamStatistics = Field(default_factory=empty_statistics)
    observed_at: UtcDatetime
    data_staleness: float = Field(default=0.0, ge=0.0)

    def feature_vector(self, coverage: Coverage | None = None, stats: tuple[str, ...] = ALL_STATS) -> FeatureVector:
        """Minute, score, per-side statistics and normalised staleness, with a mask.

        A statistic is present only if the payload carried it *and* the league-season coverage (when given)
        declares it; data a provider is not supposed to have is treated as untrustworthy and masked.
        """
        data: dict[str, float | None] = {
            "minute": self.minute / 90.0,
            "home_goals": float(self.home_goals),
            "away_goals": float(self.away_goals),
            "staleness": normalised_staleness(self.data_staleness),
        }
        names = ["minute", "home_goals", "away_goals", "staleness"]
        for side in ("home", "away"):
            side_stats = self.statistics.get(side, {})
            for stat in stats:
                name = f"{side}_{stat}"
                names.append(name)
                allowed = coverage is None or coverage.has_statistic(stat)
                data[name] = side_stats.get(stat) if allowed else None
        return FeatureVector.from_mapping(names, data)
