"""`betfolio app`."""

from __future__ import annotations

import typer


def app_command() -> None:
    """Start the desktop application."""
    raise typer.Exit(_unavailable())


def _unavailable() -> int:
    typer.echo("this command is not available in this build yet", err=True)
    return 2
