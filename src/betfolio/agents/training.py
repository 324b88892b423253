"""Training runs: data from the store, one directory per run with checkpoints and CSV logs, resumable.

A run lives in ``<user data dir>/agents/<run name>/`` (``betfolio.store.engine.data_dir()``):

* ``live.pt`` / ``prematch-q.pt`` / ``prematch-dqn.pt`` — checkpoints (config, feature-set hash, progress);
* ``live.csv`` / ``prematch-q.csv`` / ``prematch-dqn.csv`` — one row per update / episode block, appended;
* ``run.json`` — what the run was asked to do (leagues, seasons, reward, seed).

Resuming (``resume=True``) loads the checkpoint and continues to the requested *total* number of steps, so
``betfolio train … --steps 400000 --resume`` after an interrupted 400k-step run finishes the remaining part.
A TensorBoard writer is used as well when the ``tensorboard`` package is installed (optional).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from betfolio.agents.hyperparams import Hyperparameters
from betfolio.agents.live.layout import live_layout
from betfolio.agents.live.network import MaskedAttentionLSTM, NetworkConfig
from betfolio.agents.live.ppo import LivePPOTrainer, PPOConfig
from betfolio.agents.prematch.dqn import DQNConfig, DQNWorker
from betfolio.agents.prematch.tabular import QConfig, TabularQAgent, prematch_feature_hash, prematch_reader
from betfolio.store.engine import data_dir

#: progress(done, total, description)
Progress = Callable[[float, float, str], None]


def runs_root() -> Path:
    path = data_dir() / "agents"
    path.mkdir(parents=True, exist_ok=True)
    return path


class CsvLog:
    """Append-only CSV log (header written once), mirrored to TensorBoard when available."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: Any = None
        try:  # optional dependency
            from torch.utils.tensorboard import SummaryWriter

            self._writer = SummaryWriter(str(path.parent / "tensorboard" / path.stem))
        except Exception:
            self._writer = None

    def write(self, row: dict[str, Any], step: int) -> None:
        new = not self.path.exists() or self.path.stat().st_size == 0
        with self.path.open("a", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(row))
            if new:
                writer.writeheader()
            writer.writerow(row)
        if self._writer is not None:
            for key, value in row.items():
                if isinstance(value, int | float) and np.isfinite(value):
                    self._writer.add_scalar(f"{self.path.stem}/{key}", value, step)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


@dataclass
class RunDir:
    path: Path

    @classmethod
    def named(cls, name: str | Path) -> RunDir:
        path = Path(name) if Path(name).is_absolute() else runs_root() / str(name)
        path.mkdir(parents=True, exist_ok=True)
        return cls(path)

    def checkpoint(self, agent: str) -> Path:
        return self.path / f"{agent}.pt"

    def log(self, agent: str, *, resume: bool) -> CsvLog:
        """The agent's CSV log; a fresh (non-resumed) training starts a fresh log."""
        path = self.path / f"{agent}.csv"
        if not resume:
            path.unlink(missing_ok=True)
        return CsvLog(path)

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        (self.path / "run.json").write_text(json.dumps(manifest, indent=2, default=str))


@dataclass
class LiveSettings:
    total_steps: int = 300_000
    n_envs: int = 256
    reward: str = "mission"
    seed: int = 1
    checkpoint_every: int = 10  # updates
    #: None: :meth:`PPOConfig.for_reward` — the credit settings that fit ``reward`` (γ = 0 for the per-bet
    #: ``bet_outcome``, γ = λ = 1 for rewards paid at settlement).
    ppo: PPOConfig | None = None
    #: Season-long episodes: the bankroll runs on across this many matches (the budget penalty can bite).
    season_matches: int = 380

    def __post_init__(self) -> None:
        if self.ppo is None:
            self.ppo = PPOConfig.for_reward(self.reward)


def _no_progress(_done: float, _total: float, _text: str) -> None:
    return None


def _live_trainer(bank: Any, settings: LiveSettings) -> LivePPOTrainer:
    from betfolio.sim.batched import BatchedLiveSim

    sim = BatchedLiveSim(settings.n_envs, seed=settings.seed, bank=bank, reward=settings.reward,
                         carry_bankroll=True, season_matches=settings.season_matches)  # fmt: skip
    base = settings.ppo or PPOConfig.for_reward(settings.reward)
    ppo = PPOConfig(**{**base.as_dict(), "seed": settings.seed, "network": NetworkConfig(
        **{**base.network.as_dict(), "n_actions": sim.n_actions})})  # fmt: skip
    return LivePPOTrainer(sim, live_layout(), ppo)


def train_live(
    bank: Any, run: RunDir, settings: LiveSettings, *, resume: bool = False, progress: Progress = _no_progress,
    tag: str = "live",
) -> tuple[MaskedAttentionLSTM, list[dict[str, Any]]]:  # fmt: skip
    """PPO on the batched simulator over ``bank`` (a :class:`betfolio.sim.timeline.TimelineBank`)."""
    trainer = _live_trainer(bank, settings)
    path = run.checkpoint(tag)
    if resume and path.exists():
        trainer.resume(path)
    log = run.log(tag, resume=resume)
    history: list[dict[str, Any]] = []

    def on_update(stats: Any) -> None:
        row = stats.as_dict() | {"reward": settings.reward}
        history.append(row)
        log.write(row, stats.global_step)
        progress(stats.global_step, settings.total_steps, f"{tag}: return {stats.episode_return_mean:+.3f}")
        if stats.update % settings.checkpoint_every == 0:
            trainer.save(path, extra={"reward": settings.reward})

    progress(trainer.global_step, settings.total_steps, tag)
    trainer.train(settings.total_steps, on_update)
    trainer.save(path, extra={"reward": settings.reward})
    log.close()
    return trainer.network, history


@dataclass
class PrematchSettings:
    episodes: int = 30  # seasons replayed (tabular)
    timesteps: int = 20_000  # environment steps (DQN)
    reward: str = "mission"
    seed: int = 1
    #: Tabular-Q hyperparameters over the defaults (``[prematch_q]`` of `betfolio train --config FILE`).
    hyperparameters: Hyperparameters = field(default_factory=Hyperparameters)


def _prematch_env(matches: Any, reward: str) -> Any:
    from betfolio.sim.envs import PreMatchBettingEnv

    return PreMatchBettingEnv(matches, reward=reward)


def train_prematch_q(
    matches: Any, run: RunDir, settings: PrematchSettings, *, resume: bool = False,
    progress: Progress = _no_progress, tag: str = "prematch-q",
) -> tuple[TabularQAgent, list[dict[str, Any]]]:  # fmt: skip
    env = _prematch_env(matches, settings.reward)
    path = run.checkpoint(tag)
    reader = prematch_reader()
    if resume and path.exists():
        agent = TabularQAgent.load(path, reader, prematch_feature_hash())
    else:
        decay = max(settings.episodes * 2 // 3, 1)
        agent = TabularQAgent(
            int(env.action_space.n),
            reader,
            settings.hyperparameters.q_config(QConfig(seed=settings.seed, epsilon_decay_episodes=decay)),
        )
    log = run.log(tag, resume=resume)
    history: list[dict[str, Any]] = []

    def on_episode(episode: int, total: float) -> None:
        row = {"episode": episode, "return": total, "epsilon": agent.epsilon, "reward": settings.reward,
               "states_visited": int((agent.visits.sum(-1) > 0).sum())}  # fmt: skip
        history.append(row)
        log.write(row, episode)
        progress(episode, settings.episodes, f"{tag}: return {total:+.3f}")

    remaining = max(settings.episodes - agent.episodes, 0)
    progress(agent.episodes, settings.episodes, tag)
    agent.train(env, remaining, on_episode)
    agent.save(path, prematch_feature_hash(), extra={"reward": settings.reward})
    log.close()
    return agent, history


def train_prematch_dqn(
    matches: Any, run: RunDir, settings: PrematchSettings, *, resume: bool = False,
    progress: Progress = _no_progress, tag: str = "prematch-dqn",
) -> tuple[DQNWorker, list[dict[str, Any]]]:  # fmt: skip
    env = _prematch_env(matches, settings.reward)
    path = run.checkpoint(tag)
    if resume and path.exists():
        worker = DQNWorker.load(path, env, prematch_feature_hash())
    else:
        worker = DQNWorker(env, DQNConfig(seed=settings.seed, learning_starts=min(500, settings.timesteps // 10)))
    log = run.log(tag, resume=resume)
    history: list[dict[str, Any]] = []

    def on_progress(steps: int, mean_return: float) -> None:
        row = {"timesteps": steps, "episode_return_mean": mean_return, "reward": settings.reward}
        history.append(row)
        log.write(row, steps)
        progress(steps, settings.timesteps, f"{tag}: season return {mean_return:+.3f}")

    remaining = max(settings.timesteps - worker.steps, 0)
    progress(worker.steps, settings.timesteps, tag)
    if remaining:
        worker.train(remaining, on_progress, every=max(remaining // 20, 100))
    worker.save(path, prematch_feature_hash(), extra={"reward": settings.reward})
    log.close()
    return worker, history


def untrained_prematch(kind: str, matches: Any, settings: PrematchSettings) -> TabularQAgent | DQNWorker:
    """The pre-match worker ``kind`` (``prematch-q`` / ``prematch-dqn``) as training would start it (same seed),
    untrained: an all-zero Q table (it never bets) or a randomly initialised Q network."""
    env = _prematch_env(matches, settings.reward)
    if kind == "prematch-q":
        return TabularQAgent(
            int(env.action_space.n), prematch_reader(), settings.hyperparameters.q_config(QConfig(seed=settings.seed))
        )
    if kind == "prematch-dqn":
        return DQNWorker(env, DQNConfig(seed=settings.seed, learning_starts=min(500, settings.timesteps // 10)))
    raise ValueError(f"unknown pre-match worker {kind!r} (prematch-q or prematch-dqn)")


def load_training_matches(engine: Any, leagues: Sequence[str] | None, seasons: Sequence[str]) -> Any:
    """The replayable matches of ``seasons`` from the store (a :class:`betfolio.sim.episodes.MatchSet`)."""
    from betfolio.sim.episodes import load_matchset

    return load_matchset(engine, leagues=list(leagues) if leagues else None, seasons=list(seasons))


def build_timelines(matches: Any, seed: int, n_variants: int = 2) -> Any:
    from betfolio.sim.timeline import build_bank

    return build_bank(matches, n_variants=n_variants, seed=seed)
