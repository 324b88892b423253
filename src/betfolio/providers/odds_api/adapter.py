"""The Odds API provider: pre-match (and in-play) bookmaker prices; no results, no statistics."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from betfolio.providers.base import Capability, ParseResult, PayloadError, Provider, load_json
from betfolio.providers.odds_api import PROVIDER
from betfolio.providers.odds_api.mapping import parse_odds

ENDPOINTS = ("odds",)


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
        return result
