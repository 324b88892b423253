"""`betfolio bench sim`."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the `sim` benchmark command to `app`."""
