"""Options and consoles shared by the commands, so every command spells them the same way."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

DbOption = Annotated[
    str | None,
    typer.Option("--db", envvar="BETFOLIO_DATABASE_URL", help="Database URL or SQLite file path."),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout instead of tables.")]

# Tables stay legible when output is piped (rich would otherwise assume 80 columns).
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)


def echo_err(message: str) -> None:
    typer.echo(message, err=True)
