"""DQN pre-match worker (Stable-Baselines3) over the full pre-match feature vector (values + mask).

Why SB3 here but a hand-written PPO for the live worker: the pre-match problem is small (one decision per
match, a feed-forward Q-network), so SB3's DQN is fast enough and well tested. Its one gap is action masking;
at decision time :meth:`DQNWorker.act` masks invalid actions on the Q-values, and during training the
environment treats an invalid action as "no bet".

Discount: ``gamma = 0`` by default for the same reason as the tabular worker — a pre-match bet settles before
the next decision and a 5 %-capped stake barely moves the next state, so the problem is a contextual bandit and
bootstrapping from the next match only adds variance (see docs/agents.md).

Checkpoints hold the Q-network weights and the config in the common checkpoint format (so a corrupt or
mismatched file fails with the same clear errors as the other agents). The replay buffer is not saved: a
resumed run refills it, which for a contextual bandit costs a few hundred steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3 import DQN
from stable_baselines3.common.callbacks import BaseCallback

from betfolio.agents.checkpoint import CheckpointError, load_checkpoint, save_checkpoint

CHECKPOINT_KIND = "prematch-dqn"


@dataclass(frozen=True, slots=True)
class DQNConfig:
    gamma: float = 0.0
    learning_rate: float = 5e-4
    buffer_size: int = 50_000
    learning_starts: int = 500
    batch_size: int = 64
    train_freq: int = 4
    target_update_interval: int = 500
    exploration_fraction: float = 0.3
    exploration_final_eps: float = 0.05
    net_arch: tuple[int, ...] = field(default=(64, 64))
    seed: int = 1
    threads: int = 1  # small networks: a second thread mostly adds synchronisation cost on a busy 2-core CPU

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"net_arch": list(self.net_arch)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DQNConfig:
        return cls(**dict(data) | {"net_arch": tuple(data["net_arch"])})


class _Progress(BaseCallback):
    def __init__(self, every: int, report: Callable[[int, float], None]) -> None:
        super().__init__()
        self.every, self.report = every, report
        self.returns: list[float] = []

    def _on_step(self) -> bool:
        for info in self.locals.get("infos", []):
            episode = info.get("episode")
            if episode is not None:
                self.returns.append(float(episode["r"]))
        if self.num_timesteps % self.every == 0:
            recent = self.returns[-200:]
            self.report(self.num_timesteps, float(np.mean(recent)) if recent else float("nan"))
        return True


class DQNWorker:
    """SB3 DQN with masked greedy decisions and Betfolio checkpoints."""

    def __init__(self, env: gym.Env, config: DQNConfig | None = None) -> None:
        self.config = config or DQNConfig()
        cfg = self.config
        torch.set_num_threads(cfg.threads)
        self.model = DQN(
            "MlpPolicy",
            env,
            gamma=cfg.gamma,
            learning_rate=cfg.learning_rate,
            buffer_size=cfg.buffer_size,
            learning_starts=cfg.learning_starts,
            batch_size=cfg.batch_size,
            train_freq=cfg.train_freq,
            target_update_interval=cfg.target_update_interval,
            exploration_fraction=cfg.exploration_fraction,
            exploration_final_eps=cfg.exploration_final_eps,
            policy_kwargs={"net_arch": list(cfg.net_arch)},
            seed=cfg.seed,
            device="cpu",
            verbose=0,
        )

    @property
    def steps(self) -> int:
        return int(self.model.num_timesteps)

    def train(self, timesteps: int, on_progress: Callable[[int, float], None] | None = None, every: int = 1000) -> None:
        """Learn for ``timesteps`` more environment steps (continuing the step count after a resume)."""
        callback = _Progress(every, on_progress) if on_progress else None
        self.model.learn(total_timesteps=timesteps, callback=callback, reset_num_timesteps=False, progress_bar=False)

    @torch.inference_mode()
    def q_values(self, obs: np.ndarray) -> np.ndarray:
        tensor = torch.as_tensor(np.atleast_2d(obs), dtype=torch.float32)
        return self.model.q_net(tensor).numpy()

    def act(self, obs: np.ndarray, action_mask: np.ndarray | None = None) -> int:
        q = self.q_values(obs)[0]
        if action_mask is not None:
            q = np.where(np.asarray(action_mask, dtype=bool), q, -np.inf)
        return int(np.argmax(q)) if np.isfinite(q).any() else 0

    def save(self, path: Path, feature_hash: str, extra: dict[str, Any] | None = None) -> Path:
        return save_checkpoint(
            path,
            kind=CHECKPOINT_KIND,
            feature_hash=feature_hash,
            payload={
                "config": self.config.as_dict(),
                "policy": self.model.policy.state_dict(),
                "num_timesteps": self.steps,
                "obs_dim": int(np.prod(self.model.observation_space.shape)),
                "n_actions": int(self.model.action_space.n),
                "extra": extra or {},
            },
        )

    @classmethod
    def load(cls, path: Path, env: gym.Env, feature_hash: str) -> DQNWorker:
        doc = load_checkpoint(path, kind=CHECKPOINT_KIND, feature_hash=feature_hash)
        obs_dim, n_actions = int(np.prod(env.observation_space.shape)), int(env.action_space.n)
        if (doc["obs_dim"], doc["n_actions"]) != (obs_dim, n_actions):
            raise CheckpointError(
                path,
                f"made for {doc['obs_dim']} inputs / {doc['n_actions']} actions, "
                f"the environment has {obs_dim} / {n_actions}",
            )
        worker = cls(env, DQNConfig.from_dict(doc["config"]))
        worker.model.policy.load_state_dict(doc["policy"])
        worker.model.num_timesteps = int(doc["num_timesteps"])
        return worker
