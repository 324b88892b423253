"""Options, output helpers and consoles shared by the commands, so every command spells them the same way.

`--json` means one thing everywhere: machine-readable output on stdout (tables and progress then go to
stderr). `--json-file FILE` writes the same JSON to a file ('-' = stdout). `backtest` and `train` also accept
the older spelling `--json FILE` (they have no positional arguments, so a value after `--json` can only be a
file): :class:`JsonFileCompatCommand` rewrites it to `--json-file FILE` before parsing.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any, NoReturn

import click
import typer
from rich.console import Console
from typer.core import TyperCommand

DbOption = Annotated[
    str | None,
    typer.Option("--db", envvar="BETFOLIO_DATABASE_URL", help="Database URL or SQLite file path."),
]
RedisOption = Annotated[
    str | None,
    typer.Option("--redis", envvar="BETFOLIO_REDIS_URL", help="Redis URL of the live-state stream."),
]
LeaguesOption = Annotated[str, typer.Option("--leagues", help="Comma-separated league codes, e.g. E0,D1.")]
SeasonsOption = Annotated[
    str, typer.Option("--seasons", help="Season range FIRST:LAST (e.g. 2019-20:2022-23) or a comma-separated list.")
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout instead of tables.")]
JsonFileOption = Annotated[
    Path | None, typer.Option("--json-file", help="Also write the machine-readable JSON to this file ('-' = stdout).")
]

# Tables stay legible when output is piped (rich would otherwise assume 80 columns).
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)


def echo_err(message: str) -> None:
    typer.echo(message, err=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """Say what is wrong on stderr and exit with ``code`` (2: bad input or configuration)."""
    echo_err(f"error: {message}")
    raise typer.Exit(code)


def leagues_and_seasons(leagues: str, seasons: str) -> tuple[list[str], list[str]]:
    """The --leagues and --seasons values as lists; a usage error (exit code 2) says what is wrong."""
    from betfolio.backtest.data import parse_seasons

    league_list = [x.strip() for x in leagues.split(",") if x.strip()]
    if not league_list:
        echo_err("error: --leagues is empty")
        raise typer.Exit(2)
    try:
        return league_list, parse_seasons(seasons)
    except ValueError as exc:
        echo_err(f"error: {exc}")
        raise typer.Exit(2) from exc


def wants_stdout_json(as_json: bool, json_file: Path | None) -> bool:
    """True when the JSON goes to stdout, so human output must go to stderr."""
    return as_json or (json_file is not None and str(json_file) == "-")


def presentation_console(as_json: bool, json_file: Path | None = None) -> Console:
    """The console for tables and notes: stderr when stdout carries JSON."""
    return err_console if wants_stdout_json(as_json, json_file) else console


def emit_json(payload: Any, as_json: bool, json_file: Path | None = None, *, indent: int | None = 2) -> None:
    """Print ``payload`` on stdout (``--json`` or ``--json-file -``) and/or write it to ``--json-file``.

    NaN and infinities become null (missing stays missing), numpy scalars plain numbers.

    The file is written to a temporary name beside it and renamed, so a failure never leaves half a file.
    """
    from betfolio.engine.ledger import json_ready

    text = json.dumps(json_ready(payload), indent=indent, default=str, allow_nan=False)
    if wants_stdout_json(as_json, json_file):
        print(text)
    if json_file is not None and str(json_file) != "-":
        write_text_atomic(json_file, text + "\n")


def write_text_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class JsonFileCompatCommand(TyperCommand):
    """Accept `--json FILE` (the older spelling) as `--json-file FILE` on commands without positional arguments."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        rewritten: list[str] = []
        i = 0
        while i < len(args):
            if args[i] == "--json" and i + 1 < len(args) and (args[i + 1] == "-" or not args[i + 1].startswith("-")):
                rewritten += ["--json-file", args[i + 1]]
                i += 2
                continue
            rewritten.append(args[i])
            i += 1
        return super().parse_args(ctx, rewritten)


RayFlag = Annotated[
    bool,
    typer.Option(
        "--ray",
        help="Run the independent units (seeds, grid cells) as Ray tasks: on a local Ray started on demand, or on "
        "the cluster at ADDRESS with `--ray ADDRESS` (needs `pip install 'betfolio[ray]'`).",
    ),
]
RayAddressOption = Annotated[
    str | None,
    typer.Option(
        "--ray-address",
        help="Ray cluster address HOST:PORT or ray://HOST:PORT (what `--ray ADDRESS` sets; implies --ray).",
    ),
]


class RayAddressCompatCommand(JsonFileCompatCommand):
    """`--ray` alone means a local Ray; `--ray ADDRESS` is rewritten to `--ray --ray-address ADDRESS`.

    A value after `--ray` can only be an address on these commands: they take no positional arguments.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        rewritten: list[str] = []
        i = 0
        while i < len(args):
            if args[i] == "--ray" and i + 1 < len(args) and not args[i + 1].startswith("-"):
                rewritten += ["--ray", "--ray-address", args[i + 1]]
                i += 2
                continue
            if args[i].startswith("--ray="):
                rewritten += ["--ray", "--ray-address", args[i].split("=", 1)[1]]
                i += 1
                continue
            rewritten.append(args[i])
            i += 1
        return super().parse_args(ctx, rewritten)
