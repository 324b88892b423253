"""`betfolio fetch football-data`: download season files, then ingest them (data by football-data.co.uk)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from betfolio.cli.options import (
    DbOption,
    JsonFileOption,
    JsonFlag,
    LeaguesOption,
    SeasonsOption,
    echo_err,
    emit_json,
    err_console,
    leagues_and_seasons,
    presentation_console,
    wants_stdout_json,
)

fetch_app = typer.Typer(help="Download provider data files.", no_args_is_help=True)


@fetch_app.command("football-data")
def fetch_football_data_command(
    leagues: LeaguesOption = "E0",
    seasons: SeasonsOption = "2019-20:2024-25",
    dest: Annotated[
        Path | None,
        typer.Option("--dest", help="Folder for <season>/<Div>.csv (default: football-data in the user cache dir)."),
    ] = None,
    ingest: Annotated[bool, typer.Option("--ingest/--no-ingest", help="Ingest the files into the database.")] = True,
    db: DbOption = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="Override the site's URL (a mirror or the test stand-in).")
    ] = None,
    per_minute: Annotated[int, typer.Option(help="At most this many requests a minute (be polite).")] = 30,
    as_json: JsonFlag = False,
    json_file: JsonFileOption = None,
) -> None:
    """Download football-data.co.uk season files through the resilient HTTP client, then ingest them.

    Retries with backoff, a rate limit and a circuit breaker; unchanged files are skipped (ETag/Last-Modified
    and SHA-256 kept in a manifest beside them); an interrupted download resumes where it stopped and never
    replaces a good file with a partial one. Data: football-data.co.uk — free for personal use, credit the site.
    Exit code 1 if any file failed (the others are still kept and ingested).
    """
    from betfolio.config import load_settings
    from betfolio.providers.football_data.download import BASE_URL, CREDIT, client_for, fetch_football_data

    league_list, season_list = leagues_and_seasons(leagues, seasons)
    folder = dest or load_settings().cache_dir / "football-data"
    out = presentation_console(as_json, json_file)
    out.print(f"[dim]{CREDIT}[/dim]")
    client = client_for(base_url or BASE_URL, per_minute=per_minute)
    with err_console.status("downloading…") as status:
        report = fetch_football_data(
            league_list,
            season_list,
            folder,
            client=client,
            on_file=lambda f: status.update(f"downloading… {f.season}/{f.league}: {f.status}"),
        )
    client.close()
    payload: dict[str, object] = {"fetch": report.as_dict()}
    good = [Path(f.path) for f in report.files if f.status != "failed"]
    if ingest and good:
        from betfolio.jobs.demo import ingest_with_progress
        from betfolio.store.engine import make_engine
        from betfolio.store.migrate import upgrade

        engine = make_engine(db)
        upgrade(engine)
        summary = ingest_with_progress(engine, good, err_console)
        payload["ingest"] = summary.as_dict()
    emit_json(payload, as_json, json_file)
    if not wants_stdout_json(as_json, json_file):
        fetched = report.as_dict()
        out.print(
            f"{folder}: {fetched['downloaded']} downloaded, {fetched['resumed']} resumed, "
            f"{fetched['unchanged']} unchanged, {fetched['failed']} failed"
        )
        if "ingest" in payload:
            out.print(f"ingested {summary.matches} matches ({summary.matches_added} new), {summary.quotes:,} quotes")
    for failed in report.failed:
        echo_err(f"failed {failed.season}/{failed.league}: {failed.error}")
    if report.failed:
        raise typer.Exit(1)
