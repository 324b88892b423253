"""The bankroll rules over arrays of environments, for the batched simulator.

Same limits and the same order of checks as :class:`betfolio.risk.Bankroll`, evaluated for every env at once
with numpy (no Python loop per env). Each env has one bankroll; exposure per match and per day is whatever the
caller tracks (in the simulator one episode is one match, so both are the env's open stake unless it spans
several matches a day).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from betfolio.risk.limits import RejectReason, RiskLimits

_EPS = 1e-9


def clip_stakes(
    requested: ArrayLike,
    odds: ArrayLike,
    cash: ArrayLike,
    equity: ArrayLike,
    *,
    limits: RiskLimits,
    match_exposure: ArrayLike | float = 0.0,
    daily_exposure: ArrayLike | float = 0.0,
    halted: ArrayLike | bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Accepted stake and a :class:`RejectReason` code per env.

    A requested stake of exactly 0 means "no order" and returns code ``ACCEPTED`` with stake 0; a negative or
    NaN stake is ``INVALID_STAKE``. Cap codes mean the stake was cut to that limit; refusals give stake 0.
    """
    req = np.asarray(requested, dtype=np.float64)
    shape = req.shape
    o = np.broadcast_to(np.asarray(odds, dtype=np.float64), shape)
    c = np.broadcast_to(np.asarray(cash, dtype=np.float64), shape)
    eq = np.broadcast_to(np.asarray(equity, dtype=np.float64), shape)
    mexp = np.broadcast_to(np.asarray(match_exposure, dtype=np.float64), shape)
    dexp = np.broadcast_to(np.asarray(daily_exposure, dtype=np.float64), shape)
    stop = np.broadcast_to(np.asarray(halted, dtype=bool), shape)

    code = np.zeros(shape, dtype=np.int8)
    stake = np.where(np.isfinite(req), req, 0.0).astype(np.float64)
    none = req == 0.0
    alive = ~none

    def refuse(mask: np.ndarray, reason: RejectReason) -> None:
        nonlocal alive
        hit = alive & mask
        code[hit] = reason
        stake[hit] = 0.0
        alive = alive & ~hit

    refuse(~(np.isfinite(o) & (o > 1.0)), RejectReason.INVALID_ODDS)
    refuse(~(np.isfinite(req) & (req > 0.0)), RejectReason.INVALID_STAKE)
    refuse(stop, RejectReason.HALTED)
    refuse(c <= _EPS, RejectReason.NO_FUNDS)
    for limit, reason in (
        (limits.max_stake_fraction * eq, RejectReason.STAKE_CAP),
        (limits.max_match_exposure_fraction * eq - mexp, RejectReason.MATCH_EXPOSURE),
        (limits.max_daily_exposure_fraction * eq - dexp, RejectReason.DAILY_EXPOSURE),
        (c, RejectReason.CASH),
    ):
        limit = np.maximum(limit, 0.0)
        cut = alive & (stake > limit + _EPS)
        code[cut] = reason
        stake[cut] = limit[cut]
        refuse(cut & (limit <= _EPS), reason)
    refuse(stake < limits.min_stake, RejectReason.BELOW_MIN_STAKE)
    stake[none] = 0.0
    return stake, code


class BatchedBankroll:
    """``n_envs`` independent bankrolls in arrays: place, settle, reset per env, drawdown stop per env."""

    def __init__(self, n_envs: int, initial: float, limits: RiskLimits | None = None) -> None:
        if n_envs <= 0:
            raise ValueError("n_envs must be positive")
        if not (np.isfinite(initial) and initial > 0):
            raise ValueError(f"initial bankroll must be positive, got {initial!r}")
        self.n_envs = n_envs
        self.initial = float(initial)
        self.limits = limits or RiskLimits()
        self.cash = np.full(n_envs, self.initial)
        self.open_stake = np.zeros(n_envs)
        self.daily_exposure = np.zeros(n_envs)
        self.peak = np.full(n_envs, self.initial)
        self.halted = np.zeros(n_envs, dtype=bool)

    @property
    def equity(self) -> np.ndarray:
        return self.cash + self.open_stake

    @property
    def drawdown(self) -> np.ndarray:
        return np.maximum(0.0, 1.0 - self.equity / self.peak)

    def place(self, requested: ArrayLike, odds: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """Validate and book one order per env (0 = no order); returns (accepted stakes, reason codes)."""
        stake, code = clip_stakes(
            requested,
            odds,
            self.cash,
            self.equity,
            limits=self.limits,
            match_exposure=self.open_stake,
            daily_exposure=self.daily_exposure,
            halted=self.halted,
        )
        self.cash -= stake
        self.open_stake += stake
        self.daily_exposure += stake
        return stake, code

    def settle(self, payout: ArrayLike, settled_stake: ArrayLike | None = None) -> None:
        """Return ``payout`` to each env and release ``settled_stake`` (default: all open stake)."""
        pay = np.asarray(payout, dtype=np.float64)
        if np.any(~np.isfinite(pay)) or np.any(pay < 0):
            raise ValueError("payouts must be finite and ≥ 0")
        released = self.open_stake.copy() if settled_stake is None else np.asarray(settled_stake, dtype=np.float64)
        if np.any(released > self.open_stake + _EPS):
            raise ValueError("settling more stake than is open")
        self.open_stake = np.maximum(self.open_stake - released, 0.0)
        self.cash += pay
        self._mark()

    def new_day(self, mask: ArrayLike | None = None) -> None:
        if mask is None:
            self.daily_exposure[:] = 0.0
        else:
            self.daily_exposure[np.asarray(mask, dtype=bool)] = 0.0

    def reset(self, mask: ArrayLike | None = None) -> None:
        """Back to the initial bankroll for the masked envs (all by default)."""
        m = np.ones(self.n_envs, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
        self.cash[m] = self.initial
        self.open_stake[m] = 0.0
        self.daily_exposure[m] = 0.0
        self.peak[m] = self.initial
        self.halted[m] = False

    def _mark(self) -> None:
        self.peak = np.maximum(self.peak, self.equity)
        if self.limits.max_drawdown is not None:
            self.halted |= self.drawdown >= self.limits.max_drawdown - 1e-12
