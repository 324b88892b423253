"""`betfolio train`: train the agents on replayed history from the store; `--agent hrl` also evaluates them.

Heavy imports live inside the command so `betfolio --help` stays fast.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from betfolio.cli.options import (
    JsonFileOption,
    JsonFlag,
    RayAddressOption,
    RayFlag,
    emit_json,
    fail,
    wants_stdout_json,
)


class AgentKind(StrEnum):
    LIVE = "live"
    PREMATCH_Q = "prematch-q"
    PREMATCH_DQN = "prematch-dqn"
    HRL = "hrl"


class Preset(StrEnum):
    DEMO = "demo"
    FULL = "full"


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
    data_dir: Annotated[
        list[Path] | None,
        typer.Option(
            "--data-dir",
            help="football-data folder (<season>/<league>.csv), repeatable: the --leagues files of the training "
            "and evaluation seasons are ingested into the store first (idempotent).",
        ),
    ] = None,
    preset: Annotated[
        Preset | None,
        typer.Option(help="Training budgets: demo (the demo's stage) or full (the real run); options override."),
    ] = None,
    seeds: Annotated[
        int, typer.Option(min=1, help="hrl: training seeds (--seed, --seed+1, …), each trained and evaluated.")
    ] = 1,
    steps: Annotated[
        int | None, typer.Option(help="Live PPO environment steps (total, counting a resumed run). [default: 300000]")
    ] = None,
    envs: Annotated[int | None, typer.Option(help="Concurrent simulated matches for live PPO. [default: 128]")] = None,
    episodes: Annotated[
        int | None, typer.Option(help="Tabular Q-learning episodes (seasons replayed). [default: 60]")
    ] = None,
    dqn_steps: Annotated[int | None, typer.Option(help="DQN environment steps. [default: 20000]")] = None,
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
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", help="TOML of hyperparameters over the defaults ([live], [prematch_q]; `tune` writes it)."
        ),
    ] = None,
    ray: RayFlag = False,
    ray_address: RayAddressOption = None,
    as_json: JsonFlag = False,
    json_file: JsonFileOption = None,
) -> None:
    """Train agents on replayed history (checkpoints and CSV logs in the user data dir, resumable).

    `--agent hrl` trains every worker on the training seasons, then evaluates them, the managed portfolio
    and the baselines on the later evaluation seasons through the walk-forward backtest, and says plainly
    whether the agents beat the baselines — for every one of `--seeds` training seeds, with the spread across
    seeds and a verdict that counts seeds. Exit code 1 on bad input (unknown season or folder, corrupt or
    mismatched checkpoint).
    """
    import sys

    from rich.console import Console

    from betfolio.agents.checkpoint import CheckpointError
    from betfolio.agents.hyperparams import Hyperparameters, load_hyperparameters
    from betfolio.agents.training import RunDir
    from betfolio.backtest.data import parse_seasons
    from betfolio.engine.ledger import json_ready
    from betfolio.jobs.training import (
        HRLSettings,
        ingest_data_dirs,
        preset_settings,
        print_seed_report,
        run_multi_seed,
        train_single,
    )
    from betfolio.scale.runtime import ScaleError
    from betfolio.scale.seeds import ray_seed_mapper
    from betfolio.store.engine import make_engine
    from betfolio.store.migrate import upgrade

    to_stdout = wants_stdout_json(as_json, json_file)
    console = Console(stderr=to_stdout or not sys.stdout.isatty(), width=None if sys.stdout.isatty() else 160)
    if hrl_prematch not in ("prematch-q", "prematch-dqn"):
        console.print(f"[red]error[/red] --hrl-prematch must be prematch-q or prematch-dqn, got {hrl_prematch!r}")
        raise typer.Exit(1)
    if seeds > 1 and agent is not AgentKind.HRL:
        console.print("[red]error[/red] --seeds applies to --agent hrl (single workers train one --seed)")
        raise typer.Exit(1)
    if (ray or ray_address) and agent is not AgentKind.HRL:
        fail("--ray runs the seeds of --agent hrl as Ray tasks (a single worker trains in this process)")
    try:
        budgets: dict[str, Any] = preset_settings(
            preset.value if preset else None, live_steps=steps, n_envs=envs, q_episodes=episodes, dqn_steps=dqn_steps
        )
        settings = HRLSettings(
            leagues=[x.strip() for x in leagues.split(",") if x.strip()] if leagues else None,
            train_seasons=parse_seasons(train_seasons) if train_seasons else None,
            eval_seasons=parse_seasons(eval_seasons) if eval_seasons else None,
            seed=seed,
            ablation=ablation,
            hrl_prematch=hrl_prematch,
            resume=resume,
            hyperparameters=load_hyperparameters(config) if config else Hyperparameters(),
            **budgets,
        )
        engine = make_engine(db)
        if data_dir:
            if not (settings.train_seasons and settings.eval_seasons):
                raise ValueError("--data-dir needs --train-seasons and --eval-seasons (which seasons to ingest)")
            upgrade(engine)
            with console.status("ingesting the data folders…"):
                ingest_data_dirs(
                    engine, data_dir, settings.leagues or [], [*settings.train_seasons, *settings.eval_seasons]
                )
        run_dir = RunDir.named(run or f"{agent.value}-{reward.value}-seed{seed}")
        if agent is AgentKind.HRL:
            url = engine.url.render_as_string(hide_password=False)
            mapper = ray_seed_mapper(ray_address) if (ray or ray_address) else announcing_map(console)
            result = run_multi_seed(settings, range(seed, seed + seeds), url, run_dir.path, map_seeds=mapper)
            print_seed_report(result, console)
        else:
            result = train_single(agent.value, engine, settings, run_dir, reward.value, console)
    except (ValueError, FileNotFoundError, CheckpointError) as exc:
        console.print(f"[red]error[/red] {exc}")
        raise typer.Exit(1) from exc
    except ScaleError as exc:  # Ray missing or the cluster unreachable: a configuration error
        fail(str(exc))
    emit_json(json_ready(result), as_json, json_file)


def announcing_map(console: Any) -> Any:
    """The sequential seed mapper, saying which seed is training (the seeds themselves run quietly)."""
    from betfolio.jobs.training import SeedFn, SeedTask, sequential_seeds

    def run(fn: SeedFn, tasks: Any) -> Any:
        def one(task: SeedTask) -> Any:
            console.print(f"seed {task.seed}: training and evaluating → {task.run_dir}")
            return fn(task)

        return sequential_seeds(one, tasks)

    return run
