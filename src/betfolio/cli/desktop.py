"""`betfolio app`."""

from __future__ import annotations

from typing import Annotated

import typer


def app_command(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="BETFOLIO_DATABASE_URL",
            help="Database URL or SQLite file path (default: the one saved in settings, else the SQLite default).",
        ),
    ] = None,
    page: Annotated[
        str | None, typer.Option(help="Page to open first: portfolio, matches, live, backtest or providers.")
    ] = None,
) -> None:
    """Start the desktop application (PySide6)."""
    from betfolio.app.main import run

    raise typer.Exit(run(db, page))
