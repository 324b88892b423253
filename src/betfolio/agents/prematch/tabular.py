"""Tabular Q-learning pre-match worker over a discretised state.

A pre-match decision is nearly a contextual bandit: the bet settles before the next decision and, with stakes
capped at 5 % of the bankroll, today's bet barely changes tomorrow's situation. The default discount is
therefore ``gamma = 0`` — each Q-value is the expected immediate (risk-adjusted) reward of betting in that
state, estimated as a sample mean (learning rate ``1/n`` per state-action). A positive gamma is available for
environments where the bankroll bucket makes successive matches interact, but it only adds variance here.

The state is discretised into a few interpretable buckets (see :class:`Discretiser`): the best edge among the
selections, the odds of that selection, the bankroll level, and which selection it is. A bucket whose inputs
are missing (no model probability yet for a promoted team, no odds) gets its own "unknown" bin — missing is
not a zero edge.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from betfolio.agents.checkpoint import CheckpointError, load_checkpoint, save_checkpoint

CHECKPOINT_KIND = "prematch-q"


@dataclass(frozen=True, slots=True)
class Discretiser:
    """Maps a pre-match observation to bucket indices; ``reader`` extracts named raw quantities (or NaN)."""

    edge_bins: tuple[float, ...] = (-0.05, 0.0, 0.02, 0.05, 0.10)
    odds_bins: tuple[float, ...] = (1.6, 2.2, 3.2, 5.0)
    bankroll_bins: tuple[float, ...] = (0.7, 0.9, 1.1)
    n_selections: int = 3

    @property
    def shape(self) -> tuple[int, int, int, int]:
        # +1 bins from np.digitize, +1 "unknown" bin for edge and odds
        return (self.n_selections + 1, len(self.edge_bins) + 2, len(self.odds_bins) + 2, len(self.bankroll_bins) + 1)

    def index(self, selection: int, edge: float, odds: float, bankroll: float) -> tuple[int, int, int, int]:
        """``selection`` is -1 when no selection could be priced (then edge and odds are unknown too)."""
        sel = selection + 1 if 0 <= selection < self.n_selections else 0
        e = len(self.edge_bins) + 1 if not np.isfinite(edge) else int(np.digitize(edge, self.edge_bins))
        o = len(self.odds_bins) + 1 if not np.isfinite(odds) else int(np.digitize(odds, self.odds_bins))
        b = int(np.digitize(bankroll if np.isfinite(bankroll) else 1.0, self.bankroll_bins))
        return sel, e, o, b

    def as_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Discretiser:
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


#: Turns an observation into ``(best_selection, edge, odds, bankroll)`` (NaN for unknown).
StateReader = Callable[[np.ndarray], tuple[int, float, float, float]]


@dataclass(frozen=True, slots=True)
class QConfig:
    gamma: float = 0.0
    epsilon_start: float = 1.0
    epsilon_end: float = 0.05
    epsilon_decay_episodes: int = 2000
    min_learning_rate: float = 0.01
    #: A bet action is only taken greedily after this many visits of its state: one lucky longshot win would
    #: otherwise make a once-tried bet look like the best action (the winner's curse of a 1/n sample mean).
    min_visits: int = 10
    #: Greedy bets are ranked by their lower confidence bound, mean − confidence × standard error: among many
    #: state-actions tried a few dozen times, the best-looking sample mean is mostly luck (the winner's curse),
    #: and no bet (worth exactly 0) should need evidence to be displaced. 0 gives plain greedy Q.
    confidence: float = 1.0
    #: Stake fractions of the bet actions (selection-major: action = 1 + selection × len(stakes) + size). When
    #: given and the reward is proportional to the stake (profit, as in the planted benchmark), one bet teaches
    #: every size of its selection: its reward per unit of stake is the same sample for all of them, so each
    #: estimate gets len(stakes) times the data. Empty: every action learns alone (rewards not linear in stake).
    stakes: tuple[float, ...] = ()
    seed: int = 1
    discretiser: Discretiser = field(default_factory=Discretiser)

    def as_dict(self) -> dict[str, Any]:
        data = {k: getattr(self, k) for k in self.__slots__ if k != "discretiser"}
        return data | {"discretiser": self.discretiser.as_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QConfig:
        data = dict(data)
        data["stakes"] = tuple(data.get("stakes", ()))
        return cls(**data | {"discretiser": Discretiser.from_dict(data["discretiser"])})


class TabularQAgent:
    """Q-table over :class:`Discretiser` buckets × actions, epsilon-greedy with a ``1/n`` learning rate."""

    def __init__(self, n_actions: int, reader: StateReader, config: QConfig | None = None) -> None:
        self.config = config or QConfig()
        self.n_actions = n_actions
        self.reader = reader
        shape = (*self.config.discretiser.shape, n_actions)
        self.q = np.zeros(shape)
        self.visits = np.zeros(shape, dtype=np.int64)
        self.second = np.zeros(shape)  # running mean of squared targets, for the standard error
        self.episodes = 0
        self.rng = np.random.default_rng(self.config.seed)

    def state(self, obs: np.ndarray) -> tuple[int, int, int, int]:
        return self.config.discretiser.index(*self.reader(obs))

    @property
    def epsilon(self) -> float:
        cfg = self.config
        frac = min(1.0, self.episodes / max(cfg.epsilon_decay_episodes, 1))
        return cfg.epsilon_start + frac * (cfg.epsilon_end - cfg.epsilon_start)

    def act(self, obs: np.ndarray, action_mask: np.ndarray | None = None, *, explore: bool = False) -> int:
        """The action among the valid ones: acting, the best lower confidence bound (rarely tried bets never beat
        "no bet"); exploring, epsilon-random or else the best upper bound."""
        valid = np.ones(self.n_actions, dtype=bool) if action_mask is None else np.asarray(action_mask, dtype=bool)
        choices = np.flatnonzero(valid)
        if len(choices) == 0:
            return 0
        if explore and self.rng.random() < self.epsilon:
            return int(self.rng.choice(choices))
        s = self.state(obs)
        if explore:  # optimism while learning: samples go where a bet could still turn out best
            values = np.where(self.visits[s] >= max(self.config.min_visits, 1), self.bound(s, +1.0), np.inf)
        else:  # pessimism when acting for real: a bet must show evidence to displace "no bet"
            values = np.where(self.visits[s] >= max(self.config.min_visits, 1), self.bound(s, -1.0), -np.inf)
        values[0] = self.q[s][0] if self.visits[s][0] > 0 else 0.0  # no bet is worth 0 until learnt otherwise
        values = np.where(valid, values, -np.inf)
        return int(np.argmax(values)) if np.isfinite(values).any() else 0

    def bound(self, s: tuple[int, ...], sign: float) -> np.ndarray:
        """Per action of state ``s``: Q + sign × confidence × standard error of Q (upper bound for ``sign`` +1,
        lower for −1; ``sign × inf`` where never tried).

        The effective sample count is the visit count, capped where the learning-rate floor turns the mean
        into an exponential average over about ``2 / min_learning_rate`` samples.
        """
        n = self.visits[s].astype(np.float64)
        cap = 2.0 / self.config.min_learning_rate - 1.0 if self.config.min_learning_rate > 0 else np.inf
        var = np.maximum(self.second[s] - self.q[s] ** 2, 0.0)
        se = np.sqrt(var / np.maximum(np.minimum(n, cap), 1.0))
        return np.where(n > 0, self.q[s] + sign * self.config.confidence * se, sign * np.inf)

    def learn(self, obs: np.ndarray, action: int, reward: float, next_obs: np.ndarray, done: bool) -> None:
        s = self.state(obs)
        target = reward
        if not done and self.config.gamma > 0:
            target += self.config.gamma * float(self.q[self.state(next_obs)].max())
        for a, t in self._shared_targets(action, target):
            sa = (*s, a)
            self.visits[sa] += 1
            lr = max(1.0 / self.visits[sa], self.config.min_learning_rate)
            self.q[sa] += lr * (t - self.q[sa])
            self.second[sa] += lr * (t * t - self.second[sa])

    def _shared_targets(self, action: int, target: float) -> list[tuple[int, float]]:
        """The (action, target) pairs one sample teaches: itself, or every stake size of its selection."""
        stakes = self.config.stakes
        if action == 0 or not stakes:
            return [(action, target)]
        sel, size = divmod(action - 1, len(stakes))
        unit = target / stakes[size]
        return [(1 + sel * len(stakes) + k, unit * stake) for k, stake in enumerate(stakes)]

    def train(self, env: gym.Env, episodes: int, on_episode: Callable[[int, float], None] | None = None) -> list[float]:
        """Run ``episodes`` more episodes of ``env`` (continuing the count after a resume)."""
        returns = []
        for _ in range(episodes):
            obs, info = env.reset(seed=int(self.rng.integers(2**31)))
            total, done = 0.0, False
            while not done:
                action = self.act(obs, info.get("action_mask"), explore=True)
                next_obs, reward, terminated, truncated, info = env.step(action)
                done = bool(terminated or truncated)
                self.learn(obs, action, float(reward), next_obs, done)
                obs, total = next_obs, total + float(reward)
            self.episodes += 1
            returns.append(total)
            if on_episode is not None:
                on_episode(self.episodes, total)
        return returns

    # -- persistence ---------------------------------------------------------------------------------------
    def save(self, path: Path, feature_hash: str, extra: dict[str, Any] | None = None) -> Path:
        return save_checkpoint(
            path,
            kind=CHECKPOINT_KIND,
            feature_hash=feature_hash,
            payload={
                "config": self.config.as_dict(),
                "n_actions": self.n_actions,
                "q": torch.from_numpy(self.q.copy()),
                "visits": torch.from_numpy(self.visits.copy()),
                "second": torch.from_numpy(self.second.copy()),
                "episodes": self.episodes,
                "numpy_rng": self.rng.bit_generator.state,
                "extra": extra or {},
            },
        )

    @classmethod
    def load(cls, path: Path, reader: StateReader, feature_hash: str) -> TabularQAgent:
        doc = load_checkpoint(path, kind=CHECKPOINT_KIND, feature_hash=feature_hash)
        agent = cls(int(doc["n_actions"]), reader, QConfig.from_dict(doc["config"]))
        q, visits = doc["q"].numpy(), doc["visits"].numpy()
        if q.shape != agent.q.shape:
            raise CheckpointError(path, f"Q-table shape {q.shape} does not match the configured {agent.q.shape}")
        agent.q, agent.visits = q.copy(), visits.copy()
        second = doc.get("second")
        # a checkpoint from before the second moment: no spread known, so the bound is the mean itself
        agent.second = second.numpy().copy() if second is not None else q**2
        agent.episodes = int(doc["episodes"])
        agent.rng.bit_generator.state = doc["numpy_rng"]
        return agent


def prematch_reader() -> StateReader:
    """Reader for :class:`betfolio.sim.envs.PreMatchBettingEnv` observations ``[values, mask, extras]``.

    Edge of selection i = fair probability × decimal odds − 1, with the odds recovered from the implied
    probability (1 / odds). A selection whose fair probability or price is masked is not a candidate.
    """
    from betfolio.features.prematch import PREMATCH_EXTRAS, PREMATCH_FEATURES

    n = len(PREMATCH_FEATURES)
    fair = np.array([PREMATCH_FEATURES.index(f"fair_{s}") for s in ("home", "draw", "away")])
    implied = np.array([PREMATCH_FEATURES.index(f"implied_{s}") for s in ("home", "draw", "away")])
    cash = 2 * n + PREMATCH_EXTRAS.index("cash_fraction")

    def read(obs: np.ndarray) -> tuple[int, float, float, float]:
        ok = (obs[n + fair] > 0.5) & (obs[n + implied] > 0.5) & (obs[implied] > 0)
        if not ok.any():
            return -1, float("nan"), float("nan"), float(obs[cash])
        odds = np.where(ok, 1.0 / np.where(ok, obs[implied], 1.0), np.nan)
        edge = np.where(ok, obs[fair] * odds - 1.0, -np.inf)
        best = int(np.argmax(edge))
        return best, float(edge[best]), float(odds[best]), float(obs[cash])

    return read


def prematch_feature_hash() -> str:
    """Identifies the pre-match observation layout (names of values, masks and extras)."""
    import hashlib
    import json

    from betfolio.features.prematch import PREMATCH_EXTRAS, PREMATCH_FEATURES

    return hashlib.sha256(json.dumps([PREMATCH_FEATURES, PREMATCH_EXTRAS]).encode()).hexdigest()[:16]
