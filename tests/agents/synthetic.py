"""Small synthetic environments with a known optimal policy, for testing the learners quickly.

They follow the same contracts as the simulator (batched live env with action masks; gymnasium pre-match env)
but have a hidden answer, so a test can check that learning actually happened.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np


class MemoryBettingEnv:
    """Batched, auto-resetting. A hidden side (home/away) is revealed only in the first minute through feature 0;
    later minutes carry noise features, some missing. Backing the hidden side pays +1 per minute, the other side
    -1, no bet 0; action 2 (draw) is always invalid. Solving it needs memory and the action mask."""

    n_actions = 4

    def __init__(self, n_envs: int, seed: int = 0, n_features: int = 4, n_context: int = 2, length: int = 12) -> None:
        self.n_envs = n_envs
        self.n_features = n_features
        self.n_context = n_context
        self.length = length
        self.rng = np.random.default_rng(seed)
        self.side = np.zeros(n_envs, dtype=np.int64)
        self.t = np.zeros(n_envs, dtype=np.int64)
        self.all_missing = False  # every feature missing in every minute (coverage hole)

    @property
    def obs_dim(self) -> int:
        return 2 * self.n_features + self.n_context

    def _obs(self) -> tuple[np.ndarray, np.ndarray]:
        n, f = self.n_envs, self.n_features
        values = self.rng.normal(size=(n, f)).astype(np.float32)
        mask = (self.rng.random((n, f)) < 0.6).astype(np.float32)
        first = self.t == 0
        values[:, 0] = np.where(first, np.where(self.side == 1, 1.0, -1.0), 0.0)
        mask[:, 0] = first
        if self.all_missing:
            mask[:] = 0.0
        values *= mask
        context = np.zeros((n, self.n_context), dtype=np.float32)
        context[:, 0] = self.t / self.length
        obs = np.concatenate([values, mask, context], axis=1)
        action_mask = np.ones((n, self.n_actions), dtype=bool)
        action_mask[:, 2] = False
        return obs, action_mask

    def reset(self) -> tuple[np.ndarray, np.ndarray]:
        self.side = self.rng.choice([1, 3], size=self.n_envs)
        self.t[:] = 0
        return self._obs()

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, ...]:
        if np.any(actions == 2):
            raise AssertionError("an invalid (masked) action was taken")
        reward = np.where(actions == 0, 0.0, np.where(actions == self.side, 1.0, -1.0))
        self.t += 1
        terminated = self.t >= self.length
        if terminated.any():
            self.side[terminated] = self.rng.choice([1, 3], size=int(terminated.sum()))
            self.t[terminated] = 0
        obs, mask = self._obs()
        info: dict[str, Any] = {}
        return obs, reward, terminated, np.zeros(self.n_envs, dtype=bool), mask, info


class EdgeBanditEnv(gym.Env):
    """Pre-match contextual bandit: observation [edge, odds, bankroll]; betting pays +edge*odds-ish in
    expectation, so the optimal policy bets exactly when the edge is positive. One decision per episode."""

    def __init__(self, seed: int = 0) -> None:
        self.observation_space = gym.spaces.Box(low=-5.0, high=50.0, shape=(3,), dtype=np.float32)
        self.action_space = gym.spaces.Discrete(2)
        self._rng = np.random.default_rng(seed)
        self._state = np.zeros(3, dtype=np.float32)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        edge = self._rng.uniform(-0.2, 0.2)
        odds = self._rng.uniform(1.5, 5.0)
        self._state = np.array([edge, odds, 1.0], dtype=np.float32)
        return self._state.copy(), {}

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict]:
        edge = float(self._state[0])
        reward = 0.0 if action == 0 else edge + float(self._rng.normal(0, 0.05))
        return self._state.copy(), reward, True, False, {}
