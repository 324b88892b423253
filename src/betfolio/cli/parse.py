"""`betfolio parse PROVIDER ENDPOINT FILE`: a raw provider payload mapped to canonical records."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from betfolio.cli.options import echo_err as _echo_err

PARSE_PROVIDERS = ("api-football", "odds-api", "football-data")


def parse_command(
    provider: Annotated[str, typer.Argument(help=f"One of: {', '.join(PARSE_PROVIDERS)}.")],
    endpoint: Annotated[
        str,
        typer.Argument(
            help="Endpoint the payload came from, e.g. fixtures, fixtures/statistics, fixtures/events, "
            "fixtures/lineups, fixtures/players, odds, odds/live, injuries, players, teams, standings, "
            "leagues, status (api-football); odds (odds-api); csv (football-data)."
        ),
    ],
    file: Annotated[str, typer.Argument(help="Payload file ('-' reads stdin).")],
    show_skipped: Annotated[bool, typer.Option("--show-skipped", help="List deliberately skipped entries.")] = False,
) -> None:
    """Map a raw provider payload to canonical records, printed as JSON lines (every record has a `kind`).

    Rejected records are reported on stderr with provider, endpoint, path in the payload and reason; the exit
    code is 1 if any record was rejected (the good ones are still printed), 2 if the payload is unusable.
    """
    from betfolio.providers.base import PayloadError
    from betfolio.providers.registry import parse_payload

    try:
        content = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as exc:
        _echo_err(f"cannot read {file}: {exc.strerror or exc}")
        raise typer.Exit(2) from exc
    try:
        records, rejects, skipped = parse_payload(provider, endpoint, content, source=file)
    except PayloadError as exc:
        _echo_err(f"error: {exc}")
        raise typer.Exit(2) from exc
    out = sys.stdout
    for record in records:
        out.write(json.dumps(record, default=str, ensure_ascii=False))
        out.write("\n")
    out.flush()
    for reject in rejects:
        _echo_err(f"rejected: {reject}")
    if show_skipped:
        for skip in skipped:
            _echo_err(f"skipped: {skip}")
    _echo_err(f"{len(records)} records, {len(rejects)} rejected, {len(skipped)} skipped")
    if rejects:
        raise typer.Exit(1)
