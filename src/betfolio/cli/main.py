"""The `betfolio` command: the root Typer application and where every command group is registered.

Each command group lives in its own module of this package (thin: parse options, call a job or a library
function, present the result); orchestrations shared with the app and the demo live in `betfolio.jobs`.
Every sub-command has --help; commands that report numbers accept --json (machine output on stdout).
The database is chosen with --db or BETFOLIO_DATABASE_URL (default: SQLite in the user data dir).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from betfolio import __version__
from betfolio.cli.backtest import backtest_command
from betfolio.cli.bench import bench_app
from betfolio.cli.config import config_app
from betfolio.cli.db import db_app
from betfolio.cli.demo import demo
from betfolio.cli.desktop import app_command
from betfolio.cli.fetch import fetch_app
from betfolio.cli.ingest import ingest_app
from betfolio.cli.live import live_command
from betfolio.cli.options import RayAddressCompatCommand
from betfolio.cli.paper import paper_command
from betfolio.cli.parse import parse_command
from betfolio.cli.predict import predict_command
from betfolio.cli.serve import serve_command
from betfolio.cli.train import train_command
from betfolio.cli.tune import tune_command

app = typer.Typer(help="Betfolio: a football betting portfolio run like a small quant fund.", no_args_is_help=True)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"betfolio {__version__}")
        raise typer.Exit()


#: Commands that run until stopped: they log progress at INFO unless told otherwise.
LONG_RUNNING = frozenset({"live", "paper", "serve"})


@app.callback()
def root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version and exit."),
    ] = False,
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, help="More log output on stderr (-v info, -vv debug).")
    ] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors on stderr.")] = False,
    log_format: Annotated[
        str | None,
        typer.Option("--log-format", help="Log lines as 'text' or 'json' (one object per line, for collectors)."),
    ] = None,
) -> None:
    """Betfolio: a football betting portfolio run like a small quant fund."""
    import logging

    from betfolio.config import ConfigError, load_settings, sources
    from betfolio.logs import configure_logging, level_for

    if log_format is not None and log_format not in ("text", "json"):
        raise typer.BadParameter("choose text or json", param_hint="--log-format")
    try:
        settings = load_settings(log_format=log_format)
        level_source = sources()["log_level"]
    except ConfigError:
        # The command itself reports the broken file (with line and key); logging falls back to the defaults.
        settings, level_source = None, "default"
    level = level_for(verbose, quiet, settings.log_level if settings else "WARNING")
    if ctx.invoked_subcommand in LONG_RUNNING and not (verbose or quiet) and level_source == "default":
        level = logging.INFO
    configure_logging(level, settings.log_format if settings else (log_format or "text"))  # type: ignore[arg-type]


# Command groups (one module each).
app.add_typer(db_app, name="db")
app.add_typer(ingest_app, name="ingest")
app.add_typer(fetch_app, name="fetch")
app.add_typer(bench_app, name="bench")
app.add_typer(config_app, name="config")
# Single commands.
app.command("demo")(demo)
app.command("parse")(parse_command)
app.command("backtest", cls=RayAddressCompatCommand)(backtest_command)
app.command("predict")(predict_command)
app.command("train", cls=RayAddressCompatCommand)(train_command)
app.command("tune", cls=RayAddressCompatCommand)(tune_command)
app.command("app")(app_command)
app.command("live")(live_command)
app.command("serve")(serve_command)
app.command("paper")(paper_command)


def main() -> None:
    from betfolio.store.engine import StoreError

    try:
        app()
    except StoreError as exc:  # a database that cannot be used: one line saying which and why, not a traceback
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
