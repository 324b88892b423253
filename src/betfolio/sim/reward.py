"""Rewards: the mission's risk-adjusted formula (exact, then guarded), log-wealth growth, differential Sharpe.

The mission (MISSION.md §5) prescribes::

    roi               = (payout - stake) / (stake + 1e-6)
    risk_adjusted_roi = roi / (market_volatility * risk_score + 1e-6)
    budget_penalty    = k_b * max(0, 0.8 - budget_remaining / initial_budget)
    break_even        = 1 / (avg_odds + 1e-6)
    performance_bonus = 0.2 * (last_10_win_rate - break_even)
    staleness_penalty = 0.001 * (staleness_seconds / 300)
    reward = risk_adjusted_roi - budget_penalty + performance_bonus - staleness_penalty

:func:`mission_reward_exact` is that formula verbatim. It explodes when ``market_volatility * risk_score`` is
tiny (a won bet at volatility 0.001 is worth millions) and returns NaN when there is no history yet, so the
environments use :func:`mission_reward`, the same formula behind documented guards (:class:`MissionGuards`):

* the ROI is the bets' log growth per unit staked, ``log(1 + f·roi) / f`` (``f`` the share of the budget
  staked; ``growth_roi``), divided by the match's volatility (:func:`match_volatility`, the same for every
  selection of a match) alone, floored at ``vol_risk_floor`` (NaN counts as the floor). With these two the
  reward orders favourites, longshots, random picks and no bet exactly as log growth does on real matches.
  Dividing by ``risk_score`` too (the share of the allowed exposure used) pays the smallest bets the most; at
  1 % stakes the floor and the clip then bind and turn the reward into a binary win/loss signal that ranked
  backing favourites (ROI −2.1 %, mean reward +0.135) above longshots (ROI +1.8 %, −5.39).
  ``divide_by_risk_score=True`` restores the mission's denominator (floored) and ``growth_roi=False`` the plain
  ROI, for comparison; :func:`mission_reward_exact` keeps the formula verbatim;
* ``risk_adjusted_roi`` is clipped to ``±roi_clip`` and the final reward to ``±reward_clip``;
* no stake means ``roi = 0`` (the exact formula would divide a payout by 1e-6);
* no betting history yet (no last-10 win rate or no average odds), or no bet of the worker settling at this
  step, means no performance bonus, and the
  average odds are floored at ``min_avg_odds`` so ``break_even`` stays a probability;
* the win rate is clipped to [0, 1], staleness to [0, ``max_staleness_seconds``], the budget ratio to ≥ 0;
* any NaN input is replaced by the neutral value of its term, so the reward is never NaN.

When the terms apply: ``roi``, the budget penalty and the performance bonus describe the *outcome* of
decisions, so they are paid on the step where bets settle (``settled``); on every other step only the staleness
penalty applies. Applying the bonus every minute would pay it 90 times per match for doing nothing.

Alternatives for comparison: :class:`LogWealthReward` (log growth of mark-to-market wealth; sums to the
log return of the episode, Kelly's objective) and :class:`DifferentialSharpeReward` (Moody & Saffell 1998/2001:
the first-order effect of this step's return on an exponentially weighted Sharpe ratio).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike

from betfolio.canonical.features import STALENESS_SCALE_SECONDS

REWARD_NAMES: tuple[str, ...] = ("mission", "log_wealth", "diff_sharpe")
#: Rewards the batched live simulator can train on: the comparison rewards plus :class:`BetOutcomeReward`, which
#: needs each bet's settlement value at placement (only the simulator, replaying a known result, has it).
LIVE_TRAINING_REWARDS: tuple[str, ...] = (*REWARD_NAMES, "bet_outcome", "mission_bet")
#: Rewards paid at the minute a bet is placed, from its own settled outcome (per-bet credit): trained with
#: γ = λ = 0, since nothing later in the match belongs to the decision (see :class:`BetOutcomeReward`).
PER_BET_REWARDS: tuple[str, ...] = ("bet_outcome", "mission_bet")
#: Length of the win-rate memory: the mission's ``list[-10:]``.
HISTORY_LENGTH = 10


def mission_reward_exact(
    stake: ArrayLike,
    payout: ArrayLike,
    market_volatility: ArrayLike,
    risk_score: ArrayLike,
    budget_remaining: ArrayLike,
    initial_budget: ArrayLike,
    last_10_win_rate: ArrayLike,
    avg_odds: ArrayLike,
    staleness_seconds: ArrayLike,
    k_b: float = 0.2,
) -> np.ndarray:
    """The mission's formula exactly as written (no guards; may be huge, infinite or NaN)."""
    stake, payout = np.asarray(stake, dtype=np.float64), np.asarray(payout, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        roi = (payout - stake) / (stake + 1e-6)
        risk_adjusted_roi = roi / (np.asarray(market_volatility) * np.asarray(risk_score) + 1e-6)
        budget_penalty = k_b * np.maximum(0.0, 0.8 - np.asarray(budget_remaining) / np.asarray(initial_budget))
        break_even = 1.0 / (np.asarray(avg_odds, dtype=np.float64) + 1e-6)
        performance_bonus = 0.2 * (np.asarray(last_10_win_rate, dtype=np.float64) - break_even)
        staleness_penalty = 0.001 * (np.asarray(staleness_seconds, dtype=np.float64) / STALENESS_SCALE_SECONDS)
        return risk_adjusted_roi - budget_penalty + performance_bonus - staleness_penalty


@dataclass(frozen=True, slots=True)
class MissionGuards:
    """Bounds that keep the mission reward finite (see the module docstring for why each exists)."""

    k_b: float = 0.2  # the mission allows 0.1 … 0.3
    vol_risk_floor: float = 0.05
    #: 20 = ``reward_clip``: at ±10 the clip bound on longshot wins at odds above 11 and ranked longshots below
    #: random picks where log growth ranks them above (tests/sim/test_reward_ranking.py).
    roi_clip: float = 20.0
    reward_clip: float = 20.0
    min_avg_odds: float = 1.01
    max_staleness_seconds: float = 3600.0
    divide_by_risk_score: bool = False  # the mission's vol × risk denominator (see the module docstring)
    #: Replace the ROI by the bets' log growth per unit staked, ``log(1 + f·roi) / f`` with ``f`` the share of
    #: the remaining budget staked. With a volatility that is the same for every selection of a match
    #: (:func:`match_volatility`) this ranks strategies as log growth does (tests/sim/test_reward_ranking.py);
    #: ``False`` restores the plain ROI, for comparison.
    growth_roi: bool = True

    def __post_init__(self) -> None:
        if not 0.1 <= self.k_b <= 0.3:
            raise ValueError(f"k_b must be within the mission's 0.1 … 0.3, got {self.k_b}")
        for name in ("vol_risk_floor", "roi_clip", "reward_clip", "max_staleness_seconds"):
            if not getattr(self, name) > 0:
                raise ValueError(f"MissionGuards.{name} must be positive")
        if not self.min_avg_odds > 1.0:
            raise ValueError("MissionGuards.min_avg_odds must be > 1.0")


def match_volatility(fair: ArrayLike) -> np.ndarray:
    """The mission's ``market_volatility`` of a match: ``Σ √(p(1−p))`` over its margin-free 1X2 probabilities.

    It is the probability-weighted standard deviation of the return of one unit staked at fair odds on the
    match's outcomes — how uncertain the match still is — and, unlike a bet's own return volatility, the same
    for every selection of the match. That is what makes the guarded reward rank strategies as log growth
    does: a per-bet volatility in the denominator pays a longshot for its own large spread (measured on 3,198
    real matches: longshot < random < favourite, where log growth orders random < longshot < favourite). The
    last axis holds home, draw, away (further columns are ignored); NaN probabilities count as 0.
    """
    p = np.clip(np.nan_to_num(np.asarray(fair, dtype=np.float64)[..., :3]), 0.0, 1.0)
    return np.sqrt(p * (1.0 - p)).sum(axis=-1)


def _clean(x: ArrayLike, neutral: float) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    return np.where(np.isfinite(arr), arr, neutral)


def mission_components(
    stake: ArrayLike,
    payout: ArrayLike,
    market_volatility: ArrayLike,
    risk_score: ArrayLike,
    budget_remaining: ArrayLike,
    initial_budget: ArrayLike,
    last_10_win_rate: ArrayLike,
    avg_odds: ArrayLike,
    staleness_seconds: ArrayLike,
    settled: ArrayLike = True,
    guards: MissionGuards = MissionGuards(),
) -> dict[str, np.ndarray]:
    """Each guarded term of the mission reward, and their sum under ``"reward"`` (all finite)."""
    initial = np.asarray(initial_budget, dtype=np.float64)
    if np.any(~np.isfinite(initial)) or np.any(initial <= 0):
        raise ValueError("initial_budget must be finite and positive")
    settled_b = np.asarray(settled, dtype=bool)
    stake_c = np.maximum(_clean(stake, 0.0), 0.0)
    payout_c = np.maximum(_clean(payout, 0.0), 0.0)
    has_stake = stake_c > 1e-12
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):  # huge/tiny values end in the clip below
        roi = np.where(has_stake, (payout_c - stake_c) / (stake_c + 1e-6), 0.0)
        roi = np.where(np.isfinite(roi), roi, np.sign(np.nan_to_num(roi)) * 1e12)
    if guards.growth_roi:
        budget = np.maximum(_clean(budget_remaining, 0.0), 1e-12)
        share = np.clip(stake_c / budget, 1e-9, 1.0)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            growth = np.log(np.maximum(1.0 + share * roi, 1e-12)) / share
        roi = np.where(has_stake, np.where(np.isfinite(growth), growth, roi), 0.0)
    with np.errstate(over="ignore", invalid="ignore"):  # inf·0 and overflow are cleaned on the next line
        product = np.asarray(market_volatility, dtype=np.float64)
        if guards.divide_by_risk_score:
            product = product * np.asarray(risk_score, dtype=np.float64)
    denom = np.maximum(_clean(product, guards.vol_risk_floor), 0.0)
    denom = np.maximum(denom, guards.vol_risk_floor) + 1e-6
    risk_adjusted = np.clip(roi / denom, -guards.roi_clip, guards.roi_clip)
    ratio = np.maximum(_clean(np.asarray(budget_remaining, dtype=np.float64) / initial, 1.0), 0.0)
    budget_penalty = guards.k_b * np.maximum(0.0, 0.8 - ratio)
    win_rate = np.asarray(last_10_win_rate, dtype=np.float64)
    odds = np.asarray(avg_odds, dtype=np.float64)
    history = np.isfinite(win_rate) & np.isfinite(odds)
    break_even = 1.0 / (np.maximum(_clean(odds, 2.0), guards.min_avg_odds) + 1e-6)
    # The bonus rewards this decision's bets: a step that settled none of the worker's bets earns none (it was
    # paid at every match end, bet or not, from a win-rate history the worker could not influence then).
    bonus = np.where(history & has_stake, 0.2 * (np.clip(_clean(win_rate, 0.0), 0.0, 1.0) - break_even), 0.0)
    stale = np.clip(_clean(staleness_seconds, 0.0), 0.0, guards.max_staleness_seconds)
    staleness_penalty = 0.001 * (stale / STALENESS_SCALE_SECONDS)
    outcome = np.where(settled_b, risk_adjusted - budget_penalty + bonus, 0.0)
    reward = np.clip(outcome - staleness_penalty, -guards.reward_clip, guards.reward_clip)
    return {
        "roi": roi,
        "risk_adjusted_roi": risk_adjusted,
        "budget_penalty": budget_penalty,
        "break_even": break_even,
        "performance_bonus": bonus,
        "staleness_penalty": staleness_penalty,
        "reward": reward,
    }


def mission_reward(*args: ArrayLike, guards: MissionGuards = MissionGuards(), **kwargs: ArrayLike) -> np.ndarray:
    """The guarded mission reward (same arguments as :func:`mission_components`)."""
    return mission_components(*args, guards=guards, **kwargs)["reward"]


def last_n_win_rate(history: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Win rate and count over rows of a ``[n, 10]`` result history where NaN marks an empty slot.

    Keeping the last ten results in a fixed array is the mission's ``list[-10:]`` in vectorised form; a row
    with no results gives NaN (not 0: "no bets yet" is not "lost them all").
    """
    valid = np.isfinite(history)
    count = valid.sum(axis=-1)
    total = np.where(valid, history, 0.0).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return rate, count


def push_history(history: np.ndarray, rows: np.ndarray, new: np.ndarray) -> None:
    """Append ``new[k, m]`` (NaN = nothing) to ``history[rows]`` keeping only the last ``history.shape[1]``.

    In place; order within ``new`` is preserved (a stable sort moves empty slots to the front).
    """
    if rows.size == 0:
        return
    width = history.shape[1]
    combined = np.concatenate([history[rows], new], axis=1)
    order = np.argsort(np.isfinite(combined), axis=1, kind="stable")
    history[rows] = np.take_along_axis(combined, order, axis=1)[:, -width:]


@dataclass(slots=True)
class RewardContext:
    """Everything a reward may look at for one step of ``n`` envs (arrays of shape ``[n]``)."""

    wealth_before: np.ndarray  # mark-to-market equity before the step
    wealth_after: np.ndarray  # … after it
    initial_budget: np.ndarray | float
    settled: np.ndarray  # bool: bets were settled at this step
    stake: np.ndarray  # total stake settled at this step
    payout: np.ndarray  # money returned by those bets
    market_volatility: np.ndarray
    risk_score: np.ndarray
    budget_remaining: np.ndarray
    last_10_win_rate: np.ndarray  # NaN = no history
    avg_odds: np.ndarray  # average odds of the bets in that history, NaN = none
    staleness_seconds: np.ndarray
    #: Log growth the bets placed at this step contribute when they settle (0 where none was placed); ``None``
    #: where the environment cannot know it (see :class:`BetOutcomeReward`).
    placed_value: np.ndarray | None = None
    #: The bets placed at this step, for the per-bet mission reward (:class:`MissionBetReward`): their stake,
    #: what they will pay when settled, and the match's :func:`match_volatility` at placement. ``None`` where the
    #: environment cannot know the outcome at placement.
    placed_stake: np.ndarray | None = None
    placed_payout: np.ndarray | None = None
    placed_volatility: np.ndarray | None = None


class RewardFunction(Protocol):
    name: str

    def __call__(self, ctx: RewardContext) -> np.ndarray: ...

    def reset(self, mask: np.ndarray | None = None) -> None: ...


@dataclass
class MissionReward:
    n_envs: int
    guards: MissionGuards = field(default_factory=MissionGuards)
    name: str = "mission"

    def __call__(self, ctx: RewardContext) -> np.ndarray:
        if not ctx.settled.any():  # between settlements only the staleness penalty applies (fast path)
            stale = np.minimum(np.maximum(ctx.staleness_seconds, 0.0), self.guards.max_staleness_seconds)
            return np.maximum(stale * (-0.001 / STALENESS_SCALE_SECONDS), -self.guards.reward_clip)
        return mission_reward(
            ctx.stake,
            ctx.payout,
            ctx.market_volatility,
            ctx.risk_score,
            ctx.budget_remaining,
            ctx.initial_budget,
            ctx.last_10_win_rate,
            ctx.avg_odds,
            ctx.staleness_seconds,
            settled=ctx.settled,
            guards=self.guards,
        )

    def reset(self, mask: np.ndarray | None = None) -> None:
        """Stateless: nothing to reset."""


def log_wealth_growth(wealth_before: ArrayLike, wealth_after: ArrayLike, floor: float = 1e-9) -> np.ndarray:
    """``log(W_after / W_before)`` with wealth floored at ``floor`` (so a wipe-out is a large, finite loss)."""
    before = np.maximum(_clean(wealth_before, floor), floor)
    after = np.maximum(_clean(wealth_after, floor), floor)
    return np.log(after / before)


@dataclass
class LogWealthReward:
    """Per-step log growth of mark-to-market wealth; an episode's rewards sum to ``log(W_end / W_start)``."""

    n_envs: int
    floor_fraction: float = 1e-6
    name: str = "log_wealth"

    def __call__(self, ctx: RewardContext) -> np.ndarray:
        floor = self.floor_fraction * float(np.min(ctx.initial_budget))
        return log_wealth_growth(ctx.wealth_before, ctx.wealth_after, floor)

    def reset(self, mask: np.ndarray | None = None) -> None:
        """Stateless: nothing to reset."""


@dataclass
class DifferentialSharpeReward:
    """Moody & Saffell's differential Sharpe ratio over relative wealth changes ``R_t``.

    ``A_t = A + η (R_t − A)``, ``B_t = B + η (R_t² − B)`` and
    ``D_t = (B ΔA − ½ A ΔB) / (B − A²)^{3/2}`` using the moments *before* the update. Guards: the variance
    ``B − A²`` is floored at ``var_floor`` (at the start both moments are 0 and the ratio is undefined) and
    ``D_t`` is clipped to ``±clip``. The moments persist across episodes (they describe the agent, not the
    match) unless :meth:`reset` is asked to clear them.
    """

    n_envs: int
    eta: float = 0.01
    var_floor: float = 1e-4
    clip: float = 10.0
    name: str = "diff_sharpe"
    a: np.ndarray = field(init=False)
    b: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        if not 0.0 < self.eta < 1.0:
            raise ValueError(f"eta must be in (0, 1), got {self.eta}")
        self.a = np.zeros(self.n_envs)
        self.b = np.zeros(self.n_envs)

    def update(self, returns: ArrayLike) -> np.ndarray:
        r = _clean(returns, 0.0)
        delta_a = r - self.a
        delta_b = r * r - self.b
        var = np.maximum(self.b - self.a * self.a, self.var_floor)
        d = (self.b * delta_a - 0.5 * self.a * delta_b) / var**1.5
        self.a = self.a + self.eta * delta_a
        self.b = self.b + self.eta * delta_b
        return np.clip(d, -self.clip, self.clip)

    def __call__(self, ctx: RewardContext) -> np.ndarray:
        before = np.maximum(_clean(ctx.wealth_before, 0.0), 1e-12)
        return self.update((_clean(ctx.wealth_after, 0.0) - before) / before)

    def reset(self, mask: np.ndarray | None = None) -> None:
        if mask is None:
            self.a[:] = 0.0
            self.b[:] = 0.0
        else:
            self.a[mask] = 0.0
            self.b[mask] = 0.0


@dataclass
class BetOutcomeReward:
    """Per-bet credit: each bet's settled log growth, paid at the minute it was placed; 0 for no bet.

    Why: with a mark-to-market or settlement reward the bet's outcome reaches its decision only through the
    returns of the whole rest of the match, mixed with every other bet and price move after it. Measured on the
    planted live edge (``betfolio bench learn``), the advantage of backing the signalled side was indistinguishable
    from not betting (std 0.1 against an edge of 0.01 per bet) and PPO never found the edge. Paying
    ``log(1 + s·(o·won − 1))`` (stake ``s`` as a fraction of equity, fill odds ``o``) at placement makes a
    no-bet minute's reward exactly 0 and a bet's reward its own outcome: with γ = 0 the advantage is that outcome
    minus the critic. The episode's rewards sum to the log growth of its bets taken one at a time (the same as
    :class:`LogWealthReward` for a single bet per match). The result is known when the simulator replays a
    finished match; it is never part of the observation.
    """

    n_envs: int
    name: str = "bet_outcome"

    def __call__(self, ctx: RewardContext) -> np.ndarray:
        if ctx.placed_value is None:
            raise ValueError("the bet_outcome reward needs each bet's settlement value at placement (BatchedLiveSim)")
        return np.asarray(ctx.placed_value, dtype=np.float64)

    def reset(self, mask: np.ndarray | None = None) -> None:
        """Stateless: nothing to reset."""


@dataclass
class MissionBetReward:
    """The guarded mission reward with per-bet credit: each bet's own mission terms, paid at its minute.

    Why: :class:`MissionReward` pays a bet's outcome when the match settles, up to ninety minutes later, summed
    with every other bet of the match; PPO then needs γ = λ = 1 and the bet's edge drowns in the rest of the
    match (measured for the same structure with log growth: see :class:`BetOutcomeReward`). Here the simulator,
    replaying a finished match, hands over each placed bet's stake and settled payout, and the reward is the
    mission's formula for that bet alone — growth ROI over the match volatility, the budget penalty and the
    performance bonus at the moment of the decision — with the staleness penalty on every step as in
    :class:`MissionReward`. A no-bet minute's reward is only the staleness penalty, so with γ = 0 the advantage
    of a bet is its own risk-adjusted outcome. The result is never part of the observation.
    """

    n_envs: int
    guards: MissionGuards = field(default_factory=MissionGuards)
    name: str = "mission_bet"

    def __call__(self, ctx: RewardContext) -> np.ndarray:
        if ctx.placed_stake is None or ctx.placed_payout is None or ctx.placed_volatility is None:
            raise ValueError("the mission_bet reward needs each placed bet's stake and settled payout (BatchedLiveSim)")
        stake = np.asarray(ctx.placed_stake, dtype=np.float64)
        return mission_reward(
            stake,
            ctx.placed_payout,
            ctx.placed_volatility,
            0.0,
            ctx.wealth_before,
            ctx.initial_budget,
            ctx.last_10_win_rate,
            ctx.avg_odds,
            ctx.staleness_seconds,
            settled=stake > 0,
            guards=self.guards,
        )

    def reset(self, mask: np.ndarray | None = None) -> None:
        """Stateless: nothing to reset."""


def make_reward(name: str, n_envs: int, **params: float) -> RewardFunction:
    """A reward by name: ``"mission"`` (guarded; guard fields as params), ``"log_wealth"``, ``"diff_sharpe"``,
    ``"bet_outcome"`` and ``"mission_bet"`` (per-bet credit; simulators that replay a known result only)."""
    if name == "mission":
        return MissionReward(n_envs, MissionGuards(**params))
    if name == "log_wealth":
        return LogWealthReward(n_envs, **params)
    if name == "diff_sharpe":
        return DifferentialSharpeReward(n_envs, **params)
    if name == "bet_outcome":
        return BetOutcomeReward(n_envs, **params)
    if name == "mission_bet":
        return MissionBetReward(n_envs, MissionGuards(**params))
    raise ValueError(f"unknown reward {name!r}; choose one of {', '.join(LIVE_TRAINING_REWARDS)}")
