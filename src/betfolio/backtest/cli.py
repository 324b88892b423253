"""`betfolio backtest`."""

from __future__ import annotations

import typer


def backtest_command() -> None:
    """Walk-forward backtest of strategies with an honest report."""
    raise typer.Exit(_unavailable())


def _unavailable() -> int:
    typer.echo("this command is not available in this build yet", err=True)
    return 2
