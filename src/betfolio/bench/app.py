"""`betfolio bench app`."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the `app` benchmark command to `app`."""
