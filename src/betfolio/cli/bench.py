"""`betfolio bench …`: one sub-command per benchmark, registered here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

bench_app = typer.Typer(help="Measure speed; prints JSON.", no_args_is_help=True)


def emit(result: dict[str, object], as_json: bool) -> None:
    """JSON on stdout always (benchmarks are for machines); --json only drops the indentation."""
    print(json.dumps(result) if as_json else json.dumps(result, indent=2))


@bench_app.command("ingest")
def bench_ingest(
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help="football-data folder (default: what `betfolio fetch football-data` downloaded, else the sample)"
        ),
    ] = None,
    postgres: Annotated[
        str | None,
        typer.Option(help="PostgreSQL server URL to benchmark too (a fresh database is created and dropped)"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Compact JSON.")] = False,
) -> None:
    """Full ingest into a fresh database, re-ingest, and the as-of odds query."""
    from betfolio.bench.ingest import run

    emit(run(data_dir, postgres), as_json)


def _register_area_benchmarks() -> None:
    """Each area owns its benchmark module; importing them here keeps `betfolio bench --help` complete."""
    from betfolio.bench import app as app_bench
    from betfolio.bench import backtest, learn, live, parse, scale, sim, train

    for module in (parse, backtest, sim, train, learn, app_bench, live, scale):
        module.register(bench_app)


_register_area_benchmarks()
