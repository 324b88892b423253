"""`betfolio bench backtest`."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the `backtest` benchmark command to `app`."""
