"""Model selection on data the evaluation never sees: a validation split inside the training seasons.

On real data a worker may find no edge against the book; PPO or Q-learning still end with *some* betting policy,
and deploying it loses about the margin. Whether to deploy the trained policy or to abstain must be decided on
matches the worker did not train on — and never on the evaluation seasons, or the evaluation would flatter it.
So the training matches are split by date (:func:`validation_split`): the workers train on the earlier part, the
trained policy is replayed once on the later part, and :func:`gate` keeps it only if its profit over abstaining
is positive beyond bootstrap noise (the lower end of the 95 % interval of its ROI, resampling whole match days,
above 0). Otherwise the abstaining policy (:class:`Abstain`) is deployed: with no evidence of an edge, not
betting is the best policy there is.

The same rule serves the live worker (:func:`live_validation`, the held-out replay of
:mod:`betfolio.agents.live.replay`) and the pre-match workers (:func:`prematch_validation`, the training
environment walked once with the greedy policy). The figures and the choice are reported per seed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from betfolio.backtest.metrics import bootstrap_roi_ci

#: Share of the training matches (the latest, by date) held out for model selection.
VALIDATION_FRACTION = 0.2
#: Fewer validation bets than this are no evidence whatever they returned: three lucky winners would put every
#: bootstrap resample above 0.
MIN_VALIDATION_BETS = 30
TRAINED = "trained"
ABSTAIN = "abstain"


class Abstain:
    """The policy deployed when the trained one shows no edge: never bets.

    Serves both workers: as a live :class:`~betfolio.agents.live.replay.MatchPolicy` (``act`` on a batch of
    match slots) and as a pre-match policy (called on one observation).
    """

    def act(self, obs: np.ndarray, action_mask: np.ndarray) -> np.ndarray:
        return np.zeros(np.asarray(action_mask).shape[0], np.int64)

    def reset(self, slots: np.ndarray | None = None) -> None:
        """Memoryless: nothing to forget."""

    def __call__(self, _obs: np.ndarray, _action_mask: np.ndarray) -> int:
        return 0


@dataclass(frozen=True, slots=True)
class Gate:
    """One worker's validation figures and what was deployed because of them."""

    worker: str
    matches: int  # validation matches replayed
    bets: int
    staked: float  # fractions of the bankroll (pre-match) or of the match budget (live), summed
    profit: float
    roi: float | None
    roi_ci_low: float | None
    roi_ci_high: float | None
    log_growth: float  # summed log growth over the validation matches (abstaining: 0)
    deployed: str  # TRAINED or ABSTAIN

    @property
    def keeps(self) -> bool:
        return self.deployed == TRAINED

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def validation_split(matches: Any, fraction: float = VALIDATION_FRACTION) -> tuple[Any, Any]:
    """(fit, validation) of a :class:`~betfolio.sim.episodes.MatchSet`: the latest ``fraction`` of the matches by
    kickoff go to validation, cut between match days (a day's matches share news, so they stay together).

    ValueError when the matches cannot be split (fewer than two match days, or a fraction outside 0…1).
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"the validation fraction must be within 0…1 (exclusive), got {fraction}")
    days = np.asarray(matches.kickoff).astype("datetime64[D]")
    unique = np.unique(days)
    if len(unique) < 2:
        raise ValueError("a validation split needs training matches on at least two days")
    order = np.sort(days)
    cut_day = order[min(round(len(order) * (1.0 - fraction)), len(order) - 1)]
    cut_day = max(cut_day, unique[1])  # the fit part keeps at least one day
    fit = np.flatnonzero(days < cut_day)
    held = np.flatnonzero(days >= cut_day)
    return matches.subset(fit), matches.subset(held)


def gate(
    worker: str,
    stakes: np.ndarray,
    profits: np.ndarray,
    days: np.ndarray,
    *,
    matches: int,
    log_growth: float,
    seed: int = 0,
    bets: int | None = None,
) -> Gate:
    """Keep the trained policy iff it placed at least :data:`MIN_VALIDATION_BETS` bets and its validation ROI is
    above 0 beyond bootstrap noise (the 95 % interval, resampling whole days, lies above abstaining's 0);
    ``stakes``/``profits``/``days`` are per bet or per match (a match's stakes summed)."""
    stakes = np.asarray(stakes, np.float64)
    profits = np.asarray(profits, np.float64)
    bets = int((stakes > 0).sum()) if bets is None else bets
    staked = float(stakes.sum())
    profit = float(profits.sum())
    roi = profit / staked if staked > 0 else None
    low, high = bootstrap_roi_ci(stakes, profits, groups=np.asarray(days), seed=seed) if staked > 0 else (None, None)
    keeps = bets >= MIN_VALIDATION_BETS and low is not None and low > 0.0
    return Gate(worker, matches, bets, staked, profit, roi, low, high, log_growth, TRAINED if keeps else ABSTAIN)


def live_validation(worker: str, replay: Any, kickoffs: np.ndarray, *, seed: int = 0) -> Gate:
    """Gate a live worker on its replay of the validation matches (a
    :class:`~betfolio.agents.live.replay.ReplayResult`; each match traded with a budget of 1)."""
    n = len(replay.match_return)
    stakes = np.zeros(n)
    for b in replay.bets:
        stakes[b.match_row] += b.stake
    growth = float(np.log1p(np.maximum(replay.match_return, -1.0 + 1e-12)).sum())
    days = np.asarray(kickoffs).astype("datetime64[D]").astype(np.int64)
    return gate(worker, stakes, replay.match_return, days, matches=n, log_growth=growth, seed=seed,
                bets=len(replay.bets))  # fmt: skip


def prematch_validation(worker: str, policy: Callable[[np.ndarray, np.ndarray], int], matches: Any, *,
                        reward: str = "mission", seed: int = 0) -> Gate:  # fmt: skip
    """Gate a pre-match worker: walk the validation matches once (every season in turn) in its training
    environment with ``policy(obs, mask)``, each bet settled on its own match."""
    from betfolio.sim.envs import PreMatchBettingEnv

    env = PreMatchBettingEnv(matches, reward=reward)
    day_of = dict(zip(np.asarray(matches.match_id).tolist(), np.asarray(matches.kickoff).astype("datetime64[D]")
                      .astype(np.int64).tolist(), strict=True))  # fmt: skip
    stakes: list[float] = []
    profits: list[float] = []
    days: list[int] = []
    growth = 0.0
    for _season in env.seasons:
        obs, info = env.reset()
        mask = info["action_mask"]
        start = env.bankroll.equity
        done = False
        while not done:
            obs, _reward, terminated, truncated, info = env.step(policy(obs, mask))
            mask = info["action_mask"]
            done = terminated or truncated
            if info["bet_stake"] > 0:
                stakes.append(info["bet_stake"])
                profits.append(info["bet_payout"] - info["bet_stake"])
                days.append(day_of[info["match_id"]])
        growth += float(np.log(max(env.bankroll.equity, 1e-12) / start))
    return gate(worker, np.array(stakes), np.array(profits), np.array(days, np.int64),
                matches=len(matches), log_growth=growth, seed=seed)  # fmt: skip
