"""Controls a trained worker must beat: random policies that bet as often as it does.

A worker that loses less than the baselines may only be betting less. A random policy *of the same betting rate*
on the same held-out matches separates "knows when and what to bet" from "bets rarely": it bets on a uniformly
random allowed action with probability ``rate`` at every decision, so its only information is how often to bet.
(The other control, the worker's own untrained network, is built by :mod:`betfolio.agents.training`.)

Both policies are seeded: a seed's evaluation gives the same numbers wherever it runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def betting_rate(bets: int, decisions: int) -> float:
    """Bets per decision (0 when there was nothing to decide)."""
    if bets < 0 or decisions < 0:
        raise ValueError(f"bets and decisions must be >= 0, got {bets} and {decisions}")
    return min(bets / decisions, 1.0) if decisions else 0.0


@dataclass
class RandomRatePolicy:
    """Pre-match: ``(obs, action_mask) -> action``; bets with probability ``rate`` on a random allowed bet action
    (selection × stake size), else action 0 (no bet)."""

    rate: float
    seed: int = 0
    rng: np.random.Generator = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"rate must be in [0, 1], got {self.rate}")
        self.rng = np.random.default_rng(self.seed)

    def __call__(self, _obs: np.ndarray, action_mask: np.ndarray) -> int:
        allowed = np.flatnonzero(np.asarray(action_mask, bool)[1:]) + 1
        # Both draws every time, so the stream of decisions does not depend on what was allowed before.
        u, pick = self.rng.random(), self.rng.integers(1 << 30)
        if not len(allowed) or u >= self.rate:
            return 0
        return int(allowed[pick % len(allowed)])


@dataclass
class RandomLivePolicy:
    """In play: the batched form (one row per match slot) with the ``act`` / ``reset`` interface of
    :class:`betfolio.agents.live.network.LivePolicy`, so the live replay runs it like a network."""

    rate: float
    seed: int = 0
    rng: np.random.Generator = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"rate must be in [0, 1], got {self.rate}")
        self.rng = np.random.default_rng(self.seed)

    def act(self, _obs: np.ndarray, action_mask: np.ndarray) -> np.ndarray:
        mask = np.asarray(action_mask, bool)[:, 1:]
        n, k = mask.shape
        # A random allowed bet per row: the largest random key among the allowed actions.
        keys = np.where(mask, self.rng.random((n, k)), -1.0)
        choice = keys.argmax(axis=1) + 1
        bet = (self.rng.random(n) < self.rate) & mask.any(axis=1)
        return np.where(bet, choice, 0)

    def reset(self, _slots: np.ndarray | None = None) -> None:
        """Memoryless: nothing to forget."""
        return None
