"""DQN pre-match worker (Stable-Baselines3) over the full pre-match feature vector (values + mask).

Why SB3 here but a hand-written PPO for the live worker: the pre-match problem is small (one decision per
match, feed-forward Q-networks), so SB3's DQN loop — replay buffer, ε-greedy schedule, target network — is
kept. Its one gap is action masking; at decision time :meth:`DQNWorker.act` masks invalid actions, and during
training the environment treats an invalid action as "no bet".

Discount: ``gamma = 0`` by default for the same reason as the tabular worker — a pre-match bet settles before
the next decision and a 5 %-capped stake barely moves the next state, so the problem is a contextual bandit and
bootstrapping from the next match only adds variance (see docs/agents.md).

SB3's plain DQN bet on every match of the planted benchmark (capture ≈ −0.3): nine free bet outputs against a
"no bet" estimate, all within approximation error of each other. :class:`EnsembleDQN` keeps SB3's DQN as the
learner and changes what its Q-network is and how it is fitted (the network in
:mod:`betfolio.agents.prematch.ensemble`): no bet anchored at exactly 0, one value per selection per unit of
stake when rewards are proportional to the stake, an ensemble of heads each fitted on its own bootstrap share of
the replay buffer, bets ranked by the ensemble's lower bound when acting and its upper bound when exploring. The
loss is the squared error, not SB3's Huber loss: with ``gamma = 0`` the target is the bet's own return, whose
*mean* is the value, and the Huber minimiser of a skewed return (a draw: −1 three times in four, +2.7 otherwise)
sits between its mean and its median — a bias larger than the 8 % edge to be found.

Checkpoints hold the Q-network weights and the config in the common checkpoint format (so a corrupt or
mismatched file fails with the same clear errors as the other agents; a checkpoint of the earlier single-network
layout is refused with a "retrain" message). The replay buffer is not saved: a resumed run refills it, which for
a contextual bandit costs a few hundred steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3 import DQN
from stable_baselines3.common.callbacks import BaseCallback

from betfolio.agents.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from betfolio.agents.prematch.ensemble import EnsembleDQNPolicy, EnsembleQNetwork

CHECKPOINT_KIND = "prematch-dqn"
#: The Q-network layout a checkpoint holds; 2 = the anchored, stake-shared ensemble (1 was a single MLP).
NETWORK_LAYOUT = 2


@dataclass(frozen=True, slots=True)
class DQNConfig:
    gamma: float = 0.0
    learning_rate: float = 1e-3
    buffer_size: int = 50_000
    learning_starts: int = 500
    batch_size: int = 64
    train_freq: int = 4
    target_update_interval: int = 500  # only matters with gamma > 0
    exploration_fraction: float = 0.2
    exploration_final_eps: float = 0.05
    net_arch: tuple[int, ...] = field(default=(64, 64))
    #: Ensemble size: their spread is the uncertainty the lower and upper bounds use.
    heads: int = 5
    #: Share of the replay buffer each head is fitted on (a fixed random subset per head: the bootstrap).
    bootstrap: float = 0.5
    #: Gaussian noise (in scaled units) added to the inputs while fitting: against memorising single matches,
    #: whose few noisy returns a network that can tell every match apart would otherwise fit.
    input_noise: float = 0.3
    #: Bounds are mean ± confidence × spread across heads; 0 acts on the plain mean. 0.3: at 0.5 one planted-edge
    #: seed in three never cleared 0 (bench learn, docs/agents.md).
    confidence: float = 0.3
    #: Stake fractions of the bet actions (selection-major). Given when the reward is proportional to the stake
    #: (profit): one value per selection, and every bet teaches all stake sizes. Empty: one output per bet action.
    stakes: tuple[float, ...] = ()
    seed: int = 1
    threads: int = 1  # small networks: a second thread mostly adds synchronisation cost on a busy 2-core CPU

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"net_arch": list(self.net_arch), "stakes": list(self.stakes)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DQNConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown DQN settings {unknown}")
        tuples = {k: tuple(data[k]) for k in ("net_arch", "stakes") if k in data}
        return cls(**dict(data) | tuples)


class EnsembleDQN(DQN):
    """SB3 DQN fitting each head of :class:`EnsembleQNetwork` on its bootstrap share with a squared-error loss."""

    policy: EnsembleDQNPolicy
    q_net: EnsembleQNetwork  # type: ignore[assignment]
    q_net_target: EnsembleQNetwork  # type: ignore[assignment]

    def __init__(self, *args: Any, bootstrap: float = 0.5, input_noise: float = 0.0, **kwargs: Any) -> None:
        self.bootstrap = bootstrap
        self.input_noise = input_noise
        self._boot: torch.Tensor | None = None
        self._inputs_fitted = False
        super().__init__(*args, **kwargs)

    def _fit_inputs(self) -> None:
        """Scale the networks' inputs on the warm-up samples (once; restored from a checkpoint after)."""
        upper = self.replay_buffer.buffer_size if self.replay_buffer.full else self.replay_buffer.pos
        sample = self.replay_buffer.observations[:upper, 0]
        self.q_net.fit_inputs(sample)
        self.q_net_target.load_state_dict(self.q_net.state_dict())
        self._inputs_fitted = True

    def train(self, gradient_steps: int, batch_size: int = 100) -> None:
        if not self._inputs_fitted:
            self._fit_inputs()
        if self._boot is None:  # a fixed random subset of buffer slots per head
            rng = np.random.default_rng(self.seed)
            self._boot = torch.as_tensor(rng.random((self.buffer_size, self.q_net.heads)) < self.bootstrap)
        self.policy.set_training_mode(True)
        self._update_learning_rate(self.policy.optimizer)
        weight = self.q_net.action_weight
        losses = []
        for _ in range(gradient_steps):
            upper = self.replay_buffer.buffer_size if self.replay_buffer.full else self.replay_buffer.pos
            slots = np.random.randint(0, upper, size=batch_size)
            data = self.replay_buffer._get_samples(slots, env=self._vec_normalize_env)
            actions = data.actions.long()  # [batch, 1]
            target = data.rewards.expand(-1, self.q_net.heads)  # [batch, heads]
            if self.gamma > 0:
                with torch.no_grad():
                    best_next = self.q_net_target.head_values(data.next_observations).max(dim=-1).values
                target = target + (1 - data.dones) * self.gamma * best_next
            values = self.q_net.head_values(data.observations, noise=self.input_noise)
            taken = values.gather(-1, actions[:, None, :].expand(-1, values.shape[1], 1)).squeeze(-1)
            # in units of the action's stake: a small bet's return teaches its selection as much as a large one's
            error = (taken - target) / weight[actions]
            use = self._boot[torch.as_tensor(slots)].to(error.dtype)
            if not self.q_net.learn_no_bet:  # Q(no bet) is exactly 0: its samples hold nothing to fit
                use = use * (actions > 0).to(error.dtype)
            loss = (use * error**2).sum() / use.sum().clamp(min=1.0)
            losses.append(loss.item())
            self.policy.optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.policy.parameters(), self.max_grad_norm)
            self.policy.optimizer.step()
        self._n_updates += gradient_steps
        self.logger.record("train/n_updates", self._n_updates, exclude="tensorboard")
        self.logger.record("train/loss", float(np.mean(losses)) if losses else float("nan"))


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
    """SB3 DQN over the ensemble Q-network, masked lower-bound decisions and Betfolio checkpoints."""

    def __init__(self, env: gym.Env, config: DQNConfig | None = None) -> None:
        self.config = config or DQNConfig()
        cfg = self.config
        torch.set_num_threads(cfg.threads)
        self.model = EnsembleDQN(
            EnsembleDQNPolicy,
            env,
            bootstrap=cfg.bootstrap,
            input_noise=cfg.input_noise,
            gamma=cfg.gamma,
            learning_rate=cfg.learning_rate,
            buffer_size=cfg.buffer_size,
            learning_starts=cfg.learning_starts,
            batch_size=cfg.batch_size,
            train_freq=cfg.train_freq,
            target_update_interval=cfg.target_update_interval,
            exploration_fraction=cfg.exploration_fraction,
            exploration_final_eps=cfg.exploration_final_eps,
            policy_kwargs={
                "net_arch": list(cfg.net_arch),
                "heads": cfg.heads,
                "stakes": cfg.stakes,
                "learn_no_bet": cfg.gamma > 0,  # with gamma = 0 no bet is worth exactly its reward, 0
                "confidence": cfg.confidence,
            },
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
        """The ensemble's mean Q-values, ``[batch, actions]``."""
        return self.model.q_net(torch.as_tensor(np.atleast_2d(obs), dtype=torch.float32)).numpy()

    @torch.inference_mode()
    def lower_bounds(self, obs: np.ndarray) -> np.ndarray:
        """What :meth:`act` ranks: each bet's mean − confidence × spread across heads; no bet 0."""
        return self.model.q_net.bound(torch.as_tensor(np.atleast_2d(obs), dtype=torch.float32), -1.0).numpy()

    def act(self, obs: np.ndarray, action_mask: np.ndarray | None = None) -> int:
        """The valid action with the best lower bound: a bet must show evidence to displace no bet."""
        q = self.lower_bounds(obs)[0]
        if action_mask is not None:
            q = np.where(np.asarray(action_mask, dtype=bool), q, -np.inf)
        return int(np.argmax(q)) if np.isfinite(q).any() else 0

    def save(self, path: Path, feature_hash: str, extra: dict[str, Any] | None = None) -> Path:
        return save_checkpoint(
            path,
            kind=CHECKPOINT_KIND,
            feature_hash=feature_hash,
            payload={
                "network_layout": NETWORK_LAYOUT,
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
        layout = doc.get("network_layout", 1)
        if layout != NETWORK_LAYOUT:
            raise CheckpointError(
                path, f"holds Q-network layout {layout}, this version builds layout {NETWORK_LAYOUT} — retrain"
            )
        obs_dim, n_actions = int(np.prod(env.observation_space.shape)), int(env.action_space.n)
        if (doc["obs_dim"], doc["n_actions"]) != (obs_dim, n_actions):
            raise CheckpointError(
                path,
                f"made for {doc['obs_dim']} inputs / {doc['n_actions']} actions, "
                f"the environment has {obs_dim} / {n_actions}",
            )
        try:
            worker = cls(env, DQNConfig.from_dict(doc["config"]))
            worker.model.policy.load_state_dict(doc["policy"])
        except (TypeError, ValueError, RuntimeError) as exc:
            raise CheckpointError(path, f"its config or weights do not fit this DQN ({exc}) — retrain") from exc
        worker.model.num_timesteps = int(doc["num_timesteps"])
        worker.model._inputs_fitted = True  # the input scaling came with the weights
        return worker
