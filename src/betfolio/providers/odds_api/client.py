"""The Odds API v4 over HTTP. The key travels as the ``apiKey`` query parameter (the provider's design), so it is
kept apart from the public parameters that are archived and logged."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import Engine

from betfolio.providers.http import HttpProviderClient, HttpSettings, RequestRejected
from betfolio.providers.odds_api import PROVIDER
from betfolio.providers.resilient import Fetched, ResilientSource

BASE_URL = "https://api.the-odds-api.com/v4"
DEFAULT_MARKETS = "h2h,totals,spreads"


def check_payload(payload: Any) -> None:
    if isinstance(payload, dict) and ("message" in payload or "error_code" in payload):
        raise RequestRejected(f"{PROVIDER}: {payload.get('message') or payload.get('error_code')}")


def settings_for(key: str, *, base_url: str | None = None, **overrides: Any) -> HttpSettings:
    return HttpSettings(base_url=base_url or BASE_URL, secret_params={"apiKey": key}, **overrides)


class OddsApiClient:
    def __init__(
        self,
        settings: HttpSettings,
        engine: Engine | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        **client_options: Any,
    ) -> None:
        self.http = HttpProviderClient(PROVIDER, settings, check=check_payload, transport=transport, **client_options)
        self.source = ResilientSource(self.http, engine)

    def close(self) -> None:
        self.http.close()

    def odds(self, sport: str, *, regions: str = "eu,uk", markets: str = DEFAULT_MARKETS) -> Fetched:
        return self.source.fetch(
            f"sports/{sport}/odds", {"regions": regions, "markets": markets, "oddsFormat": "decimal"}
        )
