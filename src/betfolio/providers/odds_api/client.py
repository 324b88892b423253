"""The Odds API v4 over HTTP. The key travels as the ``apiKey`` query parameter (the provider's design), so it is
kept apart from the public parameters that are archived and logged."""

from __future__ import annotations

from typing import Any

from betfolio.providers.http import HttpSettings, RequestRejected
from betfolio.providers.odds_api import PROVIDER
from betfolio.providers.resilient import Fetched, ProviderClient

BASE_URL = "https://api.the-odds-api.com/v4"
DEFAULT_MARKETS = "h2h,totals,spreads"


def check_payload(payload: Any) -> None:
    if isinstance(payload, dict) and ("message" in payload or "error_code" in payload):
        raise RequestRejected(f"{PROVIDER}: {payload.get('message') or payload.get('error_code')}")


def settings_for(key: str, *, base_url: str | None = None, **overrides: Any) -> HttpSettings:
    return HttpSettings(base_url=base_url or BASE_URL, secret_params={"apiKey": key}, **overrides)


class OddsApiClient(ProviderClient):
    provider = PROVIDER
    check_payload = staticmethod(check_payload)

    def odds(self, sport: str, *, regions: str = "eu,uk", markets: str = DEFAULT_MARKETS) -> Fetched:
        return self.source.fetch(
            f"sports/{sport}/odds", {"regions": regions, "markets": markets, "oddsFormat": "decimal"}
        )
