"""`betfolio tune`: a Ray Tune sweep of the live or pre-match worker's hyperparameters (ASHA early stopping).

Trials are scored on the planted-edge environments over a validation season, never the evaluation season; the
best configuration is written to the file `betfolio train --config FILE` reads. Heavy imports live inside.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from betfolio.cli.options import (
    DbOption,
    JsonFileOption,
    JsonFlag,
    RayAddressOption,
    RayFlag,
    emit_json,
    err_console,
    fail,
    presentation_console,
)


class TuneAgent(StrEnum):
    LIVE = "live"
    PREMATCH = "prematch"


def tune_command(
    agent: Annotated[TuneAgent, typer.Option("--agent", help="Worker to tune: live (PPO) or prematch (tabular Q).")],
    space: Annotated[
        Path,
        typer.Option(
            "--space", help="TOML search space (see docs/scale.md), e.g. learning_rate = {loguniform = [1e-4, 1e-2]}."
        ),
    ],
    db: DbOption = None,
    leagues: Annotated[str | None, typer.Option(help="Comma-separated league codes (default: all).")] = None,
    train_seasons: Annotated[
        str | None, typer.Option(help="Training seasons (default: every season before the validation season).")
    ] = None,
    validation_season: Annotated[
        str | None, typer.Option(help="Season the trials are scored on (default: the latest before the evaluation).")
    ] = None,
    eval_seasons: Annotated[
        str | None,
        typer.Option(help="Evaluation seasons the sweep must never see (default: the latest season in the store)."),
    ] = None,
    samples: Annotated[int, typer.Option(help="Trials drawn from the search space.")] = 8,
    rungs: Annotated[int, typer.Option(help="Score reports per trial (ASHA milestones).")] = 4,
    steps: Annotated[int, typer.Option(help="live: environment steps per trial (full budget).")] = 40_000,
    envs: Annotated[int, typer.Option(help="live: concurrent simulated matches per trial.")] = 64,
    reward: Annotated[
        str, typer.Option(help="live: training reward of the trials (log_wealth: dense, as `bench learn`; or mission).")
    ] = "log_wealth",
    episodes: Annotated[int, typer.Option(help="prematch: Q-learning episodes per trial (full budget).")] = 200,
    seed: Annotated[int, typer.Option(help="Seed of the sampling and of every trial.")] = 1,
    storage: Annotated[
        str | None,
        typer.Option(
            help="Trial results and checkpoints: a path or a URI (config key ray_storage; default <data dir>/tune)."
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            help="Hyperparameter file to write the best config to (default <data dir>/agents/hyperparameters.toml)."
        ),
    ] = None,
    ray: RayFlag = False,
    ray_address: RayAddressOption = None,
    as_json: JsonFlag = False,
    json_file: JsonFileOption = None,
) -> None:
    """Sweep hyperparameters on Ray Tune (a local Ray, or the cluster at `--ray ADDRESS`) with ASHA early stopping.

    Every trial trains on the training seasons' matches with a planted, known edge and is scored by its capture
    ratio (agent / oracle profit) on the validation season's matches; the evaluation seasons are refused as
    validation. Exit code 2 on bad input, 1 when no trial finished.
    """
    from betfolio.backtest.data import parse_seasons
    from betfolio.config import ConfigError, load_settings
    from betfolio.scale.runtime import ScaleError, require_ray
    from betfolio.store.engine import make_engine

    del ray  # tuning always runs on Ray; --ray only says where (with an address)
    try:
        require_ray()
        from betfolio.scale.space import load_space
        from betfolio.scale.tune import TuneSettings, build_problem, run_tune, write_best

        param_space = load_space(space, agent.value)
        settings = load_settings(ray_storage=storage)
        where = settings.ray_storage or str(settings.data_dir / "tune")
        target = output or settings.data_dir / "agents" / "hyperparameters.toml"
        if "://" not in where:
            where = str(Path(where).expanduser().resolve())
        tune_settings = TuneSettings(
            agent=agent.value,
            samples=samples,
            rungs=rungs,
            live_steps=steps,
            live_envs=envs,
            live_reward=reward,
            q_episodes=episodes,
            seed=seed,
        )
        from betfolio.sim.reward import REWARD_NAMES

        if reward not in REWARD_NAMES:
            raise ValueError(f"--reward must be one of {', '.join(REWARD_NAMES)}, got {reward!r}")
        if min(samples, rungs, steps, envs, episodes) < 1:
            raise ValueError("--samples, --rungs, --steps, --envs and --episodes must be at least 1")
        engine = make_engine(db)
        with err_console.status("loading the training and validation matches…"):
            problem = build_problem(
                engine,
                tune_settings,
                [x.strip() for x in leagues.split(",") if x.strip()] if leagues else None,
                parse_seasons(train_seasons) if train_seasons else None,
                validation_season,
                parse_seasons(eval_seasons) if eval_seasons else None,
            )
        err_console.print(
            f"tuning {agent.value}: {samples} trials, training on {', '.join(problem.train_seasons)}, "
            f"validating on {problem.validation_season} (evaluation {', '.join(problem.eval_seasons)} untouched)"
        )
        with err_console.status(f"running {samples} trials on Ray Tune…"):
            result = run_tune(problem, param_space, where, address=ray_address)
    except (ValueError, ScaleError, ConfigError) as exc:
        fail(str(exc))
    if result["best"] is not None:
        result["written"] = str(write_best(result, target))
    emit_json(result, as_json, json_file)
    out = presentation_console(as_json, json_file)
    for trial in result["trials"]:
        score = "—" if trial["capture"] is None else f"{trial['capture']:+.3f}"
        state = trial["error"] or ("stopped early" if trial["stopped_early"] else "full budget")
        out.print(f"capture {score}  after {trial['iterations']}/{rungs}  {trial['config']}  ({state})")
    err_console.print(f"[yellow]caveat:[/] {result['caveat']}")
    if result["best"] is None:
        fail("no trial finished with a score", code=1)
    err_console.print(f"best config → {result['written']}  (use: betfolio train --config {result['written']})")
