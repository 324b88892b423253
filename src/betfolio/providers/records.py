"""Partial records: pieces of a fixture that arrive on their own endpoint.

API-Football serves statistics, events, lineups and per-match player statistics separately from the fixture
itself (``/fixtures/statistics?fixture=…``). These records carry one such piece keyed by the provider's
fixture id; ingestion merges them into the canonical match (``matches_master`` JSON columns), so nothing
downstream ever needs them. They live here, not in ``canonical``, because they only exist between a payload and
the store.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from betfolio.canonical.base import CanonicalRecord, UtcDatetime


class FixtureStatistics(CanonicalRecord):
    """One team's statistics for a fixture; ``side`` is known only when the fixture's teams are."""

    kind = "fixture_statistics"

    provider: str
    provider_match_id: str
    team: str
    provider_team_id: str | None = None
    side: str | None = None
    statistics: dict[str, float] = Field(default_factory=dict)


class MatchEvent(CanonicalRecord):
    """A goal, card, substitution or VAR decision. ``type`` is lower-case (goal, card, subst, var)."""

    kind = "match_event"

    provider: str
    provider_match_id: str
    minute: int | None = None
    extra_minute: int | None = None
    team: str | None = None
    provider_team_id: str | None = None
    side: str | None = None
    type: str
    detail: str | None = None
    player: str | None = None
    provider_player_id: str | None = None
    assist: str | None = None
    comments: str | None = None


class Lineup(CanonicalRecord):
    kind = "lineup"

    provider: str
    provider_match_id: str
    team: str
    provider_team_id: str | None = None
    side: str | None = None
    formation: str | None = None
    coach: str | None = None
    start_xi: list[dict[str, Any]] = Field(default_factory=list)
    substitutes: list[dict[str, Any]] = Field(default_factory=list)


class FixturePlayerStatistics(CanonicalRecord):
    """One player's statistics in one fixture."""

    kind = "fixture_player_statistics"

    provider: str
    provider_match_id: str
    provider_player_id: str
    name: str
    team: str | None = None
    provider_team_id: str | None = None
    performance: dict[str, Any] = Field(default_factory=dict)


class AccountStatus(CanonicalRecord):
    """A provider account's plan and quota (API-Football ``/status``; it does not count against the quota)."""

    kind = "account_status"

    provider: str
    plan: str | None = None
    active: bool | None = None
    subscription_end: UtcDatetime | None = None
    requests_today: int | None = None
    requests_limit_day: int | None = None
