"""`betfolio tune`: hyperparameter sweeps of the live or the pre-match worker with Ray Tune and ASHA.

What a trial is scored on, and why: the planted-edge environments of ``betfolio bench learn``
(:mod:`betfolio.bench.planted`), trained on the *training* seasons' matches and scored on a *validation* season's
— never on the evaluation season. Scoring on the evaluation season would make the agents' held-out report
selection-biased (the sweep would have picked the configuration that happens to do best there). The planted edge
makes the score mean something: the oracle's profit is known, so a trial's score is its capture ratio
(agent profit / oracle profit on the validation matches), not a season's noise.

ASHA (asynchronous successive halving) stops the weak trials early: every trial reports its score after each of
``rungs`` equal slices of its training budget, and only the better half (``reduction_factor``) goes on at each rung.
Trial results and checkpoints live under the storage path (``--storage``, config key ``ray_storage``).
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from betfolio.scale.space import AGENT_SECTIONS
from betfolio.scale.tasks import one_line_error

METRIC = "capture"


@dataclass(frozen=True)
class TuneSettings:
    agent: str  # live | prematch
    samples: int = 8  # trials drawn from the search space
    rungs: int = 4  # score reports per trial: the ASHA milestones
    reduction_factor: int = 2
    live_steps: int = 40_000  # full budget of a live trial (environment steps)
    live_envs: int = 64
    live_reward: str = "log_wealth"
    q_episodes: int = 200  # full budget of a pre-match trial (episodes)
    seed: int = 1
    cpus_per_trial: float = 1.0


@dataclass(frozen=True)
class TuneProblem:
    """What every trial needs, shipped once through Ray's object store: the planted environments' inputs for the
    training and the validation matches (timeline banks for the live worker, consensus probabilities for the
    pre-match one)."""

    settings: TuneSettings
    train: Any
    validation: Any
    train_seasons: tuple[str, ...] = ()
    validation_season: str = ""
    eval_seasons: tuple[str, ...] = ()
    plant: Any = field(default=None)


def split_for_tuning(
    available: Sequence[str],
    train: Sequence[str] | None,
    validation: str | None,
    evaluation: Sequence[str] | None,
) -> tuple[list[str], str, list[str]]:
    """Training seasons, the validation season and the protected evaluation seasons.

    Defaults mirror `betfolio train`: the evaluation season is the latest available, the validation season the
    latest before it, training every season before that. The validation season is never an evaluation season
    nor a training season (ValueError saying which)."""
    seasons = sorted(available)
    evaluation = list(evaluation or seasons[-1:])
    if validation is None:
        before = [s for s in seasons if s < min(evaluation)] if evaluation else seasons
        if not before:
            raise ValueError(f"no season before the evaluation seasons {evaluation} to validate on")
        validation = before[-1]
    if validation in evaluation:
        raise ValueError(
            f"the validation season {validation} is an evaluation season: tuning on it would bias the held-out report"
        )
    train = list(train or [s for s in seasons if s < validation])
    if not train:
        raise ValueError(f"no training season before the validation season {validation}")
    if validation in train:
        raise ValueError(f"the validation season {validation} is also a training season")
    overlap = sorted(set(train) & set(evaluation))
    if overlap:
        raise ValueError(f"training season(s) {overlap} are evaluation seasons")
    missing = [s for s in (*train, validation) if s not in seasons]
    if missing:
        raise ValueError(f"season(s) {missing} have no results in the store (available: {', '.join(seasons)})")
    return train, validation, evaluation


def build_problem(
    engine: Any,
    settings: TuneSettings,
    leagues: Sequence[str] | None,
    train: Sequence[str] | None = None,
    validation: str | None = None,
    evaluation: Sequence[str] | None = None,
) -> TuneProblem:
    """Load the training and validation matches from the store and prepare the agent's planted environment."""
    from betfolio.agents.training import build_timelines, load_training_matches
    from betfolio.jobs.training import available_seasons

    train_s, validation_s, eval_s = split_for_tuning(available_seasons(engine, leagues), train, validation, evaluation)
    train_ms = load_training_matches(engine, leagues, train_s)
    val_ms = load_training_matches(engine, leagues, [validation_s])
    if settings.agent == "live":
        from betfolio.bench.learn import live_plant

        train_data: Any = build_timelines(train_ms, settings.seed)
        val_data: Any = build_timelines(val_ms, settings.seed + 1)
        plant: Any = live_plant()
    else:
        from betfolio.bench.learn import prematch_plant

        train_data, val_data, plant = train_ms.prematch_fair, val_ms.prematch_fair, prematch_plant()
    return TuneProblem(settings, train_data, val_data, tuple(train_s), validation_s, tuple(eval_s), plant)


# -- trials (run on the Ray workers) ---------------------------------------------------------------------------
def _report(agent: dict[str, Any], oracle: dict[str, Any], progress: dict[str, int], save: Any) -> None:
    """One ASHA milestone of either trial: the score (the share of the oracle's profit the agent's validation play
    captured), the profits and betting rate behind it, the trial's ``progress``, and a checkpoint of the trial's
    agent (in the storage path)."""
    from ray import tune

    from betfolio.bench.learn import capture_ratio

    metrics = {
        METRIC: capture_ratio(agent["profit"], oracle["profit"]),
        "agent_profit_pct_per_100_matches": agent["profit_pct_per_100_matches"],
        "oracle_profit_pct_per_100_matches": oracle["profit_pct_per_100_matches"],
        "bets_per_match": agent["bets_per_match"],
        **progress,
    }
    with tempfile.TemporaryDirectory() as tmp:
        save(Path(tmp) / "agent.pt")
        tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(tmp))


def live_trial(config: dict[str, Any], problem: TuneProblem) -> None:
    """Train the live worker with ``config`` on the planted training bank; score it on the validation bank."""
    from dataclasses import replace

    import torch

    from betfolio.agents.hyperparams import Hyperparameters
    from betfolio.agents.live.layout import live_layout
    from betfolio.agents.live.network import LivePolicy
    from betfolio.agents.live.ppo import LivePPOTrainer, PPOConfig
    from betfolio.agents.training import LiveSettings
    from betfolio.bench.learn import live_play
    from betfolio.bench.planted import live_oracle, plant_live_signal
    from betfolio.sim.batched import BatchedLiveSim

    torch.set_num_threads(1)
    s, plant = problem.settings, problem.plant
    planted, _ = plant_live_signal(problem.train, plant, seed=1000 + s.seed)
    validation, signal = plant_live_signal(problem.validation, plant, seed=2000 + s.seed)
    live = LiveSettings(seed=s.seed, reward=s.live_reward)
    sim = BatchedLiveSim(s.live_envs, seed=s.seed, bank=planted, reward=live.reward)
    default = live.ppo or PPOConfig.for_reward(live.reward)  # what `betfolio train` starts from
    base = replace(default, seed=s.seed, network=replace(default.network, n_actions=sim.n_actions))
    trainer = LivePPOTrainer(sim, live_layout(), Hyperparameters(live=config).live_ppo(base))
    play, slots = live_play(validation, np.arange(validation.n_matches), live.reward, s.seed)
    oracle = play(live_oracle(signal, plant))
    for rung in range(1, s.rungs + 1):
        trainer.train(math.ceil(s.live_steps * rung / s.rungs))
        policy = LivePolicy(trainer.network, slots)
        agent = play(lambda o, m, _s, p=policy: p.act(o, m))
        _report(agent, oracle, {"steps": trainer.global_step}, lambda path: trainer.save(path))


def prematch_trial(config: dict[str, Any], problem: TuneProblem) -> None:
    """Train the tabular-Q worker with ``config`` on the planted training matches; score it on the validation
    season's matches (expected profit under the planted truth, so the score carries no result noise)."""
    from betfolio.agents.hyperparams import Hyperparameters
    from betfolio.agents.prematch.tabular import QConfig, TabularQAgent, prematch_feature_hash, prematch_reader
    from betfolio.bench.learn import prematch_play
    from betfolio.bench.planted import PlantedPrematchEnv

    s, plant = problem.settings, problem.plant
    train_env = PlantedPrematchEnv(problem.train, plant, reward_scale=1.0 / plant.stake, seed=s.seed)
    eval_env = PlantedPrematchEnv(problem.validation, plant, seed=10_000 + s.seed)
    rows = np.arange(len(problem.validation))
    oracle = prematch_play(eval_env, rows, lambda _o, _m, r: eval_env.oracle_action(r), s.seed)
    base = QConfig(seed=s.seed, epsilon_decay_episodes=max(s.q_episodes * 2 // 3, 1))
    agent = TabularQAgent(
        int(train_env.action_space.n), prematch_reader(), Hyperparameters(prematch_q=config).q_config(base)
    )
    for rung in range(1, s.rungs + 1):
        agent.train(train_env, math.ceil(s.q_episodes * rung / s.rungs) - agent.episodes)
        trained = prematch_play(eval_env, rows, lambda o, m, _r: agent.act(o, m), s.seed)
        _report(trained, oracle, {"episodes": agent.episodes}, lambda path: agent.save(path, prematch_feature_hash()))


TRIALS = {"live": live_trial, "prematch": prematch_trial}


# -- the sweep (driver) ----------------------------------------------------------------------------------------
def run_tune(
    problem: TuneProblem,
    space: dict[str, Any],
    storage: str,
    *,
    address: str | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """Sample ``space``, train and score every trial on Ray Tune with ASHA; the trials and the best config."""
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler
    from ray.tune.search import BasicVariantGenerator

    from betfolio.scale.runtime import ray_session

    # Tune's advice on checkpoint frequency is for long trials; a handful of small checkpoints per trial is the design.
    os.environ.setdefault("TUNE_WARN_EXCESSIVE_EXPERIMENT_CHECKPOINT_SYNC_THRESHOLD_S", "0")
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    s = problem.settings
    name = name or f"tune-{s.agent}-{time.strftime('%Y%m%d-%H%M%S')}"
    started = time.perf_counter()
    with ray_session(address):
        trainable = tune.with_resources(
            tune.with_parameters(TRIALS[s.agent], problem=problem), {"cpu": s.cpus_per_trial}
        )
        scheduler = ASHAScheduler(
            time_attr="training_iteration", max_t=s.rungs, grace_period=1, reduction_factor=s.reduction_factor
        )
        tuner = tune.Tuner(
            trainable,
            param_space=space,
            tune_config=tune.TuneConfig(
                metric=METRIC,
                mode="max",
                scheduler=scheduler,
                num_samples=s.samples,
                search_alg=BasicVariantGenerator(random_state=s.seed),
            ),
            run_config=tune.RunConfig(
                name=name,
                storage_path=storage,
                verbose=0,
                checkpoint_config=tune.CheckpointConfig(num_to_keep=1),
            ),
        )
        grid = tuner.fit()
        trials = []
        for result in grid:
            metrics = result.metrics or {}
            trials.append(
                {
                    "config": {k: result.config[k] for k in space if k in result.config},
                    "iterations": metrics.get("training_iteration", 0),
                    "stopped_early": metrics.get("training_iteration", 0) < s.rungs and result.error is None,
                    **{k: metrics.get(k) for k in (METRIC, "agent_profit_pct_per_100_matches", "bets_per_match")},
                    "error": None if result.error is None else one_line_error(result.error),
                    "path": result.path,
                }
            )
    scored = [t for t in trials if t["error"] is None and t[METRIC] is not None and not math.isnan(t[METRIC])]
    # The best is judged on the full budget: a trial ASHA stopped early never reached the last milestone.
    finished = [t for t in scored if t["iterations"] == s.rungs] or scored
    best = max(finished, key=lambda t: t[METRIC], default=None)
    return {
        "agent": s.agent,
        "section": AGENT_SECTIONS[s.agent],
        "name": name,
        "storage": storage,
        "train_seasons": list(problem.train_seasons),
        "validation_season": problem.validation_season,
        "eval_seasons_untouched": list(problem.eval_seasons),
        "settings": asdict(s),
        "trials": trials,
        "failures": [t for t in trials if t["error"] is not None],
        "best": best,
        "seconds": round(time.perf_counter() - started, 1),
        "caveat": (
            f"The best of {len(trials)} configurations is selection-biased on the validation season; "
            "judge it on the evaluation season, which the sweep never saw."
        ),
    }


def write_best(result: dict[str, Any], path: Path) -> Path:
    """Write the best trial's configuration to ``path`` (the file `betfolio train --config` reads), keeping the
    other sections of an existing file (tuning the live worker leaves the pre-match worker's settings alone)."""
    from betfolio.agents.hyperparams import Hyperparameters, check_section, dump_hyperparameters, load_hyperparameters
    from betfolio.cli.options import write_text_atomic

    best = result["best"]
    if best is None:
        raise ValueError("no trial finished with a score: nothing to write")
    current = load_hyperparameters(path).as_dict() if path.exists() else {}
    current[result["section"]] = check_section(result["section"], best["config"], f"tune result {result['name']}")
    header = (
        f"Tuned by `betfolio tune --agent {result['agent']}` ({result['name']}): {METRIC} {best[METRIC]:.3f} on the "
        f"planted edge, validation season {result['validation_season']}.\nRead by `betfolio train --config {path}`."
    )
    write_text_atomic(path, dump_hyperparameters(Hyperparameters(**current), header))
    return path
