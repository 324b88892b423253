"""`betfolio config show|path`: the effective configuration and where each value came from."""

from __future__ import annotations

import typer
from rich.table import Table

from betfolio.cli.options import DbOption, JsonFileOption, JsonFlag, emit_json, presentation_console

config_app = typer.Typer(help="The configuration: defaults < config file < BETFOLIO_* environment < flags.")


@config_app.command("show")
def config_show(db: DbOption = None, as_json: JsonFlag = False, json_file: JsonFileOption = None) -> None:
    """Print every setting's effective value and its source (default, file, env or flag); secrets masked."""
    from betfolio.config import ConfigError, config_file, explain

    try:
        rows = explain(database_url=db)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    emit_json(
        {"config_file": str(config_file()), "settings": {r.key: {"value": r.value, "source": r.source} for r in rows}},
        as_json,
        json_file,
    )
    out = presentation_console(as_json, json_file)
    table = Table(title=f"Configuration (file: {config_file()})")
    for column in ("key", "value", "source", "meaning"):
        table.add_column(column)
    for r in rows:
        table.add_row(r.key, r.value, r.source, r.description)
    out.print(table)


@config_app.command("path")
def config_path() -> None:
    """Print the config file's path (it may not exist yet: every key is optional)."""
    from betfolio.config import config_file

    typer.echo(str(config_file()))
