"""Masked recurrent PPO for the live worker, in the single-file spirit of CleanRL's ``ppo_atari_lstm.py``.

Differences from the CleanRL template, and why:

* **Action masking in rollout and update.** Invalid actions (market suspended, no price, stake limit reached)
  get a large negative logit both when sampling and when recomputing log-probabilities and entropy during the
  update; otherwise the ratio would be computed against a distribution the policy never sampled from.
* **Whole-match sequences.** CleanRL replays the rollout minute by minute in Python to reset the LSTM at
  episode boundaries. Here the rollout is cut into segments at episode starts; each segment starts from a zero
  state (a new match) or from the stored state at the rollout start, and all segments of a minibatch go through
  one fused ``nn.LSTM`` call, padded and loss-masked. This is what makes the trainer fast on two CPU cores.
* **Vector env with auto-reset and action masks** (``betfolio.sim.BatchedLiveSim`` contract):
  ``reset() -> (obs, action_mask)``, ``step(a) -> (obs, reward, terminated, truncated, action_mask, info)``.
  Truncated episodes are treated as ended (matches end; truncation only happens at a data cut-off).

Everything is seeded; checkpoints hold the config, the feature layout hash, optimizer and RNG state.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn

from betfolio.agents.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from betfolio.agents.live.layout import TokenLayout
from betfolio.agents.live.network import LivePolicy, MaskedAttentionLSTM, NetworkConfig, masked_logits
from betfolio.sim.reward import PER_BET_REWARDS

CHECKPOINT_KIND = "live-ppo"


class BatchedEnv(Protocol):
    """What the trainer needs from a vectorised environment (auto-resetting, with action masks)."""

    n_envs: int

    def reset(self) -> tuple[np.ndarray, np.ndarray]: ...

    def step(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]: ...


@dataclass(frozen=True, slots=True)
class PPOConfig:
    """Defaults: the recipe measured on the planted live edge (``betfolio bench learn``, docs/agents.md) for the
    per-bet credit reward ``bet_outcome``; :meth:`for_reward` gives the credit settings of the other rewards."""

    #: Minutes per env per rollout. 90 = one match: episodes that start together stay aligned with rollouts, so
    #: every segment is a whole match with no padding and no carried state (fastest update).
    num_steps: int = 90
    #: 3e-3 with 8 epochs: KL ≈ 1e-3 per update; at 1e-3 × 4 epochs the bet rate collapsed to 0 before the
    #: policy told signalled minutes from the rest (measured, docs/agents.md).
    learning_rate: float = 3e-3
    #: γ = λ = 0: with ``bet_outcome`` a bet's whole outcome is its own reward at its own minute, so the
    #: advantage is that outcome minus the critic — no later minute's noise. See :meth:`for_reward`.
    gamma: float = 0.0
    gae_lambda: float = 0.0
    num_minibatches: int = 4
    update_epochs: int = 8
    clip_coef: float = 0.2
    ent_coef: float = 0.01
    vf_coef: float = 0.5
    max_grad_norm: float = 0.5
    norm_adv: bool = True
    reward_clip: float = 10.0  # guards against the mission reward's blow-ups; 0 disables
    seed: int = 1
    threads: int = 1  # see docs/agents.md: one thread is as fast or faster for these small nets under load
    network: NetworkConfig = field(default_factory=NetworkConfig)

    @classmethod
    def for_reward(cls, reward: str, **overrides: Any) -> PPOConfig:
        """The credit settings that fit ``reward``: γ = λ = 0 for the per-bet rewards (``bet_outcome``,
        ``mission_bet``: paid at the bet's minute);
        γ = λ = 1 for rewards paid later in the match (settlement, mark-to-market), so a bet's outcome reaches
        the minute it was placed undiscounted — 0.995⁸⁹ × 0.95⁸⁹ left it 0.7 % of its outcome."""
        credit = {} if reward in PER_BET_REWARDS else {"gamma": 1.0, "gae_lambda": 1.0}
        return cls(**{**credit, **overrides})

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["network"] = self.network.as_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PPOConfig:
        data = dict(data)
        network = NetworkConfig(**data.pop("network"))
        return cls(**data, network=network)


@dataclass(slots=True)
class UpdateStats:
    """What one PPO update reports (one CSV log row)."""

    update: int
    global_step: int
    steps_per_second: float
    episodes: int
    episode_return_mean: float
    episode_length_mean: float
    policy_loss: float
    value_loss: float
    entropy: float
    approx_kl: float
    clip_fraction: float
    explained_variance: float
    bet_rate: float

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


@dataclass(slots=True)
class _Segments:
    env: np.ndarray
    start: np.ndarray
    length: np.ndarray
    h0: torch.Tensor  # [1, S, H]
    c0: torch.Tensor


class LivePPOTrainer:
    """Owns the network, the optimizer and the rollout buffers for one batched environment."""

    def __init__(self, env: BatchedEnv, layout: TokenLayout, config: PPOConfig | None = None) -> None:
        self.config = config or PPOConfig()
        self.env = env
        self.layout = layout
        cfg = self.config
        torch.set_num_threads(cfg.threads)
        torch.manual_seed(cfg.seed)
        self.generator = torch.Generator().manual_seed(cfg.seed)  # action sampling: private, so runs don't interfere
        self.rng = np.random.default_rng(cfg.seed)
        self.network = initial_network(layout, cfg)
        self.optimizer = torch.optim.Adam(self.network.parameters(), lr=cfg.learning_rate, eps=1e-5)
        self.global_step = 0
        self.updates = 0
        n, t = env.n_envs, cfg.num_steps
        self.obs = torch.zeros(t, n, layout.obs_dim)
        self.masks = torch.zeros(t, n, cfg.network.n_actions, dtype=torch.bool)
        self.actions = torch.zeros(t, n, dtype=torch.long)
        self.logprobs = torch.zeros(t, n)
        self.rewards = torch.zeros(t, n)
        self.dones = torch.zeros(t, n)
        self.values = torch.zeros(t, n)
        self._next: tuple[torch.Tensor, torch.Tensor, torch.Tensor, tuple[torch.Tensor, torch.Tensor]] | None = None
        self._episode_return = np.zeros(n)
        self._episode_length = np.zeros(n, dtype=np.int64)

    # -- environment interaction ---------------------------------------------------------------------------
    def _start(self) -> None:
        obs, mask = self.env.reset()
        self._check_obs(obs, mask)
        n = self.env.n_envs
        self._next = (
            torch.as_tensor(obs, dtype=torch.float32),
            torch.as_tensor(mask, dtype=torch.bool),
            torch.ones(n),  # every env starts a new match
            self.network.initial_state(n),
        )

    def _check_obs(self, obs: np.ndarray, mask: np.ndarray) -> None:
        n = self.env.n_envs
        if obs.shape != (n, self.layout.obs_dim):
            raise ValueError(
                f"environment observations have shape {obs.shape}, the live worker expects "
                f"({n}, {self.layout.obs_dim}) for feature set {self.layout.feature_hash()}"
            )
        if mask.shape != (n, self.config.network.n_actions):
            raise ValueError(f"action mask shape {mask.shape}, expected ({n}, {self.config.network.n_actions})")

    @torch.inference_mode()
    def collect(self) -> tuple[list[float], list[int], _Segments, torch.Tensor, torch.Tensor]:
        """Run ``num_steps`` minutes in every env; returns finished-episode stats, segments and GAE targets."""
        if self._next is None:
            self._start()
        assert self._next is not None
        next_obs, next_mask, next_done, state = self._next
        initial_state = (state[0].clone(), state[1].clone())
        returns_done: list[float] = []
        lengths_done: list[int] = []
        clip = self.config.reward_clip
        for step in range(self.config.num_steps):
            self.obs[step] = next_obs
            self.masks[step] = next_mask
            self.dones[step] = next_done
            keep = (1.0 - next_done).view(1, -1, 1)
            state = (state[0] * keep, state[1] * keep)  # a new match starts with an empty memory
            logits, value, state = self.network.step(next_obs, state)
            dist = torch.distributions.Categorical(logits=masked_logits(logits, next_mask))
            action = torch.multinomial(dist.probs, 1, generator=self.generator).squeeze(-1)
            self.actions[step] = action
            self.logprobs[step] = dist.log_prob(action)
            self.values[step] = value
            obs, reward, terminated, truncated, mask, _info = self.env.step(action.numpy())
            reward = np.asarray(reward, dtype=np.float64)
            if not np.all(np.isfinite(reward)):
                raise FloatingPointError(f"environment returned non-finite rewards at step {self.global_step}")
            done = np.logical_or(terminated, truncated)
            self._episode_return += reward
            self._episode_length += 1
            if done.any():
                returns_done.extend(self._episode_return[done].tolist())
                lengths_done.extend(self._episode_length[done].tolist())
                self._episode_return[done] = 0.0
                self._episode_length[done] = 0
            if clip:
                reward = np.clip(reward, -clip, clip)
            self.rewards[step] = torch.as_tensor(reward, dtype=torch.float32)
            next_obs = torch.as_tensor(obs, dtype=torch.float32)
            next_mask = torch.as_tensor(mask, dtype=torch.bool)
            next_done = torch.as_tensor(done, dtype=torch.float32)
            self.global_step += self.env.n_envs
        keep = (1.0 - next_done).view(1, -1, 1)
        _, next_value, _ = self.network.step(next_obs, (state[0] * keep, state[1] * keep))
        self._next = (next_obs, next_mask, next_done, state)
        advantages, returns = self._gae(next_value, next_done)
        return returns_done, lengths_done, self._segments(initial_state), advantages, returns

    def _gae(self, next_value: torch.Tensor, next_done: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        cfg = self.config
        advantages = torch.zeros_like(self.rewards)
        last = torch.zeros(self.env.n_envs)
        for t in reversed(range(cfg.num_steps)):
            if t == cfg.num_steps - 1:
                nonterminal, following = 1.0 - next_done, next_value
            else:
                nonterminal, following = 1.0 - self.dones[t + 1], self.values[t + 1]
            delta = self.rewards[t] + cfg.gamma * following * nonterminal - self.values[t]
            last = delta + cfg.gamma * cfg.gae_lambda * nonterminal * last
            advantages[t] = last
        return advantages, advantages + self.values

    def _segments(self, initial_state: tuple[torch.Tensor, torch.Tensor]) -> _Segments:
        """Cut the rollout at episode starts: one segment per (env, match piece)."""
        t_steps = self.config.num_steps
        starts = self.dones.numpy().astype(bool).T.copy()  # [N, T]
        starts[:, 0] = True
        env, start = np.nonzero(starts)
        following = np.empty_like(start)
        following[:-1] = start[1:]
        following[-1] = t_steps
        following[np.append(env[1:] != env[:-1], True)] = t_steps
        length = following - start
        h0 = torch.zeros(1, len(env), self.config.network.hidden)
        c0 = torch.zeros_like(h0)
        first = start == 0
        carry = (1.0 - self.dones[0, env[first]]).view(1, -1, 1)
        h0[:, first] = initial_state[0][:, env[first]] * carry
        c0[:, first] = initial_state[1][:, env[first]] * carry
        return _Segments(env, start, length, h0, c0)

    # -- optimisation --------------------------------------------------------------------------------------
    def update(self, seg: _Segments, advantages: torch.Tensor, returns: torch.Tensor) -> dict[str, float]:
        cfg = self.config
        n_seg = len(seg.env)
        n_mb = max(1, min(cfg.num_minibatches, n_seg))
        stats: dict[str, list[float]] = {"pg": [], "v": [], "ent": [], "kl": [], "clip": []}
        t_steps, n_envs = self.obs.shape[:2]
        with torch.no_grad():  # parameter-free transforms of the observations: once per update
            inputs = tuple(
                x.view(t_steps, n_envs, -1) for x in self.network.inputs(self.obs.view(t_steps * n_envs, -1))
            )
        # Every segment a whole rollout (matches aligned with rollouts, the default): a minibatch is a set of
        # env columns, gathered with one index_select per tensor instead of a [time, env] fancy index.
        whole = bool((seg.start == 0).all() and (seg.length == t_steps).all())
        for _epoch in range(cfg.update_epochs):
            order = self.rng.permutation(n_seg)
            for mb in np.array_split(order, n_mb):
                length = int(seg.length[mb].max())
                pick, valid = _picker(seg, mb, t_steps, by_column=whole)
                batch_inputs = tuple(pick(x).reshape(-1, x.shape[-1]) for x in inputs)
                logits, new_values = self.network.sequence_inputs(batch_inputs, length, (seg.h0[:, mb], seg.c0[:, mb]))
                step_masks = pick(self.masks)
                log_probs = torch.log_softmax(masked_logits(logits, step_masks), dim=-1)
                logratio = log_probs.gather(-1, pick(self.actions).unsqueeze(-1)).squeeze(-1) - pick(self.logprobs)
                ratio = logratio.exp()
                # Policy terms average over *decisions* only: a minute where "no bet" is the one valid action
                # (exposure cap reached, market suspended) has no gradient, and averaging over those minutes too
                # divided the policy step by ~30 (the KL of 1e-6 the first measurements showed). Means over rows
                # are weighted sums (no boolean-index copies in the backward pass).
                choice = valid & (step_masks.sum(-1) > 1)
                if not bool(choice.any()):
                    choice = valid
                weight = choice.float()
                weight = weight / weight.sum()
                with torch.no_grad():
                    approx_kl = (((ratio - 1) - logratio) * weight).sum()
                    clipped = (((ratio - 1.0).abs() > cfg.clip_coef).float() * weight).sum()
                adv = pick(advantages)
                if cfg.norm_adv:
                    mean = (adv * weight).sum()
                    std = (((adv - mean) ** 2) * weight).sum().sqrt()
                    adv = (adv - mean) / (std + 1e-8)
                pg_loss = (
                    torch.max(-adv * ratio, -adv * ratio.clamp(1 - cfg.clip_coef, 1 + cfg.clip_coef)) * weight
                ).sum()
                v_loss = 0.5 * (((new_values - pick(returns)) ** 2) * valid).sum() / valid.sum()
                entropy = (-(log_probs.exp() * log_probs).sum(-1) * weight).sum()
                loss = pg_loss - cfg.ent_coef * entropy + cfg.vf_coef * v_loss
                self.optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(self.network.parameters(), cfg.max_grad_norm)
                self.optimizer.step()
                for key, val in (
                    ("pg", pg_loss),
                    ("v", v_loss),
                    ("ent", entropy),
                    ("kl", approx_kl),
                    ("clip", clipped),
                ):
                    stats[key].append(float(val.detach()))
        values, rets = self.values.flatten(), returns.flatten()
        var = float(rets.var())
        explained = float("nan") if var == 0 else 1.0 - float((rets - values).var()) / var
        return {k: float(np.mean(v)) for k, v in stats.items()} | {"ev": explained}

    def train_iteration(self) -> UpdateStats:
        """One rollout plus one PPO update."""
        started = time.perf_counter()
        ep_returns, ep_lengths, seg, advantages, returns = self.collect()
        numbers = self.update(seg, advantages, returns)
        self.updates += 1
        elapsed = time.perf_counter() - started
        steps = self.config.num_steps * self.env.n_envs
        return UpdateStats(
            update=self.updates,
            global_step=self.global_step,
            steps_per_second=steps / elapsed,
            episodes=len(ep_returns),
            episode_return_mean=float(np.mean(ep_returns)) if ep_returns else float("nan"),
            episode_length_mean=float(np.mean(ep_lengths)) if ep_lengths else float("nan"),
            policy_loss=numbers["pg"],
            value_loss=numbers["v"],
            entropy=numbers["ent"],
            approx_kl=numbers["kl"],
            clip_fraction=numbers["clip"],
            explained_variance=numbers["ev"],
            bet_rate=float((self.actions != 0).float().mean()),
        )

    def train(self, total_steps: int, on_update: Callable[[UpdateStats], None] | None = None) -> list[UpdateStats]:
        """Train until ``global_step`` reaches ``total_steps`` (counting steps done before a resume)."""
        history = []
        while self.global_step < total_steps:
            stats = self.train_iteration()
            history.append(stats)
            if on_update is not None:
                on_update(stats)
        return history

    def policy(self, n_matches: int, *, deterministic: bool = True) -> LivePolicy:
        return LivePolicy(self.network, n_matches, deterministic=deterministic)

    # -- persistence ---------------------------------------------------------------------------------------
    def save(self, path: Path, extra: dict[str, Any] | None = None) -> Path:
        return save_checkpoint(
            path,
            kind=CHECKPOINT_KIND,
            feature_hash=self.layout.feature_hash(),
            payload={
                "config": self.config.as_dict(),
                "layout": self.layout.as_dict(),
                "network": self.network.state_dict(),
                "optimizer": self.optimizer.state_dict(),
                "global_step": self.global_step,
                "updates": self.updates,
                "torch_rng": self.generator.get_state(),
                "numpy_rng": self.rng.bit_generator.state,
                "extra": extra or {},
            },
        )

    def resume(self, path: Path) -> dict[str, Any]:
        """Continue from a checkpoint of this feature set; the config's hyper-parameters must match too."""
        doc = _load_live(path, self.layout)
        stored = PPOConfig.from_dict(doc["config"])
        if stored.network != self.config.network:
            raise CheckpointError(
                path, f"network shape {stored.network} differs from the requested {self.config.network}"
            )
        self.network.load_state_dict(doc["network"])
        self.optimizer.load_state_dict(doc["optimizer"])
        self.global_step = int(doc["global_step"])
        self.updates = int(doc["updates"])
        self.generator.set_state(doc["torch_rng"])
        self.rng.bit_generator.state = doc["numpy_rng"]
        return dict(doc.get("extra", {}))


def _picker(
    seg: _Segments, mb: np.ndarray, t_steps: int, *, by_column: bool
) -> tuple[Callable[[torch.Tensor], torch.Tensor], torch.Tensor]:
    """``(pick, valid)`` for minibatch ``mb`` of segments: ``pick(x)`` gathers the ``[length, len(mb), …]`` rows
    of a ``[T, N, …]`` rollout tensor (time-major, padded past each segment's end with its last row), ``valid``
    marks the real rows. ``by_column`` when every segment is a whole rollout (matches aligned with rollouts, the
    default): one ``index_select`` over env columns instead of a ``[time, env]`` fancy index, same rows."""
    length = int(seg.length[mb].max())
    if by_column:
        columns = torch.as_tensor(seg.env[mb])
        return (lambda x: x.index_select(1, columns)), torch.ones(length, len(mb), dtype=torch.bool)
    offsets = np.arange(length)[:, None]
    times = torch.as_tensor(np.minimum(seg.start[mb][None, :] + offsets, t_steps - 1))
    envs = torch.as_tensor(np.broadcast_to(seg.env[mb][None, :], times.shape).copy())
    return (lambda x: x[times, envs]), torch.as_tensor(offsets < seg.length[mb][None, :])


def initial_network(layout: TokenLayout, config: PPOConfig) -> MaskedAttentionLSTM:
    """The weights a trainer with ``config`` starts from: the seed alone decides them, so a checkpoint's untrained
    twin (the evaluation's reference) is rebuilt from its stored config without storing a second network."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        return MaskedAttentionLSTM(layout, config.network)


def _load_live(path: Path, layout: TokenLayout | None) -> dict[str, Any]:
    """A live checkpoint whose layout (features, context, version) is ``layout``'s, or a :class:`CheckpointError`
    saying what differs."""
    doc = load_checkpoint(path, kind=CHECKPOINT_KIND)
    if layout is not None and doc.get("feature_hash") != layout.feature_hash():
        stored = TokenLayout.from_dict(doc["layout"])
        raise CheckpointError(
            path,
            f"trained on another live observation layout ({stored.difference(layout)}; checkpoint → this "
            "version) — retrain the live worker",
        )
    return doc


def load_live_untrained(path: Path, layout: TokenLayout | None = None) -> MaskedAttentionLSTM:
    """The untrained network of a live checkpoint (its initialisation for the same seed and config)."""
    doc = _load_live(path, layout)
    return initial_network(TokenLayout.from_dict(doc["layout"]), PPOConfig.from_dict(doc["config"]))


def load_live_network(path: Path, layout: TokenLayout | None = None) -> tuple[MaskedAttentionLSTM, PPOConfig]:
    """Load a trained live network for inference; with ``layout`` the feature set must match."""
    doc = _load_live(path, layout)
    config = PPOConfig.from_dict(doc["config"])
    stored_layout = TokenLayout.from_dict(doc["layout"])
    network = MaskedAttentionLSTM(stored_layout, config.network)
    network.load_state_dict(doc["network"])
    return network, replace(config)
