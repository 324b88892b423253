"""Fault injection: provider outages and coverage loss, drawn per episode.

The mission wants agents that act sensibly on stale or partial data, so the simulator breaks the feed on
purpose:

* **latency** — live feeds lag (API-Football by tens of seconds to minutes): every observation is stale by a
  per-episode base latency;
* **outage** — for a window of minutes the provider is down: the last valid state repeats and its staleness
  grows by 60 s per minute (the book keeps moving — bets are judged against its true prices);
* **coverage loss** — from some minute on, whole feature groups (e.g. corners, live odds) disappear: their mask
  drops to 0 for the rest of the match;
* **blackout** — every feature missing from kick-off (mask all zero), the degenerate case an agent must survive.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from betfolio.features.live import FEATURE_GROUPS

NO_EVENT = 10_000  # a minute that never comes


@dataclass(frozen=True, slots=True)
class FaultConfig:
    latency_seconds: tuple[float, float] = (5.0, 45.0)
    outage_probability: float = 0.1
    outage_minutes: tuple[int, int] = (2, 15)
    coverage_loss_probability: float = 0.1
    coverage_loss_max_groups: int = 3
    blackout_probability: float = 0.0

    def __post_init__(self) -> None:
        for name in ("outage_probability", "coverage_loss_probability", "blackout_probability"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"FaultConfig.{name} must be a probability")
        lo, hi = self.latency_seconds
        if not 0.0 <= lo <= hi:
            raise ValueError("latency_seconds must be (low, high) with 0 ≤ low ≤ high")
        a, b = self.outage_minutes
        if not 1 <= a <= b <= 90:
            raise ValueError("outage_minutes must be (low, high) within 1…90")
        if not 1 <= self.coverage_loss_max_groups <= len(FEATURE_GROUPS):
            raise ValueError(f"coverage_loss_max_groups must be within 1…{len(FEATURE_GROUPS)}")

    @classmethod
    def none(cls) -> FaultConfig:
        """A perfect feed: no latency, no outage, no coverage loss."""
        return cls(latency_seconds=(0.0, 0.0), outage_probability=0.0, coverage_loss_probability=0.0)


@dataclass(slots=True)
class FaultDraw:
    latency: np.ndarray  # [k] seconds
    outage_start: np.ndarray  # [k] first minute of the outage (NO_EVENT when none)
    outage_end: np.ndarray  # [k] first minute after it
    loss_from: np.ndarray  # [k, n_groups] minute from which the group is missing (NO_EVENT = never)


def draw_faults(rng: np.random.Generator, k: int, config: FaultConfig) -> FaultDraw:
    lo, hi = config.latency_seconds
    latency = rng.uniform(lo, hi, k) if hi > lo else np.full(k, lo)
    has_outage = rng.random(k) < config.outage_probability
    length = rng.integers(config.outage_minutes[0], config.outage_minutes[1] + 1, k)
    start = rng.integers(1, 90, k)
    outage_start = np.where(has_outage, start, NO_EVENT)
    outage_end = np.where(has_outage, np.minimum(start + length, 91), NO_EVENT)
    n_groups = len(FEATURE_GROUPS)
    loss_from = np.full((k, n_groups), NO_EVENT, dtype=np.int64)
    lossy = np.nonzero(rng.random(k) < config.coverage_loss_probability)[0]
    for i in lossy:  # few envs per reset; the loop is over groups chosen, not minutes
        n = rng.integers(1, config.coverage_loss_max_groups + 1)
        groups = rng.choice(n_groups, size=n, replace=False)
        loss_from[i, groups] = rng.integers(0, 90)
    blackout = rng.random(k) < config.blackout_probability
    loss_from[blackout] = 0
    return FaultDraw(latency, outage_start, outage_end, loss_from)
