"""`betfolio ingest odds-api`: one sport's odds from the live API, or a folder of recorded responses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from betfolio.ingest.payload import store_parse_result
from betfolio.ingest.recorded import IngestReport, ingest_directory
from betfolio.providers.base import PayloadError
from betfolio.providers.leagues import odds_api_league_code, odds_api_sport_key
from betfolio.providers.odds_api import PARSER_VERSION, PROVIDER
from betfolio.providers.odds_api.adapter import OddsApi
from betfolio.providers.odds_api.client import OddsApiClient
from betfolio.providers.resilient import NoDataAvailable
from betfolio.store.ingest_guard import marks_ingest


def detect_endpoint(payload: Any) -> str | None:
    if isinstance(payload, list) and payload and isinstance(payload[0], dict) and "sport_key" in payload[0]:
        return "odds"
    return None


def ingest_recorded(
    engine: Engine, directory: Path, *, league: str | None = None, season: str | None = None
) -> IngestReport:
    adapter = OddsApi()
    return ingest_directory(
        engine,
        directory,
        provider=PROVIDER,
        detect=detect_endpoint,
        parse=adapter.parse_payload,
        order=("odds",),
        league=league,
        season=season,
        parser_version=PARSER_VERSION,
        results_authority=False,
    )


@marks_ingest
def ingest_live(engine: Engine, client: OddsApiClient, *, league: str, season: str | None = None) -> IngestReport:
    report = IngestReport(PROVIDER)
    sport = odds_api_sport_key(league)
    if sport is None:
        report.errors.append(f"unknown league {league!r}: use a code such as E0 or a sport key like soccer_epl")
        return report
    try:
        fetched = client.odds(sport)
    except NoDataAvailable as exc:
        report.errors.append(str(exc))
        return report
    if fetched.stale:
        report.stale.append(
            f"{sport}: provider unavailable ({fetched.error}); latest stored odds are "
            f"{fetched.staleness_seconds:.0f} s old"
        )
        return report
    try:
        result = OddsApi().parse_payload("odds", fetched.payload, observed_at=fetched.fetched_at)
    except PayloadError as exc:
        report.errors.append(str(exc))
        return report
    report.payloads.append(
        store_parse_result(
            engine,
            result,
            fetched.content,
            source=f"odds-api:sports/{sport}/odds",
            params={k: str(v) for k, v in fetched.params.items()},
            league=odds_api_league_code(sport),
            season=season,
            parser_version=PARSER_VERSION,
            results_authority=False,
        )
    )
    return report
