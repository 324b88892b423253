"""`betfolio bench train`."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the `train` benchmark command to `app`."""
