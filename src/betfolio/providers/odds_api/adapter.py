"""The Odds API provider: pre-match (and in-play) bookmaker prices; no results, no statistics."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from betfolio.canonical import Coverage
from betfolio.providers.base import Capability, ParseResult, PayloadError, Provider, load_json
from betfolio.providers.odds_api import PROVIDER
from betfolio.providers.odds_api.mapping import parse_odds

ENDPOINTS = ("odds",)

COVERAGE_FLAGS: dict[str, bool] = {
    "fixtures": True,
    "results": False,
    "half_time": False,
    "statistics": False,
    "xg": False,
    "events": False,
    "lineups": False,
    "player_statistics": False,
    "injuries": False,
    "odds_prematch": True,
    "odds_closing": False,
    "odds_live": True,
    "live_state": False,
}


class OddsApi(Provider):
    name = PROVIDER
    capabilities = frozenset({Capability.FIXTURES, Capability.ODDS_PREMATCH, Capability.ODDS_LIVE})
    endpoints = ENDPOINTS

    def parse(
        self, endpoint: str, content: bytes | str, *, source: str = "<payload>", observed_at: datetime | None = None
    ) -> ParseResult:
        endpoint = endpoint.strip("/")
        if endpoint not in ENDPOINTS:
            raise PayloadError(f"{PROVIDER}: unknown endpoint {endpoint!r} (known: {', '.join(ENDPOINTS)})")
        return self.parse_payload(
            endpoint, load_json(content, provider=PROVIDER, endpoint=endpoint), observed_at=observed_at
        )

    def parse_payload(self, endpoint: str, payload: Any, *, observed_at: datetime | None = None) -> ParseResult:
        result = ParseResult(PROVIDER, endpoint)
        parse_odds(payload, result, observed_at=observed_at)
        seasons = sorted({(m.league, m.season) for m in result.of_kind("match")})
        result.records.extend(self.coverage(league, season) for league, season in seasons)
        return result

    def coverage(self, league: str, season: str) -> Coverage:
        """The same for every league: bookmaker prices and fixtures, never results or statistics."""
        return Coverage(provider=PROVIDER, league=league, season=season, flags=dict(COVERAGE_FLAGS), statistics=())
