"""The `betfolio` command.

Every sub-command has --help; commands that report numbers accept --json. The database is chosen with --db
or BETFOLIO_DATABASE_URL (default: SQLite in the user data dir).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from betfolio.agents.cli import train_command
from betfolio.app.cli import app_command
from betfolio.backtest.cli import backtest_command
from betfolio.backtest.predict_cli import predict_command
from betfolio.bench.cli import bench_app
from betfolio.providers.cli import ingest_api_football, ingest_odds_api, live_command, parse_command

app = typer.Typer(help="Betfolio: a football betting portfolio run like a small quant fund.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema management.", no_args_is_help=True)
ingest_app = typer.Typer(help="Load provider data into the store.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(ingest_app, name="ingest")
app.add_typer(bench_app, name="bench")
app.command("parse")(parse_command)
app.command("backtest")(backtest_command)
app.command("predict")(predict_command)
app.command("train")(train_command)
app.command("app")(app_command)
app.command("live")(live_command)
ingest_app.command("api-football")(ingest_api_football)
ingest_app.command("odds-api")(ingest_odds_api)

# Tables stay legible when output is piped (rich would otherwise assume 80 columns).
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)

DbOption = Annotated[
    str | None,
    typer.Option("--db", envvar="BETFOLIO_DATABASE_URL", help="Database URL or SQLite file path."),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of tables.")]


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None, revision: str = "head") -> None:
    """Create or migrate the schema to the latest revision."""
    from betfolio.store.engine import describe, make_engine
    from betfolio.store.migrate import upgrade

    engine = make_engine(db)
    rev = upgrade(engine, revision)
    console.print(f"{describe(engine)} is at revision {rev}")


@db_app.command("current")
def db_current(db: DbOption = None) -> None:
    """Show the schema revision of the database."""
    from betfolio.store.engine import describe, make_engine
    from betfolio.store.migrate import current_revision, head_revision

    engine = make_engine(db)
    console.print(f"{describe(engine)}: revision {current_revision(engine)} (latest {head_revision(engine)})")


@ingest_app.command("football-data")
def ingest_football_data(
    paths: Annotated[
        list[Path], typer.Argument(help="CSV files (.csv/.csv.gz) or folders laid out <season>/<Div>.csv")
    ],
    db: DbOption = None,
    force: Annotated[bool, typer.Option(help="Re-parse files already ingested unchanged.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Ingest football-data.co.uk results, statistics and odds (every bookmaker, opening and closing)."""
    from betfolio.demo import ingest_with_progress
    from betfolio.store.engine import make_engine
    from betfolio.store.migrate import upgrade

    engine = make_engine(db)
    upgrade(engine)
    summary = ingest_with_progress(engine, list(paths), err_console, force=force)
    if as_json:
        print(json.dumps(summary.as_dict(), indent=2))
    else:
        unchanged = sum(1 for f in summary.files if f.unchanged)
        console.print(
            f"{len(summary.files)} files ({unchanged} unchanged since last ingest): {summary.matches} matches "
            f"({summary.matches_added} new), {summary.quotes:,} quotes ({summary.quotes_added:,} new), "
            f"{len(summary.rejects)} rejected"
        )
        for reject in summary.rejects:
            console.print(f"  [yellow]rejected[/yellow] {reject}")
        for warning in summary.warnings:
            console.print(f"  [yellow]warning[/yellow] {warning}")
        for error in summary.errors:
            err_console.print(f"[red]error[/red] {error}")
    if summary.errors:
        raise typer.Exit(1)


@app.command()
def demo(
    db: DbOption = None,
    report_dir: Annotated[Path, typer.Option(help="Where to write the HTML/JSON report.")] = Path("reports"),
    skip: Annotated[
        list[str] | None, typer.Option(help="Skip a stage: backtest, sim, train, providers (repeatable).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Run the main job end to end on the bundled real sample and write a report."""
    from betfolio.demo import STAGES, run_demo
    from betfolio.store.engine import make_engine

    unknown = set(skip or ()) - set(STAGES)
    if unknown:
        raise typer.BadParameter(f"unknown stage(s) {sorted(unknown)}; choose from {', '.join(STAGES)}")
    payload = run_demo(make_engine(db), report_dir, err_console if as_json else console, skip=frozenset(skip or ()))
    if as_json:
        print(json.dumps(payload, indent=2, default=str))


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
