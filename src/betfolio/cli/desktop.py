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
    from betfolio.cli.options import fail

    try:
        code = run(db, page)
    except ValueError as exc:  # an unknown --page: said before any window opens
        fail(str(exc))
    raise typer.Exit(code)
