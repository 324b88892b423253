"""Leagues, seasons and teams as the rest of the system sees them."""

from __future__ import annotations

import re

from pydantic import field_validator

from betfolio.canonical.base import CanonicalRecord, Country, Name

_SEASON = re.compile(r"^(\d{4})-(\d{2})$|^(\d{4})$")


def normalise_season(value: str) -> str:
    """Accept '2022-23', '2022/23', '2022-2023', '2223' or a calendar year '2023'; return '2022-23' or '2023'."""
    raw = value.strip().replace("/", "-")
    if m := re.fullmatch(r"(\d{4})-(\d{4})", raw):
        start, end = int(m[1]), int(m[2])
        raw = f"{start}-{end % 100:02d}"
    elif (m := re.fullmatch(r"(\d{2})(\d{2})", raw)) and int(m[2]) == (int(m[1]) + 1) % 100:
        raw = f"20{m[1]}-{m[2]}" if int(m[1]) < 90 else f"19{m[1]}-{m[2]}"
    m = _SEASON.fullmatch(raw)
    if not m:
        raise ValueError(f"unrecognised season {value!r} (expected e.g. '2022-23' or '2023')")
    if m[1] and int(m[2]) != (int(m[1]) + 1) % 100:
        raise ValueError(f"season {value!r} does not span consecutive years")
    return raw


def season_start_year(season: str) -> int:
    return int(normalise_season(season)[:4])


class League(CanonicalRecord):
    kind = "league"

    code: str
    name: Name
    country: Country | None = None
    provider: str | None = None
    provider_league_id: str | None = None


class Team(CanonicalRecord):
    kind = "team"

    provider: str
    name: Name
    provider_team_id: str | None = None
    country: Country | None = None

    @field_validator("name")
    @classmethod
    def _non_empty(cls, value: str) -> str:
        if not value:
            raise ValueError("team name is empty")
        return value
