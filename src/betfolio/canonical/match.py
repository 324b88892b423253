"""A fixture with its result: the unit every market is settled against."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator

from betfolio.canonical.base import CanonicalRecord, Name, UtcDatetime
from betfolio.canonical.competition import normalise_season
from betfolio.canonical.enums import MatchStatus
from betfolio.canonical.statistics import TeamStatistics, empty_statistics


class Match(CanonicalRecord):
    """One fixture as a provider reported it.

    ``home_goals``/``away_goals`` are the score after regular time (90 minutes plus stoppage), the score
    every standard market settles on; extra time and shoot-outs are kept separately.
    """

    kind = "match"

    provider: str
    provider_match_id: str
    league: str
    season: str
    kickoff: UtcDatetime
    kickoff_time_known: bool = True
    home_team: Name
    away_team: Name
    status: MatchStatus
    home_goals: int | None = Field(default=None, ge=0)
    away_goals: int | None = Field(default=None, ge=0)
    ht_home_goals: int | None = Field(default=None, ge=0)
    ht_away_goals: int | None = Field(default=None, ge=0)
    et_home_goals: int | None = Field(default=None, ge=0)
    et_away_goals: int | None = Field(default=None, ge=0)
    pen_home_goals: int | None = Field(default=None, ge=0)
    pen_away_goals: int | None = Field(default=None, ge=0)
    minute: int | None = Field(default=None, ge=0, le=130)
    statistics: TeamStatistics = Field(default_factory=empty_statistics)
    lineups: dict[str, Any] | None = None
    referee: Name | None = None
    venue: Name | None = None
    detail: dict[str, Any] = Field(default_factory=dict)

    @field_validator("season")
    @classmethod
    def _season(cls, value: str) -> str:
        return normalise_season(value)

    @model_validator(mode="after")
    def _consistent(self) -> Match:
        if self.home_team.casefold() == self.away_team.casefold():
            raise ValueError(f"home and away team are the same ({self.home_team!r})")
        if (self.home_goals is None) != (self.away_goals is None):
            raise ValueError("only one side of the full-time score is given")
        if (self.ht_home_goals is None) != (self.ht_away_goals is None):
            raise ValueError("only one side of the half-time score is given")
        if self.status is MatchStatus.FINISHED and self.home_goals is None:
            raise ValueError("finished match without a full-time score")
        if (
            self.home_goals is not None
            and self.ht_home_goals is not None
            and self.ht_away_goals is not None
            and self.away_goals is not None
            and (self.ht_home_goals > self.home_goals or self.ht_away_goals > self.away_goals)
        ):
            raise ValueError(
                f"half-time score {self.ht_home_goals}-{self.ht_away_goals} exceeds "
                f"full-time score {self.home_goals}-{self.away_goals}"
            )
        return self

    @property
    def result(self) -> str | None:
        """'H', 'D' or 'A' on the regular-time score, None while unknown."""
        if self.home_goals is None or self.away_goals is None:
            return None
        if self.home_goals > self.away_goals:
            return "H"
        return "D" if self.home_goals == self.away_goals else "A"
