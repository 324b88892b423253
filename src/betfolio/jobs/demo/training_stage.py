"""The training stage of `betfolio demo`: a small HRL run on the bundled sample already in the store.

Trains the live worker (mission reward, and log-wealth for the reward ablation), the tabular-Q and DQN
pre-match workers on the earlier seasons with the ``demo`` preset's budgets
(:data:`betfolio.jobs.training.PRESETS`), then evaluates everything — each worker beside its untrained network
and a random policy of the same betting rate, the managed portfolio and the baselines — on the latest season. It
prints the comparison table with its verdict and the learning curves (one line per worker, and a picture in the
report folder). Budgets are sized to stay within about three minutes on a two-core machine; the numbers
demonstrate the pipeline, not a trained edge (``betfolio train --agent hrl --preset full --seeds 5`` is the real
run).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from sqlalchemy import Engine


def run_demo_training(engine: Engine, console: Console, report_dir: Path) -> dict[str, Any]:
    """Train and evaluate a small HRL; writes ``report_dir/agents/evaluation.json`` and
    ``report_dir/agents/learning-curves.png`` and returns the summary."""
    from betfolio.agents.curves import curve_lines, plot_curves
    from betfolio.agents.training import RunDir
    from betfolio.jobs.training import PRESETS, HRLSettings, available_seasons, run_hrl

    seasons = available_seasons(engine, None)
    # The evaluation season is the latest one with replayable matches: a season a provider stored only a few
    # fixtures of (the demo's recorded API-Football payloads, kept by a previous demo) has results but no prices.
    while len(seasons) >= 2 and not _replayable(engine, seasons[-1]):
        seasons = seasons[:-1]
    if len(seasons) < 2:
        console.print("[yellow]training skipped: the walk-forward evaluation needs at least two seasons[/yellow]")
        return {"skipped": f"needs two seasons, found {seasons}"}
    settings = HRLSettings(**PRESETS["demo"], eval_seasons=seasons[-1:], seed=1, resume=False)
    started = time.perf_counter()
    summary = run_hrl(engine, settings, RunDir.named("demo"), console)
    summary["seconds"] = round(time.perf_counter() - started, 1)
    out = report_dir / "agents"
    out.mkdir(parents=True, exist_ok=True)
    console.print("[bold]Learning curves[/bold] (training return at the start → middle → end):")
    for line in curve_lines(summary["curves"]):
        console.print(f"  {line}")
    picture = plot_curves(summary["curves"], out / "learning-curves.png", title="demo training (seed 1)")
    if picture is not None:
        summary["learning_curves_png"] = str(picture)
        console.print(f"  picture: {picture}")
    (out / "evaluation.json").write_text(json.dumps(summary, indent=2, default=str))
    console.print(f"agents evaluation written to {out / 'evaluation.json'} ({summary['seconds']} s)")
    return summary


def _replayable(engine: Engine, season: str) -> bool:
    """Whether ``season`` holds a match the simulator can replay (a result and pre-match prices)."""
    from betfolio.agents.training import load_training_matches

    try:
        load_training_matches(engine, None, [season])
    except ValueError:
        return False
    return True
