"""The manager: allocates capital between workers by UCB over their recent risk-adjusted results.

MISSION.md §4: the manager never watches a match. Each round (a match day, an evaluation window) it reads its
state — budget remaining, risk score, portfolio return, per-worker win rate over the last 10 bets, market
volatility, data staleness — and decides how much of the deployable budget each worker (pre-match, live) may
use. The choice is a multi-armed bandit over workers:

* ``ucb1`` — classic UCB1 over the whole history;
* ``sliding`` — SW-UCB (Garivier & Moulines 2011): only the last ``window`` results count, taken by slicing
  (``history[-window:]``), so a worker whose edge has decayed loses its budget within a window;
* ``discounted`` — D-UCB: older results are weighted by ``gamma ** age``.

A worker with no result yet in the counted history is tried first (its index is +inf); the exploration term
uses ``log(max(total, 1))`` so there is never a ``log(0)`` (a bug in the mission's sketch). Each result is a
*risk-adjusted* return on the capital the worker was given, clipped to [-1, 1] so one lucky longshot cannot
dominate the means.

Allocation: the UCB winner gets ``lead_share`` of the deployable budget, the other workers split the rest
(every worker keeps a small budget so its performance estimate stays current — important for the sliding and
discounted variants). The deployable budget shrinks with the risk score (drawdown) and the live worker's share
is cut when data is stale, because stale in-play data is exactly when live betting is most dangerous.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum

import numpy as np

#: The mission's performance memory: "last 10 results by slicing".
WIN_RATE_MEMORY = 10


class UCBVariant(StrEnum):
    UCB1 = "ucb1"
    SLIDING = "sliding"
    DISCOUNTED = "discounted"


@dataclass(frozen=True, slots=True)
class ManagerState:
    """The manager's observation, as in MISSION.md §4."""

    budget_remaining: float  # fraction of the initial budget
    risk_score: float  # 0 (no drawdown) … 1 (at the drawdown stop)
    portfolio_return: float  # cumulative return of the whole portfolio
    worker_win_rates: tuple[float, ...]  # per worker, over its last 10 settled bets (NaN before any bet)
    market_volatility: float
    data_staleness: float  # seconds

    def as_array(self) -> np.ndarray:
        """Flat vector; a worker without settled bets gets win rate 0 plus a 0 in its presence entry."""
        rates = np.array(self.worker_win_rates, dtype=np.float64)
        present = np.isfinite(rates)
        return np.concatenate(
            [
                [self.budget_remaining, self.risk_score, self.portfolio_return],
                np.where(present, rates, 0.0),
                present.astype(np.float64),
                [self.market_volatility, self.data_staleness / 300.0],
            ]
        ).astype(np.float32)


@dataclass(frozen=True, slots=True)
class ManagerConfig:
    variant: UCBVariant = UCBVariant.SLIDING
    exploration: float = 0.5  # c in mean + c * sqrt(log(total) / n)
    window: int = 20  # sliding window, in rounds
    gamma: float = 0.95  # discount per round
    risk_aversion: float = 0.5  # index = mean - risk_aversion * std
    lead_share: float = 0.7
    stale_after_seconds: float = 30.0  # the mission's staleness alert level
    stale_live_cut: float = 0.5  # live share multiplier when data is stale
    live_worker: str = "live"

    def __post_init__(self) -> None:
        if not 0 < self.gamma <= 1:
            raise ValueError("gamma must be in (0, 1]")
        if self.window < 1:
            raise ValueError("window must be at least 1")
        if not 0 <= self.lead_share <= 1:
            raise ValueError("lead_share must be in [0, 1]")


@dataclass(slots=True)
class Allocation:
    """Budget fractions per worker (of the current bankroll), the chosen lead worker and the UCB indices."""

    shares: dict[str, float]
    lead: str
    indices: dict[str, float]
    deployable: float


@dataclass
class UCBManager:
    workers: Sequence[str]
    config: ManagerConfig = field(default_factory=ManagerConfig)
    rounds: int = 0
    history: dict[str, list[tuple[int, float]]] = field(default_factory=dict)  # (round, result)
    bets: dict[str, list[bool]] = field(default_factory=dict)  # won? per settled bet

    def __post_init__(self) -> None:
        if not self.workers:
            raise ValueError("the manager needs at least one worker")
        self.workers = tuple(self.workers)
        for w in self.workers:
            self.history.setdefault(w, [])
            self.bets.setdefault(w, [])

    # -- statistics ----------------------------------------------------------------------------------------
    def _counted(self, worker: str) -> tuple[np.ndarray, np.ndarray]:
        """Results that count for the index, with their weights."""
        entries = self.history[worker]
        if self.config.variant is UCBVariant.SLIDING:
            recent = [(r, x) for r, x in entries if r > self.rounds - self.config.window]
            results = np.array([x for _, x in recent])
            return results, np.ones(len(results))
        results = np.array([x for _, x in entries])
        if self.config.variant is UCBVariant.DISCOUNTED:
            ages = np.array([self.rounds - r for r, _ in entries], dtype=np.float64)
            return results, self.config.gamma**ages
        return results, np.ones(len(results))

    def indices(self) -> dict[str, float]:
        counted = {w: self._counted(w) for w in self.workers}
        total = sum(float(weights.sum()) for _, weights in counted.values())
        log_total = math.log(max(total, 1.0))
        out: dict[str, float] = {}
        for w, (results, weights) in counted.items():
            n = float(weights.sum())
            if n <= 1e-9:
                out[w] = math.inf
                continue
            mean = float(np.dot(weights, results) / n)
            var = float(np.dot(weights, (results - mean) ** 2) / n)
            out[w] = (
                mean - self.config.risk_aversion * math.sqrt(var) + self.config.exploration * math.sqrt(log_total / n)
            )
        return out

    def win_rate(self, worker: str) -> float:
        recent = self.bets[worker][-WIN_RATE_MEMORY:]
        return float(np.mean(recent)) if recent else math.nan

    # -- decisions -----------------------------------------------------------------------------------------
    def allocate(self, state: ManagerState) -> Allocation:
        """Budget shares for the next round (fractions of the bankroll, summing to the deployable fraction)."""
        idx = self.indices()
        lead = max(self.workers, key=lambda w: (idx[w], -self.workers.index(w)))
        if len(self.workers) == 1:
            raw = {lead: 1.0}
        else:
            rest = (1.0 - self.config.lead_share) / (len(self.workers) - 1)
            raw = {w: self.config.lead_share if w == lead else rest for w in self.workers}
        if state.data_staleness > self.config.stale_after_seconds and self.config.live_worker in raw:
            raw[self.config.live_worker] *= self.config.stale_live_cut
        deployable = float(np.clip(state.budget_remaining, 0.0, 1.0) * (1.0 - np.clip(state.risk_score, 0.0, 1.0)))
        total = sum(raw.values())
        shares = {w: deployable * s / total for w, s in raw.items()} if total > 0 else dict.fromkeys(raw, 0.0)
        return Allocation(shares=shares, lead=lead, indices=idx, deployable=deployable)

    def record(
        self, worker: str, profit: float, allocated: float, volatility: float = 0.0, bets_won: Sequence[bool] = ()
    ) -> float:
        """Record one round's outcome for ``worker``; returns the risk-adjusted result the bandit learns from.

        The result is the return on the capital the worker was given, shrunk when markets are volatile (the
        same return is worth less when it could as easily have been a loss), clipped to [-1, 1].
        """
        if worker not in self.history:
            raise KeyError(f"unknown worker {worker!r}; the manager runs {', '.join(self.workers)}")
        if allocated <= 0:
            return math.nan  # nothing was at stake: no information about this worker this round
        result = float(np.clip(profit / allocated / (1.0 + max(volatility, 0.0)), -1.0, 1.0))
        self.history[worker].append((self.rounds, result))
        self.bets[worker] = (self.bets[worker] + list(bets_won))[-WIN_RATE_MEMORY:]
        return result

    def end_round(self) -> None:
        self.rounds += 1
        if self.config.variant is UCBVariant.SLIDING:  # keep memory bounded: the window is all that counts
            for w in self.workers:
                self.history[w] = self.history[w][-self.config.window :]

    # -- persistence ---------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, object]:
        return {
            "workers": list(self.workers),
            "config": {**asdict(self.config), "variant": self.config.variant.value},
            "rounds": self.rounds,
            "history": {w: [list(e) for e in h] for w, h in self.history.items()},
            "bets": {w: list(b) for w, b in self.bets.items()},
        }

    @classmethod
    def from_state_dict(cls, data: dict[str, object]) -> UCBManager:
        cfg = dict(data["config"])  # type: ignore[arg-type]
        cfg["variant"] = UCBVariant(cfg["variant"])
        manager = cls(tuple(data["workers"]), ManagerConfig(**cfg))  # type: ignore[arg-type]
        manager.rounds = int(data["rounds"])  # type: ignore[arg-type]
        manager.history = {w: [(int(r), float(x)) for r, x in h] for w, h in data["history"].items()}  # type: ignore[union-attr]
        manager.bets = {w: [bool(b) for b in v] for w, v in data["bets"].items()}  # type: ignore[union-attr]
        return manager
