"""`betfolio ingest api-football`: a league season from the live API, or a folder of recorded payloads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from betfolio.canonical.competition import season_start_year
from betfolio.ingest.payload import store_parse_result
from betfolio.ingest.recorded import IngestReport, ingest_directory
from betfolio.providers.api_football import PARSER_VERSION, PROVIDER
from betfolio.providers.api_football.adapter import ApiFootball
from betfolio.providers.api_football.client import ApiFootballClient
from betfolio.providers.base import PayloadError
from betfolio.providers.leagues import api_football_league_code, api_football_league_id, season_label
from betfolio.providers.resilient import Fetched, NoDataAvailable
from betfolio.store.ingest_guard import marks_ingest

#: Dependency order: leagues/teams before fixtures, fixtures before what refers to them.
ENDPOINT_ORDER: tuple[str, ...] = (
    "status",
    "leagues",
    "teams",
    "standings",
    "fixtures",
    "fixtures/headtohead",
    "fixtures/statistics",
    "fixtures/events",
    "fixtures/lineups",
    "fixtures/players",
    "odds",
    "odds/live",
    "players",
    "players/topscorers",
    "players/topassists",
    "players/topyellowcards",
    "players/topredcards",
    "injuries",
)


def detect_endpoint(payload: Any) -> str | None:
    """The endpoint a recorded payload came from: the envelope's ``get``, or the shape of a bare list."""
    if isinstance(payload, dict):
        get = payload.get("get")
        return get.strip("/") if isinstance(get, str) else None
    if isinstance(payload, list) and payload:
        first = payload[0]
        if all(isinstance(p, dict) and "response" in p for p in payload):
            return detect_endpoint(first)
        if isinstance(first, dict) and {"fixture", "teams", "goals"} <= first.keys():
            return "fixtures"
    return None


def ingest_recorded(
    engine: Engine, directory: Path, *, league: str | None = None, season: str | None = None
) -> IngestReport:
    adapter = ApiFootball()
    return ingest_directory(
        engine,
        directory,
        provider=PROVIDER,
        detect=detect_endpoint,
        parse=adapter.parse_payload,
        order=ENDPOINT_ORDER,
        league=league,
        season=season,
        parser_version=PARSER_VERSION,
    )


def _store(engine: Engine, report: IngestReport, fetched: Fetched, league: str, season: str) -> list[str]:
    """Parse and store one live response; returns the ids of finished fixtures it contained."""
    if fetched.stale:
        report.stale.append(
            f"{fetched.endpoint} {fetched.params}: provider unavailable ({fetched.error}); "
            f"store already holds this payload, {fetched.staleness_seconds:.0f} s old"
        )
        return []
    try:
        result = ApiFootball().parse_payload(fetched.endpoint, fetched.payload, observed_at=fetched.fetched_at)
    except PayloadError as exc:
        report.errors.append(str(exc))
        return []
    public = {k: str(v) for k, v in sorted(fetched.params.items())}
    report.payloads.append(
        store_parse_result(
            engine,
            result,
            fetched.content,
            source=f"api-football:{fetched.endpoint}?{'&'.join(f'{k}={v}' for k, v in public.items())}",
            params=public,
            league=league,
            season=season,
            parser_version=PARSER_VERSION,
        )
    )
    return [m.provider_match_id for m in result.of_kind("match") if m.status.is_final]


@marks_ingest
def ingest_live(
    engine: Engine,
    client: ApiFootballClient,
    *,
    league: str,
    season: str,
    with_odds: bool = True,
    with_injuries: bool = True,
    details_limit: int = 0,
) -> IngestReport:
    """Coverage, fixtures, odds and injuries of one league season; ``details_limit`` finished fixtures are
    then fetched in full (20 per call) for statistics, events, lineups and player statistics."""
    report = IngestReport(PROVIDER)
    league_id = api_football_league_id(league)
    if league_id is None:
        report.errors.append(f"unknown league {league!r}: use a code such as E0, AF-<id> or an API-Football id")
        return report
    year = season_start_year(season)
    code = api_football_league_code(league_id)
    calls: list[Any] = [
        lambda: [client.status()],
        lambda: [client.leagues(league_id, year)],
        lambda: [client.fixtures(league=league_id, season=year)],
    ]
    if with_odds:
        calls.append(lambda: client.odds(league=league_id, season=year))
    if with_injuries:
        calls.append(lambda: [client.injuries(league=league_id, season=year)])
    label: str | None = None
    finished: list[str] = []
    for call in calls:
        try:
            for fetched in call():
                if fetched.endpoint == "leagues" and label is None:
                    label = _season_label_from(fetched, year)
                finished += _store(engine, report, fetched, code, label or season_label(year, None))
        except NoDataAvailable as exc:
            report.errors.append(str(exc))
    if details_limit > 0 and finished:
        finished = finished[:details_limit]
        try:
            for fetched in client.fixtures_by_ids(finished):
                _store(engine, report, fetched, code, label or season_label(year, None))
        except NoDataAvailable as exc:
            report.errors.append(str(exc))
    return report


def _season_label_from(fetched: Fetched, year: int) -> str | None:
    try:
        country = fetched.payload["response"][0]["country"]["name"]
    except (KeyError, IndexError, TypeError):
        return None
    return season_label(year, country if isinstance(country, str) else None)
