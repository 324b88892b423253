"""`betfolio parse` and `betfolio ingest api-football|odds-api`."""

from __future__ import annotations

import typer


def parse_command() -> None:
    """Parse a raw provider payload into canonical records (JSON lines)."""
    raise typer.Exit(_unavailable())


def _unavailable() -> int:
    typer.echo("this command is not available in this build yet", err=True)
    return 2


def ingest_api_football() -> None:
    """Ingest API-Football v3 data (live API or recorded payloads)."""
    raise typer.Exit(_unavailable())


def ingest_odds_api() -> None:
    """Ingest The Odds API v4 data (live API or recorded payloads)."""
    raise typer.Exit(_unavailable())
