"""`betfolio train`: train the agents on replayed history from the store; `--agent hrl` also evaluates them.

Heavy imports live inside the command so `betfolio --help` stays fast.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from betfolio.cli.options import JsonFileOption, JsonFlag, emit_json, wants_stdout_json


class AgentKind(StrEnum):
    LIVE = "live"
    PREMATCH_Q = "prematch-q"
    PREMATCH_DQN = "prematch-dqn"
    HRL = "hrl"


class RewardName(StrEnum):
    MISSION = "mission"
    LOG_WEALTH = "log_wealth"
    DIFF_SHARPE = "diff_sharpe"


def train_command(
    agent: Annotated[AgentKind, typer.Option("--agent", help="What to train (hrl = all workers + evaluation).")],
    db: Annotated[
        str | None, typer.Option("--db", envvar="BETFOLIO_DATABASE_URL", help="Database URL or SQLite path.")
    ] = None,
    leagues: Annotated[str | None, typer.Option(help="Comma-separated league codes (default: all).")] = None,
    train_seasons: Annotated[
        str | None,
        typer.Option(help="Training seasons FIRST:LAST or a list (default: every season before the evaluation)."),
    ] = None,
    eval_seasons: Annotated[
        str | None, typer.Option(help="Evaluation seasons, never trained on (default: the latest in the store).")
    ] = None,
    steps: Annotated[int, typer.Option(help="Live PPO environment steps (total, counting a resumed run).")] = 300_000,
    envs: Annotated[int, typer.Option(help="Concurrent simulated matches for live PPO.")] = 256,
    episodes: Annotated[int, typer.Option(help="Tabular Q-learning episodes (seasons replayed).")] = 60,
    dqn_steps: Annotated[int, typer.Option(help="DQN environment steps.")] = 20_000,
    reward: Annotated[RewardName, typer.Option(help="Reward for single-agent training.")] = RewardName.MISSION,
    ablation: Annotated[
        bool, typer.Option(help="hrl: also train the live worker on log-wealth growth (reward ablation).")
    ] = True,
    hrl_prematch: Annotated[
        str, typer.Option(help="hrl: pre-match worker run by the manager (prematch-q or prematch-dqn).")
    ] = "prematch-q",
    seed: Annotated[int, typer.Option(help="Seed of everything random.")] = 1,
    run: Annotated[
        str | None,
        typer.Option(help="Run name (a folder under <data dir>/agents) or absolute path; default from the options."),
    ] = None,
    resume: Annotated[bool, typer.Option(help="Continue from the run's checkpoints.")] = False,
    as_json: JsonFlag = False,
    json_file: JsonFileOption = None,
) -> None:
    """Train agents on replayed history (checkpoints and CSV logs in the user data dir, resumable).

    `--agent hrl` trains every worker on the training seasons, then evaluates them, the UCB-managed portfolio
    and the baselines on the later evaluation seasons through the walk-forward backtest, and says plainly
    whether the agents beat the baselines. Exit code 1 on bad input (unknown season, corrupt or mismatched
    checkpoint).
    """
    import sys

    from rich.console import Console

    from betfolio.agents.checkpoint import CheckpointError
    from betfolio.agents.training import RunDir
    from betfolio.backtest.data import parse_seasons
    from betfolio.engine.ledger import json_ready
    from betfolio.jobs.training import HRLSettings, run_hrl, train_single
    from betfolio.store.engine import make_engine

    to_stdout = wants_stdout_json(as_json, json_file)
    console = Console(stderr=to_stdout or not sys.stdout.isatty(), width=None if sys.stdout.isatty() else 160)
    if hrl_prematch not in ("prematch-q", "prematch-dqn"):
        console.print(f"[red]error[/red] --hrl-prematch must be prematch-q or prematch-dqn, got {hrl_prematch!r}")
        raise typer.Exit(1)
    try:
        settings = HRLSettings(
            leagues=[x.strip() for x in leagues.split(",") if x.strip()] if leagues else None,
            train_seasons=parse_seasons(train_seasons) if train_seasons else None,
            eval_seasons=parse_seasons(eval_seasons) if eval_seasons else None,
            live_steps=steps,
            n_envs=envs,
            q_episodes=episodes,
            dqn_steps=dqn_steps,
            seed=seed,
            ablation=ablation,
            hrl_prematch=hrl_prematch,
            resume=resume,
        )
        engine = make_engine(db)
        run_dir = RunDir.named(run or f"{agent.value}-{reward.value}-seed{seed}")
        if agent is AgentKind.HRL:
            result = run_hrl(engine, settings, run_dir, console)
        else:
            result = train_single(agent.value, engine, settings, run_dir, reward.value, console)
    except (ValueError, FileNotFoundError, CheckpointError) as exc:
        console.print(f"[red]error[/red] {exc}")
        raise typer.Exit(1) from exc
    emit_json(json_ready(result), as_json, json_file)
