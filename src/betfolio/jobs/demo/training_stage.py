"""The training stage of `betfolio demo`: a small HRL run on the bundled sample already in the store.

Trains the live worker (mission reward, and log-wealth for the reward ablation), the tabular-Q and DQN
pre-match workers on the earlier seasons, then evaluates everything — with the UCB-managed portfolio and the
baselines — on the latest season, and prints the comparison table with its verdict. Budgets are sized to stay
within about three minutes on a two-core machine; the numbers are a demonstration of the pipeline, not of a
trained edge (``betfolio train --agent hrl`` with larger budgets is the real run).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from sqlalchemy import Engine

#: Demo budgets (env steps / episodes); ~2 minutes of training and evaluation on the 3-season sample.
DEMO_LIVE_STEPS = 200_000
DEMO_Q_EPISODES = 20
DEMO_DQN_STEPS = 4_000


def run_demo_training(engine: Engine, console: Console, report_dir: Path) -> dict[str, Any]:
    """Train and evaluate a small HRL; writes ``report_dir/agents/evaluation.json`` and returns the summary."""
    from betfolio.agents.training import RunDir
    from betfolio.jobs.training import HRLSettings, available_seasons, run_hrl

    seasons = available_seasons(engine, None)
    if len(seasons) < 2:
        console.print("[yellow]training skipped: the walk-forward evaluation needs at least two seasons[/yellow]")
        return {"skipped": f"needs two seasons, found {seasons}"}
    settings = HRLSettings(
        live_steps=DEMO_LIVE_STEPS, q_episodes=DEMO_Q_EPISODES, dqn_steps=DEMO_DQN_STEPS, seed=1, resume=False
    )
    started = time.perf_counter()
    summary = run_hrl(engine, settings, RunDir.named("demo"), console)
    summary["seconds"] = round(time.perf_counter() - started, 1)
    out = report_dir / "agents"
    out.mkdir(parents=True, exist_ok=True)
    (out / "evaluation.json").write_text(json.dumps(summary, indent=2, default=str))
    console.print(f"agents evaluation written to {out / 'evaluation.json'} ({summary['seconds']} s)")
    return summary
