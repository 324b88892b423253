"""API-Football v3 over HTTP: endpoint helpers on top of the shared resilient client.

Direct (``v3.football.api-sports.io``, header ``x-apisports-key``) or RapidAPI (``x-rapidapi-key`` +
``x-rapidapi-host``). Multi-id requests are chunked to the provider's limit of 20 ids; paged endpoints
(``/odds``, ``/players``) are followed page by page.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from betfolio.canonical import LiveMatchState
from betfolio.providers.api_football import PROVIDER
from betfolio.providers.base import Reject
from betfolio.providers.http import HttpSettings, QuotaExceeded, RequestRejected
from betfolio.providers.resilient import Fetched, ProviderClient

DIRECT_URL = "https://v3.football.api-sports.io"
RAPIDAPI_URL = "https://api-football-v1.p.rapidapi.com/v3"
RAPIDAPI_HOST = "api-football-v1.p.rapidapi.com"
MAX_IDS = 20


@dataclass(frozen=True)
class LiveSnapshot:
    states: list[LiveMatchState]
    stale: bool
    staleness_seconds: float
    fetched_at: datetime
    rejects: list[Reject] = field(default_factory=list)
    error: str | None = None


MAX_PAGES = 200


def check_payload(payload: Any) -> None:
    """HTTP 200 with a non-empty ``errors`` is an error; the daily-quota message is a quota error."""
    if not isinstance(payload, dict):
        raise RequestRejected(f"{PROVIDER}: response is not a JSON object envelope")
    errors = payload.get("errors")
    if not errors:
        return
    items = errors.items() if isinstance(errors, dict) else enumerate(errors if isinstance(errors, list) else [errors])
    text = "; ".join(f"{k}: {v}" for k, v in items)
    if isinstance(errors, dict) and ("requests" in errors or "rateLimit" in errors):
        raise QuotaExceeded(f"{PROVIDER}: {text}")
    raise RequestRejected(f"{PROVIDER}: provider reported errors: {text}")


def settings_for(key: str, *, base_url: str | None = None, rapidapi: bool = False, **overrides: Any) -> HttpSettings:
    if rapidapi:
        headers = {"x-rapidapi-key": key, "x-rapidapi-host": RAPIDAPI_HOST}
        url = base_url or RAPIDAPI_URL
    else:
        headers = {"x-apisports-key": key}
        url = base_url or DIRECT_URL
    return HttpSettings(base_url=url, headers=headers, **overrides)


class ApiFootballClient(ProviderClient):
    provider = PROVIDER
    check_payload = staticmethod(check_payload)

    def get(self, endpoint: str, **params: Any) -> Fetched:
        return self.source.fetch(endpoint, {k: v for k, v in params.items() if v is not None})

    def pages(self, endpoint: str, **params: Any) -> Iterator[Fetched]:
        """Every page of a paged endpoint (stops at the provider's ``paging.total``)."""
        page = 1
        while page <= MAX_PAGES:
            fetched = self.get(endpoint, **params, page=page if page > 1 else None)
            yield fetched
            paging = fetched.payload.get("paging") if isinstance(fetched.payload, dict) else None
            total = paging.get("total") if isinstance(paging, dict) else None
            if not isinstance(total, int) or page >= total or fetched.stale:
                return
            page += 1

    # ----------------------------------------------------------------------------------- endpoints
    def status(self) -> Fetched:
        return self.get("status")

    def leagues(self, league_id: int | None = None, season: int | None = None) -> Fetched:
        return self.get("leagues", id=league_id, season=season)

    def fixtures(self, *, league: int | None = None, season: int | None = None, date: str | None = None) -> Fetched:
        return self.get("fixtures", league=league, season=season, date=date)

    def live_fixtures(self, leagues: Iterable[int] | None = None) -> Fetched:
        ids = "-".join(str(i) for i in leagues) if leagues else "all"
        return self.get("fixtures", live=ids)

    def live_states(self, leagues: Iterable[int] | None = None) -> LiveSnapshot:
        """Every in-play match's state. While the provider is down, the last stored states come back with
        ``data_staleness`` = seconds since they were fetched, and ``stale=True``."""
        from betfolio.providers.api_football.adapter import ApiFootball

        fetched = self.live_fixtures(leagues)
        result = ApiFootball().parse_payload("fixtures", fetched.payload, observed_at=fetched.fetched_at)
        states = [
            s.model_copy(update={"data_staleness": fetched.staleness_seconds}) for s in result.of_kind("live_state")
        ]
        return LiveSnapshot(
            states=states,
            stale=fetched.stale,
            staleness_seconds=fetched.staleness_seconds,
            fetched_at=fetched.fetched_at,
            rejects=list(result.rejects),
            error=fetched.error,
        )

    def fixtures_by_ids(self, ids: Iterable[int | str]) -> Iterator[Fetched]:
        """Full fixtures (events, lineups, statistics, players embedded), 20 ids per call."""
        wanted = [str(i) for i in ids]
        for start in range(0, len(wanted), MAX_IDS):
            yield self.get("fixtures", ids="-".join(wanted[start : start + MAX_IDS]))

    def statistics(self, fixture: int | str) -> Fetched:
        return self.get("fixtures/statistics", fixture=fixture)

    def events(self, fixture: int | str) -> Fetched:
        return self.get("fixtures/events", fixture=fixture)

    def lineups(self, fixture: int | str) -> Fetched:
        return self.get("fixtures/lineups", fixture=fixture)

    def fixture_players(self, fixture: int | str) -> Fetched:
        return self.get("fixtures/players", fixture=fixture)

    def odds(
        self,
        *,
        league: int | None = None,
        season: int | None = None,
        fixture: int | None = None,
        date: str | None = None,
    ) -> Iterator[Fetched]:
        return self.pages("odds", league=league, season=season, fixture=fixture, date=date)

    def live_odds(self, fixture: int | None = None, league: int | None = None) -> Fetched:
        return self.get("odds/live", fixture=fixture, league=league)

    def injuries(
        self,
        *,
        league: int | None = None,
        season: int | None = None,
        fixture: int | None = None,
        date: str | None = None,
    ) -> Fetched:
        return self.get("injuries", league=league, season=season, fixture=fixture, date=date)

    def players(self, *, league: int, season: int) -> Iterator[Fetched]:
        return self.pages("players", league=league, season=season)

    def teams(self, *, league: int, season: int) -> Fetched:
        return self.get("teams", league=league, season=season)
