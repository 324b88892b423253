"""Players, their season performance and their injuries."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import Field, field_validator

from betfolio.canonical.base import CanonicalRecord, Country, Label, Name, UtcDatetime
from betfolio.canonical.competition import normalise_season


class Player(CanonicalRecord):
    kind = "player"

    provider: str
    provider_player_id: str
    name: Name
    team: Name | None = None
    birth_date: date | None = None
    nationality: Country | None = None
    position: Label | None = None


class PlayerSeason(CanonicalRecord):
    """A player's performance over one league season (or one match when ``provider_match_id`` is set)."""

    kind = "player_season"

    provider: str
    provider_player_id: str
    name: str
    season: str
    league: str | None = None
    team: str | None = None
    provider_match_id: str | None = None
    performance: dict[str, Any] = Field(default_factory=dict)

    @field_validator("season")
    @classmethod
    def _season(cls, value: str) -> str:
        return normalise_season(value)


class Injury(CanonicalRecord):
    kind = "injury"

    provider: str
    provider_player_id: str
    player_name: Name
    team: Name | None = None
    league: str | None = None
    season: str | None = None
    provider_match_id: str | None = None
    injury_type: str | None = None
    reason: str | None = None
    reported_at: UtcDatetime | None = None
    on_date: date | None = None
