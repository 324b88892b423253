"""The backtest stage of `betfolio demo`: a quick walk-forward run on the bundled sample already in the store."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from sqlalchemy import Engine

#: The demo refits every two weeks (a real run refits weekly): half the fitting for the same story.
DEMO_REFIT = timedelta(days=14)


def run_demo_backtest(engine: Engine, console: Console, report_dir: Path) -> dict[str, Any]:
    """Backtest the four baselines on every league and season in ``engine``; print the tables, write the report.

    Returns the JSON-ready summary (also written to ``report_dir/backtest/results.json``).
    """
    from betfolio.backtest.engine import BacktestConfig
    from betfolio.backtest.report import json_ready
    from betfolio.backtest.strategies import FavouriteFlat, MarketConsensus, ModelValue, NoBet
    from betfolio.backtest.table import forecast_table, strategy_table
    from betfolio.jobs.backtest import load_data, run_backtest

    data, _ = load_data(engine)
    if not data.matches:
        console.print("[yellow]backtest skipped: no matches in the database[/yellow]")
        return {"skipped": "no matches"}
    strategies = [NoBet(), FavouriteFlat(), ModelValue(kelly=0.1), MarketConsensus(alpha=0.02)]
    config = BacktestConfig(refit_every=DEMO_REFIT)
    with console.status("walk-forward backtest on the sample…") as status:
        outcome = run_backtest(
            data,
            strategies,
            config,
            progress=lambda i, n: status.update(f"walk-forward backtest on the sample… round {i}/{n}"),
            report_dir=report_dir / "backtest",
        )
    summary = outcome.summary
    assert summary is not None
    title = f"Walk-forward backtest — {', '.join(data.leagues)} {data.seasons[0]}…{data.seasons[-1]}"
    console.print(strategy_table(summary, title=title))
    if summary["models"]["identical_matches"]:
        console.print(forecast_table(summary))
    for note in summary["not_evaluated"]:
        console.print(f"[yellow]•[/] {note}")
    console.print(f"backtest report written to {outcome.report_path}")
    return json_ready(summary)
