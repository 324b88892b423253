"""The API-Football provider: declared capabilities, coverage from the store, and payload parsing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from betfolio.providers.api_football import PROVIDER
from betfolio.providers.api_football.mapping import PARSERS, check_envelope, parse_odds
from betfolio.providers.base import Capability, ParseResult, PayloadError, Provider, load_json


class ApiFootball(Provider):
    name = PROVIDER
    capabilities = frozenset(
        {
            Capability.FIXTURES,
            Capability.RESULTS,
            Capability.LIVE_STATE,
            Capability.STATISTICS,
            Capability.EVENTS,
            Capability.LINEUPS,
            Capability.PLAYER_STATISTICS,
            Capability.ODDS_PREMATCH,
            Capability.ODDS_LIVE,
            Capability.INJURIES,
            Capability.PLAYERS,
            Capability.TEAMS,
            Capability.LEAGUES,
            Capability.COVERAGE,
            Capability.ACCOUNT_STATUS,
        }
    )
    endpoints = tuple(PARSERS)

    def parse(
        self, endpoint: str, content: bytes | str, *, source: str = "<payload>", observed_at: datetime | None = None
    ) -> ParseResult:
        endpoint = endpoint.strip("/")
        if endpoint not in PARSERS:
            raise PayloadError(f"{PROVIDER}: unknown endpoint {endpoint!r} (known: {', '.join(PARSERS)})")
        payload = load_json(content, provider=PROVIDER, endpoint=endpoint)
        return self.parse_payload(endpoint, payload, observed_at=observed_at)

    def parse_payload(self, endpoint: str, payload: Any, *, observed_at: datetime | None = None) -> ParseResult:
        """Map an already-decoded payload. A JSON list is accepted as a bundle: of envelopes, or of bare
        response items (recorded samples often keep only ``response``)."""
        result = ParseResult(PROVIDER, endpoint)
        if isinstance(payload, dict) and isinstance(payload.get("get"), str):
            declared = payload["get"].strip("/")
            if declared != endpoint and not (endpoint == "fixtures" and declared == "fixtures/headtohead"):
                raise PayloadError(f"{PROVIDER}: payload is a '{declared}' response, not '{endpoint}'")
        if isinstance(payload, list):
            if payload and all(isinstance(p, dict) and "response" in p for p in payload):
                for i, envelope in enumerate(payload):
                    part = self.parse_payload(endpoint, envelope, observed_at=observed_at)
                    _prefix(part, f"[{i}]")
                    result.extend(part)
                return result
            payload = {"errors": [], "response": payload}
        PARSERS[endpoint](payload, result, observed_at=observed_at)
        if endpoint == "fixtures":
            _embedded_odds(payload, result, observed_at)
        result.meta["paging"] = payload.get("paging") if isinstance(payload, dict) else None
        return result


def _prefix(result: ParseResult, prefix: str) -> None:
    for group in (result.rejects, result.skipped):
        group[:] = [type(r)(r.provider, r.endpoint, prefix + r.path, r.reason) for r in group]


def _embedded_odds(payload: dict[str, Any], result: ParseResult, observed_at: datetime | None) -> None:
    """Some recorded fixture lists carry each fixture's ``/odds`` envelope under ``odds``; map those too."""
    try:
        response = check_envelope(payload, result.endpoint)
    except PayloadError:
        return
    if not isinstance(response, list):
        return
    for i, item in enumerate(response):
        if isinstance(item, dict) and isinstance(item.get("odds"), dict) and "response" in item["odds"]:
            part = ParseResult(PROVIDER, "odds")
            try:
                parse_odds(item["odds"], part, observed_at=observed_at)
            except PayloadError as exc:
                part.reject("odds", str(exc))
            _prefix(part, f"response[{i}].odds.")
            result.extend(part)
