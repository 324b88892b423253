"""`betfolio demo`: the main job end to end on the bundled real sample (the orchestration is `jobs.demo`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from betfolio.cli.options import DbOption, JsonFileOption, JsonFlag, emit_json, presentation_console


def demo(
    db: DbOption = None,
    report_dir: Annotated[Path, typer.Option(help="Where to write the HTML/JSON report.")] = Path("reports"),
    skip: Annotated[
        list[str] | None, typer.Option(help="Skip a stage: backtest, sim, train, providers (repeatable).")
    ] = None,
    as_json: JsonFlag = False,
    json_file: JsonFileOption = None,
) -> None:
    """Run the main job end to end on the bundled real sample and write a report."""
    from betfolio.jobs.demo import STAGES, run_demo
    from betfolio.store.engine import make_engine

    unknown = set(skip or ()) - set(STAGES)
    if unknown:
        raise typer.BadParameter(f"unknown stage(s) {sorted(unknown)}; choose from {', '.join(STAGES)}")
    payload = run_demo(
        make_engine(db), report_dir, presentation_console(as_json, json_file), skip=frozenset(skip or ())
    )
    emit_json(payload, as_json, json_file)
