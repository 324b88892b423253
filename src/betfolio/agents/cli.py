"""`betfolio train`."""

from __future__ import annotations

import typer


def train_command() -> None:
    """Train agents on replayed history."""
    raise typer.Exit(_unavailable())


def _unavailable() -> int:
    typer.echo("this command is not available in this build yet", err=True)
    return 2
