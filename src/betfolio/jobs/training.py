"""The whole HRL job: train the workers on past seasons, evaluate everything on later unseen seasons.

Used by ``betfolio train --agent hrl`` and by the demo stage. Steps:

1. split seasons: training seasons strictly before evaluation seasons (refused otherwise — evaluating on a
   season the agents trained on would flatter them);
2. train the live worker (PPO) with the mission reward and, for the reward ablation, with log-wealth growth;
   train the tabular-Q and DQN pre-match workers — all on the training seasons only, minus their latest 20 %;
3. model selection (:mod:`betfolio.agents.selection`): replay each trained worker on those held-out training
   matches and deploy it only if it beats abstaining beyond bootstrap noise, else deploy abstaining;
4. evaluate (:mod:`betfolio.agents.evaluation`): baselines and pre-match workers through the walk-forward
   backtest, the live workers by replaying every unseen match once, the HRL portfolio via the UCB manager;
5. print the comparison table, the validation figures and the computed verdict; write ``evaluation.json`` in
   the run directory.
"""

from __future__ import annotations

import io
import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine

from betfolio.agents.controls import RandomRatePolicy, betting_rate
from betfolio.agents.hyperparams import Hyperparameters
from betfolio.agents.live.ppo import PPOConfig, load_live_untrained
from betfolio.agents.live.replay import replay_bank, replay_policy, replay_random
from betfolio.agents.manager import ManagerConfig, UCBVariant
from betfolio.agents.seeds import MAX_DRAWDOWN_LIMIT
from betfolio.agents.selection import (
    ABSTAIN,
    TRAINED,
    VALIDATION_FRACTION,
    Abstain,
    Gate,
    live_validation,
    prematch_validation,
    validation_split,
)
from betfolio.agents.training import (
    LiveSettings,
    PrematchSettings,
    RunDir,
    build_timelines,
    load_training_matches,
    train_live,
    train_prematch_dqn,
    train_prematch_q,
    untrained_prematch,
)
from betfolio.engine.ledger import json_ready

if TYPE_CHECKING:
    from betfolio.jobs.seed_inputs import SeedInputs

log = logging.getLogger(__name__)


@dataclass
class HRLSettings:
    leagues: Sequence[str] | None = None
    train_seasons: Sequence[str] | None = None  # default: every season before the evaluation seasons
    eval_seasons: Sequence[str] | None = None  # default: the latest season in the store
    live_steps: int = 300_000
    #: 128 concurrent matches per rollout (one match each): the shape `betfolio bench learn` proves, twice the PPO
    #: updates of 256 for the same env steps.
    n_envs: int = 128
    q_episodes: int = 30
    dqn_steps: int = 20_000
    seed: int = 1
    ablation: bool = True  # also train the live worker on log-wealth growth
    hrl_prematch: str = "prematch-q"  # which pre-match worker the manager runs
    #: The HRL manager: LinUCB over the mission's state vector; the sliding-window UCB runs beside it as the
    #: reference (row ``hrl_ucb``), so the report shows what using the state changed.
    manager: ManagerConfig = field(default_factory=lambda: ManagerConfig(variant=UCBVariant.LINUCB))
    reference_manager: ManagerConfig = field(default_factory=lambda: ManagerConfig(variant=UCBVariant.SLIDING))
    refit_every_days: int = 14
    #: The portfolio's drawdown budget: the manager's risk score is drawdown / this, and the capital it deploys
    #: shrinks with (1 − risk score) — to nothing at the mission's ceiling, which the verdict checks too.
    max_drawdown: float = MAX_DRAWDOWN_LIMIT
    resume: bool = False
    #: Share of the training matches (the latest) held out to choose, per worker, the trained policy or abstaining.
    validation_fraction: float = VALIDATION_FRACTION
    #: False: every worker deploys its trained policy whatever validation showed (the validation figures are still
    #: reported) — the pipeline without model selection, for comparison.
    select_on_validation: bool = True
    #: PPO and tabular-Q hyperparameters over the defaults (`betfolio train --config FILE`, what `tune` writes).
    hyperparameters: Hyperparameters = field(default_factory=Hyperparameters)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("manager", "reference_manager"):
            config = getattr(self, key)
            data[key] = {**asdict(config), "variant": config.variant.value, "allocation": config.allocation.value}
        return data

    def live_settings(self, reward: str) -> LiveSettings:
        """The live worker's settings: budgets from here, PPO hyperparameters from the defaults and --config.

        The live worker learns each reward with per-bet credit (:data:`LIVE_CREDIT`): the mission's formula and
        log growth paid at the minute of the bet that earned them, γ = 0 — the recipe ``betfolio bench learn``
        shows finding a planted edge. Paid at settlement instead (γ = λ = 1) neither learned the planted edge."""
        training_reward = LIVE_CREDIT.get(reward, reward)
        ppo = self.hyperparameters.live_ppo(PPOConfig.for_reward(training_reward))
        return LiveSettings(self.live_steps, self.n_envs, training_reward, self.seed, ppo=ppo)


#: The reward a live worker trains on for each evaluated reward: the same quantity with per-bet credit.
LIVE_CREDIT: dict[str, str] = {"mission": "mission_bet", "log_wealth": "bet_outcome"}

#: Training budgets by preset (``betfolio train --preset``); explicit options override them.
PRESETS: dict[str, dict[str, int]] = {
    # the demo's training stage: about a minute per seed on the bundled sample
    "demo": {"live_steps": 200_000, "n_envs": 128, "q_episodes": 20, "dqn_steps": 4_000},
    # the real run: 5 leagues x 5 training seasons, 5 seeds within 10 minutes on two cores
    # (the live worker gets the planted-edge benchmark's budget: 600k steps over 128 envs, 52 PPO updates)
    "full": {"live_steps": 600_000, "n_envs": 128, "q_episodes": 30, "dqn_steps": 20_000},
}


#: Budgets without a preset, the same for `betfolio train` and :func:`betfolio.api.train_agents`.
DEFAULT_BUDGETS: dict[str, int] = {"live_steps": 300_000, "n_envs": 128, "q_episodes": 60, "dqn_steps": 20_000}


def preset_settings(name: str | None, **overrides: Any) -> dict[str, Any]:
    """The preset's budgets (:data:`DEFAULT_BUDGETS` without one) with the explicitly given values (not None) on
    top; ValueError on an unknown preset."""
    if name is not None and name not in PRESETS:
        raise ValueError(f"unknown preset {name!r} (choose {', '.join(PRESETS)})")
    base: dict[str, Any] = dict(PRESETS[name] if name else DEFAULT_BUDGETS)
    return base | {k: v for k, v in overrides.items() if v is not None}


def ingest_data_dirs(engine: Engine, folders: Sequence[Path], leagues: Sequence[str], seasons: Sequence[str]) -> int:
    """Ingest the football-data folders' files of ``leagues`` × ``seasons`` into the store (idempotent: files
    already ingested unchanged are skipped) through the one ingest path; returns the number of league seasons.

    A requested league season that no folder has, or a file that cannot be ingested, is a ValueError naming it —
    training on silently fewer seasons than asked would misreport what was evaluated. Single refused quotes (an
    odds cell of 0) are the ingest's business: it keeps the rest of the file and records the reason.
    """
    from betfolio.backtest.data import ingest_directory

    if not leagues:
        raise ValueError("--data-dir needs --leagues (which league files to ingest)")
    for folder in folders:
        if not Path(folder).is_dir():
            raise ValueError(f"--data-dir {folder} is not a folder")
    _engine, found = ingest_directory(list(folders), list(leagues), list(seasons), engine=engine, history=False)
    issues = [i for i in found if i.kind in ("missing_file", "ingest_error")]
    if issues:
        more = f" (and {len(issues) - 1} more)" if len(issues) > 1 else ""
        raise ValueError(f"--data-dir: {issues[0]}{more}")
    return len(leagues) * len(seasons)


def available_seasons(engine: Engine, leagues: Sequence[str] | None) -> list[str]:
    """Seasons with at least one finished match with a result — a season of fixtures only (e.g. from a live
    provider) can be neither trained on nor evaluated."""
    from sqlalchemy import select

    from betfolio.canonical.enums import MatchStatus
    from betfolio.store.tables import matches_master as mm

    stmt = (
        select(mm.c.season)
        .where(
            mm.c.status.in_([MatchStatus.FINISHED.value, MatchStatus.AWARDED.value]),
            mm.c.home_goals.is_not(None),
            mm.c.away_goals.is_not(None),
        )
        .distinct()
    )
    if leagues:
        stmt = stmt.where(mm.c.league.in_(list(leagues)))
    with engine.connect() as conn:
        return sorted(r[0] for r in conn.execute(stmt))


def split_seasons(engine: Engine, settings: HRLSettings) -> tuple[list[str], list[str]]:
    seasons = available_seasons(engine, settings.leagues)
    if len(seasons) < 2 and not (settings.train_seasons and settings.eval_seasons):
        raise ValueError(
            f"walk-forward evaluation needs at least two seasons with results in the store, found {seasons or 'none'} "
            "(ingest more seasons, e.g. `betfolio ingest football-data …`)"
        )
    eval_seasons = list(settings.eval_seasons or seasons[-1:])
    train = list(settings.train_seasons or [s for s in seasons if s < min(eval_seasons)])
    missing = [s for s in (*train, *eval_seasons) if s not in seasons]
    if missing:
        raise ValueError(f"season(s) {missing} not in the store with results (available: {', '.join(seasons)})")
    if not train:
        raise ValueError(f"no training season before the evaluation seasons {eval_seasons}")
    if max(train) >= min(eval_seasons):
        raise ValueError(
            f"training seasons {train} must all precede the evaluation seasons {eval_seasons} (no look-ahead)"
        )
    return train, eval_seasons


def run_hrl(
    engine: Engine, settings: HRLSettings, run: RunDir, console: Console, inputs: SeedInputs | None = None
) -> dict[str, Any]:
    """Train on the training seasons, evaluate on the evaluation seasons; returns the JSON-ready report.

    ``inputs``: the seed-independent matches and baselines' books (:mod:`betfolio.jobs.seed_inputs`) when a
    multi-seed run built them once; built here otherwise.

    Strategy rows: the baselines; ``prematch`` (the worker the manager runs, ``settings.hrl_prematch``) with its
    controls ``prematch_untrained`` (the same worker before training) and ``prematch_random`` (a random policy
    betting as often, on the same matches); the other pre-match algorithm under its own name; ``live`` with
    ``live_untrained`` and ``live_random``; the reward ablation's workers; ``hrl``, the managed portfolio. The
    worker rows are the *deployed* workers (trained or abstaining, chosen on the held-out training matches);
    ``live_ungated`` / ``prematch_ungated`` show the trained policies as trained, for the record.
    """
    from betfolio.agents.evaluation import (
        BASELINES,
        eval_days,
        portfolio_metrics,
        run_manager,
        sleeve_from_backtest,
        sleeve_from_replay,
        sleeve_metrics,
        verdict,
        window_runs,
    )
    from betfolio.agents.ledger import record_hrl_run
    from betfolio.agents.prematch.strategy import PrematchAgentStrategy
    from betfolio.jobs.backtest import run_backtest
    from betfolio.jobs.seed_inputs import prepare_seed_inputs
    from betfolio.sim.envs import PREMATCH_STAKES

    if settings.hrl_prematch not in PREMATCH_WORKERS:
        raise ValueError(f"hrl_prematch must be one of {', '.join(PREMATCH_WORKERS)}, got {settings.hrl_prematch!r}")
    if inputs is None:
        with console.status("loading the matches and walking the baselines forward…"):
            inputs = prepare_seed_inputs(engine, settings)
    train_seasons, eval_seasons = inputs.train_seasons, inputs.eval_seasons
    leagues = list(settings.leagues) if settings.leagues else None
    train_ms = inputs.train_ms
    # The workers learn on the earlier training matches; the latest ones pick what is deployed (never eval seasons).
    fit_ms, val_ms = validation_split(train_ms, settings.validation_fraction)
    validation = validation_facts(fit_ms, val_ms, settings.validation_fraction)
    run.write_manifest(settings.as_dict() | {"train": train_seasons, "eval": eval_seasons, "validation": validation})
    console.print(
        f"training on {', '.join(train_seasons)} (the last {len(val_ms)} matches, from "
        f"{validation['validation_from']}, held out to choose what is deployed); evaluating on "
        f"{', '.join(eval_seasons)} (leagues: {', '.join(leagues) if leagues else 'all'}); run directory {run.path}"
    )
    bank = build_timelines(fit_ms, settings.seed)
    rewards = ["mission", "log_wealth"] if settings.ablation else ["mission"]
    chosen = settings.hrl_prematch
    other = next(w for w in PREMATCH_WORKERS if w != chosen)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
    )
    live_nets: dict[str, Any] = {}
    histories: dict[str, Any] = {}
    with Progress(*columns, console=console, transient=False) as progress:
        for reward in rewards:
            tag = "live" if reward == "mission" else f"live-{reward.replace('_', '-')}"
            task = progress.add_task(tag, total=settings.live_steps)

            def update(done: float, total: float, text: str, task: Any = task) -> None:
                progress.update(task, completed=done, total=total, description=text)

            live_nets[reward], histories[tag] = train_live(
                bank,
                run,
                settings.live_settings(reward),
                resume=settings.resume,
                progress=update,
                tag=tag,
            )
        q_agents: dict[str, Any] = {}
        for reward in rewards:
            tag = "prematch-q" if reward == "mission" else f"prematch-q-{reward.replace('_', '-')}"
            task_q = progress.add_task(tag, total=settings.q_episodes)
            q_agents[reward], histories[tag] = train_prematch_q(
                fit_ms,
                run,
                PrematchSettings(
                    episodes=settings.q_episodes,
                    reward=reward,
                    seed=settings.seed,
                    hyperparameters=settings.hyperparameters,
                ),
                resume=settings.resume,
                progress=lambda d, t, x, task_q=task_q: progress.update(task_q, completed=d, total=t, description=x),
                tag=tag,
            )
        task_d = progress.add_task("prematch-dqn", total=settings.dqn_steps)
        dqn_settings = PrematchSettings(timesteps=settings.dqn_steps, reward="mission", seed=settings.seed)
        dqn, histories["prematch-dqn"] = train_prematch_dqn(
            fit_ms,
            run,
            dqn_settings,
            resume=settings.resume,
            progress=lambda d, t, x: progress.update(task_d, completed=d, total=t, description=x),
        )

        # --- model selection on the held-out training matches ----------------------------------------------
        task_v = progress.add_task("validation (what to deploy)", total=1)
        trained = {"prematch-q": q_agents["mission"], "prematch-dqn": dqn}
        pre_workers = {"prematch": trained[chosen], other: trained[other]}
        pre_workers |= {q_name(r): q_agents[r] for r in rewards if r != "mission"}
        gates = {
            name: prematch_validation(name, act_of(worker), val_ms, seed=settings.seed)
            for name, worker in pre_workers.items()
        }
        val_bank = build_timelines(val_ms, settings.seed + 2, n_variants=1)
        for reward in rewards:
            name = live_name(reward)
            val_replay = replay_bank(live_nets[reward], val_bank, reward=reward, seed=settings.seed)
            gates[name] = live_validation(name, val_replay, val_ms.kickoff, seed=settings.seed)
        keep = {name: g.keeps or not settings.select_on_validation for name, g in gates.items()}
        progress.update(task_v, completed=1)

        # --- evaluation -----------------------------------------------------------------------------------
        window = frozenset(eval_seasons)
        untrained = untrained_prematch(chosen, fit_ms, dqn_settings)

        def agent_strategy(name: str, policy: Any) -> PrematchAgentStrategy:
            return PrematchAgentStrategy(name, policy, PREMATCH_STAKES, window)

        def deployed(name: str) -> PrematchAgentStrategy:
            return agent_strategy(name, act_of(pre_workers[name]) if keep[name] else Abstain())

        prematch = deployed("prematch")
        workers = [prematch, deployed(other), agent_strategy("prematch_untrained", act_of(untrained))]
        workers += [deployed(q_name(r)) for r in rewards if r != "mission"]
        workers.append(agent_strategy("prematch_ungated", act_of(trained[chosen])))
        data, config = inputs.data, inputs.config
        task_b = progress.add_task("walk-forward backtest", total=1)
        # The workers fit no goal model: they walk forward without one; the baselines' books come with the inputs.
        result = run_backtest(
            data,
            workers,
            replace(config, evaluate_models=()),
            progress=lambda i, n: progress.update(task_b, completed=i, total=n),
            summarise=False,
        ).result
        result.strategies = {**inputs.baselines, **result.strategies}
        start = min(m.kickoff for m in data.matches if m.season in window)
        # The random control bets as often as the trained worker did on these very matches.
        placed = sum(1 for b in result.strategies["prematch"].bets if b.kickoff >= start)
        pre_rate = betting_rate(placed, prematch.decisions)
        random_pre = PrematchAgentStrategy(
            "prematch_random", RandomRatePolicy(pre_rate, settings.seed), PREMATCH_STAKES, window
        )
        random_result = run_backtest(data, [random_pre], replace(config, evaluate_models=()), summarise=False).result
        eval_ms = inputs.eval_ms
        eval_bank = build_timelines(eval_ms, settings.seed + 1, n_variants=1)
        task_r = progress.add_task("live replay of unseen matches", total=len(rewards) + 2)
        replays = {}
        for i, reward in enumerate(rewards):
            name = live_name(reward)
            as_trained = replay_bank(live_nets[reward], eval_bank, reward=reward, seed=settings.seed)
            if reward == "mission":
                replays["live_ungated"] = as_trained
            replays[name] = as_trained if keep[name] else replay_policy(Abstain(), eval_bank, seed=settings.seed)
            progress.update(task_r, completed=i + 1)
        first_net = load_live_untrained(run.checkpoint("live"))
        replays["live_untrained"] = replay_bank(first_net, eval_bank, seed=settings.seed)
        replays["live_random"], live_rate = replay_random(eval_bank, len(replays["live"].bets), settings.seed)
        progress.update(task_r, completed=len(rewards) + 2)

    names = [*BASELINES, "prematch", other, "prematch_untrained", *(q_name(r) for r in rewards if r != "mission"),
             "prematch_ungated"]  # fmt: skip
    rows = window_runs(result, names, start, seed=settings.seed)
    rows["prematch_random"] = window_runs(random_result, ["prematch_random"], start, seed=settings.seed)[
        "prematch_random"
    ]
    initial = config.initial_bankroll
    pre_sleeve = sleeve_from_backtest("prematch", result.strategies["prematch"].bets, initial)
    pre_sleeve.bets = [b for b in pre_sleeve.bets if b.day >= start.date()]
    live_sleeves = {
        name: sleeve_from_replay(name, replay, eval_ms.kickoff, eval_ms.match_id) for name, replay in replays.items()
    }
    days = eval_days(start, [b.day for b in pre_sleeve.bets], *[[b.day for b in s.bets] for s in live_sleeves.values()],
                     [d.astype("datetime64[D]").item() for d in eval_ms.kickoff])  # fmt: skip
    for name, sleeve in live_sleeves.items():
        rows[name] = sleeve_metrics(sleeve, initial, days, settings.seed)
    hrl_sleeves = {"prematch": pre_sleeve, "live": live_sleeves["live"]}
    shares, trace = run_manager(hrl_sleeves, days, initial, settings.manager, max_drawdown=settings.max_drawdown)
    rows["hrl"] = portfolio_metrics(hrl_sleeves, shares, initial, days, settings.seed)
    ucb_shares, ucb_trace = run_manager(
        hrl_sleeves, days, initial, settings.reference_manager, max_drawdown=settings.max_drawdown
    )
    rows["hrl_ucb"] = portfolio_metrics(hrl_sleeves, ucb_shares, initial, days, settings.seed)
    run_id = record_hrl_run(
        engine,
        hrl_sleeves,
        shares,
        initial,
        days,
        name=f"hrl {run.path.name} · eval {', '.join(eval_seasons)}",
        config={"train_seasons": train_seasons, "eval_seasons": eval_seasons, "settings": settings.as_dict()},
        metrics=rows["hrl"],
    )
    _write_manager_log(run.path / "manager.csv", trace.days)
    agents = [
        "prematch", other, *(q_name(r) for r in rewards if r != "mission"), *map(live_name, rewards), "hrl", "hrl_ucb"
    ]  # fmt: skip
    lines = verdict(rows, agents)
    summary = {
        "train_seasons": train_seasons,
        "eval_seasons": eval_seasons,
        "leagues": leagues or data.leagues,
        "settings": settings.as_dict(),
        "strategies": rows,
        "verdict": lines,
        # per worker: its figures on the held-out training matches and what was deployed on the evaluation seasons
        "selection": {
            "validation": validation,
            "select_on_validation": settings.select_on_validation,
            "workers": {name: deployment(g, keep[name]) for name, g in gates.items()},
        },
        "controls": {
            "prematch_worker": chosen,
            "prematch_betting_rate": pre_rate,
            "prematch_decisions": prematch.decisions,
            "live_random_rate_per_minute": live_rate,
            # bets each live policy placed in the replay (the rows count what the shared bankroll's risk chain
            # then let through, which differs when one policy crowds its bets into fewer matches)
            "live_replay_bets": len(replays["live"].bets),
            "live_random_replay_bets": len(replays["live_random"].bets),
        },
        "manager": {
            "variant": settings.manager.variant.value,
            "leads": trace.leads,
            "mean_shares": trace.mean_shares,
            "final_indices": trace.final_indices,
            "reference": {"variant": settings.reference_manager.variant.value, "mean_shares": ucb_trace.mean_shares},
        },
        "training": {k: v[-1] if v else None for k, v in histories.items()},
        "curves": {k: learning_curve(v) for k, v in histories.items()},
        "reward_ablation": {
            r: {
                "live": {
                    "final_training_return": (histories["live" if r == "mission" else "live-log-wealth"] or [{}])[
                        -1
                    ].get("episode_return_mean"),
                    "eval": rows[live_name(r)],
                },
                "prematch-q": {"eval": rows["prematch" if r == "mission" and chosen == "prematch-q" else q_name(r)]},
            }
            for r in rewards
        },
        "run_dir": str(run.path),
        "run_id": run_id,
    }
    print_report(summary, console)
    (run.path / "evaluation.json").write_text(json.dumps(json_ready(summary), indent=2, default=str))
    return json_ready(summary)


#: The pre-match algorithms; ``HRLSettings.hrl_prematch`` picks the one the manager runs (row ``prematch``).
PREMATCH_WORKERS = ("prematch-q", "prematch-dqn")
#: Points kept per learning curve in the JSON (the run directory's CSV logs keep every row).
CURVE_POINTS = 50


def act_of(worker: Any) -> Callable[[np.ndarray, np.ndarray], int]:
    """A pre-match worker's greedy policy as ``policy(obs, mask)``."""
    return lambda obs, mask: worker.act(obs, mask)


def deployment(gate: Gate, kept: bool) -> dict[str, Any]:
    """A worker's validation figures, the gate's choice (``validation_choice``) and what was deployed."""
    return gate.as_dict() | {"validation_choice": gate.deployed, "deployed": TRAINED if kept else ABSTAIN}


def validation_facts(fit: Any, held: Any, fraction: float) -> dict[str, Any]:
    """What the validation split was, for the manifest and the report."""
    day = np.datetime_as_string(np.asarray(held.kickoff).min(), unit="D")
    return {"fraction": fraction, "fit_matches": len(fit), "validation_matches": len(held), "validation_from": day}


def live_name(reward: str) -> str:
    """Row of the live worker trained with ``reward`` (the mission reward's is ``live``)."""
    return "live" if reward == "mission" else f"live ({reward})"


def learning_curve(history: Sequence[dict[str, Any]], points: int = CURVE_POINTS) -> list[dict[str, Any]]:
    """At most ``points`` evenly spaced rows of a training log (always the first and the last)."""
    if len(history) <= points:
        return list(history)
    idx = np.unique(np.linspace(0, len(history) - 1, points).round().astype(int))
    return [history[i] for i in idx]


def _progress(console: Console) -> Progress:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
    )
    return Progress(*columns, console=console)


def train_single(
    agent: str, engine: Engine, settings: HRLSettings, run: RunDir, reward: str, console: Console
) -> dict[str, Any]:
    """One worker (``live``, ``prematch-q`` or ``prematch-dqn``) on the training seasons; returns its last log row.

    Without explicit training seasons the latest season is held out, so a later ``--agent hrl`` evaluation on
    it stays honest.
    """
    train = list(settings.train_seasons) if settings.train_seasons else split_seasons(engine, settings)[0]
    run.write_manifest(settings.as_dict() | {"agent": agent, "reward": reward, "train": train})
    console.print(f"training {agent} on {', '.join(train)} with the {reward} reward → {run.path}")
    matches = load_training_matches(engine, settings.leagues, train)
    with _progress(console) as progress:
        task = progress.add_task(agent, total=1)

        def update(done: float, total: float, text: str) -> None:
            progress.update(task, completed=done, total=total, description=text)

        if agent == "live":
            bank = build_timelines(matches, settings.seed)
            live = settings.live_settings(reward)
            history = train_live(bank, run, live, resume=settings.resume, progress=update)[1]
        elif agent == "prematch-q":
            pre = PrematchSettings(
                episodes=settings.q_episodes,
                reward=reward,
                seed=settings.seed,
                hyperparameters=settings.hyperparameters,
            )
            history = train_prematch_q(matches, run, pre, resume=settings.resume, progress=update)[1]
        elif agent == "prematch-dqn":
            pre = PrematchSettings(timesteps=settings.dqn_steps, reward=reward, seed=settings.seed)
            history = train_prematch_dqn(matches, run, pre, resume=settings.resume, progress=update)[1]
        else:
            raise ValueError(f"unknown agent {agent!r}")
    last = history[-1] if history else {}
    console.print(f"done: {len(history)} log rows; checkpoint {run.checkpoint(agent)}; last: {last}")
    return {"agent": agent, "train_seasons": train, "run_dir": str(run.path), "log_rows": len(history), "last": last}


def q_name(reward: str) -> str:
    """Strategy name of the tabular-Q worker trained with ``reward`` (the mission reward is the default)."""
    return "prematch-q" if reward == "mission" else f"prematch-q ({reward})"


def _write_manager_log(path: Path, days: list[dict[str, Any]]) -> None:
    """The manager's day-by-day decisions (state, UCB indices, shares, portfolio equity) for inspection."""
    import csv

    if not days:
        return
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(days[0]))
        writer.writeheader()
        writer.writerows(days)


def print_report(summary: dict[str, Any], console: Console) -> None:
    from betfolio.backtest.table import strategy_table

    title = (
        f"Agents vs baselines — trained on {', '.join(summary['train_seasons'])}, "
        f"evaluated on unseen {', '.join(summary['eval_seasons'])}"
    )
    console.print(strategy_table(summary, title=title))
    leads = summary["manager"]["leads"]
    shares = summary["manager"]["mean_shares"]
    console.print(
        "HRL manager: lead worker on "
        + ", ".join(f"{w} {n} days (mean share {shares[w]:.0%})" for w, n in leads.items())
    )
    for line in selection_lines(summary["selection"]):
        console.print(line)
    for line in summary["verdict"]:
        console.print(f"[bold]•[/bold] {line}")
    console.print("In-play bets have no closing line, so CLV is only defined for pre-match bets.")


def selection_lines(selection: dict[str, Any]) -> list[str]:
    """What each worker showed on the held-out training matches and what was deployed because of it."""
    v = selection["validation"]
    lines = [
        f"Validation on the latest {v['validation_matches']} training matches (from {v['validation_from']}; "
        "the workers trained on the earlier ones): the trained policy is deployed only if its ROI beats "
        "abstaining beyond bootstrap noise."
    ]
    for name, g in selection["workers"].items():
        if g["roi"] is None:
            figures = "no bets"
        else:
            figures = f"{g['bets']} bets, ROI {g['roi']:+.1%}"
            if g["roi_ci_low"] is not None:
                figures += f" [{g['roi_ci_low']:+.1%}, {g['roi_ci_high']:+.1%}]"
        lines.append(f"  {name}: {figures} → {'trained policy' if g['deployed'] == 'trained' else 'abstains'}")
    return lines


# --- several training seeds -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SeedTask:
    """One seed's training and evaluation, as plain data so any process (or Ray worker) can run it.

    No engine or connection inside: the worker opens the store from ``db_url`` itself, so the task pickles and the
    same task gives the same numbers wherever it runs.
    """

    settings: HRLSettings
    seed: int
    db_url: str
    run_dir: str  # this seed's run directory (checkpoints, logs, evaluation.json)
    #: File of the run's seed-independent inputs (:mod:`betfolio.jobs.seed_inputs`); "" or unreadable: built here.
    inputs: str = ""


@dataclass(frozen=True)
class SeedFailure:
    """A seed that crashed: the others still count, and the report says which seed failed and why."""

    seed: int
    error: str
    traceback: str = ""


SeedResult = dict[str, Any]
SeedFn = Callable[[SeedTask], SeedResult]
#: Runs ``fn`` on every task and returns, in task order, each result or the failure of its seed.
SeedMapper = Callable[[SeedFn, Sequence[SeedTask]], list[SeedResult | SeedFailure]]


def train_and_evaluate_seed(task: SeedTask) -> SeedResult:
    """Train every worker for ``task.seed`` on the training seasons and evaluate on the held-out seasons.

    Torch runs on one thread while the seed trains: float reductions then happen in one order whatever the
    machine's thread count, which keeps a seed's numbers identical in this process, a process pool or a Ray
    worker (and several seeds in parallel do not oversubscribe the cores).
    """
    import torch

    from betfolio.jobs.seed_inputs import load_seed_inputs
    from betfolio.store.engine import make_engine

    settings = replace(task.settings, seed=task.seed)
    # A task sent to a cluster carries no URL: it comes through the worker's environment (see scale.seeds).
    db_url = task.db_url or os.environ.get("BETFOLIO_DATABASE_URL", "")
    if not db_url:
        raise ValueError(f"seed {task.seed}: no database URL (the task has none and BETFOLIO_DATABASE_URL is unset)")
    engine = make_engine(db_url)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    started = time.perf_counter()
    cpu = time.process_time()
    log.info("seed %d: training and evaluation start (%s)", task.seed, task.run_dir)
    try:
        quiet = Console(file=io.StringIO(), width=160)
        inputs = load_seed_inputs(task.inputs, settings)
        summary = run_hrl(engine, settings, RunDir.named(Path(task.run_dir)), quiet, inputs)
    finally:
        torch.set_num_threads(threads)
        engine.dispose()
    summary["seed"] = task.seed
    summary["seconds"] = round(time.perf_counter() - started, 1)
    summary["cpu_seconds"] = round(time.process_time() - cpu, 1)
    # "shared": the run's seed-independent inputs were read from its file; "built": this seed built its own
    summary["inputs"] = "shared" if inputs is not None else "built"
    log.info("seed %d: done in %.1f s", task.seed, summary["seconds"])
    return summary


def seed_results(tasks: Sequence[SeedTask], results: Sequence[Any]) -> list[SeedResult | SeedFailure]:
    """A task mapper's results (:mod:`betfolio.scale.tasks`) as a seed mapper's: each failed task becomes the
    :class:`SeedFailure` of its seed."""
    from betfolio.scale.tasks import TaskFailure

    return [
        SeedFailure(tasks[r.index].seed, r.error, r.traceback) if isinstance(r, TaskFailure) else r for r in results
    ]


def sequential_seeds(fn: SeedFn, tasks: Sequence[SeedTask]) -> list[SeedResult | SeedFailure]:
    """The default seed mapper: one seed after the other in this process (the task runner's
    :func:`~betfolio.scale.tasks.sequential_map`); a crashing seed becomes a :class:`SeedFailure`, logged with
    its traceback, and the others continue (one seed's crash must not lose the others' hours of training)."""
    from betfolio.scale.tasks import sequential_map

    out = seed_results(tasks, sequential_map(fn, tasks, describe=lambda t: f"seed {t.seed}"))
    for failure in out:
        if isinstance(failure, SeedFailure):
            log.error("seed %d failed\n%s", failure.seed, failure.traceback)
    return out


def seed_tasks(settings: HRLSettings, seeds: Sequence[int], db_url: str, run_root: Path) -> list[SeedTask]:
    """One task per seed, each with its own run directory ``run_root/seed-<n>``."""
    if not seeds:
        raise ValueError("at least one seed is needed")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct, got {list(seeds)}")
    return [SeedTask(settings, int(s), db_url, str(Path(run_root) / f"seed-{int(s)}")) for s in seeds]


def run_multi_seed(
    settings: HRLSettings,
    seeds: Sequence[int],
    db_url: str,
    run_root: Path,
    *,
    map_seeds: SeedMapper = sequential_seeds,
) -> dict[str, Any]:
    """Train and evaluate every seed through ``map_seeds`` and gather THE evaluation JSON.

    The per-seed work is :func:`train_and_evaluate_seed`, a top-level function of a picklable task, so a mapper
    may run the seeds anywhere (sequentially, a process pool, Ray tasks); the gathered numbers are the same
    whatever the mapper. With several seeds, what does not depend on the seed is built once first
    (:func:`shared_inputs`) and read by every seed, which then reports the same rows as if it had built it.
    Seeds that fail are listed under ``failures``; if every seed fails, ``ValueError``.
    """
    from betfolio.agents.seeds import gather_seeds

    tasks = seed_tasks(settings, seeds, db_url, run_root)
    Path(run_root).mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    shared = shared_inputs(settings, db_url, Path(run_root)) if len(tasks) > 1 else None
    try:
        tasks = [replace(t, inputs=str(shared.path)) for t in tasks] if shared else tasks
        results = map_seeds(train_and_evaluate_seed, tasks)
    finally:
        if shared:
            shared.path.unlink(missing_ok=True)
    if len(results) != len(tasks):
        raise RuntimeError(f"the seed mapper returned {len(results)} results for {len(tasks)} seeds")
    done = [r for r in results if not isinstance(r, SeedFailure)]
    failures = [r for r in results if isinstance(r, SeedFailure)]
    if not done:
        reasons = "; ".join(f"seed {f.seed}: {f.error}" for f in failures)
        raise ValueError(f"every seed failed ({reasons})")
    summary = gather_seeds(done)
    summary["failures"] = [{"seed": f.seed, "error": f.error} for f in failures]
    summary["seconds"] = round(time.perf_counter() - started, 1)
    summary["shared_inputs"] = shared.as_dict() if shared else None
    summary["run_dir"] = str(run_root)
    summary = json_ready(summary)
    (Path(run_root) / "evaluation.json").write_text(json.dumps(summary, indent=2, default=str))
    return summary


@dataclass(frozen=True)
class SharedInputs:
    """The seed-independent inputs one multi-seed run built for its seeds: their file and what building took."""

    path: Path
    seconds: float
    cpu_seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {"seconds": self.seconds, "cpu_seconds": self.cpu_seconds}


def shared_inputs(settings: HRLSettings, db_url: str, run_root: Path) -> SharedInputs | None:
    """Build the seeds' common inputs once (:mod:`betfolio.jobs.seed_inputs`) into ``run_root``.

    None when they cannot be built here (no database URL on this side of a cluster, seasons that do not split, a
    database that cannot be read): every seed then builds its own and reports its own error, as a run without
    sharing would."""
    from betfolio.jobs.seed_inputs import SEED_INPUTS_FILE, prepare_seed_inputs, save_seed_inputs
    from betfolio.store.engine import make_engine

    url = db_url or os.environ.get("BETFOLIO_DATABASE_URL", "")
    if not url:
        return None
    started, cpu = time.perf_counter(), time.process_time()
    engine = make_engine(url)
    try:
        inputs = prepare_seed_inputs(engine, settings)
    except Exception as exc:  # the seeds then meet the same problem and each reports it as its failure
        log.warning("the seeds build their own inputs: %s", exc)
        return None
    finally:
        engine.dispose()
    path = save_seed_inputs(inputs, run_root / SEED_INPUTS_FILE)
    seconds, cpu_seconds = round(time.perf_counter() - started, 1), round(time.process_time() - cpu, 1)
    log.info("seed-independent inputs built once for every seed in %.1f s (%.1f s CPU)", seconds, cpu_seconds)
    return SharedInputs(path, seconds, cpu_seconds)


def print_seed_report(summary: dict[str, Any], console: Console) -> None:
    """The mean-over-seeds table, the spread across seeds beside each seed's interval, and the counted verdict."""
    from rich.table import Table

    from betfolio.backtest.table import strategy_table

    seeds = summary["seeds"]
    title = (
        f"Agents vs baselines — trained on {', '.join(summary['train_seasons'])}, evaluated on unseen "
        f"{', '.join(summary['eval_seasons'])} — mean over {len(seeds)} seed(s)"
    )
    console.print(strategy_table(summary, title=title))
    spread = Table(title="ROI across seeds beside each seed's bootstrap 95% interval")
    for col in ("strategy", "ROI mean", "ROI std", "range", *(f"seed {s}" for s in seeds)):
        spread.add_column(col, justify="left" if col == "strategy" else "right")
    for name, row in summary["spread"].items():
        roi = row["roi"]
        cells = {p["seed"]: p for p in row["per_seed"]}
        per_seed = []
        for s in seeds:
            p = cells.get(s)
            if p is None or p["roi"] is None:
                per_seed.append("—")
            elif p["roi_ci_low"] is None:
                per_seed.append(f"{p['roi']:+.1%}")
            else:
                per_seed.append(f"{p['roi']:+.1%} [{p['roi_ci_low']:+.1%}, {p['roi_ci_high']:+.1%}]")
        if roi["n"]:
            head = [f"{roi['mean']:+.2%}", f"{roi['std']:.2%}", f"{roi['min']:+.1%} … {roi['max']:+.1%}"]
        else:
            head = ["—", "—", "—"]
        spread.add_row(name, *head, *per_seed)
    console.print(spread)
    for failure in summary.get("failures", []):
        console.print(f"[red]seed {failure['seed']} failed[/red]: {failure['error']}")
    for line in summary["verdict"]:
        console.print(f"[bold]•[/bold] {line}")
    console.print("In-play bets have no closing line, so CLV is only defined for pre-match bets.")
