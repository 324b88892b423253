"""The manager: allocates capital between workers by UCB over their recent risk-adjusted results.

MISSION.md §4: the manager never watches a match. Each round (a match day, an evaluation window) it reads its
state — budget remaining, risk score, portfolio return, per-worker win rate over the last 10 bets, market
volatility, data staleness — and decides how much of the deployable budget each worker (pre-match, live) may
use. The choice is a multi-armed bandit over workers:

* ``ucb1`` — classic UCB1 over the whole history;
* ``sliding`` — SW-UCB (Garivier & Moulines 2011): only the last ``window`` results count, taken by slicing
  (``history[-window:]``), so a worker whose edge has decayed loses its budget within a window;
* ``discounted`` — D-UCB: older results are weighted by ``gamma ** age``.

``linucb`` uses the mission's state: a contextual bandit (Li et al. 2010) with one ridge regression per worker from
the state vector (:meth:`ManagerState.as_array`) to the worker's risk-adjusted result, index
``θᵀx + α·sqrt(xᵀA⁻¹x)``; old evidence fades with ``gamma`` so a decayed edge loses its budget. UCB stays as
the reference.

No bets is no evidence, not infinite promise: a worker without results in the counted history starts from
``prior_count`` pseudo-results at ``prior_mean`` (0: no edge), so its optimism is finite and shrinks as the
others gather evidence (the mission's sketch gives such a worker +inf and, with a rarely betting worker, hands it
the capital for good). The exploration term uses ``log(max(total, 1))`` so there is never a ``log(0)``. Each
result is a *risk-adjusted* return on the capital the worker was given, clipped to [-1, 1] so one lucky
longshot cannot dominate the means.

Allocation (``softmax``, the default): every worker keeps ``share_floor`` of the deployable budget (so its
estimate stays current) and the rest is split by a softmax of the indices at ``temperature`` — capital follows
the evidence in proportion instead of all-or-nothing. ``lead`` keeps the older rule (the winner gets
``lead_share``). The deployable budget shrinks with the risk score (drawdown) and the live worker's share is cut
when data is stale, because stale in-play data is exactly when live betting is most dangerous. The shares go to
the workers: :meth:`Allocation.stake` applies the mission's 5 % stake rule to the manager's budget, scaled by the
worker's share.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum

import numpy as np

#: The mission's performance memory: "last 10 results by slicing".
WIN_RATE_MEMORY = 10
#: The mission's sketch stakes 5 % of the manager's budget per trade.
STAKE_FRACTION = 0.05


class UCBVariant(StrEnum):
    UCB1 = "ucb1"
    SLIDING = "sliding"
    DISCOUNTED = "discounted"
    LINUCB = "linucb"


class AllocationRule(StrEnum):
    SOFTMAX = "softmax"
    LEAD = "lead"


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
    exploration: float = 0.03  # c in mean + c * sqrt(log(total) / n); results are returns of a few %
    window: int = 20  # sliding window, in rounds
    gamma: float = 0.95  # discount per round
    risk_aversion: float = 0.5  # index = mean - risk_aversion * std
    lead_share: float = 0.7
    stale_after_seconds: float = 30.0  # the mission's staleness alert level
    stale_live_cut: float = 0.5  # live share multiplier when data is stale
    live_worker: str = "live"
    prior_count: float = 3.0  # pseudo-results of a worker before any evidence (finite optimism)
    prior_mean: float = 0.0  # … at no edge
    allocation: AllocationRule = AllocationRule.SOFTMAX
    share_floor: float = 0.05  # softmax: every worker keeps this share of the deployable budget
    temperature: float = 0.02  # softmax: index difference that multiplies a share by e
    linucb_alpha: float = 0.1  # LinUCB exploration width
    linucb_ridge: float = 1.0  # LinUCB prior precision (A starts at ridge · I)

    def __post_init__(self) -> None:
        if not 0 < self.gamma <= 1:
            raise ValueError("gamma must be in (0, 1]")
        if self.window < 1:
            raise ValueError("window must be at least 1")
        if not 0 <= self.lead_share <= 1:
            raise ValueError("lead_share must be in [0, 1]")
        if self.prior_count <= 0:
            raise ValueError("prior_count must be > 0 (finite optimism needs some prior weight)")
        if not 0 <= self.share_floor < 0.5:
            raise ValueError("share_floor must be in [0, 0.5)")
        if self.temperature <= 0 or self.linucb_ridge <= 0:
            raise ValueError("temperature and linucb_ridge must be > 0")


@dataclass(slots=True)
class Allocation:
    """Budget fractions per worker (of the current bankroll), the chosen lead worker and the UCB indices."""

    shares: dict[str, float]
    lead: str
    indices: dict[str, float]
    deployable: float

    def stake(self, worker: str, budget: float) -> float:
        """The most ``worker`` may stake on one bet: the 5 % rule on the manager's budget, times its share."""
        return STAKE_FRACTION * max(budget, 0.0) * self.shares.get(worker, 0.0)


@dataclass
class UCBManager:
    workers: Sequence[str]
    config: ManagerConfig = field(default_factory=ManagerConfig)
    rounds: int = 0
    history: dict[str, list[tuple[int, float]]] = field(default_factory=dict)  # (round, result)
    bets: dict[str, list[bool]] = field(default_factory=dict)  # won? per settled bet
    linear: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)  # LinUCB (A, b) per worker
    _last_context: np.ndarray | None = field(default=None, repr=False)

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

    def indices(self, state: ManagerState | None = None) -> dict[str, float]:
        """Each worker's index; LinUCB needs the ``state`` (without one it scores the neutral context)."""
        if self.config.variant is UCBVariant.LINUCB:
            return self._linucb_indices(self._context(state))
        cfg = self.config
        counted = {w: self._counted(w) for w in self.workers}
        total = sum(float(weights.sum()) + cfg.prior_count for _, weights in counted.values())
        log_total = math.log(max(total, 1.0))
        out: dict[str, float] = {}
        for w, (results, weights) in counted.items():
            n = float(weights.sum())
            n_eff = n + cfg.prior_count
            mean = (float(np.dot(weights, results)) + cfg.prior_count * cfg.prior_mean) / n_eff
            sample_mean = float(np.dot(weights, results) / n) if n > 1e-9 else 0.0
            var = float(np.dot(weights, (results - sample_mean) ** 2) / n) if n > 1e-9 else 0.0
            out[w] = mean - cfg.risk_aversion * math.sqrt(var) + cfg.exploration * math.sqrt(log_total / n_eff)
        return out

    # -- LinUCB --------------------------------------------------------------------------------------------
    def _context(self, state: ManagerState | None) -> np.ndarray:
        if state is None:
            return np.concatenate([[1.0], np.zeros(3 + 2 * len(self.workers) + 2)])
        return np.concatenate([[1.0], state.as_array().astype(np.float64)])

    def _linucb_indices(self, x: np.ndarray) -> dict[str, float]:
        out: dict[str, float] = {}
        for w in self.workers:
            a, b = self._lin(w, len(x))
            a_inv = np.linalg.inv(a)
            theta = a_inv @ b
            out[w] = float(theta @ x + self.config.linucb_alpha * math.sqrt(max(float(x @ a_inv @ x), 0.0)))
        return out

    def _lin(self, worker: str, dim: int) -> tuple[np.ndarray, np.ndarray]:
        if worker not in self.linear or self.linear[worker][0].shape[0] != dim:
            self.linear[worker] = (self.config.linucb_ridge * np.eye(dim), np.zeros(dim))
        return self.linear[worker]

    def _learn_linear(self, worker: str, result: float) -> None:
        x = self._last_context if self._last_context is not None else self._context(None)
        a, b = self._lin(worker, len(x))
        g, ridge = self.config.gamma, self.config.linucb_ridge
        eye = np.eye(len(x))
        # Forgetting towards the prior: old evidence fades at gamma per result, the prior precision stays.
        a_new = g * (a - ridge * eye) + ridge * eye + np.outer(x, x)
        self.linear[worker] = (a_new, g * b + result * x)

    def win_rate(self, worker: str) -> float:
        recent = self.bets[worker][-WIN_RATE_MEMORY:]
        return float(np.mean(recent)) if recent else math.nan

    # -- decisions -----------------------------------------------------------------------------------------
    def allocate(self, state: ManagerState) -> Allocation:
        """Budget shares for the next round (fractions of the bankroll, summing to the deployable fraction)."""
        cfg = self.config
        self._last_context = self._context(state)
        idx = self.indices(state)
        lead = max(self.workers, key=lambda w: (idx[w], -self.workers.index(w)))
        if len(self.workers) == 1:
            raw = {lead: 1.0}
        elif cfg.allocation is AllocationRule.LEAD:
            rest = (1.0 - cfg.lead_share) / (len(self.workers) - 1)
            raw = {w: cfg.lead_share if w == lead else rest for w in self.workers}
        else:
            scores = np.array([idx[w] for w in self.workers]) / cfg.temperature
            weights = np.exp(scores - scores.max())
            free = 1.0 - cfg.share_floor * len(self.workers)
            split = weights / weights.sum()
            raw = {w: cfg.share_floor + free * float(x) for w, x in zip(self.workers, split, strict=True)}
        if state.data_staleness > cfg.stale_after_seconds and cfg.live_worker in raw:
            raw[cfg.live_worker] *= cfg.stale_live_cut
        deployable = float(np.clip(state.budget_remaining, 0.0, 1.0) * (1.0 - np.clip(state.risk_score, 0.0, 1.0)))
        total = sum(raw.values()) if cfg.allocation is AllocationRule.LEAD else 1.0
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
        if self.config.variant is UCBVariant.LINUCB:
            self._learn_linear(worker, result)
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
            "config": asdict(self.config)
            | {"variant": self.config.variant.value, "allocation": self.config.allocation.value},
            "linear": {w: [a.tolist(), b.tolist()] for w, (a, b) in self.linear.items()},
            "rounds": self.rounds,
            "history": {w: [list(e) for e in h] for w, h in self.history.items()},
            "bets": {w: list(b) for w, b in self.bets.items()},
        }

    @classmethod
    def from_state_dict(cls, data: dict[str, object]) -> UCBManager:
        cfg = dict(data["config"])  # type: ignore[arg-type]
        cfg["variant"] = UCBVariant(cfg["variant"])
        cfg["allocation"] = AllocationRule(cfg.get("allocation", AllocationRule.SOFTMAX))
        manager = cls(tuple(data["workers"]), ManagerConfig(**cfg))  # type: ignore[arg-type]
        manager.rounds = int(data["rounds"])  # type: ignore[arg-type]
        manager.history = {w: [(int(r), float(x)) for r, x in h] for w, h in data["history"].items()}  # type: ignore[union-attr]
        manager.bets = {w: [bool(b) for b in v] for w, v in data["bets"].items()}  # type: ignore[union-attr]
        linear = data.get("linear", {})
        manager.linear = {w: (np.array(a), np.array(b)) for w, (a, b) in linear.items()}  # type: ignore[union-attr]
        return manager
