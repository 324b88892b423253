"""The pre-match control a trained worker must beat: a random policy that bets as often as it does.

A worker that loses less than the baselines may only be betting less. A random policy *of the same betting rate*
on the same held-out matches separates "knows when and what to bet" from "bets rarely": it bets on a uniformly
random allowed action with probability ``rate`` at every decision, so its only information is how often to bet.
(The live worker's random policy is :class:`betfolio.agents.live.replay.RandomBetPolicy`; the other control, the
worker's own untrained network, is built by :mod:`betfolio.agents.training` and :mod:`betfolio.agents.live.ppo`.)

The policy is seeded: a seed's evaluation gives the same numbers wherever it runs.
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
