"""Replay every match of a (held-out) timeline bank once with a trained live policy, recording each bet.

Training samples matches at random; evaluation must instead play each unseen match exactly once, in one batch,
so the results can be laid on a calendar next to the pre-match backtest. Each match is traded with its own
budget of 1.0 (the live sleeve splits its capital equally across a day's matches, see
:mod:`betfolio.agents.evaluation`). Bets are struck and refused by the simulator; each is settled on its own
match's final score by :func:`betfolio.markets.settlement.settle_many`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from betfolio.agents.live.network import LivePolicy, MaskedAttentionLSTM
from betfolio.features.live import LIVE_BETS, LIVE_SELECTIONS
from betfolio.markets.settlement import settle_many
from betfolio.sim.batched import BatchedLiveSim
from betfolio.sim.timeline import TimelineBank

_MARKET = np.array([b[0] for b in LIVE_BETS])
_SELECTION = np.array([b[1] for b in LIVE_BETS])
_LINE = np.array([np.nan if b[2] is None else b[2] for b in LIVE_BETS])


class BatchPolicy(Protocol):
    """What the replay needs of a policy: one action per match slot, and forgetting finished matches."""

    def act(self, obs: np.ndarray, action_mask: np.ndarray) -> np.ndarray: ...

    def reset(self, slots: np.ndarray | None = None) -> None: ...


@dataclass(frozen=True, slots=True)
class LiveBet:
    match_row: int  # row of the bank's match set
    minute: int
    selection: str
    stake: float  # fraction of the match budget
    odds: float
    payout: float
    status: str = "lost"  # settlement outcome of the bet on its match's final score


@dataclass(slots=True)
class ReplayResult:
    bets: list[LiveBet]
    match_return: np.ndarray  # [M] profit per unit of match budget
    staleness: np.ndarray  # [M] mean observed data staleness (seconds)
    volatility: np.ndarray  # [M] mean in-play price volatility


def replay_bank(
    network: MaskedAttentionLSTM,
    bank: TimelineBank,
    *,
    reward: str = "mission",
    seed: int = 0,
    variant: int = 0,
    deterministic: bool = False,
    policy: BatchPolicy | None = None,
) -> ReplayResult:
    """Play every match of ``bank`` once (timeline variant ``variant``).

    By default the policy is *sampled* (seeded), as it was trained: PPO learns a stochastic policy, and a
    betting policy that bets in 2 % of the minutes has "no bet" as its most likely action in every single
    minute, so its greedy version never bets at all — that would evaluate a different policy than the one
    trained. ``deterministic=True`` gives the greedy version. ``policy`` replaces the network's policy (e.g. a
    random policy of the same betting rate, :mod:`betfolio.agents.controls`) on the very same matches.
    """
    n = bank.n_matches
    sim = BatchedLiveSim(n, seed=seed, bank=bank, reward=reward, autoreset=True)
    # "Match i in env i" (faults drawn from the seeded sim): the layout the desktop app's replay shows too.
    obs, mask = sim.reset_to(np.arange(n), np.full(n, variant % bank.n_variants))
    full_time = bank.matches.full_time
    staleness = sim.tapes.staleness.mean(axis=1).astype(np.float64)
    volatility = sim.tapes.volatility.mean(axis=1).astype(np.float64)
    if policy is None:
        policy = LivePolicy(network, n, deterministic=deterministic, seed=seed)
    active = np.ones(n, bool)
    profit = np.zeros(n)
    bets: list[LiveBet] = []
    minute = 0
    while active.any():
        actions = np.where(active, policy.act(obs, mask), 0)
        obs, _reward, terminated, truncated, mask, info = sim.step(actions)
        placed = np.nonzero(active & (info["stake"] > 0))[0]
        if len(placed):
            sel = actions[placed] - 1
            stake, odds = info["stake"][placed].astype(float), info["fill_odds"][placed].astype(float)
            match = placed  # match i is replayed in env i
            payout = settle_many(
                _MARKET[sel], _SELECTION[sel], _LINE[sel], full_time[match, 0], full_time[match, 1], odds, stake
            )
            for row, s, st, o, p in zip(placed, sel, stake, odds, payout, strict=True):
                profit[row] += p - st
                status = "won" if p > st else ("push" if p == st else "lost")
                bets.append(LiveBet(int(row), minute, LIVE_SELECTIONS[s], float(st), float(o), float(p), status))
        done = terminated | truncated
        policy.reset(done)
        active &= ~done
        minute += 1
        if minute > 200:
            raise RuntimeError("live replay did not finish: episodes longer than a match")
    return ReplayResult(bets, profit, staleness, volatility)
