"""`betfolio ingest football-data|api-football|odds-api`: load provider data into the store.

Heavy imports live inside the commands so `betfolio --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from betfolio.cli.options import DbOption, JsonFileOption, JsonFlag, console, emit_json, err_console, wants_stdout_json
from betfolio.cli.options import echo_err as _echo_err

ingest_app = typer.Typer(help="Load provider data into the store.", no_args_is_help=True)


@ingest_app.command("football-data")
def ingest_football_data(
    paths: Annotated[
        list[Path], typer.Argument(help="CSV files (.csv/.csv.gz) or folders laid out <season>/<Div>.csv")
    ],
    db: DbOption = None,
    force: Annotated[bool, typer.Option(help="Re-parse files already ingested unchanged.")] = False,
    as_json: JsonFlag = False,
    json_file: JsonFileOption = None,
) -> None:
    """Ingest football-data.co.uk results, statistics and odds (every bookmaker, opening and closing)."""
    from betfolio.jobs.demo import ingest_with_progress
    from betfolio.store.engine import make_engine
    from betfolio.store.migrate import upgrade

    engine = make_engine(db)
    upgrade(engine)
    summary = ingest_with_progress(engine, list(paths), err_console, force=force)
    emit_json(summary.as_dict(), as_json, json_file)
    if not wants_stdout_json(as_json, json_file):
        unchanged = sum(1 for f in summary.files if f.unchanged)
        console.print(
            f"{len(summary.files)} files ({unchanged} unchanged since last ingest): {summary.matches} matches "
            f"({summary.matches_added} new), {summary.quotes:,} quotes ({summary.quotes_added:,} new), "
            f"{summary.rejected} rejected"
        )
        for reject in summary.rejects:
            console.print(f"  [yellow]rejected[/yellow] {reject}")
        for warning in summary.warnings:
            console.print(f"  [yellow]warning[/yellow] {warning}")
        for error in summary.errors:
            err_console.print(f"[red]error[/red] {error}")
    if summary.errors:
        raise typer.Exit(1)


def _print_report(report: Any, as_json: bool, json_file: Path | None) -> None:
    data = report.as_dict()
    emit_json(data, as_json, json_file)
    if wants_stdout_json(as_json, json_file):
        return
    typer.echo(
        f"{data['provider']}: {data['payloads']} payloads, {data['matches']} fixtures ({data['matches_added']} new, "
        f"{data['matches_linked']} linked to known matches), {data['quotes']} quotes ({data['quotes_added']} new), "
        f"{data['live_states_added']} live states, {data['players']} players, {data['injuries']} injuries, "
        f"{data['coverage']} coverage records, {len(data['rejected'])} rejected"
    )
    for line in data["rejected"]:
        typer.echo(f"  rejected {line}")
    for line in data["problems"]:
        typer.echo(f"  note {line}")
    for line in data["stale"]:
        typer.echo(f"  stale {line}")
    for line in data["errors"]:
        _echo_err(f"error {line}")


def engine_for(db: str | None) -> Any:
    from betfolio.store.engine import make_engine
    from betfolio.store.migrate import upgrade

    engine = make_engine(db)
    upgrade(engine)
    return engine


@ingest_app.command("api-football")
def ingest_api_football(
    league: Annotated[
        str | None, typer.Option(help="League: canonical code (E0, D1…), AF-<id>, or an API-Football id.")
    ] = None,
    season: Annotated[str | None, typer.Option(help="Season: 2023 (start year) or 2023-24.")] = None,
    from_dir: Annotated[
        Path | None, typer.Option("--from-dir", help="Ingest recorded payloads from this folder instead of the API.")
    ] = None,
    db: DbOption = None,
    api_key: Annotated[
        str | None, typer.Option("--api-key", help="API key (default: BETFOLIO_API_FOOTBALL_KEY or keyring).")
    ] = None,
    rapidapi: Annotated[bool, typer.Option(help="Use the RapidAPI endpoint and headers.")] = False,
    base_url: Annotated[str | None, typer.Option(help="Override the API base URL.")] = None,
    details: Annotated[
        int, typer.Option(help="Also fetch up to N finished fixtures in full (statistics, events, lineups).")
    ] = 0,
    odds: Annotated[bool, typer.Option(help="Fetch pre-match odds.")] = True,
    injuries: Annotated[bool, typer.Option(help="Fetch injuries.")] = True,
    per_minute: Annotated[int | None, typer.Option(help="Request budget per minute (on top of the quota).")] = None,
    per_day: Annotated[int | None, typer.Option(help="Request budget per day.")] = None,
    as_json: JsonFlag = False,
    json_file: JsonFileOption = None,
) -> None:
    """Ingest API-Football v3 data: a league season from the live API, or a folder of recorded payloads."""
    from betfolio.canonical.competition import normalise_season

    season_label = normalise_season(season) if season else None
    if from_dir is not None:
        from betfolio.ingest.api_football import ingest_recorded
        from betfolio.providers.leagues import api_football_league_code, api_football_league_id

        code = None
        if league:
            league_id = api_football_league_id(league)
            code = api_football_league_code(league_id) if league_id is not None else league
        report = ingest_recorded(engine_for(db), from_dir, league=code, season=season_label)
    else:
        if not league or not season:
            _echo_err("--league and --season are required when ingesting from the live API (or use --from-dir)")
            raise typer.Exit(2)
        from betfolio.ingest.api_football import ingest_live
        from betfolio.providers.api_football.client import ApiFootballClient, settings_for
        from betfolio.providers.keys import MissingApiKey
        from betfolio.providers.keys import api_key as find_key
        from betfolio.store.archive import StoreArchive

        try:
            key = find_key("api-football", api_key)
        except MissingApiKey as exc:
            _echo_err(str(exc))
            raise typer.Exit(2) from exc
        engine = engine_for(db)
        client = ApiFootballClient(
            settings_for(key, base_url=base_url, rapidapi=rapidapi, per_minute=per_minute, per_day=per_day),
            StoreArchive(engine),
        )
        try:
            report = ingest_live(
                engine,
                client,
                league=league,
                season=season,
                with_odds=odds,
                with_injuries=injuries,
                details_limit=details,
            )
        finally:
            client.close()
    _print_report(report, as_json, json_file)
    if report.errors:
        raise typer.Exit(1)


@ingest_app.command("odds-api")
def ingest_odds_api(
    league: Annotated[
        str | None, typer.Option(help="League: canonical code (E0, D1…) or an Odds API sport key (soccer_epl).")
    ] = None,
    season: Annotated[str | None, typer.Option(help="Season filter, e.g. 2023-24.")] = None,
    from_dir: Annotated[
        Path | None, typer.Option("--from-dir", help="Ingest recorded responses from this folder instead of the API.")
    ] = None,
    db: DbOption = None,
    api_key: Annotated[
        str | None, typer.Option("--api-key", help="API key (default: BETFOLIO_ODDS_API_KEY or keyring).")
    ] = None,
    base_url: Annotated[str | None, typer.Option(help="Override the API base URL.")] = None,
    as_json: JsonFlag = False,
    json_file: JsonFileOption = None,
) -> None:
    """Ingest The Odds API v4 prices: one league's current odds from the live API, or recorded responses."""
    from betfolio.canonical.competition import normalise_season
    from betfolio.providers.leagues import odds_api_league_code

    season_label = normalise_season(season) if season else None
    code = (odds_api_league_code(league) if league.startswith("soccer_") else league) if league else None
    if from_dir is not None:
        from betfolio.ingest.odds_api import ingest_recorded

        report = ingest_recorded(engine_for(db), from_dir, league=code, season=season_label)
    else:
        if not league:
            _echo_err("--league is required when ingesting from the live API (or use --from-dir)")
            raise typer.Exit(2)
        from betfolio.ingest.odds_api import ingest_live
        from betfolio.providers.keys import MissingApiKey
        from betfolio.providers.keys import api_key as find_key
        from betfolio.providers.odds_api.client import OddsApiClient, settings_for
        from betfolio.store.archive import StoreArchive

        try:
            key = find_key("odds-api", api_key)
        except MissingApiKey as exc:
            _echo_err(str(exc))
            raise typer.Exit(2) from exc
        engine = engine_for(db)
        client = OddsApiClient(settings_for(key, base_url=base_url), StoreArchive(engine))
        try:
            report = ingest_live(engine, client, league=league, season=season_label)
        finally:
            client.close()
    _print_report(report, as_json, json_file)
    if report.errors:
        raise typer.Exit(1)
