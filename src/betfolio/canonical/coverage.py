"""What a provider delivers for one league season.

Coverage is declared up front so a model knows *before* a match which features will be masked, instead of
discovering it through exceptions. The flags combine with what each payload actually contained.
"""

from __future__ import annotations

from pydantic import Field, field_validator

from betfolio.canonical.base import CanonicalRecord
from betfolio.canonical.competition import normalise_season

#: Coverage flags every provider is asked about; unknown flags are allowed and kept.
COVERAGE_FLAGS: tuple[str, ...] = (
    "fixtures",
    "results",
    "half_time",
    "statistics",
    "xg",
    "events",
    "lineups",
    "player_statistics",
    "injuries",
    "odds_prematch",
    "odds_closing",
    "odds_live",
    "live_state",
)


class Coverage(CanonicalRecord):
    kind = "coverage"

    provider: str
    league: str
    season: str
    flags: dict[str, bool] = Field(default_factory=dict)
    statistics: tuple[str, ...] = ()

    @field_validator("season")
    @classmethod
    def _season(cls, value: str) -> str:
        return normalise_season(value)

    def has(self, flag: str) -> bool:
        return bool(self.flags.get(flag, False))

    def has_statistic(self, name: str) -> bool:
        return name in self.statistics
