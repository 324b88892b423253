"""`betfolio demo`: the main job end to end on the bundled real sample.

Migrates the database, ingests the bundled football-data.co.uk seasons and prints a per-league market
summary; then each area runs its own stage on what is now in the store: a walk-forward backtest of the
baselines, the replay simulator, a small hierarchical-RL training run judged against the baselines, and the two
HTTP providers through the resilient client (recorded payloads served locally, with an outage drill).
Everything lands in one HTML + JSON report.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import Engine

from betfolio.backtest.market_report import LeagueSummary, league_summaries
from betfolio.data import bundled_sample
from betfolio.ingest.football_data import IngestSummary, discover, ingest_files
from betfolio.store.engine import describe
from betfolio.store.migrate import upgrade


def ingest_with_progress(engine: Engine, paths: list[Path], console: Console, *, force: bool = False) -> IngestSummary:
    files, problems = discover(paths)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("ingesting", total=len(files))

        def advance(path: Path, _result: object) -> None:
            progress.update(task, advance=1, description=f"ingesting {path.parent.name}/{path.name}")

        summary = ingest_files(engine, files, force=force, on_file=advance)
    summary.errors[:0] = problems
    return summary


def summary_table(summaries: list[LeagueSummary]) -> Table:
    table = Table(title="Markets in the store (1X2)")
    for column in (
        "league",
        "seasons",
        "matches",
        "quotes",
        "books",
        "Pinnacle margin",
        "avg margin",
        "closing RPS",
        "closing log-loss",
        "base-rate RPS",
    ):
        table.add_column(column, justify="right" if column not in ("league", "seasons") else "left")
    for s in summaries:
        scores = {x.source: x for x in s.scores}
        closing = scores.get("pinnacle closing")
        base = scores.get("base rates (in-sample)")
        books = list(s.margins.values())
        table.add_row(
            s.league,
            f"{s.seasons[0]}…{s.seasons[-1]}" if len(s.seasons) > 1 else s.seasons[0],
            str(s.matches),
            f"{s.quotes:,}",
            str(s.bookmakers),
            f"{s.margins['pinnacle']:.2%}" if "pinnacle" in s.margins else "—",
            f"{sum(books) / len(books):.2%}" if books else "—",
            f"{closing.rps:.4f}" if closing else "—",
            f"{closing.log_loss:.4f}" if closing else "—",
            f"{base.rps:.4f}" if base else "—",
        )
    return table


def write_report(report_dir: Path, payload: dict[str, Any]) -> Path:
    report_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(payload, indent=2, default=str)
    (report_dir / "demo.json").write_text(text)
    env = Environment(loader=PackageLoader("betfolio", "templates"), autoescape=select_autoescape())
    html = env.get_template("demo_report.html").render(**json.loads(text))
    path = report_dir / "demo.html"
    path.write_text(html)
    return path


StageRunner = Callable[[Engine, Console, Path], dict[str, Any]]


def _stages() -> dict[str, StageRunner]:
    """Stage name → runner, in the order they run (imported lazily: torch and friends load only when used)."""
    from betfolio.jobs.demo.backtest_stage import run_demo_backtest
    from betfolio.jobs.demo.live_stage import run_demo_live
    from betfolio.jobs.demo.providers_stage import run_demo_providers
    from betfolio.jobs.demo.sim_stage import run_demo_sim
    from betfolio.jobs.demo.training_stage import run_demo_training

    # Providers run last: they add next season's (unplayed) fixtures, which the historical stages would only
    # have to report as unsettled.
    return {
        "backtest": run_demo_backtest,
        "sim": run_demo_sim,
        "train": run_demo_training,
        "providers": run_demo_providers,
        "live": run_demo_live,  # trades the in-play fixtures the providers stage linked
    }


STAGES = ("backtest", "sim", "train", "providers", "live")


def run_demo(
    engine: Engine, report_dir: Path, console: Console, *, skip: frozenset[str] = frozenset()
) -> dict[str, Any]:
    console.print(f"[bold]Betfolio demo[/bold] — database: {describe(engine)}")
    revision = upgrade(engine)
    console.print(f"schema at revision {revision}")
    with bundled_sample() as sample:
        ingest = ingest_with_progress(engine, [sample], console)
    console.print(
        f"ingested {len(ingest.files)} files: {ingest.matches} matches ({ingest.matches_added} new), "
        f"{ingest.quotes:,} odds quotes ({ingest.quotes_added:,} new), {ingest.rejected} rejected"
    )
    for error in ingest.errors:
        console.print(f"[red]error[/red] {error}")
    with engine.connect() as conn:
        summaries = league_summaries(conn)
    console.print(summary_table(summaries))
    payload: dict[str, Any] = {
        "database": describe(engine),
        "ingest": ingest.as_dict(),
        "leagues": [s.as_dict() for s in summaries],
        "credit": "Data: football-data.co.uk",
        "stages": {},
    }
    for name, runner in _stages().items():
        if name in skip:
            continue
        console.rule(f"[bold]{name}")
        started = time.perf_counter()
        result = runner(engine, console, report_dir)
        result.setdefault("seconds", round(time.perf_counter() - started, 1))
        payload["stages"][name] = result
    path = write_report(report_dir, payload)
    console.print(f"report written to {path}")
    return payload
