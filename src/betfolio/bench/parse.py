"""`betfolio bench parse`."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the `parse` benchmark command to `app`."""
